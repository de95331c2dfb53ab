//! The struct schema InsertField emits: the input's fields followed by the inserted ones.

use sluice_api::{Field, Schema, SchemaType};

use super::config::{InsertFieldConfig, InsertionSpec};

/// The input struct's name, version, doc and parameters and fields, plus one field per insertion.
/// Like Kafka Connect, the result is a required struct without default.
pub(crate) fn updated_schema(config: &InsertFieldConfig, input: &Schema) -> Result<Schema, String> {
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
