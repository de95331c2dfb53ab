//! ExtractNewRecordState's settings: Debezium's keys and defaults, both the legacy delete keys
//! (`drop.tombstones`, `delete.handling.mode`) and `delete.tombstone.handling.mode`, which wins.

use sluice_api::config::{ConfigValue, Validator};
use sluice_api::{ConfigDef, ConfigErrors, ConfigType, Importance, Props};

pub const DROP_TOMBSTONES: &str = "drop.tombstones";
pub const DELETE_HANDLING_MODE: &str = "delete.handling.mode";
pub const DELETE_TOMBSTONE_HANDLING_MODE: &str = "delete.tombstone.handling.mode";
pub const ADD_FIELDS: &str = "add.fields";
pub const ADD_FIELDS_PREFIX: &str = "add.fields.prefix";
pub const ADD_HEADERS: &str = "add.headers";
pub const ADD_HEADERS_PREFIX: &str = "add.headers.prefix";
pub const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

/// What becomes of a delete event (`op` = `d`, no `after` state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteHandling {
    /// The record is dropped.
    Drop,
    /// The record is kept with a null value (`delete.handling.mode=none`).
    Tombstone,
    /// The `before` state is emitted with `__deleted` = "true"; other events get "false".
    Rewrite,
}

/// Every key ExtractNewRecordState accepts, as Debezium defines them.
pub fn config_def() -> ConfigDef {
    let names = |names: &[&str]| Validator::OneOf(names.iter().map(|n| n.to_string()).collect());
    ConfigDef::new()
        .optional(
            DROP_TOMBSTONES,
            ConfigType::Boolean,
            Some("true"),
            Importance::Low,
            "Deprecated: whether to drop tombstones (records with a null value).",
        )
        .optional(
            DELETE_HANDLING_MODE,
            ConfigType::String,
            Some("drop"),
            Importance::Medium,
            "Deprecated: how to handle delete records. Options are: none - records are passed, \
             drop - records are removed (the default), rewrite - __deleted field is added to records.",
        )
        .validate(names(&["drop", "rewrite", "none"]))
        .optional(
            DELETE_TOMBSTONE_HANDLING_MODE,
            ConfigType::String,
            None,
            Importance::Medium,
            "How to handle delete records and tombstones: drop (both), tombstone (deletes become \
             tombstones, tombstones are dropped), rewrite (deletes become the before state with \
             __deleted=true, tombstones are dropped) or rewrite-with-tombstone (rewrite, and \
             tombstones are kept). When set, it replaces drop.tombstones and delete.handling.mode.",
        )
        .validate(names(&["drop", "tombstone", "rewrite", "rewrite-with-tombstone"]))
        .optional(
            ADD_FIELDS,
            ConfigType::List,
            Some(""),
            Importance::Low,
            "Adds each field listed, prefixed with __ (or __<struct>_ if the struct is specified). \
             Example: 'version,connector,source.ts_ms' would add __version, __connector and \
             __source_ts_ms fields. 'field:name' chooses the new name.",
        )
        .validate(Validator::Custom(valid_references))
        .optional(
            ADD_FIELDS_PREFIX,
            ConfigType::String,
            Some("__"),
            Importance::Low,
            "Prefix of the fields added by add.fields.",
        )
        .optional(
            ADD_HEADERS,
            ConfigType::List,
            Some(""),
            Importance::Low,
            "Adds each field listed to the headers, prefixed as in add.fields.",
        )
        .validate(Validator::Custom(valid_references))
        .optional(
            ADD_HEADERS_PREFIX,
            ConfigType::String,
            Some("__"),
            Importance::Low,
            "Prefix of the headers added by add.headers.",
        )
        .optional(
            REPLACE_NULL_WITH_DEFAULT,
            ConfigType::Boolean,
            Some("true"),
            Importance::Medium,
            "Whether a rewritten record replaces null fields that have a default with the default.",
        )
        .merge(unsupported_keys())
}

fn valid_references(value: &ConfigValue) -> Result<(), String> {
    match value {
        ConfigValue::List(specs) => specs
            .iter()
            .try_for_each(|spec| FieldReference::parse("", spec).map(drop)),
        _ => Ok(()),
    }
}

/// A field of the change event to copy into the value or the headers: `op`, `table`,
/// `source.ts_ms`, `transaction.id`, optionally renamed with `:new_name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldReference {
    /// The envelope struct holding the field (`source`, `transaction`), `None` for the envelope.
    pub parent: Option<String>,
    pub field: String,
    /// The name of the added field or header, prefix included.
    pub new_name: String,
}

