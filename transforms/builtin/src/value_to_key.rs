//! ValueToKey: replaces the record key with a struct (schema'd value) or map (schemaless value)
//! holding the listed fields of the value, as Kafka Connect does.

use std::sync::Arc;

use sluice_api::config::Validator;
use sluice_api::{
    ConfigDef, ConfigErrors, ConfigType, ConnectResult, Field, Importance, Props, Record, Schema,
    SchemaRef, Struct, Transform, TransformPlugin, Value,
};

use crate::common::field_path::field_value;
use crate::common::{SchemaCache, data_error};

pub const FIELDS: &str = "fields";
pub const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

const NAME: &str = "ValueToKey";

/// `ValueToKey`.
pub const PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: |props| Ok(Box::new(ValueToKey::new(props)?)),
};

/// Every key ValueToKey accepts, as Kafka Connect defines them.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            FIELDS,
            ConfigType::List,
            Importance::High,
            "Field names on the record value to extract as the record key.",
        )
        .validate(Validator::NonEmpty)
        .optional(
            REPLACE_NULL_WITH_DEFAULT,
            ConfigType::Boolean,
            Some("true"),
            Importance::Medium,
            "Whether to replace fields that have a default value and that are null to the \
             default value. When set to true, the default value is used, otherwise null is used.",
        )
}

/// The validated ValueToKey settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueToKeyConfig {
    pub fields: Vec<String>,
    pub replace_null_with_default: bool,
}

impl ValueToKeyConfig {
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = config_def().parse(props)?;
        Ok(ValueToKeyConfig {
            fields: parsed.list(FIELDS),
            replace_null_with_default: parsed.bool(REPLACE_NULL_WITH_DEFAULT),
        })
    }
}

/// The ValueToKey transform.
#[derive(Debug)]
pub struct ValueToKey {
    config: ValueToKeyConfig,
    /// Key schema per value schema.
    schemas: SchemaCache,
}

impl ValueToKey {
    pub fn new(props: &Props) -> Result<Self, ConfigErrors> {
        Ok(ValueToKey {
            config: ValueToKeyConfig::parse(props)?,
            schemas: SchemaCache::default(),
        })
    }

    /// A required, unnamed struct of the listed fields with their value-side schemas.
    fn key_schema(fields: &[String], value_schema: &Schema) -> Result<Schema, String> {
        let mut key_fields: Vec<Field> = Vec::with_capacity(fields.len());
        for name in fields {
            let Some(field) = value_schema.field(name) else {
                return Err(format!(
                    "field '{name}' does not exist in the {} value schema",
                    value_schema.describe()
                ));
            };
            if key_fields.iter().any(|f| f.name == *name) {
                return Err(format!("field '{name}' is listed twice in '{FIELDS}'"));
            }
            key_fields.push(field.clone());
        }
        Ok(Schema::structure(key_fields))
    }
}

