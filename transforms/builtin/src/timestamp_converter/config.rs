//! TimestampConverter's settings, with Kafka Connect's keys, defaults and checks.

use sluice_api::config::{ConfigValue, IssueCollector, Validator};
use sluice_api::{ConfigDef, ConfigErrors, ConfigType, Importance, Props};

use crate::common::date_format::DateFormat;

pub const FIELD: &str = "field";
pub const TARGET_TYPE: &str = "target.type";
pub const FORMAT: &str = "format";
pub const UNIX_PRECISION: &str = "unix.precision";
pub const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

/// A timestamp representation: the input kinds and the `target.type` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampType {
    /// A string in the configured `format`.
    String,
    /// An int64 count of `unix.precision` units since the epoch.
    Unix,
    /// The Connect Date logical type.
    Date,
    /// The Connect Time logical type.
    Time,
    /// The Connect Timestamp logical type.
    Timestamp,
}

impl TimestampType {
    /// The `target.type` names, which Kafka Connect matches case-sensitively.
    pub const NAMES: [&'static str; 5] = ["string", "unix", "Date", "Time", "Timestamp"];

    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "string" => TimestampType::String,
            "unix" => TimestampType::Unix,
            "Date" => TimestampType::Date,
            "Time" => TimestampType::Time,
            "Timestamp" => TimestampType::Timestamp,
            _ => return None,
        })
    }
}

/// The unit of unix timestamps, read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnixPrecision {
    Seconds,
    Milliseconds,
    Microseconds,
    Nanoseconds,
}

impl UnixPrecision {
    pub const NAMES: [&'static str; 4] = ["nanoseconds", "microseconds", "milliseconds", "seconds"];

    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "seconds" => UnixPrecision::Seconds,
            "milliseconds" => UnixPrecision::Milliseconds,
            "microseconds" => UnixPrecision::Microseconds,
            "nanoseconds" => UnixPrecision::Nanoseconds,
            _ => return None,
        })
    }
}

/// Every key TimestampConverter accepts, as Kafka Connect defines them.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .optional(
            FIELD,
            ConfigType::String,
            Some(""),
            Importance::High,
            "The field containing the timestamp, or empty if the entire value is a timestamp",
        )
        .required(
            TARGET_TYPE,
            ConfigType::String,
            Importance::High,
            "The desired timestamp representation: string, unix, Date, Time, or Timestamp",
        )
        .validate(Validator::Custom(valid_target_type))
        .optional(
            FORMAT,
            ConfigType::String,
            Some(""),
            Importance::Medium,
            "A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when \
             type=string or used to parse the input if the input is a string.",
        )
        .validate(Validator::Custom(valid_format))
        .optional(
            UNIX_PRECISION,
            ConfigType::String,
            Some("milliseconds"),
            Importance::Low,
            "The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or \
             nanoseconds. Used to generate the output when type=unix or used to parse the input if \
             the input is a Long. Note: This SMT will cause precision loss during conversions from, \
             and to, values with sub-millisecond components.",
        )
        .validate(Validator::Custom(valid_unix_precision))
        .optional(
            REPLACE_NULL_WITH_DEFAULT,
            ConfigType::Boolean,
            Some("true"),
            Importance::Medium,
            "Whether to replace fields that have a default value and that are null to the default \
             value. When set to true, the default value is used, otherwise null is used.",
        )
}

/// Kafka Connect's `ValidString.in`: exact, case-sensitive names.
fn one_of(value: &ConfigValue, names: &[&str]) -> Result<(), String> {
    match value {
        ConfigValue::String(s) if !names.contains(&s.as_str()) => Err(format!(
            "String must be one of (case-sensitive): {}",
            names.join(", ")
        )),
        _ => Ok(()),
    }
}

fn valid_target_type(value: &ConfigValue) -> Result<(), String> {
    one_of(value, &TimestampType::NAMES)
}

fn valid_unix_precision(value: &ConfigValue) -> Result<(), String> {
    one_of(value, &UnixPrecision::NAMES)
}

fn valid_format(value: &ConfigValue) -> Result<(), String> {
    match value {
        ConfigValue::String(pattern) if !pattern.trim().is_empty() => {
            DateFormat::new(pattern).map(drop).map_err(|reason| {
                format!(
                    "TimestampConverter requires a SimpleDateFormat-compatible pattern: {reason}"
                )
            })
        }
        _ => Ok(()),
    }
}

/// The validated TimestampConverter settings.
#[derive(Debug, Clone, PartialEq)]
pub struct TimestampConverterConfig {
    /// The struct field or map key to convert; `None` converts the whole key or value.
    pub field: Option<String>,
    pub target: TimestampType,
    /// The SimpleDateFormat pattern, when one is set.
    pub format: Option<String>,
    pub unix_precision: UnixPrecision,
    pub replace_null_with_default: bool,
}

impl TimestampConverterConfig {
    /// Parses `props`, reporting every problem at once.
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = config_def().parse(props)?;
        let mut issues = IssueCollector::new();
        let target = TimestampType::from_name(&parsed.string(TARGET_TYPE));
        let unix_precision = UnixPrecision::from_name(&parsed.string(UNIX_PRECISION));
        let format = parsed.optional_string(FORMAT);
        if target == Some(TimestampType::String) && format.is_none() {
            issues.push(
                FORMAT,
                "TimestampConverter requires format option to be specified when using string timestamps",
            );
        }
        let config = TimestampConverterConfig {
            field: parsed.optional_string(FIELD),
            // Both were validated by the definition.
            target: target.unwrap_or(TimestampType::Timestamp),
            format,
            unix_precision: unix_precision.unwrap_or(UnixPrecision::Milliseconds),
            replace_null_with_default: parsed.bool(REPLACE_NULL_WITH_DEFAULT),
        };
        issues.finish(config)
    }
}
