//! Cast (`$Key` and `$Value`): casts top-level fields, or the whole key/value, to another
//! primitive type, as Kafka Connect does. Integers, floats, booleans and strings cast to any
//! target; bytes only to string (Base64); Decimal and the time types are read as their Java
//! classes would be (numbers, or their string forms). Schemas are rebuilt and cached.

mod config;
mod convert;
mod text;

use std::mem;
use std::sync::Arc;

use sluice_api::{
    ConnectError, ConnectResult, Field, Props, Record, Schema, SchemaRef, SchemaType, Struct,
    Transform, TransformPlugin, Value,
};

pub use config::{CastConfig, CastSpec, CastType, config_def};
use convert::{cast_value, unsupported_input};

use crate::common::copy_schema_basics;
use crate::common::{
    SchemaCache, SchemaPaths, Target, copy_fields, data_error, on_target_by_schema,
};

/// `Cast$Key`: casts the record key or its fields.
pub const KEY_PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: create_key,
};
/// `Cast$Value`: casts the record value or its fields.
pub const VALUE_PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: create_value,
};

fn create_key(props: &Props) -> ConnectResult<Box<dyn Transform>> {
    Ok(Box::new(Cast::new(CastConfig::parse(props)?, Target::Key)))
}

fn create_value(props: &Props) -> ConnectResult<Box<dyn Transform>> {
    Ok(Box::new(Cast::new(
        CastConfig::parse(props)?,
        Target::Value,
    )))
}

/// The Cast transform.
#[derive(Debug)]
pub struct Cast {
    config: CastConfig,
    target: Target,
    schemas: SchemaCache,
}

impl Cast {
    pub fn new(config: CastConfig, target: Target) -> Self {
        Cast {
            config,
            target,
            schemas: SchemaCache::default(),
        }
    }

    fn name(&self) -> &'static str {
        match self.target {
            Target::Key => "Cast$Key",
            Target::Value => "Cast$Value",
        }
    }

    fn field_error(&self, record: &Record, field: &str, problem: String) -> ConnectError {
        data_error(self.name(), record, format!("field '{field}': {problem}"))
    }
}

impl SchemaPaths for Cast {
    fn apply_schemaless(&self, record: &Record, value: Value) -> ConnectResult<Value> {
        let casts = match &self.config.spec {
            CastSpec::WholeValue(ty) => {
                return cast_value(None, value, *ty)
                    .map_err(|problem| data_error(self.name(), record, problem));
            }
            CastSpec::Fields(casts) => casts,
        };
        let Value::Map(mut entries) = value else {
            let problem = format!(
                "only maps are supported in absence of schema for casting types, found {}",
                value.type_name()
            );
            return Err(data_error(self.name(), record, problem));
        };
        for (field, ty) in casts {
            match entries
                .iter_mut()
                .find(|(k, _)| k.as_str() == Some(field.as_str()))
            {
                Some(entry) => {
                    let value = mem::replace(&mut entry.1, Value::Null);
                    entry.1 = cast_value(None, value, *ty)
                        .map_err(|problem| self.field_error(record, field, problem))?;
                }
                // Kafka Connect puts the (null) cast of the missing field.
                None => entries.push((Value::String(field.clone()), Value::Null)),
            }
        }
        Ok(Value::Map(entries))
    }

    fn apply_with_schema(
        &mut self,
        record: &Record,
        schema: &SchemaRef,
        value: Value,
    ) -> ConnectResult<(SchemaRef, Value)> {
        let config = &self.config;
        let updated = self
            .schemas
            .get_or_try(schema, |input| cast_schema(config, input).map(Arc::new))
            .map_err(|problem| data_error(self.name(), record, problem))?;
        if let CastSpec::WholeValue(ty) = &self.config.spec {
            let value = cast_value(Some(schema), value, *ty)
                .map_err(|problem| data_error(self.name(), record, problem))?;
            return Ok((updated, value));
        }
        let Value::Struct(input) = value else {
            let problem = format!(
                "only structs are supported for casting types, found {}",
                value.type_name()
            );
            return Err(data_error(self.name(), record, problem));
        };
        let mut output = copy_fields(schema, input, self.config.replace_null_with_default);
        for ((name, value), field) in output.iter_mut().zip(schema.fields()) {
            if let Some(ty) = self.config.spec.field(name) {
                let input = mem::replace(value, Value::Null);
                *value = cast_value(Some(&field.schema), input, ty)
                    .map_err(|problem| self.field_error(record, name, problem))?;
            }
        }
        Ok((updated, Value::Struct(Struct::from(output))))
    }
}

/// The schema after the cast: the target type for the whole value (keeping the input's name,
/// version, doc and parameters, as Kafka Connect does), or the struct with its cast fields
/// replaced by plain schemas of their target type. Optionality is kept and defaults are cast;
/// like Kafka Connect, a struct schema with a default value cannot be cast.
fn cast_schema(config: &CastConfig, input: &Schema) -> Result<Schema, String> {
    let ty = match &config.spec {
        CastSpec::WholeValue(ty) => ty.schema_type(),
        CastSpec::Fields(_) => {
            let SchemaType::Struct(fields) = &input.ty else {
                return Err(format!(
                    "expected a struct schema, found {}",
                    input.describe()
                ));
            };
            let fields = fields
                .iter()
                .map(|field| cast_field(config, field))
                .collect::<Result<Vec<_>, _>>()?;
            SchemaType::Struct(fields)
        }
    };
    let mut output = copy_schema_basics(input, ty);
    output.optional = input.optional;
    if let Some(default) = input.default.as_ref().filter(|d| !d.is_null()) {
        let cast = match &config.spec {
            CastSpec::WholeValue(ty) => cast_value(Some(input), default.clone(), *ty),
            CastSpec::Fields(_) => Err(unsupported_input("STRUCT")),
        };
        output.default = Some(cast.map_err(|problem| format!("schema default: {problem}"))?);
    }
    Ok(output)
}

fn cast_field(config: &CastConfig, field: &Field) -> Result<Field, String> {
    let Some(ty) = config.spec.field(&field.name) else {
        return Ok(field.clone());
    };
    let mut schema = Schema::new(ty.schema_type());
    schema.optional = field.schema.optional;
    if let Some(default) = field.schema.default.as_ref().filter(|d| !d.is_null()) {
        let cast = cast_value(Some(&field.schema), default.clone(), ty);
        let problem = |p| format!("field '{}': schema default: {p}", field.name);
        schema.default = Some(cast.map_err(problem)?);
    }
    Ok(Field::new(field.name.clone(), schema))
}

impl Transform for Cast {
    fn apply(&mut self, record: Record) -> ConnectResult<Option<Record>> {
        on_target_by_schema(self.target, self, record)
    }
}

#[cfg(test)]
mod tests;
