//! Conversions between timestamp representations. Like Kafka Connect, which goes through a
//! `java.util.Date`, every conversion goes through milliseconds since the epoch.

use sluice_api::data::{DATE_NAME, TIME_NAME, TIMESTAMP_NAME};
use sluice_api::{ConfigErrors, Schema, SchemaType, Value};

use super::config::{FORMAT, TimestampConverterConfig, TimestampType, UnixPrecision};
use crate::common::date_format::{DateFormat, MILLIS_PER_DAY};

/// Converts timestamps into the configured target type.
#[derive(Debug, Clone)]
pub(super) struct Converter {
    target: TimestampType,
    precision: UnixPrecision,
    format: Option<DateFormat>,
}

impl Converter {
    pub(super) fn new(config: &TimestampConverterConfig) -> Result<Self, ConfigErrors> {
        let format = match &config.format {
            Some(pattern) => Some(DateFormat::new(pattern).map_err(|reason| {
                ConfigErrors::one(FORMAT, format!("invalid value '{pattern}': {reason}"))
            })?),
            None => None,
        };
        Ok(Converter {
            target: config.target,
            precision: config.unix_precision,
            format,
        })
    }

    /// Converts a value held as `kind` (inferred from the value when `None`) into the target
    /// type. Null stays null.
    pub(super) fn convert(
        &self,
        value: Value,
        kind: Option<TimestampType>,
    ) -> Result<Value, String> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        let kind = match kind {
            Some(kind) => kind,
            None => infer_type(&value)?,
        };
        let millis = self.millis_of(value, kind)?;
        self.target_value(millis)
    }

    fn millis_of(&self, value: Value, kind: TimestampType) -> Result<i64, String> {
        match (kind, value) {
            (TimestampType::String, Value::String(text)) => {
                let Some(format) = &self.format else {
                    return Err(format!(
                        "cannot parse string timestamp ({text}): no '{FORMAT}' is configured"
                    ));
                };
                format.parse(&text).ok_or_else(|| {
                    format!(
                        "Could not parse timestamp: value ({text}) does not match pattern ({})",
                        format.pattern()
                    )
                })
            }
            (TimestampType::String, other) => Err(format!(
                "Expected string timestamp to be a String, but found {}",
                other.type_name()
            )),
            (TimestampType::Unix, Value::Int64(unix)) => Ok(match self.precision {
                UnixPrecision::Seconds => unix.saturating_mul(1000),
                UnixPrecision::Milliseconds => unix,
                UnixPrecision::Microseconds => unix / 1000,
                UnixPrecision::Nanoseconds => unix / 1_000_000,
            }),
            (TimestampType::Unix, other) => Err(format!(
                "Expected Unix timestamp to be a Long, but found {}",
                other.type_name()
            )),
            // Date, Time and Timestamp are all a java.util.Date to Kafka Connect.
            (_, Value::Timestamp(millis)) => Ok(millis),
            (_, Value::Date(days)) => Ok(i64::from(days) * MILLIS_PER_DAY),
            (_, Value::Time(millis)) => Ok(i64::from(millis)),
            (kind, other) => Err(format!(
                "Expected {kind:?} to be a date, time or timestamp, but found {}",
                other.type_name()
            )),
        }
    }

    fn target_value(&self, millis: i64) -> Result<Value, String> {
        Ok(match self.target {
            TimestampType::String => match &self.format {
                Some(format) => Value::String(format.format(millis)),
                None => return Err(format!("no '{FORMAT}' is configured")),
            },
            TimestampType::Unix => Value::Int64(match self.precision {
                UnixPrecision::Seconds => millis / 1000,
                UnixPrecision::Milliseconds => millis,
                UnixPrecision::Microseconds => millis.saturating_mul(1000),
                UnixPrecision::Nanoseconds => millis.saturating_mul(1_000_000),
            }),
            TimestampType::Date => {
                let days = millis.div_euclid(MILLIS_PER_DAY);
                Value::Date(i32::try_from(days).map_err(|_| {
                    format!("timestamp {millis} is out of the range of the Date type")
                })?)
            }
            TimestampType::Time => Value::Time(millis.rem_euclid(MILLIS_PER_DAY) as i32),
            TimestampType::Timestamp => Value::Timestamp(millis),
        })
    }

    /// The schema of converted values.
    pub(super) fn target_schema(&self, optional: bool) -> Schema {
        let schema = match self.target {
            TimestampType::String => Schema::string(),
            TimestampType::Unix => Schema::int64(),
            TimestampType::Date => Schema::date(),
            TimestampType::Time => Schema::time(),
            TimestampType::Timestamp => Schema::timestamp(),
        };
        if optional { schema.optional() } else { schema }
    }
}

/// The representation a schema announces: a logical type by name, else string or int64.
pub(super) fn type_from_schema(schema: &Schema) -> Result<TimestampType, String> {
    Ok(match (schema.name.as_deref(), &schema.ty) {
        (Some(TIMESTAMP_NAME), _) => TimestampType::Timestamp,
        (Some(DATE_NAME), _) => TimestampType::Date,
        (Some(TIME_NAME), _) => TimestampType::Time,
        (_, SchemaType::String) => TimestampType::String,
        (_, SchemaType::Int64) => TimestampType::Unix,
        _ => {
            return Err(format!(
                "schema {} does not correspond to a known timestamp type format",
                schema.describe()
            ));
        }
    })
}

/// The representation of a schemaless value: any date/time value counts as a Timestamp.
fn infer_type(value: &Value) -> Result<TimestampType, String> {
    match value {
        Value::Timestamp(_) | Value::Date(_) | Value::Time(_) => Ok(TimestampType::Timestamp),
        Value::Int64(_) => Ok(TimestampType::Unix),
        Value::String(_) => Ok(TimestampType::String),
        other => Err(format!(
            "TimestampConverter does not support {} objects as timestamps",
            other.type_name()
        )),
    }
}
