//! SetSchemaMetadata (`$Key` and `$Value`): sets the name and/or version of the key or value
//! schema, keeping everything else, and re-binds struct data to the new schema, as Kafka Connect
//! does.

use std::sync::Arc;

use sluice_api::config::{ConfigValue, IssueCollector};
use sluice_api::{
    ConfigDef, ConfigErrors, ConfigType, ConnectResult, Importance, Props, Record, Schema, Struct,
    Transform, TransformPlugin, Value,
};

use crate::common::{SchemaCache, Target, copy_fields, data_error};

pub const SCHEMA_NAME: &str = "schema.name";
pub const SCHEMA_VERSION: &str = "schema.version";
pub const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

/// `SetSchemaMetadata$Key`.
pub const KEY_PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: |props| Ok(Box::new(SetSchemaMetadata::new(props, Target::Key)?)),
};
/// `SetSchemaMetadata$Value`.
pub const VALUE_PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: |props| Ok(Box::new(SetSchemaMetadata::new(props, Target::Value)?)),
};

/// Every key SetSchemaMetadata accepts, as Kafka Connect defines them.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .optional(
            SCHEMA_NAME,
            ConfigType::String,
            None,
            Importance::High,
            "Schema name to set.",
        )
        .optional(
            SCHEMA_VERSION,
            ConfigType::Int,
            None,
            Importance::High,
            "Schema version to set.",
        )
        .optional(
            REPLACE_NULL_WITH_DEFAULT,
            ConfigType::Boolean,
            Some("true"),
            Importance::Medium,
            "Whether to replace fields that have a default value and that are null to the \
             default value. When set to true, the default value is used, otherwise null is used.",
        )
}

/// The validated SetSchemaMetadata settings: at least one of name and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetSchemaMetadataConfig {
    pub name: Option<String>,
    pub version: Option<i32>,
    pub replace_null_with_default: bool,
}

impl SetSchemaMetadataConfig {
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = config_def().parse(props)?;
        // An empty name is still a name, as in Kafka Connect.
        let name = match parsed.get(SCHEMA_NAME) {
            Some(ConfigValue::String(name)) => Some(name.clone()),
            _ => None,
        };
        let version = parsed.optional_int(SCHEMA_VERSION).map(|v| v as i32);
        let mut issues = IssueCollector::new();
        if name.is_none() && version.is_none() {
            issues.push(SCHEMA_NAME, "neither schema name nor version configured");
        }
        issues.finish(SetSchemaMetadataConfig {
            name,
            version,
            replace_null_with_default: parsed.bool(REPLACE_NULL_WITH_DEFAULT),
        })
    }

    /// The input schema with the configured name and version.
    fn updated(&self, schema: &Schema) -> Schema {
        let mut updated = schema.clone();
        if let Some(name) = &self.name {
            updated.name = Some(name.clone());
        }
        if let Some(version) = self.version {
            updated.version = Some(version);
        }
        updated
    }
}

/// The SetSchemaMetadata transform.
#[derive(Debug)]
pub struct SetSchemaMetadata {
    config: SetSchemaMetadataConfig,
    target: Target,
    schemas: SchemaCache,
}

impl SetSchemaMetadata {
    pub fn new(props: &Props, target: Target) -> Result<Self, ConfigErrors> {
        Ok(SetSchemaMetadata {
            config: SetSchemaMetadataConfig::parse(props)?,
            target,
            schemas: SchemaCache::default(),
        })
    }

    fn name(&self) -> &'static str {
        match self.target {
            Target::Key => "SetSchemaMetadata$Key",
            Target::Value => "SetSchemaMetadata$Value",
        }
    }
}

