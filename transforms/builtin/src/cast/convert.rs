//! Casting one value, with the semantics of Kafka Connect's `Cast.castValueToType`: Java's
//! numeric narrowing (`Number.byteValue()` and friends), Java's string parsing, and Java's
//! `toString` forms.

use sluice_api::data::Decimal;
use sluice_api::json::{java_decimal_to_string, java_double_to_string, java_float_to_string};
use sluice_api::{Schema, SchemaType, Value};

use super::config::CastType;
use super::text::{base64, java_date_string, java_parse_f32, java_parse_f64};

const MILLIS_PER_DAY: i64 = 86_400_000;

/// The message for a type Cast cannot read (`ARRAY`, `MAP`, `STRUCT`).
pub fn unsupported_input(type_name: &str) -> String {
    format!(
        "Cast transformation does not support casting from {type_name}; supported types are \
         [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]"
    )
}

/// Kafka Connect reads the input type from the schema when there is one, otherwise from the
/// value; logical values without a schema are outside its data API.
fn check_input(schema: Option<&Schema>, value: &Value) -> Result<(), String> {
    let container = match schema.map(|s| &s.ty) {
        Some(SchemaType::Array(_)) => "ARRAY",
        Some(SchemaType::Map(..)) => "MAP",
        Some(SchemaType::Struct(_)) => "STRUCT",
        Some(_) => return Ok(()),
        None => match value {
            Value::Array(_) => "ARRAY",
            Value::Map(_) => "MAP",
            Value::Struct(_) => "STRUCT",
            Value::Decimal(_) | Value::Date(_) | Value::Time(_) | Value::Timestamp(_) => {
                return Err(format!(
                    "Cast transformation was passed a value of type {} which is not supported \
                     by Connect's data API without a schema",
                    value.type_name()
                ));
            }
            _ => return Ok(()),
        },
    };
    Err(unsupported_input(container))
}

/// A number in the Java class it would have: integers (and the time types, encoded as their
/// int/long form), `Float`, `Double` or `BigDecimal`.
enum Number {
    Integer(i64),
    Float(f32),
    Double(f64),
    Big(Decimal),
}

impl Number {
    /// The integer part (toward zero), low 128 bits, as `BigDecimal.toBigInteger()` would have it.
    fn big_integer(d: &Decimal) -> i128 {
        if d.scale > 38 {
            0
        } else if d.scale >= 0 {
            d.unscaled / 10i128.pow(d.scale as u32)
        } else {
            // 10^128 is a multiple of 2^128: further factors leave the low 128 bits at zero.
            let times = d.scale.unsigned_abs().min(128);
            (0..times).fold(d.unscaled, |v, _| v.wrapping_mul(10))
        }
    }

    /// `intValue()`; `byteValue()` and `shortValue()` narrow this further.
    fn int_value(&self) -> i32 {
        match self {
            Number::Integer(i) => *i as i32,
            Number::Float(f) => *f as i32,
            Number::Double(d) => *d as i32,
            Number::Big(d) => Self::big_integer(d) as i32,
        }
    }

    /// `longValue()`.
    fn long_value(&self) -> i64 {
        match self {
            Number::Integer(i) => *i,
            Number::Float(f) => *f as i64,
            Number::Double(d) => *d as i64,
            Number::Big(d) => Self::big_integer(d) as i64,
        }
    }

    /// `floatValue()`.
    fn float_value(&self) -> f32 {
        match self {
            Number::Integer(i) => *i as f32,
            Number::Float(f) => *f,
            Number::Double(d) => *d as f32,
            Number::Big(d) => format!("{}e{}", d.unscaled, -i64::from(d.scale))
                .parse()
                .unwrap_or(0.0),
        }
    }

    /// `doubleValue()`.
    fn double_value(&self) -> f64 {
        match self {
            Number::Integer(i) => *i as f64,
            Number::Float(f) => f64::from(*f),
            Number::Double(d) => *d,
            Number::Big(d) => format!("{}e{}", d.unscaled, -i64::from(d.scale))
                .parse()
                .unwrap_or(0.0),
        }
    }
}

