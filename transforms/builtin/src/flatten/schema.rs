//! The flattened struct schema: one field per leaf of the nested structs.

use sluice_api::{Field, Schema, SchemaType, Value};

use super::FlattenConfig;
use crate::common::copy_schema_basics;

/// The input's name, version, doc and parameters over the flattened fields; like Kafka Connect's,
/// the result is a required struct without default.
pub(crate) fn flattened(config: &FlattenConfig, input: &Schema) -> Result<Schema, String> {
    let SchemaType::Struct(_) = &input.ty else {
        return Err(format!(
            "expected a struct schema, found {}",
            input.describe()
        ));
    };
    let mut fields = Vec::new();
    let default = input.default.as_ref().filter(|d| !d.is_null());
    leaves(config, input, "", input.optional, default, &mut fields)?;
    Ok(copy_schema_basics(input, SchemaType::Struct(fields)))
}

/// Appends the flattened fields of `schema`. `optional`: some enclosing struct is optional.
/// `parent_default`: the enclosing struct's default, which supplies defaults to fields that
/// have none of their own.
fn leaves(
    config: &FlattenConfig,
    schema: &Schema,
    prefix: &str,
    optional: bool,
    parent_default: Option<&Value>,
    output: &mut Vec<Field>,
) -> Result<(), String> {
    for field in schema.fields() {
        let name = config.field_name(prefix, &field.name);
        let field_optional = optional || field.schema.optional;
        let default = match &field.schema.default {
            Some(own) if !own.is_null() => Some(own),
            _ => match parent_default {
                Some(Value::Struct(parent)) => parent.get(&field.name).filter(|d| !d.is_null()),
                _ => None,
            },
        };
        match &field.schema.ty {
            SchemaType::Struct(_) => {
                leaves(
                    config,
                    &field.schema,
                    &name,
                    field_optional,
                    default,
                    output,
                )?;
            }
            SchemaType::Map(..) => {
                return Err(format!(
                    "Flatten transformation does not support MAP for record with schemas (for \
                     field {name})"
                ));
            }
            _ => {
                if output.iter().any(|f| f.name == name) {
                    return Err(format!(
                        "cannot create field '{name}' because of field name duplication"
                    ));
                }
                let mut leaf = copy_schema_basics(&field.schema, field.schema.ty.clone());
                leaf.optional = field_optional;
                leaf.default = default.cloned();
                output.push(Field::new(name, leaf));
            }
        }
    }
    Ok(())
}
