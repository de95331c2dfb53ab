//! BSON values as Connect values of a given schema, following the official connector: a
//! string field takes any value (documents and other types as JSON text in the configured
//! formatter), a bytes field takes strings, binary and documents (as BSON), numbers convert
//! between widths, and a struct field absent from the document takes its default or null.

use mongodb::bson::{Bson, Decimal128, Document};
use sluice_api::data::{Decimal, LogicalType};
use sluice_api::{Field, Schema, SchemaType, Struct, Value};

use crate::source::json::JsonFormatter;

const MILLIS_PER_DAY: i64 = 86_400_000;

/// `value` under `schema`; the error names the field path and both types.
#[cfg(test)]
pub fn to_value(schema: &Schema, value: &Bson, formatter: JsonFormatter) -> Result<Value, String> {
    Converter { formatter }.value(schema, value, "")
}

/// A top-level document under a struct `schema`.
pub fn document_value(
    schema: &Schema,
    doc: &Document,
    formatter: JsonFormatter,
) -> Result<Value, String> {
    match &schema.ty {
        SchemaType::Struct(fields) => Converter { formatter }.structure(fields, doc, ""),
        _ => Err(format!("schema {} is not a struct", schema.describe())),
    }
}

struct Converter {
    formatter: JsonFormatter,
}

impl Converter {
    fn value(&self, schema: &Schema, value: &Bson, path: &str) -> Result<Value, String> {
        if matches!(value, Bson::Null | Bson::Undefined) && schema.optional {
            return Ok(Value::Null);
        }
        if let Some(logical) = schema.logical_type() {
            return logical_value(logical, value).ok_or_else(|| mismatch(schema, value, path));
        }
        let converted = match (&schema.ty, value) {
            (SchemaType::String, Bson::String(s)) => Some(Value::String(s.clone())),
            (SchemaType::String, other) => Some(Value::String(self.formatter.value(other))),
            (SchemaType::Boolean, Bson::Boolean(b)) => Some(Value::Boolean(*b)),
            (SchemaType::Bytes, Bson::String(s)) => Some(Value::Bytes(s.as_bytes().to_vec())),
            (SchemaType::Bytes, Bson::Binary(b)) => Some(Value::Bytes(b.bytes.clone())),
            (SchemaType::Bytes, Bson::Document(doc)) => {
                let mut bytes = Vec::new();
                // Writing a document that was read as BSON into memory cannot fail.
                let _ = doc.to_writer(&mut bytes);
                Some(Value::Bytes(bytes))
            }
            (SchemaType::Array(items), Bson::Array(values)) => {
                let converted: Result<Vec<Value>, String> =
                    values.iter().map(|v| self.value(items, v, path)).collect();
                Some(Value::Array(converted?))
            }
            (SchemaType::Map(_, values), Bson::Document(doc)) => {
                let mut entries = Vec::with_capacity(doc.len());
                for (key, v) in doc {
                    let entry = self.value(values, v, &join(path, key))?;
                    entries.push((Value::String(key.clone()), entry));
                }
                Some(Value::Map(entries))
            }
            (SchemaType::Struct(fields), Bson::Document(doc)) => {
                Some(self.structure(fields, doc, path)?)
            }
            (ty, v) => number(ty, v),
        };
        converted.ok_or_else(|| mismatch(schema, value, path))
    }

    fn structure(&self, fields: &[Field], doc: &Document, path: &str) -> Result<Value, String> {
        let mut out = Struct::new();
        for field in fields {
            let field_path = join(path, &field.name);
            let value = match doc.get(&field.name) {
                Some(v) => self.value(&field.schema, v, &field_path)?,
                None => match (&field.schema.default, field.schema.optional) {
                    (Some(default), _) => default.clone(),
                    (None, true) => Value::Null,
                    (None, false) => {
                        return Err(format!(
                            "missing required field '{field_path}' in {}",
                            self.formatter.document(doc)
                        ));
                    }
                },
            };
            out.put(field.name.clone(), value);
        }
        Ok(Value::Struct(out))
    }
}

fn number(ty: &SchemaType, value: &Bson) -> Option<Value> {
    let (int, float) = match value {
        Bson::Int32(n) => (i64::from(*n), f64::from(*n)),
        Bson::Int64(n) => (*n, *n as f64),
        Bson::Double(f) => (*f as i64, *f),
        // A date's number is its milliseconds, as wallTime carries it.
        Bson::DateTime(d) => (d.timestamp_millis(), d.timestamp_millis() as f64),
        _ => return None,
    };
    // Narrowing truncates, as Java's casts in the official connector do.
    let value = match ty {
        SchemaType::Int8 => Value::Int8(int as i8),
        SchemaType::Int16 => Value::Int16(int as i16),
        SchemaType::Int32 => Value::Int32(int as i32),
        SchemaType::Int64 => Value::Int64(int),
        SchemaType::Float32 => Value::Float32(float as f32),
        SchemaType::Float64 => Value::Float64(float),
        _ => return None,
    };
    Some(value)
}

fn logical_value(logical: LogicalType, value: &Bson) -> Option<Value> {
    let millis = match value {
        Bson::DateTime(d) => Some(d.timestamp_millis()),
        Bson::Timestamp(ts) => Some(i64::from(ts.time) * 1000),
        Bson::Int64(n) => Some(*n),
        Bson::Int32(n) => Some(i64::from(*n)),
        _ => None,
    };
    match logical {
        LogicalType::Timestamp => millis.map(Value::Timestamp),
        LogicalType::Date => millis.map(|ms| Value::Date(ms.div_euclid(MILLIS_PER_DAY) as i32)),
        LogicalType::Time => millis.map(|ms| Value::Time(ms.rem_euclid(MILLIS_PER_DAY) as i32)),
        LogicalType::Decimal { scale } => {
            let decimal = match value {
                Bson::Decimal128(d) => decimal_of(d)?,
                Bson::Int32(n) => Decimal {
                    unscaled: i128::from(*n),
                    scale: 0,
                },
                Bson::Int64(n) => Decimal {
                    unscaled: i128::from(*n),
                    scale: 0,
                },
                _ => return None,
            };
            rescale(decimal, scale).map(Value::Decimal)
        }
    }
}

/// A finite Decimal128 as a Connect decimal; `None` for NaN, infinities and more than 38 digits.
pub fn decimal_of(value: &Decimal128) -> Option<Decimal> {
    let text = value.to_string();
    let (mantissa, exponent) = match text.split_once(['E', 'e']) {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (text.as_str(), 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int}{frac}");
    let unscaled = digits.parse::<i128>().ok()?;
    let scale = i32::try_from(frac.len()).ok()? - exponent;
    Some(Decimal { unscaled, scale })
}

/// The same number at `scale`, unless that would drop digits.
fn rescale(decimal: Decimal, scale: i32) -> Option<Decimal> {
    let shift = scale - decimal.scale;
    let factor = 10_i128.checked_pow(shift.unsigned_abs())?;
    let unscaled = if shift >= 0 {
        decimal.unscaled.checked_mul(factor)?
    } else if decimal.unscaled % factor == 0 {
        decimal.unscaled / factor
    } else {
        return None;
    };
    Some(Decimal { unscaled, scale })
}

fn mismatch(schema: &Schema, value: &Bson, path: &str) -> String {
    let field = if path.is_empty() {
        String::new()
    } else {
        format!("field '{path}': ")
    };
    format!(
        "{field}schema type {} cannot hold a BSON {:?} value",
        schema.describe(),
        value.element_type()
    )
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}
