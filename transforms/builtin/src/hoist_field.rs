//! HoistField (`$Key` and `$Value`): wraps the whole key or value in a struct (with a schema) or
//! a map (without) holding it as its single `field`, as Kafka Connect does.

use std::convert::Infallible;
use std::sync::Arc;

use sluice_api::config::ConfigValue;
use sluice_api::{
    ConfigDef, ConfigErrors, ConfigType, ConnectResult, Field, Importance, Props, Record, Schema,
    Struct, Transform, TransformPlugin, Value,
};

use crate::common::{SchemaCache, Target, data_error};

pub const FIELD: &str = "field";

/// `HoistField$Key`.
pub const KEY_PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: |props| Ok(Box::new(HoistField::new(props, Target::Key)?)),
};
/// `HoistField$Value`.
pub const VALUE_PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: |props| Ok(Box::new(HoistField::new(props, Target::Value)?)),
};

/// Every key HoistField accepts, as Kafka Connect defines them.
pub fn config_def() -> ConfigDef {
    ConfigDef::new().required(
        FIELD,
        ConfigType::String,
        Importance::Medium,
        "Field name for the single field that will be created in the resulting Struct or Map.",
    )
}

/// The validated HoistField settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoistFieldConfig {
    pub field: String,
}

impl HoistFieldConfig {
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = config_def().parse(props)?;
        let field = match parsed.get(FIELD) {
            Some(ConfigValue::String(field)) => field.clone(),
            _ => String::new(),
        };
        Ok(HoistFieldConfig { field })
    }
}

/// The HoistField transform.
#[derive(Debug)]
pub struct HoistField {
    config: HoistFieldConfig,
    target: Target,
    schemas: SchemaCache,
}

impl HoistField {
    pub fn new(props: &Props, target: Target) -> Result<Self, ConfigErrors> {
        Ok(HoistField {
            config: HoistFieldConfig::parse(props)?,
            target,
            schemas: SchemaCache::default(),
        })
    }

    fn name(&self) -> &'static str {
        match self.target {
            Target::Key => "HoistField$Key",
            Target::Value => "HoistField$Value",
        }
    }
}

impl Transform for HoistField {
    fn apply(&mut self, mut record: Record) -> ConnectResult<Option<Record>> {
        let (schema, value) = self.target.take(&mut record);
        let field = &self.config.field;
        // Nulls are wrapped too, as in Kafka Connect: there is no tombstone pass-through here.
        let (schema, value) = match schema {
            None => (None, Value::Map(vec![(Value::from(field.as_str()), value)])),
            Some(schema) => {
                if value.is_null() && !schema.optional {
                    let problem = format!(
                        "cannot hoist a null into field '{field}': its {} schema is not optional",
                        schema.describe()
                    );
                    return Err(data_error(self.name(), &record, problem));
                }
                // A required struct without name: Kafka Connect's `SchemaBuilder.struct()`.
                let Ok(wrapped) = self.schemas.get_or_try::<Infallible>(&schema, |input| {
                    let field = Field::new(field.clone(), Arc::clone(input));
                    Ok(Arc::new(Schema::structure(vec![field])))
                });
                let data = Struct::new().with(field.clone(), value);
                (Some(wrapped), Value::Struct(data))
            }
        };
        self.target.put(&mut record, schema, value);
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use sluice_api::config::props;
    use sluice_api::{ConnectError, SchemaRef, SchemaType};

    use super::*;

    fn transform(plugin: TransformPlugin, field: &str) -> Box<dyn Transform> {
        (plugin.create)(&props(&[("field", field)])).unwrap()
    }

    /// From Kafka Connect's `HoistFieldTest` (schemaless, withSchema), plus nulls.
    #[test]
    fn wraps_keys_with_and_without_schema() {
        let int32: SchemaRef = Arc::new(Schema::int32());
        let optional: SchemaRef = Arc::new(Schema::int32().optional());
        let struct_of = |schema: &SchemaRef| {
            Arc::new(Schema::structure(vec![Field::new(
                "magic",
                Arc::clone(schema),
            )]))
        };
        let magic = |value| Value::Struct(Struct::new().with("magic", value));
        let cases: Vec<(Option<SchemaRef>, Value, Option<SchemaRef>, Value)> = vec![
            (
                None,
                Value::Int32(42),
                None,
                Value::Map(vec![("magic".into(), Value::Int32(42))]),
            ),
            (
                None,
                Value::Null,
                None,
                Value::Map(vec![("magic".into(), Value::Null)]),
            ),
            (
                Some(int32.clone()),
                Value::Int32(42),
                Some(struct_of(&int32)),
                magic(Value::Int32(42)),
            ),
            (
                Some(optional.clone()),
                Value::Null,
                Some(struct_of(&optional)),
                magic(Value::Null),
            ),
        ];
        for (schema, key, expected_schema, expected) in cases {
            let record = Record::new("t").with_key(schema, key);
            let out = transform(KEY_PLUGIN, "magic")
                .apply(record)
                .unwrap()
                .unwrap();
            assert_eq!(out.key_schema, expected_schema);
            assert_eq!(out.key, expected);
        }
    }

    #[test]
    fn value_variant_shares_the_wrapped_schema() {
        let schema: SchemaRef = Arc::new(Schema::string().named("s"));
        let mut hoist = transform(VALUE_PLUGIN, "payload");
        let mut outputs = Vec::new();
        for text in ["a", "b"] {
            let record = Record::new("t").with_value(Some(schema.clone()), Value::from(text));
            outputs.push(hoist.apply(record).unwrap().unwrap());
        }
        let (first, second) = (&outputs[0], &outputs[1]);
        assert!(Arc::ptr_eq(
            first.value_schema.as_ref().unwrap(),
            second.value_schema.as_ref().unwrap()
        ));
        let wrapped = first.value_schema.as_ref().unwrap();
        assert_eq!(wrapped.name, None);
        assert!(!wrapped.optional);
        assert!(matches!(&wrapped.ty, SchemaType::Struct(fields) if fields.len() == 1));
        assert_eq!(
            second.value,
            Value::Struct(Struct::new().with("payload", Value::from("b")))
        );
    }

    #[test]
    fn null_with_a_required_schema_is_a_data_error() {
        let record = Record::new("t").with_value(Some(Arc::new(Schema::int32())), Value::Null);
        let err = transform(VALUE_PLUGIN, "f").apply(record).unwrap_err();
        assert!(matches!(err, ConnectError::Data { .. }));
        assert!(err.to_string().starts_with("HoistField$Value: "), "{err}");
        assert!(err.to_string().contains("field 'f'"), "{err}");
    }

    #[test]
    fn field_is_required() {
        let err = HoistFieldConfig::parse(&props(&[])).unwrap_err();
        assert_eq!(err.issues()[0].key, "field");
    }
}
