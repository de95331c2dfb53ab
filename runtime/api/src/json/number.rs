//! Numbers as Java renders them: `Double.toString`, `Float.toString` and `BigDecimal.toString`,
//! which Jackson uses when JsonConverter writes a float, double or (NUMERIC) decimal. Plus the
//! parsing of JSON number text into exact decimals.

use crate::data::Decimal;

/// `Double.toString(v)` for finite values (JDK 19+, shortest round-trip digits), e.g. `1.0`,
/// `1.5E10`, `1.0E-5`; non-finite values give `NaN`, `Infinity`, `-Infinity`.
pub fn java_double_to_string(v: f64) -> String {
    if !v.is_finite() {
        return non_finite(v.is_nan(), v < 0.0).to_string();
    }
    let (digits, exp) = java_digits(
        &format!("{:e}", v.abs()),
        |p| format!("{:.p$e}", v.abs()),
        |s| s.parse::<f64>().ok() == Some(v.abs()),
    );
    render(v.is_sign_negative(), &digits, exp)
}

/// `Float.toString(v)`: as [`java_double_to_string`] with the digits of the `f32` itself.
pub fn java_float_to_string(v: f32) -> String {
    if !v.is_finite() {
        return non_finite(v.is_nan(), v < 0.0).to_string();
    }
    let (digits, exp) = java_digits(
        &format!("{:e}", v.abs()),
        |p| format!("{:.p$e}", v.abs()),
        |s| s.parse::<f32>().ok() == Some(v.abs()),
    );
    render(v.is_sign_negative(), &digits, exp)
}

fn non_finite(nan: bool, negative: bool) -> &'static str {
    match (nan, negative) {
        (true, _) => "NaN",
        (false, true) => "-Infinity",
        (false, false) => "Infinity",
    }
}

/// Splits Rust's shortest `{:e}` output into digits and a decimal exponent, then applies Java's
/// choice among decimals of that length that round to the value: the closest one, the even one
/// on a tie (Rust's shortest mode may pick the other), and when a single digit suffices, the
/// closest of the one- and two-digit decimals (so 2^-1074 prints `4.9E-324`, not `5E-324`).
fn java_digits(
    shortest: &str,
    exact: impl FnOnce(usize) -> String,
    round_trips: impl FnOnce(&str) -> bool,
) -> (String, i32) {
    let (digits, exp) = split_sci(shortest);
    if digits == "0" {
        return (digits, exp);
    }
    let len = digits.len().max(2);
    let closest = exact(len - 1);
    if round_trips(&closest) {
        let (mut d, e) = split_sci(&closest);
        while d.len() > 1 && d.ends_with('0') {
            d.pop();
        }
        return (d, e);
    }
    (digits, exp)
}

fn split_sci(s: &str) -> (String, i32) {
    let (mantissa, exp) = s.split_once('e').unwrap_or((s, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    (digits, exp.parse().unwrap_or(0))
}

/// Java's layout: plain notation for 1e-3 <= |v| < 1e7, otherwise `d.dddE<exp>`; always at
/// least one digit after the point.
fn render(negative: bool, digits: &str, exp: i32) -> String {
    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    if (-3..7).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(digits);
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        out.push_str(if digits.len() > 1 { &digits[1..] } else { "0" });
        out.push('E');
        out.push_str(&exp.to_string());
    }
    out
}

/// `BigDecimal.toString()`: plain when the scale is non-negative and the adjusted exponent is at
/// least -6, otherwise scientific with an explicit exponent sign (`1.23E+4`, `1E-10`).
pub fn java_decimal_to_string(d: &Decimal) -> String {
    let digits = d.unscaled.unsigned_abs().to_string();
    let adjusted = -(d.scale as i64) + (digits.len() as i64 - 1);
    let mut out = String::with_capacity(digits.len() + 8);
    if d.unscaled < 0 {
        out.push('-');
    }
    if d.scale >= 0 && adjusted >= -6 {
        let scale = d.scale as usize;
        if scale == 0 {
            out.push_str(&digits);
        } else if digits.len() > scale {
            out.push_str(&digits[..digits.len() - scale]);
            out.push('.');
            out.push_str(&digits[digits.len() - scale..]);
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', scale - digits.len()));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('E');
        if adjusted > 0 {
            out.push('+');
        }
        out.push_str(&adjusted.to_string());
    }
    out
}

/// Parses JSON number text exactly, keeping the scale the text implies as `new BigDecimal(text)`
/// does (`1.50` has scale 2, `1.5E3` scale -2). `None` if the digits do not fit in 128 bits.
pub(crate) fn parse_decimal(text: &str) -> Option<Decimal> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().ok()?),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut unscaled: i128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        if !b.is_ascii_digit() {
            return None;
        }
        unscaled = unscaled
            .checked_mul(10)?
            .checked_add(i128::from(b - b'0'))?;
    }
    let scale = i32::try_from(frac.len() as i64 - exp).ok()?;
    Some(Decimal {
        unscaled: if negative { -unscaled } else { unscaled },
        scale,
    })
}