impl FieldReference {
    /// Reads one entry as Debezium does. An unqualified field is looked up in `source`, except
    /// `op` and `ts_ms` (the envelope's) and `id`, `total_order`, `data_collection_order`
    /// (`transaction`'s); a field missing there is looked up in the envelope itself.
    pub fn parse(prefix: &str, spec: &str) -> Result<Self, String> {
        let parts = java_split(spec, ':');
        let splits = parts
            .first()
            .map(|path| java_split(path, '.'))
            .unwrap_or_default();
        if parts.len() > 2 || splits.is_empty() {
            return Err(format!("unexpected field name: {spec}"));
        }
        let (parent, field) = match splits.as_slice() {
            [field] => (default_parent(field), *field),
            [parent, field, ..] => (Some(*parent), *field),
            [] => unreachable!("checked above"),
        };
        let new_name = match (parts.get(1), parent) {
            (Some(name), _) => format!("{prefix}{name}"),
            (None, Some(parent)) if splits.len() > 1 => format!("{prefix}{parent}_{field}"),
            (None, _) => format!("{prefix}{field}"),
        };
        Ok(FieldReference {
            parent: parent.map(str::to_string),
            field: field.to_string(),
            new_name,
        })
    }

    fn parse_all(prefix: &str, specs: &[String]) -> Vec<Self> {
        // Validated by the definition.
        specs
            .iter()
            .filter_map(|spec| Self::parse(prefix, spec).ok())
            .collect()
    }
}

fn default_parent(field: &str) -> Option<&'static str> {
    match field {
        "id" | "total_order" | "data_collection_order" => Some("transaction"),
        "op" | "ts_ms" => None,
        "updateDescription" => Some("updateDescription"),
        _ => Some("source"),
    }
}

/// Java's `String.split` on a literal: trailing empty parts are dropped, but "" is [""].
fn java_split(text: &str, separator: char) -> Vec<&str> {
    if text.is_empty() {
        return vec![""];
    }
    let mut parts: Vec<&str> = text.split(separator).collect();
    while parts.last() == Some(&"") {
        parts.pop();
    }
    parts
}

/// The validated ExtractNewRecordState settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractNewRecordStateConfig {
    pub drop_tombstones: bool,
    pub delete_handling: DeleteHandling,
    pub add_fields: Vec<FieldReference>,
    pub add_headers: Vec<FieldReference>,
    pub replace_null_with_default: bool,
}

impl ExtractNewRecordStateConfig {
    /// Parses `props`, reporting every problem at once.
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = config_def().parse(props)?;
        // An empty prefix is legitimate, so read the raw value.
        let prefix = |key: &str| match parsed.get(key) {
            Some(ConfigValue::String(prefix)) => prefix.clone(),
            _ => String::new(),
        };
        let mode = |key: &str| parsed.optional_string(key).map(|m| m.to_ascii_lowercase());
        let (drop_tombstones, delete_handling) = match mode(DELETE_TOMBSTONE_HANDLING_MODE) {
            Some(mode) => match mode.as_str() {
                "drop" => (true, DeleteHandling::Drop),
                "tombstone" => (true, DeleteHandling::Tombstone),
                "rewrite" => (true, DeleteHandling::Rewrite),
                _ => (false, DeleteHandling::Rewrite),
            },
            None => {
                let handling = match mode(DELETE_HANDLING_MODE).as_deref() {
                    Some("rewrite") => DeleteHandling::Rewrite,
                    Some("none") => DeleteHandling::Tombstone,
                    _ => DeleteHandling::Drop,
                };
                (parsed.bool(DROP_TOMBSTONES), handling)
            }
        };
        Ok(ExtractNewRecordStateConfig {
            drop_tombstones,
            delete_handling,
            add_fields: FieldReference::parse_all(
                &prefix(ADD_FIELDS_PREFIX),
                &parsed.list(ADD_FIELDS),
            ),
            add_headers: FieldReference::parse_all(
                &prefix(ADD_HEADERS_PREFIX),
                &parsed.list(ADD_HEADERS),
            ),
            replace_null_with_default: parsed.bool(REPLACE_NULL_WITH_DEFAULT),
        })
    }
}

/// Debezium keys Sluice does not implement yet: setting one is a config error rather than a
/// setting that silently does nothing.
fn unsupported_keys() -> ConfigDef {
    let keys = [
        "route.by.field",
        "drop.fields.header.name",
        "drop.fields.from.key",
        "drop.fields.keep.schema.compatible",
        "operation.header",
    ];
    keys.iter().fold(ConfigDef::new(), |def, key| {
        def.optional(
            key,
            ConfigType::String,
            None,
            Importance::Low,
            "Not supported by Sluice yet.",
        )
        .validate(Validator::Custom(|value| match value {
            sluice_api::config::ConfigValue::String(s) if !s.is_empty() => {
                Err("not supported by Sluice's ExtractNewRecordState yet".to_string())
            }
            _ => Ok(()),
        }))
    })
}
