//! Field paths as Kafka Connect's `field.syntax.version` defines them (KIP-821): `V1` takes the
//! configured name as one top-level field; `V2` reads a dotted path into nested structs or maps,
//! with backticks around a step that itself holds dots.

use std::fmt;

use sluice_api::config::{ConfigValue, ParsedConfig, Validator};
use sluice_api::{ConfigDef, ConfigType, Field, Importance, Schema, Struct, Value};

/// The config key that chooses the syntax.
pub const FIELD_SYNTAX_VERSION: &str = "field.syntax.version";

const FIELD_SYNTAX_VERSION_DOC: &str = "Defines the version of the syntax to access fields. \
    If set to `V1`, then the field paths are limited to access the elements at the root level \
    of the struct or map. If set to `V2`, the syntax will support accessing nested elements. \
    To access nested elements, dotted notation is used. If dots are already included in the \
    field name, then backtick pairs can be used to wrap field names containing dots. E.g. to \
    access the subfield `baz` from a field named \"foo.bar\" in a struct/map the following \
    format can be used to access its elements: \"`foo.bar`.baz\".";

/// How a configured field path is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldSyntaxVersion {
    /// The whole text names one field at the root (the behaviour before KIP-821).
    #[default]
    V1,
    /// Dotted paths into nested structs and maps, with backtick quoting.
    V2,
}

impl FieldSyntaxVersion {
    /// Adds `field.syntax.version` (default `V1`, case-insensitive) to a transform's definition.
    pub fn define(def: ConfigDef) -> ConfigDef {
        def.optional(
            FIELD_SYNTAX_VERSION,
            ConfigType::String,
            Some("V1"),
            Importance::High,
            FIELD_SYNTAX_VERSION_DOC,
        )
        .validate(Validator::OneOf(vec!["V1".into(), "V2".into()]))
    }

    /// The version a parsed config selects.
    pub fn from_config(parsed: &ParsedConfig) -> Self {
        match parsed.get(FIELD_SYNTAX_VERSION) {
            Some(ConfigValue::String(s)) if s.eq_ignore_ascii_case("V2") => FieldSyntaxVersion::V2,
            _ => FieldSyntaxVersion::V1,
        }
    }
}

/// A path to one field, possibly nested: Kafka Connect's `SingleFieldPath`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    text: String,
    version: FieldSyntaxVersion,
    /// Never empty.
    steps: Vec<String>,
}

impl FieldPath {
    /// Reads `text` with the given syntax; `Err` holds the reason, for a config error.
    pub fn parse(text: &str, version: FieldSyntaxVersion) -> Result<Self, String> {
        let steps = match version {
            FieldSyntaxVersion::V1 => vec![text.to_string()],
            FieldSyntaxVersion::V2 => parse_v2(text)?,
        };
        if steps.is_empty() {
            return Err("the field path must name at least one field".to_string());
        }
        Ok(FieldPath {
            text: text.to_string(),
            version,
            steps,
        })
    }

    /// The field names from the root down.
    pub fn steps(&self) -> &[String] {
        &self.steps
    }

    pub fn version(&self) -> FieldSyntaxVersion {
        self.version
    }

    /// The field the path leads to in a struct schema, if every step exists.
    pub fn field_from<'a>(&self, schema: &'a Schema) -> Option<&'a Field> {
        let (last, parents) = self.split();
        let mut current = schema;
        for step in parents {
            current = &current.field(step)?.schema;
        }
        current.field(last)
    }

    /// Moves the value at the path out of schemaless map entries: null when a step is missing or
    /// null; `Err` when a step before the last holds something other than a map.
    pub fn take_from_map(&self, entries: Vec<(Value, Value)>) -> Result<Value, String> {
        let (last, parents) = self.split();
        let mut current = entries;
        for step in parents {
            match take_entry(current, step) {
                Value::Map(child) => current = child,
                Value::Null => return Ok(Value::Null),
                other => return Err(not_nested(step, "map", &other)),
            }
        }
        Ok(take_entry(current, last))
    }

    /// Moves the value at the path out of a struct described by `schema`: null when a step is not
    /// in the schema or is null; `Err` when a step before the last holds something other than a
    /// struct. Null fields take their schema default when `use_defaults`, as `Struct.get` does.
    pub fn take_from_struct(
        &self,
        schema: &Schema,
        value: Struct,
        use_defaults: bool,
    ) -> Result<Value, String> {
        let (last, parents) = self.split();
        let (mut schema, mut current) = (schema, value);
        for step in parents {
            let Some(field) = schema.field(step) else {
                return Ok(Value::Null);
            };
            match take_field(field, current, use_defaults) {
                Value::Struct(child) => (schema, current) = (&field.schema, child),
                Value::Null => return Ok(Value::Null),
                other => return Err(not_nested(step, "struct", &other)),
            }
        }
        Ok(schema.field(last).map_or(Value::Null, |field| {
            take_field(field, current, use_defaults)
        }))
    }

    fn split(&self) -> (&String, &[String]) {
        self.steps
            .split_last()
            .expect("a field path has at least one step")
    }
}

