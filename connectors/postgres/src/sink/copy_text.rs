//! Values written as fields of PostgreSQL's COPY text format: tab-separated, `\N` for null,
//! backslash escapes for tab, newline, carriage return and backslash. PostgreSQL parses each
//! field with the column's own input function, so dates, timestamps, numerics and JSON are
//! written in their canonical text forms.

use std::fmt::Write as _;

use sluice_api::data::calendar::civil_from_days;
use sluice_api::json::{JsonOptions, to_json_bytes};
use sluice_api::{ConnectError, ConnectResult, Schema, Value};

use super::types::ColumnKind;

const MILLIS_PER_DAY: i64 = 86_400_000;

/// Appends the COPY text of `value` to `out`.
pub fn write_field(
    out: &mut Vec<u8>,
    schema: Option<&Schema>,
    value: &Value,
    kind: ColumnKind,
) -> ConnectResult<()> {
    match value {
        Value::Null => out.extend_from_slice(b"\\N"),
        Value::Boolean(b) => out.push(if *b { b't' } else { b'f' }),
        Value::Int8(n) => write_int(out, i64::from(*n), kind),
        Value::Int16(n) => write_int(out, i64::from(*n), kind),
        Value::Int32(n) => write_int(out, i64::from(*n), kind),
        Value::Int64(n) => write_int(out, *n, kind),
        Value::Float32(f) => write_float(out, f64::from(*f)),
        Value::Float64(f) => write_float(out, *f),
        Value::String(s) => escape(out, s.as_bytes()),
        Value::Bytes(bytes) => {
            // `\\x…` is bytea's hex input; the doubled backslash is COPY's escape for one.
            out.extend_from_slice(b"\\\\x");
            for byte in bytes {
                out.push(HEX[usize::from(byte >> 4)]);
                out.push(HEX[usize::from(byte & 0x0f)]);
            }
        }
        Value::Decimal(d) => push_display(out, d),
        Value::Date(days) => write_date(out, i64::from(*days)),
        Value::Time(ms) => write_time_of_day(out, i64::from(*ms)),
        Value::Timestamp(ms) => write_timestamp(out, *ms),
        Value::Array(_) | Value::Map(_) | Value::Struct(_) => {
            let json = to_json_bytes(schema, value, &JsonOptions::default())?;
            escape(out, &json);
        }
    }
    Ok(())
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn write_int(out: &mut Vec<u8>, n: i64, kind: ColumnKind) {
    match kind {
        // Schemaless JSON carries times as numbers: epoch milliseconds and days, as the
        // Connect logical types define them.
        ColumnKind::Timestamp => write_timestamp(out, n),
        ColumnKind::Date => write_date(out, n),
        ColumnKind::Json | ColumnKind::Other => push_display(out, n),
    }
}

fn write_float(out: &mut Vec<u8>, f: f64) {
    if f.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if f.is_infinite() {
        out.extend_from_slice(if f > 0.0 { b"Infinity" } else { b"-Infinity" });
    } else if f == 0.0 || (1e-5..1e16).contains(&f.abs()) {
        push_display(out, f);
    } else {
        // Rust's plain notation spells out every digit of 1e300.
        let _ = write!(Writer(out), "{f:e}");
    }
}

/// `YYYY-MM-DD`, with `BC` for years before 1 (year 0 is 1 BC), as PostgreSQL writes dates.
fn write_date(out: &mut Vec<u8>, days: i64) {
    let bc = write_ymd(out, days);
    if bc {
        out.extend_from_slice(b" BC");
    }
}

/// Writes the calendar date and tells whether it is before Christ (the era goes last).
fn write_ymd(out: &mut Vec<u8>, days: i64) -> bool {
    let (year, month, day) = civil_from_days(days);
    let (year, bc) = if year >= 1 {
        (year, false)
    } else {
        (1 - year, true)
    };
    let _ = write!(Writer(out), "{year:04}-{month:02}-{day:02}");
    bc
}

fn write_time_of_day(out: &mut Vec<u8>, ms: i64) {
    let ms = ms.rem_euclid(MILLIS_PER_DAY);
    let (h, m, s, frac) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    let _ = write!(Writer(out), "{h:02}:{m:02}:{s:02}.{frac:03}");
}

/// `YYYY-MM-DD HH:MM:SS.mmm+00`: an explicit UTC offset, so the session's time zone does not
/// matter for `timestamptz`, and `timestamp` columns get the UTC wall time.
fn write_timestamp(out: &mut Vec<u8>, ms: i64) {
    let bc = write_ymd(out, ms.div_euclid(MILLIS_PER_DAY));
    out.push(b' ');
    write_time_of_day(out, ms);
    out.extend_from_slice(if bc { b"+00 BC" } else { b"+00" });
}

/// Escapes the bytes COPY's text format treats specially.
pub fn escape(out: &mut Vec<u8>, text: &[u8]) {
    let mut start = 0;
    for (i, byte) in text.iter().enumerate() {
        let escaped: &[u8] = match byte {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            _ => continue,
        };
        out.extend_from_slice(&text[start..i]);
        out.extend_from_slice(escaped);
        start = i + 1;
    }
    out.extend_from_slice(&text[start..]);
}

fn push_display(out: &mut Vec<u8>, value: impl std::fmt::Display) {
    let _ = write!(Writer(out), "{value}");
}

/// `fmt::Write` into a byte buffer.
struct Writer<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Writer<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// A field that cannot be written, named for the error message.
pub fn field_error(column: &str, cause: ConnectError) -> ConnectError {
    ConnectError::data(format!("column {column}: {cause}")).caused_by(cause)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::data::Decimal;
    use sluice_api::{Field, Struct};

    fn text(value: &Value, kind: ColumnKind) -> String {
        let mut out = Vec::new();
        write_field(&mut out, None, value, kind).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn primitives() {
        let other = ColumnKind::Other;
        assert_eq!(text(&Value::Null, other), "\\N");
        assert_eq!(text(&Value::Boolean(true), other), "t");
        assert_eq!(text(&Value::Int16(-7), other), "-7");
        assert_eq!(text(&Value::Int64(i64::MAX), other), "9223372036854775807");
        assert_eq!(text(&Value::Float64(1.5), other), "1.5");
        assert_eq!(text(&Value::Float64(1e300), other), "1e300");
        assert_eq!(text(&Value::Float64(f64::NEG_INFINITY), other), "-Infinity");
        assert_eq!(text(&Value::Float32(0.1), other), "0.10000000149011612");
        assert_eq!(
            text(&Value::String("a\tb\nc\\d\re".into()), other),
            "a\\tb\\nc\\\\d\\re"
        );
        assert_eq!(
            text(&Value::Bytes(vec![0, 0xab, 0x10]), other),
            "\\\\x00ab10"
        );
        assert_eq!(
            text(
                &Value::Decimal(Decimal {
                    unscaled: -1250,
                    scale: 2
                }),
                other
            ),
            "-12.50"
        );
    }

    #[test]
    fn dates_and_times() {
        let other = ColumnKind::Other;
        assert_eq!(text(&Value::Date(19_787), other), "2024-03-05");
        assert_eq!(text(&Value::Date(-719_163), other), "0001-12-31 BC");
        assert_eq!(text(&Value::Time(3_723_004), other), "01:02:03.004");
        assert_eq!(
            text(&Value::Timestamp(1_709_596_800_123), other),
            "2024-03-05 00:00:00.123+00"
        );
        assert_eq!(
            text(&Value::Timestamp(-1), other),
            "1969-12-31 23:59:59.999+00"
        );
        assert_eq!(
            text(&Value::Timestamp(-719_163 * MILLIS_PER_DAY), other),
            "0001-12-31 00:00:00.000+00 BC"
        );
    }

    #[test]
    fn integers_into_time_columns_are_connect_time_units() {
        assert_eq!(
            text(&Value::Int64(1_709_596_800_000), ColumnKind::Timestamp),
            "2024-03-05 00:00:00.000+00"
        );
        assert_eq!(text(&Value::Int32(19_787), ColumnKind::Date), "2024-03-05");
    }

    #[test]
    fn containers_become_json() {
        let schema = Schema::structure(vec![
            Field::new("a", Schema::int32()),
            Field::new("b", Schema::string()),
        ]);
        let value = Value::Struct(
            Struct::new()
                .with("a", Value::Int32(1))
                .with("b", Value::String("x\ty".into())),
        );
        let mut out = Vec::new();
        write_field(&mut out, Some(&schema), &value, ColumnKind::Json).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"a\":1,\"b\":\"x\\\\ty\"}"
        );
    }
}
