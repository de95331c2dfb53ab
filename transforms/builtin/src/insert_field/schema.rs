//! The struct schema InsertField emits: the input's fields followed by the inserted ones.

use std::sync::Arc;

use sluice_api::{Field, Schema, SchemaRef, SchemaType};

use super::config::{InsertFieldConfig, InsertionSpec};

/// Updated schemas kept per input schema; Kafka Connect keeps 16 as well.
const CACHE_SIZE: usize = 16;

/// Builds updated schemas and remembers the last few, so that a stream of records sharing one
/// schema also shares one output schema (which lets converters downstream cache by pointer).
#[derive(Debug, Default)]
pub struct SchemaCache {
    /// Most recently used last.
    entries: Vec<(SchemaRef, SchemaRef)>,
}

impl SchemaCache {
    /// The updated schema for `input`, which must be a struct schema.
    pub fn updated(
        &mut self,
        config: &InsertFieldConfig,
        input: &SchemaRef,
    ) -> Result<SchemaRef, String> {
        let hit = self
            .entries
            .iter()
            .position(|(known, _)| Arc::ptr_eq(known, input))
            .or_else(|| self.entries.iter().position(|(known, _)| known == input));
        if let Some(index) = hit {
            let entry = self.entries.remove(index);
            let updated = entry.1.clone();
            self.entries.push(entry);
            return Ok(updated);
        }
        let updated = Arc::new(updated_schema(config, input)?);
        if self.entries.len() == CACHE_SIZE {
            self.entries.remove(0);
        }
        self.entries.push((input.clone(), updated.clone()));
        Ok(updated)
    }
}

/// The input struct's name, version, doc and parameters and fields, plus one field per insertion.
/// Like Kafka Connect, the result is a required struct without default.
fn updated_schema(config: &InsertFieldConfig, input: &Schema) -> Result<Schema, String> {
    let SchemaType::Struct(fields) = &input.ty else {
        return Err(format!(
            "expected a struct schema, found {}",
            input.describe()
        ));
    };
    let mut fields = fields.clone();
    let mut add = |spec: &InsertionSpec, schema: Schema| {
        if fields.iter().any(|f| f.name == spec.name) {
            return Err(format!(
                "field '{}' already exists in the {} schema",
                spec.name,
                input.describe()
            ));
        }
        let schema = if spec.optional {
            schema.optional()
        } else {
            schema
        };
        fields.push(Field::new(spec.name.clone(), schema));
        Ok(())
    };
    if let Some(spec) = &config.topic {
        add(spec, Schema::string())?;
    }
    if let Some(spec) = &config.partition {
        add(spec, Schema::int32())?;
    }
    if let Some(spec) = &config.offset {
        add(spec, Schema::int64())?;
    }
    if let Some(spec) = &config.timestamp {
        add(spec, Schema::timestamp())?;
    }
    if let Some((spec, _)) = &config.static_field {
        add(spec, Schema::string())?;
    }
    Ok(Schema {
        ty: SchemaType::Struct(fields),
        optional: false,
        default: None,
        name: input.name.clone(),
        version: input.version,
        doc: input.doc.clone(),
        parameters: input.parameters.clone(),
    })
}
