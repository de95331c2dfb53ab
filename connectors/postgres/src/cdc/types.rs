//! PostgreSQL column types as Debezium maps them by default (`decimal.handling.mode=precise`,
//! `time.precision.mode=adaptive`, `binary.handling.mode=bytes`), and the parsing of the text
//! form that pgoutput and the snapshot queries deliver.

use sluice_api::data::Decimal;
use sluice_api::{Schema, Struct, Value};

/// How one column is represented in events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Boolean,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    /// `numeric(p, s)`: Connect Decimal with scale `s`.
    Decimal {
        precision: i32,
        scale: i32,
    },
    /// `numeric` without a declared scale: `io.debezium.data.VariableScaleDecimal`.
    VariableDecimal,
    Text,
    Uuid,
    Json,
    Bytes,
    /// Days since the epoch (`io.debezium.time.Date`).
    Date,
    /// `time(0..3)`: milliseconds since midnight (`io.debezium.time.Time`).
    TimeMillis,
    /// `time(4..6)`: microseconds since midnight (`io.debezium.time.MicroTime`).
    TimeMicros,
    /// `timestamp(0..3)`: milliseconds since the epoch (`io.debezium.time.Timestamp`).
    TimestampMillis,
    /// `timestamp(4..6)`: microseconds since the epoch (`io.debezium.time.MicroTimestamp`).
    TimestampMicros,
    /// `timestamptz`: ISO-8601 text in UTC (`io.debezium.time.ZonedTimestamp`).
    ZonedTimestamp,
}

/// What Debezium puts in place of an unchanged TOASTed value by default.
pub const UNAVAILABLE_VALUE_PLACEHOLDER: &str = "__debezium_unavailable_value";

impl ColumnKind {
    /// The kind of a column of type `oid` with type modifier `typmod`.
    pub fn of(oid: u32, typmod: i32) -> ColumnKind {
        match oid {
            16 => ColumnKind::Boolean,
            17 => ColumnKind::Bytes,
            21 => ColumnKind::Int16,
            23 => ColumnKind::Int32,
            20 | 26 => ColumnKind::Int64,
            700 => ColumnKind::Float32,
            701 => ColumnKind::Float64,
            1700 if typmod >= 4 => ColumnKind::Decimal {
                precision: ((typmod - 4) >> 16) & 0xFFFF,
                scale: (typmod - 4) & 0xFFFF,
            },
            1700 => ColumnKind::VariableDecimal,
            2950 => ColumnKind::Uuid,
            114 | 3802 => ColumnKind::Json,
            1082 => ColumnKind::Date,
            1083 if (0..=3).contains(&typmod) => ColumnKind::TimeMillis,
            1083 => ColumnKind::TimeMicros,
            1114 if (0..=3).contains(&typmod) => ColumnKind::TimestampMillis,
            1114 => ColumnKind::TimestampMicros,
            1184 => ColumnKind::ZonedTimestamp,
            // Everything else (text, varchar, char, intervals, arrays, enums, network types…)
            // travels as PostgreSQL's own text form.
            _ => ColumnKind::Text,
        }
    }

    /// The Connect schema of a column of this kind.
    pub fn schema(self, optional: bool) -> Schema {
        let schema = match self {
            ColumnKind::Boolean => Schema::boolean(),
            ColumnKind::Int16 => Schema::int16(),
            ColumnKind::Int32 => Schema::int32(),
            ColumnKind::Int64 => Schema::int64(),
            ColumnKind::Float32 => Schema::float32(),
            ColumnKind::Float64 => Schema::float64(),
            ColumnKind::Decimal { precision, scale } => Schema::decimal(scale)
                .with_parameter("connect.decimal.precision", precision.to_string()),
            ColumnKind::VariableDecimal => variable_decimal_schema(),
            ColumnKind::Text => Schema::string(),
            ColumnKind::Uuid => Schema::string()
                .named("io.debezium.data.Uuid")
                .with_version(1),
            ColumnKind::Json => Schema::string()
                .named("io.debezium.data.Json")
                .with_version(1),
            ColumnKind::Bytes => Schema::bytes(),
            ColumnKind::Date => Schema::int32()
                .named("io.debezium.time.Date")
                .with_version(1),
            ColumnKind::TimeMillis => Schema::int32()
                .named("io.debezium.time.Time")
                .with_version(1),
            ColumnKind::TimeMicros => Schema::int64()
                .named("io.debezium.time.MicroTime")
                .with_version(1),
            ColumnKind::TimestampMillis => Schema::int64()
                .named("io.debezium.time.Timestamp")
                .with_version(1),
            ColumnKind::TimestampMicros => Schema::int64()
                .named("io.debezium.time.MicroTimestamp")
                .with_version(1),
            ColumnKind::ZonedTimestamp => Schema::string()
                .named("io.debezium.time.ZonedTimestamp")
                .with_version(1),
        };
        if optional { schema.optional() } else { schema }
    }

