//! MaskField (`$Key` and `$Value`): replaces the values of top-level fields of a map or struct
//! with the empty value of their type, or with a configured replacement, as Kafka Connect does.
//! The schema is unchanged.

mod masking;

use sluice_api::config::Validator;
use sluice_api::{
    ConfigDef, ConfigErrors, ConfigType, ConnectResult, Importance, Props, Record, SchemaRef,
    SchemaType, Struct, Transform, TransformPlugin, Value,
};

use masking::{DecimalText, empty_value, replaced};

use crate::common::{Target, copy_fields, data_error, on_target};

pub const FIELDS: &str = "fields";
pub const REPLACEMENT: &str = "replacement";
pub const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

/// `MaskField$Key`: masks fields of the record key.
pub const KEY_PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: create_key,
};
/// `MaskField$Value`: masks fields of the record value.
pub const VALUE_PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: create_value,
};

/// Every key MaskField accepts, as Kafka Connect defines them.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            FIELDS,
            ConfigType::List,
            Importance::High,
            "Names of fields to mask.",
        )
        .validate(Validator::NonEmpty)
        .optional(
            REPLACEMENT,
            ConfigType::String,
            None,
            Importance::Low,
            "Custom value replacement, that will be applied to all 'fields' values (numeric or \
             non-empty string values only).",
        )
        .validate(Validator::NonEmpty)
        .optional(
            REPLACE_NULL_WITH_DEFAULT,
            ConfigType::Boolean,
            Some("true"),
            Importance::Medium,
            "Whether to replace fields that have a default value and that are null to the default \
             value. When set to true, the default value is used, otherwise null is used.",
        )
}

fn create_key(props: &Props) -> ConnectResult<Box<dyn Transform>> {
    Ok(Box::new(MaskField::new(
        MaskFieldConfig::parse(props)?,
        Target::Key,
    )))
}

fn create_value(props: &Props) -> ConnectResult<Box<dyn Transform>> {
    Ok(Box::new(MaskField::new(
        MaskFieldConfig::parse(props)?,
        Target::Value,
    )))
}

/// The validated MaskField settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskFieldConfig {
    /// Field names, without duplicates, in the order given.
    pub fields: Vec<String>,
    pub replacement: Option<String>,
    pub replace_null_with_default: bool,
}

impl MaskFieldConfig {
    /// Parses `props`, reporting every problem at once.
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = config_def().parse(props)?;
        let mut fields: Vec<String> = Vec::new();
        for field in parsed.list(FIELDS) {
            if !fields.contains(&field) {
                fields.push(field);
            }
        }
        Ok(MaskFieldConfig {
            fields,
            replacement: parsed.optional_string(REPLACEMENT),
            replace_null_with_default: parsed.bool(REPLACE_NULL_WITH_DEFAULT),
        })
    }
}

/// The MaskField transform.
#[derive(Debug)]
pub struct MaskField {
    config: MaskFieldConfig,
    /// The replacement read as a number, when it is one.
    number: Option<DecimalText>,
    target: Target,
}

impl MaskField {
    pub fn new(config: MaskFieldConfig, target: Target) -> Self {
        let number = config.replacement.as_deref().and_then(DecimalText::parse);
        MaskField {
            config,
            number,
            target,
        }
    }

    fn name(&self) -> &'static str {
        match self.target {
            Target::Key => "MaskField$Key",
            Target::Value => "MaskField$Value",
        }
    }

    fn masked(
        &self,
        record: &Record,
        field: &str,
        value: &Value,
        with_schema: bool,
    ) -> ConnectResult<Value> {
        match &self.config.replacement {
            None => empty_value(value, with_schema),
            Some(r) => replaced(value, r, self.number.as_ref(), with_schema),
        }
        .map_err(|problem| data_error(self.name(), record, format!("field '{field}': {problem}")))
    }

    /// Masked fields missing from the map are added as null, as Kafka Connect does.
    fn apply_schemaless(&self, record: &Record, value: Value) -> ConnectResult<Value> {
        let Value::Map(mut entries) = value else {
            let problem = format!(
                "only maps are supported in absence of schema for masking fields, found {}",
                value.type_name()
            );
            return Err(data_error(self.name(), record, problem));
        };
        for field in &self.config.fields {
            match entries
                .iter_mut()
                .find(|(k, _)| k.as_str() == Some(field.as_str()))
            {
                Some(entry) => entry.1 = self.masked(record, field, &entry.1, false)?,
                None => entries.push((Value::String(field.clone()), Value::Null)),
            }
        }
        Ok(Value::Map(entries))
    }

    fn apply_with_schema(
        &self,
        record: &Record,
        schema: &SchemaRef,
        value: Value,
    ) -> ConnectResult<Value> {
        let Value::Struct(input) = value else {
            let problem = format!(
                "only structs are supported for masking fields, found {}",
                value.type_name()
            );
            return Err(data_error(self.name(), record, problem));
        };
        if !matches!(schema.ty, SchemaType::Struct(_)) {
            let problem = format!("expected a struct schema, found {}", schema.describe());
            return Err(data_error(self.name(), record, problem));
        }
        let mut output = copy_fields(schema, input, self.config.replace_null_with_default);
        for (name, value) in &mut output {
            if self.config.fields.contains(name) {
                *value = self.masked(record, name, value, true)?;
            }
        }
        Ok(Value::Struct(Struct::from(output)))
    }
}

impl Transform for MaskField {
    fn apply(&mut self, record: Record) -> ConnectResult<Option<Record>> {
        // Masking keeps the schema.
        on_target(self.target, record, |record, schema, value| {
            let value = match &schema {
                None => self.apply_schemaless(record, value)?,
                Some(s) => self.apply_with_schema(record, s, value)?,
            };
            Ok((schema, value))
        })
    }
}

#[cfg(test)]
mod tests;
