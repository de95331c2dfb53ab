//! ExtractField (`$Key` and `$Value`): replaces the key or value with one of its fields, from a
//! struct (the result takes the field's schema) or a schemaless map, as Kafka Connect does.
//! Nested fields are reached with `field.syntax.version=V2`.

use sluice_api::config::ConfigValue;
use sluice_api::{
    ConfigDef, ConfigErrors, ConfigType, ConnectResult, Importance, Props, Record, Transform,
    TransformPlugin, Value,
};

use crate::common::field_path::{FieldPath, FieldSyntaxVersion};
use crate::common::{Target, data_error};

pub const FIELD: &str = "field";
pub const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

/// `ExtractField$Key`.
pub const KEY_PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: |props| Ok(Box::new(ExtractField::new(props, Target::Key)?)),
};
/// `ExtractField$Value`.
pub const VALUE_PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: |props| Ok(Box::new(ExtractField::new(props, Target::Value)?)),
};

/// Every key ExtractField accepts, as Kafka Connect defines them.
pub fn config_def() -> ConfigDef {
    let def = ConfigDef::new().required(
        FIELD,
        ConfigType::String,
        Importance::Medium,
        "Field name to extract.",
    );
    FieldSyntaxVersion::define(def).optional(
        REPLACE_NULL_WITH_DEFAULT,
        ConfigType::Boolean,
        Some("true"),
        Importance::Medium,
        "Whether to replace fields that have a default value and that are null to the default \
         value. When set to true, the default value is used, otherwise null is used.",
    )
}

/// The validated ExtractField settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractFieldConfig {
    pub field: FieldPath,
    pub replace_null_with_default: bool,
}

impl ExtractFieldConfig {
    /// Parses `props`, reporting every problem at once.
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = config_def().parse(props)?;
        let text = match parsed.get(FIELD) {
            Some(ConfigValue::String(text)) => text.clone(),
            _ => String::new(),
        };
        let field = FieldPath::parse(&text, FieldSyntaxVersion::from_config(&parsed)).map_err(
            |reason| ConfigErrors::one(FIELD, format!("invalid value '{text}': {reason}")),
        )?;
        Ok(ExtractFieldConfig {
            field,
            replace_null_with_default: parsed.bool(REPLACE_NULL_WITH_DEFAULT),
        })
    }
}

/// The ExtractField transform.
#[derive(Debug)]
pub struct ExtractField {
    config: ExtractFieldConfig,
    target: Target,
}

impl ExtractField {
    pub fn new(props: &Props, target: Target) -> Result<Self, ConfigErrors> {
        Ok(ExtractField {
            config: ExtractFieldConfig::parse(props)?,
            target,
        })
    }

    fn name(&self) -> &'static str {
        match self.target {
            Target::Key => "ExtractField$Key",
            Target::Value => "ExtractField$Value",
        }
    }
}

impl Transform for ExtractField {
    fn apply(&mut self, mut record: Record) -> ConnectResult<Option<Record>> {
        let (schema, value) = self.target.take(&mut record);
        let path = &self.config.field;
        let problem = |problem: String| data_error(self.name(), &record, problem);
        let (schema, value) = match schema {
            None => {
                let extracted = match value {
                    // Null passes through.
                    Value::Null => Value::Null,
                    Value::Map(entries) => path.take_from_map(entries).map_err(&problem)?,
                    other => {
                        return Err(problem(format!(
                            "cannot extract field '{path}': expected a map when there is no \
                             schema, found {}",
                            other.type_name()
                        )));
                    }
                };
                (None, extracted)
            }
            Some(schema) => {
                let Some(field) = path.field_from(&schema) else {
                    return Err(problem(format!(
                        "unknown field '{path}' in the {} schema",
                        schema.describe()
                    )));
                };
                let use_defaults = self.config.replace_null_with_default;
                let extracted = match value {
                    Value::Null => Value::Null,
                    Value::Struct(data) => path
                        .take_from_struct(&schema, data, use_defaults)
                        .map_err(&problem)?,
                    other => {
                        return Err(problem(format!(
                            "cannot extract field '{path}': expected a struct, found {}",
                            other.type_name()
                        )));
                    }
                };
                (Some(field.schema.clone()), extracted)
            }
        };
        self.target.put(&mut record, schema, value);
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests;