impl Transform for SetSchemaMetadata {
    fn apply(&mut self, mut record: Record) -> ConnectResult<Option<Record>> {
        let (schema, value) = self.target.take(&mut record);
        let Some(schema) = schema else {
            if value.is_null() {
                // Null data without a schema passes through.
                return Ok(Some(record));
            }
            let problem = format!(
                "a schema is required for updating schema metadata, found schemaless {}",
                value.type_name()
            );
            return Err(data_error(self.name(), &record, problem));
        };
        let config = &self.config;
        let Ok(updated) = self
            .schemas
            .get_or_try::<std::convert::Infallible>(&schema, |input| {
                Ok(Arc::new(config.updated(input)))
            });
        let value = match value {
            // The struct's fields are copied against the new schema, as `updateSchemaIn` does.
            Value::Struct(data) => Value::Struct(Struct::from(copy_fields(
                &updated,
                data,
                config.replace_null_with_default,
            ))),
            other => other,
        };
        self.target.put(&mut record, Some(updated), value);
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use sluice_api::config::props;
    use sluice_api::{ConnectError, Field, SchemaRef};

    use super::*;

    fn value_transform(pairs: &[(&str, &str)]) -> Box<dyn Transform> {
        (VALUE_PLUGIN.create)(&props(pairs)).unwrap()
    }

    fn struct_schema() -> SchemaRef {
        Arc::new(
            Schema::structure(vec![
                Field::new("f1", Schema::string()),
                Field::new(
                    "f2",
                    Schema::int32().optional().with_default(Value::Int32(5)),
                ),
            ])
            .named("my.orig.SchemaDefn")
            .with_version(1)
            .with_doc("kept")
            .with_parameter("p", "v"),
        )
    }

    /// From Kafka Connect's `SetSchemaMetadataTest` (schemaNameUpdate, schemaVersionUpdate,
    /// schemaNameAndVersionUpdate on an empty struct schema with a null value, and
    /// schemaNameAndVersionUpdateWithStruct).
    #[test]
    fn sets_name_and_version() {
        let empty: SchemaRef = Arc::new(Schema::structure(vec![]));
        type Pairs = &'static [(&'static str, &'static str)];
        let cases: Vec<(Pairs, Option<&str>, Option<i32>)> = vec![
            (&[("schema.name", "foo")], Some("foo"), None),
            (&[("schema.version", "42")], None, Some(42)),
            (
                &[("schema.name", "foo"), ("schema.version", "42")],
                Some("foo"),
                Some(42),
            ),
        ];
        for (config, name, version) in cases {
            let record = Record::new("t").with_value(Some(empty.clone()), Value::Null);
            let out = value_transform(config).apply(record).unwrap().unwrap();
            let schema = out.value_schema.unwrap();
            assert_eq!(schema.name.as_deref(), name, "{config:?}");
            assert_eq!(schema.version, version, "{config:?}");
            assert_eq!(out.value, Value::Null);
        }

        let data = Struct::new()
            .with("f1", Value::from("value1"))
            .with("f2", Value::Int32(1));
        let record =
            Record::new("t").with_value(Some(struct_schema()), Value::Struct(data.clone()));
        let out = value_transform(&[("schema.name", "foo"), ("schema.version", "42")])
            .apply(record)
            .unwrap()
            .unwrap();
        let expected = Schema {
            name: Some("foo".into()),
            version: Some(42),
            ..(*struct_schema()).clone()
        };
        assert_eq!(out.value_schema.as_deref(), Some(&expected));
        assert_eq!(out.value, Value::Struct(data));
    }

    #[test]
    fn struct_nulls_take_defaults_unless_disabled() {
        let data = || Value::Struct(Struct::new().with("f1", Value::from("x")));
        for (replace, expected) in [("true", Value::Int32(5)), ("false", Value::Null)] {
            let record = Record::new("t").with_value(Some(struct_schema()), data());
            let out =
                value_transform(&[("schema.name", "n"), ("replace.null.with.default", replace)])
                    .apply(record)
                    .unwrap()
                    .unwrap();
            let expected = Struct::new()
                .with("f1", Value::from("x"))
                .with("f2", expected);
            assert_eq!(out.value, Value::Struct(expected), "{replace}");
        }
    }

    #[test]
    fn key_variant_keeps_non_struct_data_and_shares_schemas() {
        let schema: SchemaRef = Arc::new(Schema::array(Schema::int8()).optional());
        let mut transform = (KEY_PLUGIN.create)(&props(&[("schema.version", "3")])).unwrap();
        let mut schemas = Vec::new();
        for n in [1, 2] {
            let record = Record::new("t")
                .with_key(Some(schema.clone()), Value::Array(vec![Value::Int8(n)]))
                .with_value(None, Value::from("v"));
            let out = transform.apply(record).unwrap().unwrap();
            assert_eq!(out.key, Value::Array(vec![Value::Int8(n)]));
            assert_eq!(out.value, Value::from("v"));
            schemas.push(out.key_schema.unwrap());
        }
        assert!(Arc::ptr_eq(&schemas[0], &schemas[1]));
        assert_eq!(
            *schemas[0],
            Schema::array(Schema::int8()).optional().with_version(3)
        );
    }

    #[test]
    fn schemaless_nulls_pass_and_other_schemaless_data_fails() {
        let record = Record::new("t").with_value(None, Value::Null);
        let out = value_transform(&[("schema.name", "n")])
            .apply(record.clone())
            .unwrap()
            .unwrap();
        assert_eq!(out, record);

        let mut record = Record::new("t").with_value(None, Value::from("x"));
        record.kafka_offset = Some(4);
        record.partition = Some(0);
        let err = value_transform(&[("schema.name", "n")])
            .apply(record)
            .unwrap_err();
        assert!(matches!(err, ConnectError::Data { .. }));
        let message = err.to_string();
        assert!(message.starts_with("SetSchemaMetadata$Value: a schema is required"));
        assert!(message.ends_with("(record t/0@4)"), "{message}");
    }

    #[test]
    fn config_needs_a_name_or_version() {
        let err = SetSchemaMetadataConfig::parse(&props(&[])).unwrap_err();
        assert_eq!(err.issues()[0].key, "schema.name");
        let err = SetSchemaMetadataConfig::parse(&props(&[("schema.version", "x")])).unwrap_err();
        assert_eq!(err.issues()[0].key, "schema.version");
    }
}
