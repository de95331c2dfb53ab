//! HeaderFrom (`$Key` and `$Value`): copies or moves fields of the key or value into headers,
//! each header taking the field's schema and value, as Kafka Connect does.

use std::sync::Arc;

use sluice_api::config::{ConfigValue, IssueCollector, Validator};
use sluice_api::{
    ConfigDef, ConfigErrors, ConfigType, ConnectResult, Header, Importance, Props, Record, Schema,
    SchemaRef, SchemaType, Struct, Transform, TransformPlugin, Value,
};

use crate::common::field_path::field_value;
use crate::common::{SchemaCache, Target, copy_fields, data_error};

pub const FIELDS: &str = "fields";
pub const HEADERS: &str = "headers";
pub const OPERATION: &str = "operation";
pub const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

/// `HeaderFrom$Key`.
pub const KEY_PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: |props| Ok(Box::new(HeaderFrom::new(props, Target::Key)?)),
};
/// `HeaderFrom$Value`.
pub const VALUE_PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: |props| Ok(Box::new(HeaderFrom::new(props, Target::Value)?)),
};

/// Every key HeaderFrom accepts, as Kafka Connect defines them.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            FIELDS,
            ConfigType::List,
            Importance::High,
            "Field names in the record whose values are to be copied or moved to headers.",
        )
        .validate(Validator::NonEmpty)
        .required(
            HEADERS,
            ConfigType::List,
            Importance::High,
            "Header names, in the same order as the field names listed in the fields \
             configuration property.",
        )
        .validate(Validator::NonEmpty)
        .required(
            OPERATION,
            ConfigType::String,
            Importance::High,
            "Either `move` if the fields are to be moved to the headers (removed from the \
             key/value), or `copy` if the fields are to be copied to the headers (retained in \
             the key/value).",
        )
        // Case-sensitive, like Kafka Connect's `ValidString`.
        .validate(Validator::Custom(|value| match value {
            ConfigValue::String(s) if s != "move" && s != "copy" => {
                Err("must be one of: move, copy".to_string())
            }
            _ => Ok(()),
        }))
        .optional(
            REPLACE_NULL_WITH_DEFAULT,
            ConfigType::Boolean,
            Some("true"),
            Importance::Medium,
            "Whether to replace fields that have a default value and that are null to the \
             default value. When set to true, the default value is used, otherwise null is used.",
        )
}

/// Whether the fields stay in the key/value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Copy,
    Move,
}

/// The validated HeaderFrom settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderFromConfig {
    /// (field, header) pairs in configured order.
    pub mappings: Vec<(String, String)>,
    pub operation: Operation,
    pub replace_null_with_default: bool,
}

impl HeaderFromConfig {
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = config_def().parse(props)?;
        let (fields, headers) = (parsed.list(FIELDS), parsed.list(HEADERS));
        let mut issues = IssueCollector::new();
        if fields.len() != headers.len() {
            issues.push(
                HEADERS,
                format!(
                    "'{FIELDS}' config must have the same number of elements as '{HEADERS}' \
                     config ({} fields, {} headers)",
                    fields.len(),
                    headers.len()
                ),
            );
        }
        let operation = match parsed.string(OPERATION).as_str() {
            "move" => Operation::Move,
            _ => Operation::Copy,
        };
        issues.finish(HeaderFromConfig {
            mappings: fields.into_iter().zip(headers).collect(),
            operation,
            replace_null_with_default: parsed.bool(REPLACE_NULL_WITH_DEFAULT),
        })
    }

    fn moves(&self, field: &str) -> bool {
        self.operation == Operation::Move && self.mappings.iter().any(|(f, _)| f == field)
    }
}

/// The HeaderFrom transform.
#[derive(Debug)]
pub struct HeaderFrom {
    config: HeaderFromConfig,
    target: Target,
    /// Schemas without the moved fields, per input schema.
    schemas: SchemaCache,
}