/// Casts `value` (described by `schema`, if any) to `target`. Null stays null.
pub fn cast_value(
    schema: Option<&Schema>,
    value: Value,
    target: CastType,
) -> Result<Value, String> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    check_input(schema, &value)?;
    if target == CastType::String {
        return to_string(value);
    }
    let number = match value {
        Value::Int8(v) => Number::Integer(v.into()),
        Value::Int16(v) => Number::Integer(v.into()),
        Value::Int32(v) => Number::Integer(v.into()),
        Value::Int64(v) => Number::Integer(v),
        // Logical values are cast from their encoded form: days, milliseconds of the day,
        // milliseconds since the epoch.
        Value::Date(v) | Value::Time(v) => Number::Integer(v.into()),
        Value::Timestamp(v) => Number::Integer(v),
        Value::Float32(v) => Number::Float(v),
        Value::Float64(v) => Number::Double(v),
        Value::Decimal(d) => Number::Big(d),
        Value::Boolean(b) => Number::Integer(b.into()),
        Value::String(s) => return parse_string(&s, target),
        other => {
            return Err(format!(
                "unexpected type in Cast transformation: {}",
                other.type_name()
            ));
        }
    };
    Ok(match target {
        CastType::Int8 => Value::Int8(number.int_value() as i8),
        CastType::Int16 => Value::Int16(number.int_value() as i16),
        CastType::Int32 => Value::Int32(number.int_value()),
        CastType::Int64 => Value::Int64(number.long_value()),
        CastType::Float32 => Value::Float32(number.float_value()),
        CastType::Float64 => Value::Float64(number.double_value()),
        CastType::Boolean => Value::Boolean(number.long_value() != 0),
        CastType::String => unreachable!("strings are handled above"),
    })
}

/// `Byte.parseByte`, `Integer.parseInt`, `Double.parseDouble`, `Boolean.parseBoolean` ...
fn parse_string(s: &str, target: CastType) -> Result<Value, String> {
    let parsed = match target {
        CastType::Int8 => s.parse().ok().map(Value::Int8),
        CastType::Int16 => s.parse().ok().map(Value::Int16),
        CastType::Int32 => s.parse().ok().map(Value::Int32),
        CastType::Int64 => s.parse().ok().map(Value::Int64),
        CastType::Float32 => java_parse_f32(s).map(Value::Float32),
        CastType::Float64 => java_parse_f64(s).map(Value::Float64),
        CastType::Boolean => Some(Value::Boolean(s.eq_ignore_ascii_case("true"))),
        CastType::String => Some(Value::String(s.to_string())),
    };
    parsed.ok_or_else(|| {
        format!(
            "value ({s}) was out of range for requested data type {}",
            target.name()
        )
    })
}

/// Java's `toString()` of the value; bytes in Base64, dates as `Values.dateFormatFor` writes them.
fn to_string(value: Value) -> Result<Value, String> {
    Ok(Value::String(match value {
        Value::Boolean(b) => b.to_string(),
        Value::Int8(v) => v.to_string(),
        Value::Int16(v) => v.to_string(),
        Value::Int32(v) => v.to_string(),
        Value::Int64(v) => v.to_string(),
        Value::Float32(v) => java_float_to_string(v),
        Value::Float64(v) => java_double_to_string(v),
        Value::String(s) => s,
        Value::Bytes(b) => base64(&b),
        Value::Decimal(d) => java_decimal_to_string(&d),
        Value::Date(days) => java_date_string(i64::from(days) * MILLIS_PER_DAY),
        Value::Time(millis) => java_date_string(millis.into()),
        Value::Timestamp(millis) => java_date_string(millis),
        other => {
            return Err(format!(
                "unexpected type in Cast transformation: {}",
                other.type_name()
            ));
        }
    }))
}