impl Transform for ValueToKey {
    fn apply(&mut self, mut record: Record) -> ConnectResult<Option<Record>> {
        let fields = &self.config.fields;
        // Unlike most transforms, a null value is an error here, as in Kafka Connect.
        let (schema, key) = match (&record.value_schema, &record.value) {
            (None, Value::Map(entries)) => {
                let mut key: Vec<(Value, Value)> = Vec::with_capacity(fields.len());
                for name in fields {
                    let found = entries
                        .iter()
                        .find(|(k, _)| k.as_str() == Some(name))
                        .map_or(Value::Null, |(_, v)| v.clone());
                    // A field listed twice is one map entry, as in a Java map.
                    if !key.iter().any(|(k, _)| k.as_str() == Some(name)) {
                        key.push((Value::from(name.as_str()), found));
                    }
                }
                (None, Value::Map(key))
            }
            (Some(schema), Value::Struct(value)) => {
                let key_schema: SchemaRef = self
                    .schemas
                    .get_or_try(schema, |input| {
                        Self::key_schema(fields, input).map(Arc::new)
                    })
                    .map_err(|problem| data_error(NAME, &record, problem))?;
                let use_defaults = self.config.replace_null_with_default;
                let key = key_schema
                    .fields()
                    .iter()
                    .map(|field| {
                        let data = field_value(field, value, use_defaults);
                        (field.name.clone(), data.clone())
                    })
                    .collect::<Vec<_>>();
                (Some(key_schema), Value::Struct(Struct::from(key)))
            }
            (schema, value) => {
                let expected = if schema.is_some() {
                    "a struct"
                } else {
                    "a map when there is no schema"
                };
                let problem = format!(
                    "cannot copy fields {} from the value to the key: expected {expected}, found {}",
                    fields.join(", "),
                    value.type_name()
                );
                return Err(data_error(NAME, &record, problem));
            }
        };
        record.key_schema = schema;
        record.key = key;
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use sluice_api::ConnectError;
    use sluice_api::config::props;

    use super::*;

    fn transform(pairs: &[(&str, &str)]) -> Box<dyn Transform> {
        (PLUGIN.create)(&props(pairs)).unwrap()
    }

    fn map(entries: &[(&str, Value)]) -> Value {
        Value::Map(
            entries
                .iter()
                .map(|(k, v)| (Value::from(*k), v.clone()))
                .collect(),
        )
    }

    fn abc_schema() -> SchemaRef {
        Arc::new(
            Schema::structure(vec![
                Field::new("a", Schema::int32()),
                Field::new("b", Schema::int32()),
                Field::new(
                    "c",
                    Schema::int32().optional().with_default(Value::Int32(9)),
                ),
            ])
            .named("Abc"),
        )
    }

    fn abc(c: Value) -> Value {
        Value::Struct(
            Struct::new()
                .with("a", Value::Int32(1))
                .with("b", Value::Int32(2))
                .with("c", c),
        )
    }

    /// From Kafka Connect's `ValueToKeyTest` (schemaless), plus a missing field.
    #[test]
    fn schemaless_value_gives_a_map_key() {
        let value = map(&[
            ("a", Value::Int32(1)),
            ("b", Value::Int32(2)),
            ("c", Value::Int32(3)),
        ]);
        let cases: Vec<(&str, Value)> = vec![
            (
                "a,b",
                map(&[("a", Value::Int32(1)), ("b", Value::Int32(2))]),
            ),
            ("b,x", map(&[("b", Value::Int32(2)), ("x", Value::Null)])),
            ("a,a", map(&[("a", Value::Int32(1))])),
        ];
        for (fields, expected) in cases {
            let record = Record::new("t")
                .with_key(None, Value::from("old"))
                .with_value(None, value.clone());
            let out = transform(&[("fields", fields)])
                .apply(record)
                .unwrap()
                .unwrap();
            assert_eq!(out.key_schema, None);
            assert_eq!(out.key, expected, "{fields}");
            assert_eq!(out.value, value);
        }
    }

    /// From Kafka Connect's `ValueToKeyTest` (withSchema), plus defaults.
    #[test]
    fn schema_value_gives_a_struct_key() {
        let expected_schema = Schema::structure(vec![
            Field::new("a", Schema::int32()),
            Field::new(
                "c",
                Schema::int32().optional().with_default(Value::Int32(9)),
            ),
        ]);
        type Pairs = &'static [(&'static str, &'static str)];
        // (config, value, expected value of `c` in the key)
        let cases: Vec<(Pairs, Value, Value)> = vec![
            (&[("fields", "a,c")], abc(Value::Int32(3)), Value::Int32(3)),
            (&[("fields", "a,c")], abc(Value::Null), Value::Int32(9)),
            (
                &[("fields", "a,c"), ("replace.null.with.default", "false")],
                abc(Value::Null),
                Value::Null,
            ),
        ];
        for (config, value, expected_c) in cases {
            let record = Record::new("t").with_value(Some(abc_schema()), value.clone());
            let out = transform(config).apply(record).unwrap().unwrap();
            assert_eq!(out.key_schema.as_deref(), Some(&expected_schema));
            let expected = Struct::new()
                .with("a", Value::Int32(1))
                .with("c", expected_c);
            assert_eq!(out.key, Value::Struct(expected), "{config:?}");
            assert_eq!(out.value, value);
        }
    }

    /// Kafka Connect: `nonExistingField` fails with "Field does not exist: not_exist"; nulls
    /// and wrong shapes fail too.
    #[test]
    fn errors() {
        let cases: Vec<(&str, Option<SchemaRef>, Value, &str)> = vec![
            (
                "not_exist",
                Some(abc_schema()),
                abc(Value::Null),
                "field 'not_exist' does not exist",
            ),
            ("a,a", Some(abc_schema()), abc(Value::Null), "listed twice"),
            (
                "a",
                None,
                Value::Null,
                "expected a map when there is no schema, found null",
            ),
            (
                "a",
                Some(abc_schema()),
                Value::Null,
                "expected a struct, found null",
            ),
        ];
        for (fields, schema, value, expected) in cases {
            let mut record = Record::new("orders").with_value(schema, value);
            record.partition = Some(1);
            let err = transform(&[("fields", fields)]).apply(record).unwrap_err();
            assert!(matches!(err, ConnectError::Data { .. }));
            let message = err.to_string();
            assert!(message.starts_with("ValueToKey: "), "{message}");
            assert!(message.contains(expected), "{message}");
            assert!(message.ends_with("(record orders/1)"), "{message}");
        }
    }

    #[test]
    fn fields_must_be_listed() {
        for pairs in [&[][..], &[("fields", " , ")][..]] {
            let err = ValueToKeyConfig::parse(&props(pairs)).unwrap_err();
            assert_eq!(err.issues()[0].key, "fields");
        }
    }
}
