//! ReplaceField (`$Key` and `$Value`): keeps, drops and renames top-level fields of a map or
//! struct, as Kafka Connect does; with a schema the struct schema is rebuilt (and cached).

mod config;

use std::sync::Arc;

use sluice_api::{
    ConnectResult, Field, Props, Record, Schema, SchemaRef, SchemaType, Struct, Transform,
    TransformPlugin, Value,
};

pub use config::{ReplaceFieldConfig, config_def};

use crate::common::{
    SchemaCache, SchemaPaths, Target, copy_fields, copy_schema_basics, data_error,
    on_target_by_schema,
};

/// `ReplaceField$Key`: changes the record key.
pub const KEY_PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: create_key,
};
/// `ReplaceField$Value`: changes the record value.
pub const VALUE_PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: create_value,
};

fn create_key(props: &Props) -> ConnectResult<Box<dyn Transform>> {
    let config = ReplaceFieldConfig::parse(props)?;
    Ok(Box::new(ReplaceField::new(config, Target::Key)))
}

fn create_value(props: &Props) -> ConnectResult<Box<dyn Transform>> {
    let config = ReplaceFieldConfig::parse(props)?;
    Ok(Box::new(ReplaceField::new(config, Target::Value)))
}

/// The ReplaceField transform.
#[derive(Debug)]
pub struct ReplaceField {
    config: ReplaceFieldConfig,
    target: Target,
    schemas: SchemaCache,
}

impl ReplaceField {
    pub fn new(config: ReplaceFieldConfig, target: Target) -> Self {
        ReplaceField {
            config,
            target,
            schemas: SchemaCache::default(),
        }
    }

    fn name(&self) -> &'static str {
        match self.target {
            Target::Key => "ReplaceField$Key",
            Target::Value => "ReplaceField$Value",
        }
    }
}

impl SchemaPaths for ReplaceField {
    fn apply_schemaless(&self, record: &Record, value: Value) -> ConnectResult<Value> {
        let Value::Map(entries) = value else {
            let problem = format!(
                "only maps are supported in absence of schema for field replacement, found {}",
                value.type_name()
            );
            return Err(data_error(self.name(), record, problem));
        };
        let mut output: Vec<(Value, Value)> = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            let Value::String(name) = &key else {
                let problem = format!("map key of type {} is not a string", key.type_name());
                return Err(data_error(self.name(), record, problem));
            };
            if !self.config.keeps(name) {
                continue;
            }
            let renamed = self.config.renamed(name);
            // Two fields renamed to the same name: the later one wins, as with Java's HashMap.
            match output.iter_mut().find(|(k, _)| k.as_str() == Some(renamed)) {
                Some(slot) => slot.1 = value,
                None => output.push((Value::String(renamed.to_string()), value)),
            }
        }
        Ok(Value::Map(output))
    }

    fn apply_with_schema(
        &mut self,
        record: &Record,
        schema: &SchemaRef,
        value: Value,
    ) -> ConnectResult<(SchemaRef, Value)> {
        let Value::Struct(input) = value else {
            let problem = format!(
                "only structs are supported for field replacement, found {}",
                value.type_name()
            );
            return Err(data_error(self.name(), record, problem));
        };
        let config = &self.config;
        let updated = self
            .schemas
            .get_or_try(schema, |input| updated_schema(config, input).map(Arc::new))
            .map_err(|problem| data_error(self.name(), record, problem))?;
        let output: Vec<(String, Value)> =
            copy_fields(schema, input, self.config.replace_null_with_default)
                .into_iter()
                .filter(|(name, _)| self.config.keeps(name))
                .map(|(name, value)| (self.config.renamed(&name).to_string(), value))
                .collect();
        Ok((updated, Value::Struct(Struct::from(output))))
    }
}

/// The kept fields under their new names; a rename onto another kept field's name is an error,
/// as Kafka Connect's SchemaBuilder refuses duplicate field names.
fn updated_schema(config: &ReplaceFieldConfig, input: &Schema) -> Result<Schema, String> {
    let SchemaType::Struct(fields) = &input.ty else {
        return Err(format!(
            "expected a struct schema, found {}",
            input.describe()
        ));
    };
    let mut output: Vec<Field> = Vec::with_capacity(fields.len());
    for field in fields.iter().filter(|f| config.keeps(&f.name)) {
        let name = config.renamed(&field.name);
        if output.iter().any(|f| f.name == name) {
            return Err(format!(
                "cannot create field '{name}' because of field name duplication"
            ));
        }
        output.push(Field::new(name, field.schema.clone()));
    }
    Ok(copy_schema_basics(input, SchemaType::Struct(output)))
}

impl Transform for ReplaceField {
    fn apply(&mut self, record: Record) -> ConnectResult<Option<Record>> {
        on_target_by_schema(self.target, self, record)
    }
}

#[cfg(test)]
mod tests;