    /// The value standing for an unchanged TOASTed column, for kinds that can be TOASTed.
    pub fn unavailable(self, placeholder: &str) -> Value {
        match self {
            ColumnKind::Text | ColumnKind::Json | ColumnKind::Uuid => {
                Value::String(placeholder.to_string())
            }
            ColumnKind::Bytes => Value::Bytes(placeholder.as_bytes().to_vec()),
            _ => Value::Null,
        }
    }

    /// Parses PostgreSQL's text output (session settings DateStyle=ISO, TimeZone=UTC,
    /// bytea_output=hex, extra_float_digits=3).
    pub fn parse(self, text: &str) -> Result<Value, String> {
        let bad = || format!("cannot read '{text}' as {self:?}");
        Ok(match self {
            ColumnKind::Boolean => Value::Boolean(text == "t"),
            ColumnKind::Int16 => Value::Int16(text.parse().map_err(|_| bad())?),
            ColumnKind::Int32 => Value::Int32(text.parse().map_err(|_| bad())?),
            ColumnKind::Int64 => Value::Int64(text.parse().map_err(|_| bad())?),
            ColumnKind::Float32 => Value::Float32(parse_float(text).ok_or_else(bad)? as f32),
            ColumnKind::Float64 => Value::Float64(parse_float(text).ok_or_else(bad)?),
            ColumnKind::Decimal { scale, .. } => match parse_decimal(text) {
                Some((unscaled, text_scale)) => {
                    Value::Decimal(rescale(unscaled, text_scale, scale).ok_or_else(bad)?)
                }
                // NaN has no Decimal form; Debezium emits null for it too.
                None if text == "NaN" => Value::Null,
                None => return Err(bad()),
            },
            ColumnKind::VariableDecimal => match parse_decimal(text) {
                Some((unscaled, scale)) => {
                    let decimal = Decimal { unscaled, scale };
                    Value::Struct(
                        Struct::new()
                            .with("scale", Value::Int32(scale))
                            .with("value", Value::Bytes(decimal.unscaled_bytes())),
                    )
                }
                None if text == "NaN" || text.ends_with("Infinity") => Value::Null,
                None => return Err(bad()),
            },
            ColumnKind::Text | ColumnKind::Uuid | ColumnKind::Json => {
                Value::String(text.to_string())
            }
            ColumnKind::Bytes => Value::Bytes(parse_bytea(text).ok_or_else(bad)?),
            ColumnKind::Date => Value::Int32(parse_date(text).ok_or_else(bad)?),
            ColumnKind::TimeMillis => {
                let micros = parse_time(text).ok_or_else(bad)?;
                Value::Int32(i32::try_from(micros / 1000).map_err(|_| bad())?)
            }
            ColumnKind::TimeMicros => Value::Int64(parse_time(text).ok_or_else(bad)?),
            ColumnKind::TimestampMillis => {
                Value::Int64(parse_timestamp(text).ok_or_else(bad)?.div_euclid(1000))
            }
            ColumnKind::TimestampMicros => Value::Int64(parse_timestamp(text).ok_or_else(bad)?),
            ColumnKind::ZonedTimestamp => Value::String(zoned_timestamp(text).ok_or_else(bad)?),
        })
    }
}

/// Debezium's struct for numbers of any scale.
fn variable_decimal_schema() -> Schema {
    Schema::structure(vec![
        sluice_api::Field::new("scale", Schema::int32()),
        sluice_api::Field::new("value", Schema::bytes()),
    ])
    .named("io.debezium.data.VariableScaleDecimal")
    .with_version(1)
    .with_doc("Variable scaled decimal")
}

