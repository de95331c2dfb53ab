//! InsertField (`$Key` and `$Value`): adds the record's topic, partition, offset, timestamp or a
//! static string as fields of the key or value, with or without a schema, as Kafka Connect does.

mod config;
mod schema;

use std::sync::Arc;

use sluice_api::{
    ConnectError, ConnectResult, Props, Record, SchemaRef, Struct, Transform, TransformPlugin,
    Value,
};

pub use config::{InsertFieldConfig, InsertionSpec, config_def};
use schema::updated_schema;

use crate::common::{SchemaCache, SchemaPaths, Target, copy_fields, on_target_by_schema};

/// `InsertField$Key`: inserts into the record key.
pub const KEY_PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: create_key,
};
/// `InsertField$Value`: inserts into the record value.
pub const VALUE_PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: create_value,
};

fn create_key(props: &Props) -> ConnectResult<Box<dyn Transform>> {
    Ok(Box::new(InsertField::new(
        InsertFieldConfig::parse(props)?,
        Target::Key,
    )))
}

fn create_value(props: &Props) -> ConnectResult<Box<dyn Transform>> {
    Ok(Box::new(InsertField::new(
        InsertFieldConfig::parse(props)?,
        Target::Value,
    )))
}

/// The InsertField transform.
#[derive(Debug)]
pub struct InsertField {
    config: InsertFieldConfig,
    target: Target,
    schemas: SchemaCache,
}

impl InsertField {
    fn new(config: InsertFieldConfig, target: Target) -> Self {
        InsertField {
            config,
            target,
            schemas: SchemaCache::default(),
        }
    }

    fn name(&self) -> &'static str {
        match self.target {
            Target::Key => "InsertField$Key",
            Target::Value => "InsertField$Value",
        }
    }

    fn error(&self, record: &Record, problem: &str) -> ConnectError {
        ConnectError::data(format!(
            "{}: cannot insert field(s) {} at {}: {problem}",
            self.name(),
            self.config.field_names().join(", "),
            record.coordinates()
        ))
    }

    /// The record's Kafka offset; only sink records have one.
    fn kafka_offset(&self, record: &Record) -> ConnectResult<i64> {
        record.kafka_offset.ok_or_else(|| {
            self.error(
                record,
                "offset.field is only supported for sink records (read from Kafka)",
            )
        })
    }
}

impl SchemaPaths for InsertField {
    fn apply_schemaless(&self, record: &Record, value: Value) -> ConnectResult<Value> {
        let Value::Map(mut entries) = value else {
            let problem = format!(
                "expected a map when there is no schema, found {}",
                value.type_name()
            );
            return Err(self.error(record, &problem));
        };
        let mut put = |name: &str, value: Value| match entries
            .iter_mut()
            .find(|(k, _)| k.as_str() == Some(name))
        {
            Some(entry) => entry.1 = value,
            None => entries.push((Value::String(name.to_string()), value)),
        };
        let config = &self.config;
        if let Some(spec) = &config.topic {
            put(&spec.name, Value::String(record.topic.clone()));
        }
        if let (Some(spec), Some(partition)) = (&config.partition, record.partition) {
            put(&spec.name, Value::Int32(partition));
        }
        if let Some(spec) = &config.offset {
            put(&spec.name, Value::Int64(self.kafka_offset(record)?));
        }
        // Without a schema there is no Timestamp logical type to announce: a plain long, as in Kafka Connect.
        if let (Some(spec), Some(timestamp)) = (&config.timestamp, record.timestamp) {
            put(&spec.name, Value::Int64(timestamp));
        }
        if let Some((spec, value)) = &config.static_field {
            put(&spec.name, Value::String(value.clone()));
        }
        Ok(Value::Map(entries))
    }

    fn apply_with_schema(
        &mut self,
        record: &Record,
        schema: &SchemaRef,
        value: Value,
    ) -> ConnectResult<(SchemaRef, Value)> {
        let Value::Struct(input) = value else {
            let problem = format!("expected a struct, found {}", value.type_name());
            return Err(self.error(record, &problem));
        };
        let config = &self.config;
        let updated = self
            .schemas
            .get_or_try(schema, |input| updated_schema(config, input).map(Arc::new))
            .map_err(|problem| self.error(record, &problem))?;
        let mut output = copy_fields(schema, input, self.config.replace_null_with_default);

        let config = &self.config;
        if let Some(spec) = &config.topic {
            output.push((spec.name.clone(), Value::String(record.topic.clone())));
        }
        if let Some(spec) = &config.partition {
            output.push((
                spec.name.clone(),
                record.partition.map_or(Value::Null, Value::Int32),
            ));
        }
        if let Some(spec) = &config.offset {
            output.push((spec.name.clone(), Value::Int64(self.kafka_offset(record)?)));
        }
        if let Some(spec) = &config.timestamp {
            output.push((
                spec.name.clone(),
                record.timestamp.map_or(Value::Null, Value::Timestamp),
            ));
        }
        if let Some((spec, value)) = &config.static_field {
            output.push((spec.name.clone(), Value::String(value.clone())));
        }
        Ok((updated, Value::Struct(Struct::from(output))))
    }
}

impl Transform for InsertField {
    fn apply(&mut self, record: Record) -> ConnectResult<Option<Record>> {
        on_target_by_schema(self.target, self, record)
    }
}

#[cfg(test)]
mod tests;