/// The same decimal with another scale, if that loses nothing and fits.
pub(crate) fn rescale(d: Decimal, scale: i32) -> Option<Decimal> {
    let diff = scale as i64 - d.scale as i64;
    let factor = 10i128.checked_pow(u32::try_from(diff.unsigned_abs()).ok()?);
    let unscaled = if diff >= 0 {
        d.unscaled.checked_mul(factor?)?
    } else {
        match factor {
            Some(f) if d.unscaled % f == 0 => d.unscaled / f,
            Some(_) => return None,
            // 10^diff exceeds i128: only zero divides exactly.
            None if d.unscaled == 0 => 0,
            None => return None,
        }
    };
    Some(Decimal { unscaled, scale })
}

/// The integer a JSON number denotes, if it is integral (`7`, `7.0`, `7e2`) and fits in an i64.
pub(crate) fn integral_value(text: &str) -> Option<i64> {
    if let Ok(v) = text.parse::<i64>() {
        return Some(v);
    }
    let d = rescale(parse_decimal(text)?, 0)?;
    i64::try_from(d.unscaled).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_render_like_java() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (-2.5, "-2.5"),
            (100.0, "100.0"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1.0e-5, "1.0E-5"),
            (9999999.0, "9999999.0"),
            (1.0e7, "1.0E7"),
            (1.5e10, "1.5E10"),
            (123456789.0, "1.23456789E8"),
            (123456.789, "123456.789"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.0e21, "1.0E21"),
            (1.0e-300, "1.0E-300"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (5e-324, "4.9E-324"),
            (1e-323, "9.9E-324"),
            (2e-323, "2.0E-323"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (v, want) in cases {
            assert_eq!(java_double_to_string(*v), *want, "{v:e}");
        }
    }

    #[test]
    fn floats_render_like_java() {
        let cases: &[(f32, &str)] = &[
            (0.1, "0.1"),
            (1.5, "1.5"),
            (-3.0, "-3.0"),
            (1.0e10, "1.0E10"),
            (16777216.0, "1.6777216E7"),
            (f32::MAX, "3.4028235E38"),
            (f32::MIN_POSITIVE, "1.1754944E-38"),
            (1e-45, "1.4E-45"),
            (0.001, "0.001"),
            (f32::NAN, "NaN"),
        ];
        for (v, want) in cases {
            assert_eq!(java_float_to_string(*v), *want, "{v:e}");
        }
    }

    #[test]
    fn decimals_render_like_bigdecimal() {
        let show = |unscaled, scale| java_decimal_to_string(&Decimal { unscaled, scale });
        assert_eq!(show(1234, 2), "12.34");
        assert_eq!(show(-150, 2), "-1.50");
        assert_eq!(show(5, 3), "0.005");
        assert_eq!(show(1, 6), "0.000001");
        assert_eq!(show(1, 7), "1E-7");
        assert_eq!(show(1, 10), "1E-10");
        assert_eq!(show(-123, 10), "-1.23E-8");
        assert_eq!(show(0, 2), "0.00");
        assert_eq!(show(123, -2), "1.23E+4");
        assert_eq!(show(0, -2), "0E+2");
        assert_eq!(show(42, 0), "42");
    }

    #[test]
    fn parses_decimal_text_exactly() {
        let d = |unscaled, scale| Some(Decimal { unscaled, scale });
        assert_eq!(parse_decimal("12.34"), d(1234, 2));
        assert_eq!(parse_decimal("-1.50"), d(-150, 2));
        assert_eq!(parse_decimal("1.5E3"), d(15, -2));
        assert_eq!(parse_decimal("1E-10"), d(1, 10));
        assert_eq!(parse_decimal("007"), d(7, 0));
        assert_eq!(parse_decimal("1e+2"), d(1, -2));
        assert_eq!(parse_decimal(&"9".repeat(40)), None);
    }

    #[test]
    fn rescales_only_without_loss() {
        let d = |unscaled, scale| Decimal { unscaled, scale };
        assert_eq!(rescale(d(15, 1), 3), Some(d(1500, 3)));
        assert_eq!(rescale(d(1500, 3), 1), Some(d(15, 1)));
        assert_eq!(rescale(d(1501, 3), 1), None);
        assert_eq!(rescale(d(0, 0), -100), Some(d(0, -100)));
        assert_eq!(integral_value("7.0"), Some(7));
        assert_eq!(integral_value("7e2"), Some(700));
        assert_eq!(integral_value("7.5"), None);
        assert_eq!(integral_value("99999999999999999999"), None);
    }
}
