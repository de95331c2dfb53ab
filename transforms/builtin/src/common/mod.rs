//! Pieces every transform shares: the `$Key`/`$Value` target, a schema cache, struct copying
//! and error messages.

pub mod date_format;
pub mod field_path;
mod schema_cache;
mod target;

use std::mem;

use sluice_api::{
    ConnectError, ConnectResult, Record, Schema, SchemaRef, SchemaType, Struct, Value,
};

pub use schema_cache::SchemaCache;
pub use target::Target;

/// Runs a `$Key`/`$Value` transform on its part of the record. Nulls (tombstones, null keys)
/// pass through untouched, as in Kafka Connect; `apply` gets the schema, if any, and the data.
pub fn on_target(
    target: Target,
    mut record: Record,
    apply: impl FnOnce(&Record, Option<SchemaRef>, Value) -> ConnectResult<(Option<SchemaRef>, Value)>,
) -> ConnectResult<Option<Record>> {
    let (schema, value) = target.take(&mut record);
    let (schema, value) = if value.is_null() {
        (schema, value)
    } else {
        apply(&record, schema, value)?
    };
    target.put(&mut record, schema, value);
    Ok(Some(record))
}

/// The two ways a field-level transform works: on a schemaless value (a map, as JsonConverter
/// reads without schemas) or on a value with a schema (a struct).
pub trait SchemaPaths {
    fn apply_schemaless(&self, record: &Record, value: Value) -> ConnectResult<Value>;

    fn apply_with_schema(
        &mut self,
        record: &Record,
        schema: &SchemaRef,
        value: Value,
    ) -> ConnectResult<(SchemaRef, Value)>;
}

/// Runs `transform` on its target, by the path the presence of a schema picks.
pub fn on_target_by_schema(
    target: Target,
    transform: &mut impl SchemaPaths,
    record: Record,
) -> ConnectResult<Option<Record>> {
    on_target(target, record, |record, schema, value| match schema {
        None => Ok((None, transform.apply_schemaless(record, value)?)),
        Some(schema) => transform
            .apply_with_schema(record, &schema, value)
            .map(|(s, v)| (Some(s), v)),
    })
}

/// A record-level error naming the transform and where the record stands.
pub fn data_error(
    transform: &str,
    record: &Record,
    problem: impl std::fmt::Display,
) -> ConnectError {
    ConnectError::data(format!(
        "{transform}: {problem} (record {})",
        record.coordinates()
    ))
}

/// The input struct's values in schema order; a missing field counts as null, and a null takes
/// the field's default when `use_defaults` (Kafka Connect's `Struct.get` does the same).
pub fn copy_fields(schema: &SchemaRef, input: Struct, use_defaults: bool) -> Vec<(String, Value)> {
    let mut values = input.into_fields();
    let fields = schema.fields();
    let mut output = Vec::with_capacity(fields.len() + 5);
    for (index, field) in fields.iter().enumerate() {
        // Structs normally hold their fields in schema order; look further only when they do not.
        let slot = match values.get_mut(index) {
            Some((name, value)) if *name == field.name => Some(value),
            _ => values
                .iter_mut()
                .find(|(name, _)| *name == field.name)
                .map(|(_, value)| value),
        };
        let mut value = slot.map_or(Value::Null, |value| mem::replace(value, Value::Null));
        if let (Value::Null, true, Some(default)) = (&value, use_defaults, &field.schema.default) {
            value = default.clone();
        }
        output.push((field.name.clone(), value));
    }
    output
}

/// A new schema of type `ty` with the source's name, version, doc and parameters; required and
/// without default, like Kafka Connect's `SchemaUtil.copySchemaBasics`.
pub fn copy_schema_basics(source: &Schema, ty: SchemaType) -> Schema {
    Schema {
        ty,
        optional: false,
        default: None,
        name: source.name.clone(),
        version: source.version,
        doc: source.doc.clone(),
        parameters: source.parameters.clone(),
    }
}

/// Splits like Java's `String.split(":")`: trailing empty parts are dropped, so `a:b:` is the
/// pair (a, b) and `a:` is invalid, exactly as Kafka Connect reads rename mappings.
pub fn java_split_colon(text: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = text.split(':').collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}
