//! TimestampConverter (`$Key` and `$Value`): converts a timestamp between a formatted string, a
//! unix count, and the Connect Date, Time and Timestamp types, for one field or the whole key or
//! value, with or without a schema, as Kafka Connect does (in UTC).

mod config;
mod convert;

use std::mem;
use std::sync::Arc;

use sluice_api::{
    ConfigErrors, ConnectError, ConnectResult, Props, Record, Schema, SchemaRef, SchemaType,
    Struct, Transform, TransformPlugin, Value,
};

pub use config::{TimestampConverterConfig, TimestampType, UnixPrecision, config_def};
use convert::{Converter, type_from_schema};

use crate::common::{SchemaCache, Target, copy_fields, data_error};

/// `TimestampConverter$Key`: converts the record key or one of its fields.
pub const KEY_PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: create_key,
};
/// `TimestampConverter$Value`: converts the record value or one of its fields.
pub const VALUE_PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: create_value,
};

fn create_key(props: &Props) -> ConnectResult<Box<dyn Transform>> {
    let config = TimestampConverterConfig::parse(props)?;
    Ok(Box::new(TimestampConverter::new(config, Target::Key)?))
}

fn create_value(props: &Props) -> ConnectResult<Box<dyn Transform>> {
    let config = TimestampConverterConfig::parse(props)?;
    Ok(Box::new(TimestampConverter::new(config, Target::Value)?))
}

/// The TimestampConverter transform.
#[derive(Debug)]
pub struct TimestampConverter {
    config: TimestampConverterConfig,
    converter: Converter,
    target: Target,
    schemas: SchemaCache,
}

impl TimestampConverter {
    fn new(config: TimestampConverterConfig, target: Target) -> Result<Self, ConfigErrors> {
        Ok(TimestampConverter {
            converter: Converter::new(&config)?,
            config,
            target,
            schemas: SchemaCache::default(),
        })
    }

    fn name(&self) -> &'static str {
        match self.target {
            Target::Key => "TimestampConverter$Key",
            Target::Value => "TimestampConverter$Value",
        }
    }

    fn error(&self, record: &Record, problem: &str) -> ConnectError {
        let what = match (&self.config.field, self.target) {
            (Some(field), _) => format!("field '{field}'"),
            (None, Target::Key) => "the record key".to_string(),
            (None, Target::Value) => "the record value".to_string(),
        };
        data_error(
            self.name(),
            record,
            format!("cannot convert {what}: {problem}"),
        )
    }

    fn apply_schemaless(&self, value: Value) -> Result<Value, String> {
        let field = match (&self.config.field, value) {
            (_, Value::Null) => return Ok(Value::Null),
            (None, value) => return self.converter.convert(value, None),
            (Some(field), Value::Map(entries)) => (field, entries),
            (Some(_), other) => {
                return Err(format!(
                    "Only Map objects supported in absence of schema for [converting timestamp \
                     formats], found: {}",
                    other.type_name()
                ));
            }
        };
        let (name, mut entries) = field;
        match entries.iter_mut().find(|(k, _)| k.as_str() == Some(name)) {
            Some((_, slot)) => {
                let value = mem::replace(slot, Value::Null);
                *slot = self.converter.convert(value, None)?;
            }
            // Kafka Connect puts the (null) conversion of the missing field.
            None => entries.push((Value::String(name.clone()), Value::Null)),
        }
        Ok(Value::Map(entries))
    }

    fn apply_with_schema(
        &mut self,
        schema: &SchemaRef,
        value: Value,
    ) -> Result<(SchemaRef, Value), String> {
        let (config, converter) = (&self.config, &self.converter);
        if config.field.is_none() {
            // The input type comes from the schema, even for a null value.
            let kind = type_from_schema(schema)?;
            let updated = self.schemas.get_or_try(schema, |input| {
                Ok::<_, String>(Arc::new(converter.target_schema(input.optional)))
            })?;
            return Ok((updated, converter.convert(value, Some(kind))?));
        }
        if !matches!(value, Value::Struct(_) | Value::Null) {
            return Err(format!(
                "Only Struct objects supported for [converting timestamp formats], found: {}",
                value.type_name()
            ));
        }
        let updated = self
            .schemas
            .get_or_try(schema, |input| updated_schema(config, converter, input))?;
        let value = match value {
            Value::Struct(input) => {
                Value::Struct(convert_struct(config, converter, schema, input)?)
            }
            _ => Value::Null,
        };
        Ok((updated, value))
    }
}

/// The input struct schema with the converted field's schema replaced by the target type's;
/// name, version, doc, parameters, optionality and (converted) default are kept.
fn updated_schema(
    config: &TimestampConverterConfig,
    converter: &Converter,
    input: &SchemaRef,
) -> Result<SchemaRef, String> {
    let SchemaType::Struct(fields) = &input.ty else {
        return Err(format!(
            "cannot look up fields on non-struct type {}",
            input.describe()
        ));
    };
    let fields = fields
        .iter()
        .map(|field| match &config.field {
            Some(name) if *name == field.name => {
                sluice_api::Field::new(name.clone(), converter.target_schema(field.schema.optional))
            }
            _ => field.clone(),
        })
        .collect();
    let default = match &input.default {
        Some(Value::Struct(default)) => Some(Value::Struct(convert_struct(
            config,
            converter,
            input,
            default.clone(),
        )?)),
        Some(other) => {
            return Err(format!(
                "the struct schema's default is a {}, not a struct",
                other.type_name()
            ));
        }
        None => None,
    };
    Ok(Arc::new(Schema {
        ty: SchemaType::Struct(fields),
        optional: input.optional,
        default,
        name: input.name.clone(),
        version: input.version,
        doc: input.doc.clone(),
        parameters: input.parameters.clone(),
    }))
}

/// The struct's values with the configured field converted; its input type comes from its schema.
fn convert_struct(
    config: &TimestampConverterConfig,
    converter: &Converter,
    schema: &SchemaRef,
    input: Struct,
) -> Result<Struct, String> {
    let mut output = copy_fields(schema, input, config.replace_null_with_default);
    for ((name, value), field) in output.iter_mut().zip(schema.fields()) {
        if config.field.as_deref() == Some(name.as_str()) {
            let kind = type_from_schema(&field.schema)?;
            *value = converter.convert(mem::replace(value, Value::Null), Some(kind))?;
        }
    }
    Ok(Struct::from(output))
}

impl Transform for TimestampConverter {
    fn apply(&mut self, mut record: Record) -> ConnectResult<Option<Record>> {
        let (schema, value) = self.target.take(&mut record);
        let converted = match schema {
            None => self.apply_schemaless(value).map(|value| (None, value)),
            Some(schema) => self
                .apply_with_schema(&schema, value)
                .map(|(schema, value)| (Some(schema), value)),
        };
        let (schema, value) = converted.map_err(|problem| self.error(&record, &problem))?;
        self.target.put(&mut record, schema, value);
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests;
