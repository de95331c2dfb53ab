//! Numbers as `Values.parseString` reads them: Java `BigDecimal` syntax; a whole number that fits
//! a long takes the smallest integer type holding it, anything else float32 when finite and not
//! an integer literal, then float64, then a Decimal.

use sluice_api::data::Decimal;
use sluice_api::{Schema, Value};

/// The schema and value of a numeric token, or `None` when it is not a Java `BigDecimal`.
pub(super) fn parse_number(token: &str) -> Option<(Schema, Value)> {
    let number = JavaDecimal::parse(token)?;
    if let Some(exact) = number.exact_integer() {
        return Some(exact);
    }
    if number.scale != 0 {
        let text = number.float_text();
        if let Some(f) = text.parse::<f32>().ok().filter(|f| f.is_finite()) {
            return Some((Schema::float32(), Value::Float32(f)));
        }
        if let Some(d) = text.parse::<f64>().ok().filter(|d| d.is_finite()) {
            return Some((Schema::float64(), Value::Float64(d)));
        }
    }
    // Beyond 38 digits Sluice's Decimal cannot hold the value: the caller falls back to a string.
    let scale = i32::try_from(number.scale).ok()?;
    let magnitude: i128 = if number.digits.is_empty() {
        0
    } else {
        number.digits.parse().ok()?
    };
    let unscaled = if number.negative {
        -magnitude
    } else {
        magnitude
    };
    Some((
        Schema::decimal(scale),
        Value::Decimal(Decimal { unscaled, scale }),
    ))
}

/// `unscaled × 10^-scale` with the unscaled digits as text, as `new BigDecimal(String)` reads it.
struct JavaDecimal {
    negative: bool,
    /// Without leading zeros; empty for zero.
    digits: String,
    scale: i64,
}

impl JavaDecimal {
    /// `[+-]digits[.digits][(e|E)[+-]digits]` with at least one mantissa digit.
    fn parse(token: &str) -> Option<Self> {
        let (negative, rest) = match token.as_bytes().first()? {
            b'-' => (true, &token[1..]),
            b'+' => (false, &token[1..]),
            _ => (false, token),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(at) => (&rest[..at], Some(&rest[at + 1..])),
            None => (rest, None),
        };
        let (int_part, frac_part) = match mantissa.split_once('.') {
            Some((int, frac)) => (int, frac),
            None => (mantissa, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int_part.len() + frac_part.len() == 0 || !all_digits(int_part) || !all_digits(frac_part)
        {
            return None;
        }
        let exponent: i64 = match exponent {
            None => 0,
            Some(e) => {
                let unsigned = e.strip_prefix(['+', '-']).unwrap_or(e);
                // Java needs the exponent, and the scale, to fit an int.
                if unsigned.is_empty() || unsigned.len() > 10 || !all_digits(unsigned) {
                    return None;
                }
                e.parse().ok()?
            }
        };
        let scale = frac_part.len() as i64 - exponent;
        i32::try_from(scale).ok()?;
        let digits = format!("{int_part}{frac_part}")
            .trim_start_matches('0')
            .to_string();
        Some(JavaDecimal {
            negative,
            digits,
            scale,
        })
    }

    /// `Values.parseAsExactDecimal`: a whole number of magnitude up to 1e19 that fits a long.
    fn exact_integer(&self) -> Option<(Schema, Value)> {
        let significant = self.digits.trim_end_matches('0');
        let scale = self.scale - (self.digits.len() - significant.len()) as i64;
        if significant.is_empty() {
            return Some((Schema::int8(), Value::Int8(0)));
        }
        // A fraction remains: not whole (this also covers magnitudes below one).
        if scale > 0 {
            return None;
        }
        let integer_digits = significant.len() as i64 - scale;
        if integer_digits > 20 {
            return None;
        }
        let magnitude = significant.parse::<u128>().ok()? * 10u128.pow((-scale) as u32);
        if magnitude > 10u128.pow(19) {
            return None;
        }
        let signed = if self.negative {
            -(magnitude as i128)
        } else {
            magnitude as i128
        };
        let n = i64::try_from(signed).ok()?;
        Some(if let Ok(n) = i8::try_from(n) {
            (Schema::int8(), Value::Int8(n))
        } else if let Ok(n) = i16::try_from(n) {
            (Schema::int16(), Value::Int16(n))
        } else if let Ok(n) = i32::try_from(n) {
            (Schema::int32(), Value::Int32(n))
        } else {
            (Schema::int64(), Value::Int64(n))
        })
    }

    /// A form Rust's correctly rounding float parsers read: `[-]digits e -scale`.
    fn float_text(&self) -> String {
        let sign = if self.negative { "-" } else { "" };
        let digits = if self.digits.is_empty() {
            "0"
        } else {
            &self.digits
        };
        format!("{sign}{digits}e{}", -self.scale)
    }
}
