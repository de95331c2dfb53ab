//! How `Values.parseString` types arrays and maps: the elements' common schema, widening
//! numbers (`Values.SchemaMerger`), and each element converted to it (`Values.convertTo`).

use sluice_api::{Schema, SchemaType, Value};

use super::literal::{Literal, Unparsable};

/// Aligns keys (and values) with their common schemas as Kafka Connect does; without a common
/// value schema the map has no schema.
pub(super) fn map_of(
    entries: Vec<(Value, Value)>,
    keys: Option<Schema>,
    values: Option<Schema>,
) -> Result<Literal, Unparsable> {
    let Some(key_schema) = keys else {
        return Ok((None, Value::Map(entries)));
    };
    let aligned = entries
        .into_iter()
        .map(|(k, v)| {
            let k = align(k, &key_schema)?;
            let v = match &values {
                Some(schema) => align(v, schema)?,
                None => v,
            };
            Ok((k, v))
        })
        .collect::<Result<_, Unparsable>>()?;
    let schema = values.map(|value_schema| Schema::map(key_schema, value_schema));
    Ok((schema, Value::Map(aligned)))
}

/// `Values.SchemaMerger`: the schema every value seen so far fits, widening numbers.
#[derive(Default)]
pub(super) struct SchemaMerger {
    common: Option<Schema>,
    incompatible: bool,
}

impl SchemaMerger {
    /// Nulls are skipped; a value without schema leaves no common schema.
    pub(super) fn merge(&mut self, latest: Option<&Literal>) {
        let Some((latest, _)) = latest else { return };
        if self.incompatible {
            return;
        }
        self.common = match (self.common.take(), latest) {
            (_, None) => None,
            (None, Some(latest)) => Some(latest.clone()),
            (Some(previous), Some(latest)) => merge_schemas(previous, latest),
        };
        self.incompatible = self.common.is_none();
    }

    pub(super) fn schema(self) -> Option<Schema> {
        self.common
    }
}

/// Numeric rank for widening: int8 < int16 < int32 < int64 < float32 < float64.
fn numeric_rank(ty: &SchemaType) -> Option<u8> {
    Some(match ty {
        SchemaType::Int8 => 0,
        SchemaType::Int16 => 1,
        SchemaType::Int32 => 2,
        SchemaType::Int64 => 3,
        SchemaType::Float32 => 4,
        SchemaType::Float64 => 5,
        _ => return None,
    })
}

fn merge_schemas(previous: Schema, latest: &Schema) -> Option<Schema> {
    if std::mem::discriminant(&previous.ty) != std::mem::discriminant(&latest.ty) {
        let (p, l) = (numeric_rank(&previous.ty)?, numeric_rank(&latest.ty)?);
        return Some(if p >= l { previous } else { latest.clone() });
    }
    if previous.optional == latest.optional {
        return Some(if previous.optional {
            previous
        } else {
            latest.clone()
        });
    }
    (previous == *latest).then_some(previous)
}

/// Converts a parsed value to the common schema of its array or map (`Values.convertTo`).
pub(super) fn align(value: Value, schema: &Schema) -> Result<Value, Unparsable> {
    if value.is_null() {
        return if schema.optional {
            Ok(Value::Null)
        } else {
            Err(Unparsable)
        };
    }
    if schema.logical_type().is_some() {
        // Temporal and decimal values only ever merge with their own kind.
        let same = matches!(
            (&schema.ty, &value),
            (SchemaType::Int32, Value::Date(_) | Value::Time(_))
                | (SchemaType::Int64, Value::Timestamp(_))
                | (SchemaType::Bytes, Value::Decimal(_))
        );
        return if same { Ok(value) } else { Err(Unparsable) };
    }
    let int = match value {
        Value::Int8(n) => Some(i64::from(n)),
        Value::Int16(n) => Some(i64::from(n)),
        Value::Int32(n) => Some(i64::from(n)),
        Value::Int64(n) => Some(n),
        _ => None,
    };
    let float = match value {
        Value::Float32(f) => Some(f64::from(f)),
        Value::Float64(f) => Some(f),
        _ => int.map(|n| n as f64),
    };
    Ok(match (&schema.ty, value) {
        (SchemaType::Int8, _) if int.is_some() => Value::Int8(int.unwrap_or_default() as i8),
        (SchemaType::Int16, _) if int.is_some() => Value::Int16(int.unwrap_or_default() as i16),
        (SchemaType::Int32, _) if int.is_some() => Value::Int32(int.unwrap_or_default() as i32),
        (SchemaType::Int64, _) if int.is_some() => Value::Int64(int.unwrap_or_default()),
        (SchemaType::Float32, _) if float.is_some() => {
            Value::Float32(float.unwrap_or_default() as f32)
        }
        (SchemaType::Float64, _) if float.is_some() => Value::Float64(float.unwrap_or_default()),
        (SchemaType::Boolean, v @ Value::Boolean(_)) => v,
        (SchemaType::String, v @ Value::String(_)) => v,
        (SchemaType::Array(items), Value::Array(elements)) => Value::Array(
            elements
                .into_iter()
                .map(|e| align(e, items))
                .collect::<Result<_, _>>()?,
        ),
        (SchemaType::Map(ks, vs), Value::Map(entries)) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| Ok((align(k, ks)?, align(v, vs)?)))
                .collect::<Result<_, Unparsable>>()?,
        ),
        _ => return Err(Unparsable),
    })
}
