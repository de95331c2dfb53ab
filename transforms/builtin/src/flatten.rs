//! Flatten (`$Key` and `$Value`): lifts the fields of nested structs (with a schema) or nested
//! maps (without) to the top level, joining the names of each level with a delimiter, as Kafka
//! Connect does. Arrays are kept as they are; maps under a schema are not supported (as in
//! Kafka Connect). Flattened fields are optional when any enclosing struct is, and take their
//! default from the enclosing struct's default when they have none of their own.

mod schema;

use std::collections::HashMap;
use std::sync::Arc;

use sluice_api::{
    ConfigDef, ConfigErrors, ConfigType, ConnectResult, Importance, Props, Record, SchemaRef,
    SchemaType, Struct, Transform, TransformPlugin, Value,
};

use crate::common::{
    SchemaCache, SchemaPaths, Target, copy_fields, data_error, on_target_by_schema,
};

pub const DELIMITER: &str = "delimiter";
pub const DELIMITER_DEFAULT: &str = ".";

/// `Flatten$Key`: flattens the record key.
pub const KEY_PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: create_key,
};
/// `Flatten$Value`: flattens the record value.
pub const VALUE_PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: create_value,
};

/// Every key Flatten accepts, as Kafka Connect defines them.
pub fn config_def() -> ConfigDef {
    ConfigDef::new().optional(
        DELIMITER,
        ConfigType::String,
        Some(DELIMITER_DEFAULT),
        Importance::Medium,
        "Delimiter to insert between field names from the input record when generating field \
         names for the output record",
    )
}

fn create_key(props: &Props) -> ConnectResult<Box<dyn Transform>> {
    Ok(Box::new(Flatten::new(
        FlattenConfig::parse(props)?,
        Target::Key,
    )))
}

fn create_value(props: &Props) -> ConnectResult<Box<dyn Transform>> {
    Ok(Box::new(Flatten::new(
        FlattenConfig::parse(props)?,
        Target::Value,
    )))
}

/// The validated Flatten settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlattenConfig {
    pub delimiter: String,
}

impl FlattenConfig {
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = config_def().parse(props)?;
        Ok(FlattenConfig {
            delimiter: parsed.string(DELIMITER),
        })
    }

    /// `prefix` + delimiter + `name`, or `name` at the top level.
    fn field_name(&self, prefix: &str, name: &str) -> String {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}{}{name}", self.delimiter)
        }
    }
}

/// The Flatten transform.
#[derive(Debug)]
pub struct Flatten {
    config: FlattenConfig,
    target: Target,
    schemas: SchemaCache,
}

/// The flattened map being built: entries in first-insertion order, a later entry of the same
/// name replacing the value (Java's LinkedHashMap).
#[derive(Default)]
struct FlatMap {
    entries: Vec<(Value, Value)>,
    index: HashMap<String, usize>,
}

impl FlatMap {
    fn put(&mut self, name: String, value: Value) {
        match self.index.get(&name) {
            Some(&at) => self.entries[at].1 = value,
            None => {
                self.index.insert(name.clone(), self.entries.len());
                self.entries.push((Value::String(name), value));
            }
        }
    }
}

impl Flatten {
    pub fn new(config: FlattenConfig, target: Target) -> Self {
        Flatten {
            config,
            target,
            schemas: SchemaCache::default(),
        }
    }

    fn name(&self) -> &'static str {
        match self.target {
            Target::Key => "Flatten$Key",
            Target::Value => "Flatten$Value",
        }
    }

    fn flatten_map(
        &self,
        entries: Vec<(Value, Value)>,
        prefix: &str,
        output: &mut FlatMap,
    ) -> Result<(), String> {
        for (key, value) in entries {
            let Value::String(key) = key else {
                return Err(format!(
                    "map key of type {} is not a string (under '{prefix}')",
                    key.type_name()
                ));
            };
            let name = self.config.field_name(prefix, &key);
            match value {
                Value::Map(nested) => self.flatten_map(nested, &name, output)?,
                Value::Null
                | Value::Boolean(_)
                | Value::Int8(_)
                | Value::Int16(_)
                | Value::Int32(_)
                | Value::Int64(_)
                | Value::Float32(_)
                | Value::Float64(_)
                | Value::String(_)
                | Value::Bytes(_)
                | Value::Array(_) => output.put(name, value),
                Value::Struct(_) => {
                    return Err(format!(
                        "Flatten transformation does not support struct for record without \
                         schemas (for field {name})"
                    ));
                }
                Value::Decimal(_) | Value::Date(_) | Value::Time(_) | Value::Timestamp(_) => {
                    return Err(format!(
                        "Flatten transformation was passed a value of type {} which is not \
                         supported by Connect's data API without a schema (for field {name})",
                        value.type_name()
                    ));
                }
            }
        }
        Ok(())
    }

    /// The leaves of `input` in schema order; a null nested struct (without default) gives null
    /// leaves. Nulls take the field's default, as Kafka Connect's `Struct.get` does.
    fn flatten_struct(
        &self,
        schema: &SchemaRef,
        input: Option<Struct>,
        prefix: &str,
        output: &mut Vec<(String, Value)>,
    ) {
        let values = match input {
            Some(input) => copy_fields(schema, input, true),
            None => schema
                .fields()
                .iter()
                .map(|f| (f.name.clone(), Value::Null))
                .collect(),
        };
        for (field, (_, value)) in schema.fields().iter().zip(values) {
            let name = self.config.field_name(prefix, &field.name);
            match (&field.schema.ty, value) {
                (SchemaType::Struct(_), Value::Struct(nested)) => {
                    self.flatten_struct(&field.schema, Some(nested), &name, output);
                }
                (SchemaType::Struct(_), _) => {
                    self.flatten_struct(&field.schema, None, &name, output);
                }
                (_, value) => output.push((name, value)),
            }
        }
    }
}

impl SchemaPaths for Flatten {
    fn apply_schemaless(&self, record: &Record, value: Value) -> ConnectResult<Value> {
        let Value::Map(entries) = value else {
            let problem = format!(
                "only maps are supported in absence of schema for flattening, found {}",
                value.type_name()
            );
            return Err(data_error(self.name(), record, problem));
        };
        let mut output = FlatMap::default();
        self.flatten_map(entries, "", &mut output)
            .map_err(|problem| data_error(self.name(), record, problem))?;
        Ok(Value::Map(output.entries))
    }

    fn apply_with_schema(
        &mut self,
        record: &Record,
        schema: &SchemaRef,
        value: Value,
    ) -> ConnectResult<(SchemaRef, Value)> {
        let Value::Struct(input) = value else {
            let problem = format!(
                "only structs are supported for flattening, found {}",
                value.type_name()
            );
            return Err(data_error(self.name(), record, problem));
        };
        let config = &self.config;
        let updated = self
            .schemas
            .get_or_try(schema, |input| {
                schema::flattened(config, input).map(Arc::new)
            })
            .map_err(|problem| data_error(self.name(), record, problem))?;
        let mut output = Vec::with_capacity(updated.fields().len());
        self.flatten_struct(schema, Some(input), "", &mut output);
        Ok((updated, Value::Struct(Struct::from(output))))
    }
}

impl Transform for Flatten {
    fn apply(&mut self, record: Record) -> ConnectResult<Option<Record>> {
        on_target_by_schema(self.target, self, record)
    }
}

#[cfg(test)]
mod tests;
