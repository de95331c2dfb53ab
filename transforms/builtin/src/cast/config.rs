//! Cast's settings: the `spec` of target types, per field or for the whole key/value.

use sluice_api::config::{ConfigValue, Validator};
use sluice_api::{ConfigDef, ConfigErrors, ConfigType, Importance, Props, SchemaType};

use crate::common::java_split_colon;

pub const SPEC: &str = "spec";
pub const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

/// Every key Cast accepts, as Kafka Connect defines them.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            SPEC,
            ConfigType::List,
            Importance::High,
            "List of fields and the type to cast them to of the form field1:type,field2:type to \
             cast fields of Maps or Structs. A single type to cast the entire value. Valid types \
             are int8, int16, int32, int64, float32, float64, boolean, and string. Note that \
             binary fields can only be cast to string.",
        )
        .validate(Validator::Custom(valid_spec))
        .optional(
            REPLACE_NULL_WITH_DEFAULT,
            ConfigType::Boolean,
            Some("true"),
            Importance::Medium,
            "Whether to replace fields that have a default value and that are null to the default \
             value. When set to true, the default value is used, otherwise null is used.",
        )
}

fn valid_spec(value: &ConfigValue) -> Result<(), String> {
    match value {
        ConfigValue::List(items) => CastSpec::parse(items).map(drop),
        _ => Ok(()),
    }
}

/// A type Cast can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CastType {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
}

impl CastType {
    /// A type name as Kafka Connect reads it: a `Schema.Type` name in any case.
    pub fn parse(name: &str) -> Result<Self, String> {
        Ok(match name.trim().to_ascii_uppercase().as_str() {
            "INT8" => CastType::Int8,
            "INT16" => CastType::Int16,
            "INT32" => CastType::Int32,
            "INT64" => CastType::Int64,
            "FLOAT32" => CastType::Float32,
            "FLOAT64" => CastType::Float64,
            "BOOLEAN" => CastType::Boolean,
            "STRING" => CastType::String,
            other @ ("BYTES" | "ARRAY" | "MAP" | "STRUCT") => {
                return Err(format!(
                    "Cast transformation does not support casting to {other}; supported types \
                     are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]"
                ));
            }
            _ => {
                return Err(format!(
                    "invalid type found in casting spec: {}",
                    name.trim()
                ));
            }
        })
    }

    /// The lower-case name used in `spec`.
    pub fn name(self) -> &'static str {
        match self {
            CastType::Int8 => "int8",
            CastType::Int16 => "int16",
            CastType::Int32 => "int32",
            CastType::Int64 => "int64",
            CastType::Float32 => "float32",
            CastType::Float64 => "float64",
            CastType::Boolean => "boolean",
            CastType::String => "string",
        }
    }

    pub fn schema_type(self) -> SchemaType {
        match self {
            CastType::Int8 => SchemaType::Int8,
            CastType::Int16 => SchemaType::Int16,
            CastType::Int32 => SchemaType::Int32,
            CastType::Int64 => SchemaType::Int64,
            CastType::Float32 => SchemaType::Float32,
            CastType::Float64 => SchemaType::Float64,
            CastType::Boolean => SchemaType::Boolean,
            CastType::String => SchemaType::String,
        }
    }
}

/// What to cast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CastSpec {
    /// The whole key or value (a single type in `spec`).
    WholeValue(CastType),
    /// Top-level fields of a map or struct, in spec order; a field named twice takes the later type.
    Fields(Vec<(String, CastType)>),
}

impl CastSpec {
    /// Reads `spec` items (`field:type` or a lone type), with Kafka Connect's checks.
    pub fn parse(items: &[String]) -> Result<Self, String> {
        if items.is_empty() {
            return Err("must specify at least one field to cast".to_string());
        }
        let mut whole = None;
        let mut fields: Vec<(String, CastType)> = Vec::new();
        for item in items {
            match java_split_colon(item)[..] {
                [ty] => whole = Some(CastType::parse(ty)?),
                [field, ty] => {
                    let (field, ty) = (field.trim(), CastType::parse(ty)?);
                    match fields.iter_mut().find(|(f, _)| f == field) {
                        Some(entry) => entry.1 = ty,
                        None => fields.push((field.to_string(), ty)),
                    }
                }
                _ => return Err(format!("invalid cast mapping: {item}")),
            }
        }
        match whole {
            Some(_) if items.len() > 1 => Err(
                "Cast transformations that specify a type to cast the entire value to may only \
                 specify a single cast in their spec"
                    .to_string(),
            ),
            Some(ty) => Ok(CastSpec::WholeValue(ty)),
            None => Ok(CastSpec::Fields(fields)),
        }
    }

    /// The target type of a top-level field, for field casts.
    pub fn field(&self, name: &str) -> Option<CastType> {
        match self {
            CastSpec::WholeValue(_) => None,
            CastSpec::Fields(fields) => fields.iter().find(|(f, _)| f == name).map(|(_, t)| *t),
        }
    }
}

/// The validated Cast settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CastConfig {
    pub spec: CastSpec,
    pub replace_null_with_default: bool,
}

impl CastConfig {
    /// Parses `props`, reporting every problem at once.
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = config_def().parse(props)?;
        let spec = CastSpec::parse(&parsed.list(SPEC))
            .map_err(|reason| ConfigErrors::one(SPEC, reason))?;
        Ok(CastConfig {
            spec,
            replace_null_with_default: parsed.bool(REPLACE_NULL_WITH_DEFAULT),
        })
    }
}
