//! Java's text forms that Cast reproduces: `Values.dateFormatFor` dates, Base64 bytes, and the
//! number syntax of `Float.parseFloat` / `Double.parseDouble`.

use sluice_api::data::calendar::civil_from_days;

const MILLIS_PER_DAY: i64 = 86_400_000;

/// A `java.util.Date` as Kafka Connect's `Values.dateFormatFor(date).format(date)` writes it:
/// `HH:mm:ss.SSS'Z'` below one day past the epoch (negative instants included), `yyyy-MM-dd` on
/// a midnight, `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` otherwise. The choice follows the instant, not the
/// logical type, exactly as in Kafka Connect. Rendered in UTC (Java uses the JVM's zone, which
/// Connect deployments normally set to UTC).
pub fn java_date_string(millis: i64) -> String {
    let days = millis.div_euclid(MILLIS_PER_DAY);
    let in_day = millis.rem_euclid(MILLIS_PER_DAY);
    let (hours, minutes) = (in_day / 3_600_000, in_day / 60_000 % 60);
    let (seconds, ms) = (in_day / 1000 % 60, in_day % 1000);
    let time = format!("{hours:02}:{minutes:02}:{seconds:02}.{ms:03}Z");
    if millis < MILLIS_PER_DAY {
        return time;
    }
    let (year, month, day) = civil_from_days(days);
    let date = format!("{year:04}-{month:02}-{day:02}");
    if in_day == 0 {
        date
    } else {
        format!("{date}T{time}")
    }
}

/// Standard Base64 with padding, as `java.util.Base64.getEncoder()` writes it.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The text of a Java floating-point literal in a form Rust parses to the same value, or `None`
/// where Java throws NumberFormatException. Java trims whitespace and control characters, takes
/// `NaN` and `Infinity` with an optional sign and an optional `f`/`d` suffix after a number.
/// (Java's hexadecimal form is not accepted.)
fn java_float_text(text: &str) -> Option<String> {
    let t = text.trim_matches(|c: char| c <= ' ');
    let (sign, body) = match t.as_bytes().first()? {
        b'-' => ("-", &t[1..]),
        b'+' => ("", &t[1..]),
        _ => ("", t),
    };
    match body {
        "NaN" => return Some("NaN".to_string()),
        "Infinity" => return Some(format!("{sign}inf")),
        _ => {}
    }
    let body = body.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(body);
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.len() + frac.len() == 0 || !digits(int) || !digits(frac) {
        return None;
    }
    if let Some(exp) = exponent {
        let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if exp.is_empty() || !digits(exp) {
            return None;
        }
    }
    Some(format!("{sign}{body}"))
}

/// `Double.parseDouble`.
pub fn java_parse_f64(text: &str) -> Option<f64> {
    java_float_text(text)?.parse().ok()
}

/// `Float.parseFloat` (rounded once, straight to `float`).
pub fn java_parse_f32(text: &str) -> Option<f32> {
    java_float_text(text)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_values_date_format_for() {
        let cases = [
            (0, "00:00:00.000Z"),
            (3_600_000, "01:00:00.000Z"),
            (-1, "23:59:59.999Z"),
            (MILLIS_PER_DAY, "1970-01-02"),
            (19_000 * MILLIS_PER_DAY, "2022-01-08"),
            (1_700_000_000_123, "2023-11-14T22:13:20.123Z"),
            (951_782_400_000, "2000-02-29"),
            (253_402_300_800_000, "10000-01-01"),
        ];
        for (millis, text) in cases {
            assert_eq!(java_date_string(millis), text, "{millis}");
        }
    }

    #[test]
    fn base64_matches_java() {
        let cases: [(&[u8], &str); 5] = [
            (b"", ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (&[0xfb, 0xff, 0xbf, 0x01], "+/+/AQ=="),
        ];
        for (bytes, text) in cases {
            assert_eq!(base64(bytes), text);
        }
    }

    #[test]
    fn floats_parse_like_java() {
        let ok = [
            ("1.5", 1.5),
            (" 2e3 ", 2000.0),
            ("+.5", 0.5),
            ("5.", 5.0),
            ("-1.25E-2", -0.0125),
            ("3f", 3.0),
            ("4.5D", 4.5),
            ("-Infinity", f64::NEG_INFINITY),
        ];
        for (text, value) in ok {
            assert_eq!(java_parse_f64(text), Some(value), "{text}");
        }
        assert!(java_parse_f64("NaN").unwrap().is_nan());
        for bad in [
            "", "abc", "inf", "nan", "infinity", "1e", ".", "1.2.3", "0x10", "1_0", "e5",
        ] {
            assert_eq!(java_parse_f64(bad), None, "{bad}");
        }
        // Rounded straight to float: 1.00000005 lies just above the midpoint of two floats.
        assert_eq!(java_parse_f32("1.00000006"), Some(1.000_000_1_f32));
    }
}
