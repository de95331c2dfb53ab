//! What a masked value becomes: the empty value of its type, or the `replacement` converted to
//! its type. As in Kafka Connect, the choice follows the value itself, not the schema.

use sluice_api::Value;
use sluice_api::data::Decimal;

/// A decimal number as Java's `new BigDecimal(String)` reads it: `[+-]digits[.digits][e[+-]n]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecimalText {
    negative: bool,
    /// Every digit of the significand, leading zeros included.
    digits: String,
    /// Digits after the point minus the exponent; the value is `digits * 10^-scale`.
    scale: i32,
}

impl DecimalText {
    /// `None` where `new BigDecimal(text)` throws NumberFormatException.
    pub fn parse(text: &str) -> Option<Self> {
        let (negative, rest) = match text.as_bytes().first()? {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(at) => (&rest[..at], parse_exponent(&rest[at + 1..])?),
            None => (rest, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.len() + frac.len() == 0 || !all_digits(int) || !all_digits(frac) {
            return None;
        }
        let scale = i64::try_from(frac.len()).ok()? - exponent;
        Some(DecimalText {
            negative,
            digits: format!("{int}{frac}"),
            scale: i32::try_from(scale).ok()?,
        })
    }

    /// `BigDecimal.longValue()`: the integer part (truncated toward zero), low 64 bits.
    pub fn long_value(&self) -> i64 {
        let kept = if self.scale > 0 {
            let drop = (self.scale as usize).min(self.digits.len());
            &self.digits[..self.digits.len() - drop]
        } else {
            &self.digits[..]
        };
        let mut acc = kept.bytes().fold(0u64, |acc, b| {
            acc.wrapping_mul(10).wrapping_add(u64::from(b - b'0'))
        });
        // 10^64 is a multiple of 2^64: past that, the low 64 bits stay zero.
        for _ in 0..self.scale.saturating_neg().clamp(0, 64) {
            acc = acc.wrapping_mul(10);
        }
        let acc = acc as i64;
        if self.negative {
            acc.wrapping_neg()
        } else {
            acc
        }
    }

    /// `BigDecimal.doubleValue()`: the closest double.
    pub fn double_value(&self) -> f64 {
        let sign = if self.negative { "-" } else { "" };
        let text = format!("{sign}{}e{}", self.digits, -i64::from(self.scale));
        text.parse().unwrap_or(0.0)
    }

    /// The exact decimal, when its unscaled value fits in 128 bits.
    pub fn decimal(&self) -> Option<Decimal> {
        let magnitude: i128 = self.digits.parse().ok()?;
        let unscaled = if self.negative { -magnitude } else { magnitude };
        Some(Decimal {
            unscaled,
            scale: self.scale,
        })
    }
}

fn parse_exponent(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || digits.len() > 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The same number at another scale, when that loses nothing.
fn rescale(d: Decimal, scale: i32) -> Option<Decimal> {
    let diff = scale.checked_sub(d.scale)?;
    let factor = 10i128.checked_pow(diff.unsigned_abs())?;
    let unscaled = if diff >= 0 {
        d.unscaled.checked_mul(factor)?
    } else if d.unscaled % factor == 0 {
        d.unscaled / factor
    } else {
        return None;
    };
    Some(Decimal { unscaled, scale })
}

/// The empty value of the value's type (0, false, "", empty array or map, the epoch). A Decimal
/// becomes zero at scale 0 like Java's `BigDecimal.ZERO`, except that under a schema it keeps
/// the schema's scale so that the struct stays valid.
pub fn empty_value(value: &Value, with_schema: bool) -> Result<Value, String> {
    Ok(match value {
        Value::Null => Value::Null,
        Value::Boolean(_) => Value::Boolean(false),
        Value::Int8(_) => Value::Int8(0),
        Value::Int16(_) => Value::Int16(0),
        Value::Int32(_) => Value::Int32(0),
        Value::Int64(_) => Value::Int64(0),
        Value::Float32(_) => Value::Float32(0.0),
        Value::Float64(_) => Value::Float64(0.0),
        Value::String(_) => Value::String(String::new()),
        Value::Decimal(d) => Value::Decimal(Decimal {
            unscaled: 0,
            scale: if with_schema { d.scale } else { 0 },
        }),
        Value::Date(_) => Value::Date(0),
        Value::Time(_) => Value::Time(0),
        Value::Timestamp(_) => Value::Timestamp(0),
        Value::Array(_) => Value::Array(Vec::new()),
        Value::Map(_) => Value::Map(Vec::new()),
        Value::Bytes(_) | Value::Struct(_) => {
            return Err(format!("cannot mask value of type {}", value.type_name()));
        }
    })
}

/// The replacement converted to the value's type: numbers as Kafka Connect's `Values.convertTo*`
/// read a string (through BigDecimal, narrowing integers by truncation), strings as they are.
/// Booleans, times, bytes and containers cannot take a replacement. Under a schema, a Decimal
/// replacement is brought to the schema's scale and must fit it exactly.
pub fn replaced(
    value: &Value,
    replacement: &str,
    number: Option<&DecimalText>,
    with_schema: bool,
) -> Result<Value, String> {
    let number = || number.ok_or_else(|| format!("unable to convert '{replacement}' to a number"));
    Ok(match value {
        Value::Null => Value::Null,
        Value::Int8(_) => Value::Int8(number()?.long_value() as i8),
        Value::Int16(_) => Value::Int16(number()?.long_value() as i16),
        Value::Int32(_) => Value::Int32(number()?.long_value() as i32),
        Value::Int64(_) => Value::Int64(number()?.long_value()),
        Value::Float32(_) => Value::Float32(number()?.double_value() as f32),
        Value::Float64(_) => Value::Float64(number()?.double_value()),
        Value::String(_) => Value::String(replacement.to_string()),
        Value::Decimal(d) => {
            let too_large = || format!("replacement '{replacement}' does not fit a decimal");
            let parsed = number()?.decimal().ok_or_else(too_large)?;
            if with_schema {
                let reason = || {
                    format!(
                        "replacement '{replacement}' cannot be represented at the schema's \
                         decimal scale {}",
                        d.scale
                    )
                };
                Value::Decimal(rescale(parsed, d.scale).ok_or_else(reason)?)
            } else {
                Value::Decimal(parsed)
            }
        }
        other => {
            return Err(format!(
                "cannot mask value of type {} with custom replacement",
                other.type_name()
            ));
        }
    })
}