impl fmt::Display for FieldPath {
    /// The path as configured.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A struct field's value by its schema field: missing counts as null, and a null takes the
/// field's default when `use_defaults` (Kafka Connect's `Struct.get` vs `getWithoutDefault`).
pub fn field_value<'a>(field: &'a Field, value: &'a Struct, use_defaults: bool) -> &'a Value {
    static NULL: Value = Value::Null;
    let found = value.get(&field.name).unwrap_or(&NULL);
    match (found, use_defaults, &field.schema.default) {
        (Value::Null, true, Some(default)) => default,
        _ => found,
    }
}

fn take_field(field: &Field, value: Struct, use_defaults: bool) -> Value {
    let found = value
        .into_fields()
        .into_iter()
        .find(|(name, _)| *name == field.name)
        .map_or(Value::Null, |(_, v)| v);
    match (found, use_defaults, &field.schema.default) {
        (Value::Null, true, Some(default)) => default.clone(),
        (found, _, _) => found,
    }
}

fn take_entry(entries: Vec<(Value, Value)>, name: &str) -> Value {
    entries
        .into_iter()
        .find(|(key, _)| key.as_str() == Some(name))
        .map_or(Value::Null, |(_, v)| v)
}

fn not_nested(step: &str, expected: &str, found: &Value) -> String {
    format!(
        "field '{step}' must hold a {expected} to reach nested fields, found {}",
        found.type_name()
    )
}

/// Splits a V2 path as Kafka Connect does: steps end at dots; a step that starts with a backtick
/// runs to the next backtick followed by a dot (or ending the path); `\` before such a backtick
/// keeps it in the name. Backticks anywhere else are ordinary characters.
fn parse_v2(path: &str) -> Result<Vec<String>, String> {
    // Byte offsets are safe: the three special characters are ASCII.
    let bytes = path.as_bytes();
    let len = bytes.len();
    let find = |from: usize, wanted: u8| {
        bytes[from..]
            .iter()
            .position(|&b| b == wanted)
            .map(|i| i + from)
    };
    let mut steps = Vec::new();
    let mut idx = 0;
    while idx < len {
        if bytes[idx] != b'`' {
            match find(idx, b'.') {
                Some(dot) => {
                    steps.push(path[idx..dot].to_string());
                    idx = dot + 1;
                }
                None => {
                    steps.push(path[idx..].to_string());
                    break;
                }
            }
            continue;
        }
        let opening = idx;
        let mut name = String::new();
        let mut start = idx + 1;
        idx += 1;
        loop {
            let Some(backtick) = find(idx, b'`') else {
                return Err(incomplete_backticks(path, opening));
            };
            idx = backtick;
            let escaped = bytes[idx - 1] == b'\\';
            if idx + 1 >= len {
                if escaped {
                    return Err(incomplete_backticks(path, opening));
                }
                name.push_str(&path[start..idx]);
                steps.push(name);
                idx += 1;
                break;
            }
            if bytes[idx + 1] != b'.' {
                // Not a closing backtick: part of the name.
                idx += 1;
                continue;
            }
            if escaped {
                name.push_str(&path[start..idx - 1]);
                name.push('`');
                idx += 1;
                start = idx;
                continue;
            }
            name.push_str(&path[start..idx]);
            steps.push(name);
            idx += 2;
            break;
        }
    }
    if path.ends_with('.') {
        steps.push(String::new());
    }
    Ok(steps)
}

fn incomplete_backticks(path: &str, opening: usize) -> String {
    format!(
        "Incomplete backtick pair in path: [{path}], consider adding a backslash before backtick \
         at position {} to escape it",
        path[..opening].chars().count()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(path: &str) -> Vec<String> {
        FieldPath::parse(path, FieldSyntaxVersion::V2)
            .unwrap()
            .steps
    }

    /// Cases from Kafka Connect's `FieldPathNotationTest`.
    #[test]
    fn parses_like_kafka_connect() {
        let cases: &[(&str, &[&str])] = &[
            ("..", &["", "", ""]),
            ("foo..", &["foo", "", ""]),
            (".bar.", &["", "bar", ""]),
            ("..baz", &["", "", "baz"]),
            ("foobarbaz", &["foobarbaz"]),
            ("foo.bar.baz", &["foo", "bar", "baz"]),
            ("foo`bar`baz", &["foo`bar`baz"]),
            ("`foo.bar.baz`", &["foo.bar.baz"]),
            ("foo.`bar.baz`", &["foo", "bar.baz"]),
            ("`foo.bar`.baz", &["foo.bar", "baz"]),
            ("foo.`bar`.baz", &["foo", "bar", "baz"]),
            ("foo.``bar.baz`", &["foo", "`bar.baz"]),
            ("foo.`bar.baz``", &["foo", "bar.baz`"]),
            ("foo.`ba`r.baz`", &["foo", "ba`r.baz"]),
            ("foo.ba`r.baz", &["foo", "ba`r", "baz"]),
            ("foo.``bar``.baz", &["foo", "`bar`", "baz"]),
            ("``foo.bar.baz``", &["`foo.bar.baz`"]),
            ("foo.`bar\\`.baz`", &["foo", "bar`.baz"]),
            ("foo.`bar.`baz`", &["foo", "bar.`baz"]),
            ("foo.`bar\\`.`baz`", &["foo", "bar`.`baz"]),
            ("foo.`bar\\\\`.\\`baz`", &["foo", "bar\\`.\\`baz"]),
        ];
        for (path, expected) in cases {
            assert_eq!(v2(path), *expected, "{path}");
        }
    }

    #[test]
    fn v1_keeps_the_whole_name() {
        for path in ["foo.bar.baz", "foo`bar`", "foo.`bar.baz`", ""] {
            let parsed = FieldPath::parse(path, FieldSyntaxVersion::V1).unwrap();
            assert_eq!(parsed.steps(), [path]);
        }
    }

    #[test]
    fn rejects_incomplete_backticks_and_empty_v2_paths() {
        let cases = [
            ("`foo.bar.baz", 0),
            ("foo.`bar.baz", 4),
            ("foo.bar.`baz", 8),
            ("foo.bar.`baz\\`", 8),
        ];
        for (path, position) in cases {
            let err = FieldPath::parse(path, FieldSyntaxVersion::V2).unwrap_err();
            assert_eq!(
                err,
                format!(
                    "Incomplete backtick pair in path: [{path}], consider adding a backslash \
                     before backtick at position {position} to escape it"
                )
            );
        }
        assert!(FieldPath::parse("", FieldSyntaxVersion::V2).is_err());
    }

    fn nested_schema() -> Schema {
        let inner = Schema::structure(vec![
            Field::new("bar", Schema::int32()),
            Field::new(
                "baz",
                Schema::string().optional().with_default("dflt".into()),
            ),
        ]);
        Schema::structure(vec![Field::new("foo", inner)])
    }

    fn nested_struct(baz: Value) -> Struct {
        let inner = Struct::new().with("bar", Value::Int32(42)).with("baz", baz);
        Struct::new().with("foo", Value::Struct(inner))
    }

    #[test]
    fn finds_fields_and_struct_values() {
        let schema = nested_schema();
        let path = |p: &str| FieldPath::parse(p, FieldSyntaxVersion::V2).unwrap();
        assert_eq!(path("foo.bar").field_from(&schema).unwrap().name, "bar");
        assert_eq!(path("foo").field_from(&schema).unwrap().name, "foo");
        for missing in ["un.known", "foo.unknown", "unknown", "foo.bar.deeper"] {
            assert!(path(missing).field_from(&schema).is_none(), "{missing}");
        }
        let take = |p: &str, baz: Value, defaults: bool| {
            path(p).take_from_struct(&schema, nested_struct(baz), defaults)
        };
        assert_eq!(take("foo.bar", Value::Null, true), Ok(Value::Int32(42)));
        assert_eq!(take("foo.baz", Value::Null, true), Ok(Value::from("dflt")));
        assert_eq!(take("foo.baz", Value::Null, false), Ok(Value::Null));
        assert_eq!(take("foo.unknown", Value::Null, true), Ok(Value::Null));
        assert_eq!(take("un.known", Value::Null, true), Ok(Value::Null));
        assert!(take("foo.bar.x", Value::Null, true).is_err());
    }

    #[test]
    fn takes_map_values() {
        let map = || {
            let foo = Value::Map(vec![
                ("bar".into(), Value::Int32(42)),
                ("baz".into(), Value::Null),
            ]);
            vec![("foo".into(), foo)]
        };
        let take = |p: &str| {
            FieldPath::parse(p, FieldSyntaxVersion::V2)
                .unwrap()
                .take_from_map(map())
        };
        assert_eq!(take("foo.bar"), Ok(Value::Int32(42)));
        assert_eq!(take("foo.baz"), Ok(Value::Null));
        assert_eq!(take("foo.unknown"), Ok(Value::Null));
        assert_eq!(take("un.known"), Ok(Value::Null));
        assert_eq!(take("foo.baz.inner"), Ok(Value::Null));
        assert!(take("foo.bar.inner").is_err());
    }

    #[test]
    fn field_value_applies_defaults_on_request() {
        let field = Field::new(
            "f",
            Schema::int32().optional().with_default(Value::Int32(7)),
        );
        let empty = Struct::new();
        assert_eq!(field_value(&field, &empty, true), &Value::Int32(7));
        assert_eq!(field_value(&field, &empty, false), &Value::Null);
        let set = Struct::new().with("f", Value::Int32(1));
        assert_eq!(field_value(&field, &set, true), &Value::Int32(1));
    }
}