fn parse_float(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => text.parse().ok(),
    }
}

/// `-123.450` → (-123450, 3).
fn parse_decimal(text: &str) -> Option<(i128, i32)> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut unscaled: i128 = 0;
    for c in int.chars().chain(frac.chars()) {
        let digit = c.to_digit(10)?;
        unscaled = unscaled.checked_mul(10)?.checked_add(i128::from(digit))?;
    }
    let scale = i32::try_from(frac.len()).ok()?;
    Some((if negative { -unscaled } else { unscaled }, scale))
}

fn rescale(unscaled: i128, from: i32, to: i32) -> Option<Decimal> {
    let unscaled = if to >= from {
        unscaled.checked_mul(10i128.checked_pow(u32::try_from(to - from).ok()?)?)?
    } else {
        unscaled / 10i128.checked_pow(u32::try_from(from - to).ok()?)?
    };
    Some(Decimal {
        unscaled,
        scale: to,
    })
}

/// `\x0a0b` (bytea_output=hex).
fn parse_bytea(text: &str) -> Option<Vec<u8>> {
    let hex = text.strip_prefix("\\x")?;
    if hex.len() % 2 != 0 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2024-01-31` or `0044-03-15 BC`; `infinity` maps to the extremes.
fn parse_date_days(text: &str) -> Option<i64> {
    match text {
        "infinity" => return Some(i64::from(i32::MAX)),
        "-infinity" => return Some(i64::from(i32::MIN)),
        _ => {}
    }
    let (date, bc) = match text.strip_suffix(" BC") {
        Some(date) => (date, true),
        None => (text, false),
    };
    let mut parts = date.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    // 1 BC is year 0 of the proleptic calendar.
    let year = if bc { 1 - year } else { year };
    Some(days_from_civil(year, month, day))
}

fn parse_date(text: &str) -> Option<i32> {
    i32::try_from(parse_date_days(text)?).ok()
}

/// `HH:MM:SS[.ffffff]` → microseconds since midnight.
fn parse_time(text: &str) -> Option<i64> {
    let mut parts = text.splitn(3, ':');
    let hours: i64 = parts.next()?.parse().ok()?;
    let minutes: i64 = parts.next()?.parse().ok()?;
    let second_part = parts.next()?;
    let (seconds, fraction) = second_part.split_once('.').unwrap_or((second_part, ""));
    let seconds: i64 = seconds.parse().ok()?;
    let mut micros: i64 = 0;
    for (i, c) in fraction.chars().take(6).enumerate() {
        micros += i64::from(c.to_digit(10)?) * 10i64.pow(5 - i as u32);
    }
    Some(((hours * 60 + minutes) * 60 + seconds) * 1_000_000 + micros)
}

/// `2024-01-31 12:00:00.5` (optionally ` BC`) → microseconds since the epoch.
fn parse_timestamp(text: &str) -> Option<i64> {
    match text {
        "infinity" => return Some(i64::MAX),
        "-infinity" => return Some(i64::MIN),
        _ => {}
    }
    let (body, bc) = match text.strip_suffix(" BC") {
        Some(body) => (body, " BC"),
        None => (text, ""),
    };
    let (date, time) = body.split_once(' ')?;
    let days = parse_date_days(&format!("{date}{bc}"))?;
    Some(days * 86_400_000_000 + parse_time(time)?)
}

/// `2024-01-31 12:00:00.5+00` → `2024-01-31T12:00:00.5Z`, as Debezium writes ZonedTimestamp.
fn zoned_timestamp(text: &str) -> Option<String> {
    match text {
        "infinity" | "-infinity" => return Some(text.to_string()),
        _ => {}
    }
    let (date, time) = text.split_once(' ')?;
    let offset_at = time.find(['+', '-'])?;
    let (clock, offset) = time.split_at(offset_at);
    let offset = match offset {
        "+00" | "+00:00" | "-00" => "Z".to_string(),
        other if other.len() == 3 => format!("{other}:00"),
        other => other.to_string(),
    };
    Some(format!("{date}T{clock}{offset}"))
}

#[cfg(test)]
mod tests;