impl HeaderFrom {
    pub fn new(props: &Props, target: Target) -> Result<Self, ConfigErrors> {
        Ok(HeaderFrom {
            config: HeaderFromConfig::parse(props)?,
            target,
            schemas: SchemaCache::default(),
        })
    }

    fn name(&self) -> &'static str {
        match self.target {
            Target::Key => "HeaderFrom$Key",
            Target::Value => "HeaderFrom$Value",
        }
    }

    fn operation(&self) -> &'static str {
        match self.config.operation {
            Operation::Copy => "copy",
            Operation::Move => "move",
        }
    }

    /// Schemaless: headers without schema; a missing field gives a null header.
    fn apply_schemaless(&self, entries: Vec<(Value, Value)>, headers: &mut Vec<Header>) -> Value {
        for (field, header) in &self.config.mappings {
            let value = entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(field))
                .map_or(Value::Null, |(_, v)| v.clone());
            headers.push(Header {
                key: header.clone(),
                schema: None,
                value,
            });
        }
        let mut entries = entries;
        entries.retain(|(k, _)| !k.as_str().is_some_and(|k| self.config.moves(k)));
        Value::Map(entries)
    }

    /// With a schema: each header takes the field's schema; a move also drops the fields from
    /// the schema (cached) and the struct.
    fn apply_with_schema(
        &mut self,
        schema: SchemaRef,
        data: Struct,
        headers: &mut Vec<Header>,
    ) -> Result<(SchemaRef, Value), String> {
        let use_defaults = self.config.replace_null_with_default;
        for (field_name, header) in &self.config.mappings {
            let Some(field) = schema.field(field_name) else {
                return Err(format!(
                    "cannot {} field '{field_name}' to header '{header}': no such field in the {} \
                     schema",
                    self.operation(),
                    schema.describe()
                ));
            };
            headers.push(Header {
                key: header.clone(),
                schema: Some(Arc::clone(&field.schema)),
                value: field_value(field, &data, use_defaults).clone(),
            });
        }
        if self.config.operation == Operation::Copy {
            return Ok((schema, Value::Struct(data)));
        }
        let config = &self.config;
        let Ok(moved) = self
            .schemas
            .get_or_try::<std::convert::Infallible>(&schema, |input| {
                Ok(Arc::new(without_moved_fields(config, input)))
            });
        let values = copy_fields(&moved, data, use_defaults);
        Ok((moved, Value::Struct(Struct::from(values))))
    }
}

/// The input struct schema's name, version, doc and parameters (Kafka Connect's
/// `copySchemaBasics`) and the fields that stay: a required struct without default.
fn without_moved_fields(config: &HeaderFromConfig, input: &Schema) -> Schema {
    let fields = input
        .fields()
        .iter()
        .filter(|f| !config.moves(&f.name))
        .cloned()
        .collect();
    Schema {
        ty: SchemaType::Struct(fields),
        optional: false,
        default: None,
        name: input.name.clone(),
        version: input.version,
        doc: input.doc.clone(),
        parameters: input.parameters.clone(),
    }
}

impl Transform for HeaderFrom {
    fn apply(&mut self, mut record: Record) -> ConnectResult<Option<Record>> {
        let (schema, value) = self.target.take(&mut record);
        let mut headers = std::mem::take(&mut record.headers);
        // No null pass-through: Kafka Connect requires a map or struct here.
        let result = match (schema, value) {
            (None, Value::Map(entries)) => Ok((None, self.apply_schemaless(entries, &mut headers))),
            (Some(schema), Value::Struct(data)) => self
                .apply_with_schema(schema, data, &mut headers)
                .map(|(schema, value)| (Some(schema), value)),
            (schema, value) => Err(format!(
                "cannot {} fields to headers: expected {}, found {}",
                self.operation(),
                if schema.is_some() {
                    "a struct"
                } else {
                    "a map when there is no schema"
                },
                value.type_name()
            )),
        };
        let (schema, value) =
            result.map_err(|problem| data_error(self.name(), &record, problem))?;
        record.headers = headers;
        self.target.put(&mut record, schema, value);
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests;
