//! TimestampRouter: renames the topic from a format holding `${topic}` and `${timestamp}`, the
//! record timestamp formatted with a `SimpleDateFormat` pattern in UTC, as Kafka Connect does.

use sluice_api::config::{ConfigValue, Validator};
use sluice_api::{
    ConfigDef, ConfigErrors, ConfigType, ConnectResult, Importance, Props, Record, Transform,
    TransformPlugin,
};

use crate::common::data_error;
use crate::common::date_format::DateFormat;

pub const TOPIC_FORMAT: &str = "topic.format";
pub const TIMESTAMP_FORMAT: &str = "timestamp.format";

const TOPIC_PLACEHOLDER: &str = "${topic}";
const TIMESTAMP_PLACEHOLDER: &str = "${timestamp}";

/// `TimestampRouter`.
pub const PLUGIN: TransformPlugin = TransformPlugin { config_def, create };

/// The keys TimestampRouter accepts, as Kafka Connect defines them.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .optional(
            TOPIC_FORMAT,
            ConfigType::String,
            Some("${topic}-${timestamp}"),
            Importance::High,
            "Format string which can contain ${topic} and ${timestamp} as placeholders for the \
             topic and timestamp, respectively.",
        )
        .optional(
            TIMESTAMP_FORMAT,
            ConfigType::String,
            Some("yyyyMMdd"),
            Importance::High,
            "Format string for the timestamp that is compatible with java.text.SimpleDateFormat.",
        )
        .validate(Validator::Custom(valid_timestamp_format))
}

fn valid_timestamp_format(value: &ConfigValue) -> Result<(), String> {
    match value {
        ConfigValue::String(pattern) => DateFormat::new(pattern).map(drop),
        _ => Ok(()),
    }
}

fn create(props: &Props) -> ConnectResult<Box<dyn Transform>> {
    let config = TimestampRouterConfig::parse(props)?;
    Ok(Box::new(TimestampRouter::new(config)?))
}

/// The validated TimestampRouter settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampRouterConfig {
    pub topic_format: String,
    /// A SimpleDateFormat pattern.
    pub timestamp_format: String,
}

impl TimestampRouterConfig {
    /// Parses `props`, reporting every problem at once.
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = config_def().parse(props)?;
        // Empty strings are legitimate (if odd) formats, so read the raw values.
        let string = |key: &str| match parsed.get(key) {
            Some(ConfigValue::String(value)) => value.clone(),
            _ => String::new(),
        };
        Ok(TimestampRouterConfig {
            topic_format: string(TOPIC_FORMAT),
            timestamp_format: string(TIMESTAMP_FORMAT),
        })
    }
}

/// The TimestampRouter transform.
#[derive(Debug, Clone)]
pub struct TimestampRouter {
    topic_format: String,
    timestamp_format: DateFormat,
}

impl TimestampRouter {
    pub fn new(config: TimestampRouterConfig) -> Result<Self, ConfigErrors> {
        let timestamp_format = DateFormat::new(&config.timestamp_format).map_err(|reason| {
            let value = &config.timestamp_format;
            ConfigErrors::one(
                TIMESTAMP_FORMAT,
                format!("invalid value '{value}': {reason}"),
            )
        })?;
        Ok(TimestampRouter {
            topic_format: config.topic_format,
            timestamp_format,
        })
    }

    /// The topic for a record of `topic` with `timestamp`. Like Kafka Connect, `${topic}` is
    /// replaced first, so a topic name holding `${timestamp}` has it replaced too.
    pub fn route(&self, topic: &str, timestamp: i64) -> String {
        self.topic_format.replace(TOPIC_PLACEHOLDER, topic).replace(
            TIMESTAMP_PLACEHOLDER,
            &self.timestamp_format.format(timestamp),
        )
    }
}

impl Transform for TimestampRouter {
    fn apply(&mut self, mut record: Record) -> ConnectResult<Option<Record>> {
        let Some(timestamp) = record.timestamp else {
            return Err(data_error(
                "TimestampRouter",
                &record,
                "timestamp missing on record",
            ));
        };
        record.topic = self.route(&record.topic, timestamp);
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use sluice_api::config::props;
    use sluice_api::{Schema, Value};

    use super::*;

    fn route(pairs: &[(&str, &str)], topic: &str, timestamp: Option<i64>) -> ConnectResult<Record> {
        let mut record = Record::new(topic);
        record.timestamp = timestamp;
        (PLUGIN.create)(&props(pairs))?
            .apply(record)
            .map(Option::unwrap)
    }

    /// 2024-03-05T10:15:30.123Z.
    const MARCH_5: i64 = 1_709_633_730_123;

    #[test]
    fn routes_by_formatted_timestamp() {
        type Pairs<'a> = &'a [(&'a str, &'a str)];
        let cases: &[(Pairs, &str, i64, &str)] = &[
            // TimestampRouterTest.defaultConfiguration: 1483425001864 is 2017-01-03 in UTC.
            (&[], "test", 1_483_425_001_864, "test-20170103"),
            (&[], "orders", MARCH_5, "orders-20240305"),
            (
                &[("timestamp.format", "yyyy-MM")],
                "orders",
                MARCH_5,
                "orders-2024-03",
            ),
            (
                &[
                    ("topic.format", "${timestamp}_${topic}_${topic}"),
                    ("timestamp.format", "yyyy.MM.dd'T'HH"),
                ],
                "orders",
                MARCH_5,
                "2024.03.05T10_orders_orders",
            ),
            (&[("topic.format", "fixed")], "orders", MARCH_5, "fixed"),
            (&[("timestamp.format", "")], "orders", MARCH_5, "orders-"),
            (&[], "before-epoch", -1, "before-epoch-19691231"),
            // ${topic} is replaced first, then ${timestamp}, even inside the topic name.
            (&[], "a-${timestamp}", 0, "a-19700101-19700101"),
            // $ and \ in the topic are plain text.
            (&[("topic.format", "${topic}/x")], "c$1\\d", 0, "c$1\\d/x"),
        ];
        for (config, topic, timestamp, expected) in cases {
            let out = route(config, topic, Some(*timestamp)).unwrap();
            assert_eq!(out.topic, *expected, "{config:?}");
        }
    }

    #[test]
    fn keeps_everything_but_the_topic() {
        let mut record = Record::new("t")
            .with_key(Some(Schema::string().into()), Value::from("k"))
            .with_value(None, Value::from("v"))
            .with_timestamp(0);
        record.partition = Some(2);
        let out = (PLUGIN.create)(&props(&[]))
            .unwrap()
            .apply(record.clone())
            .unwrap()
            .unwrap();
        record.topic = "t-19700101".to_string();
        assert_eq!(out, record);
    }

    #[test]
    fn missing_timestamp_is_a_record_error() {
        let err = route(&[], "orders", None).unwrap_err();
        assert!(err.is_record_level());
        assert_eq!(
            err.to_string(),
            "TimestampRouter: timestamp missing on record (record orders/-)"
        );
    }

    #[test]
    fn invalid_timestamp_format_is_a_config_error() {
        let err = TimestampRouterConfig::parse(&props(&[("timestamp.format", "yyyy-MM-dd 'T")]))
            .unwrap_err();
        assert_eq!(err.issues().len(), 1);
        assert_eq!(err.issues()[0].key, "timestamp.format");
        assert!(
            err.issues()[0].reason.contains("unterminated quote"),
            "{err}"
        );
        assert!(route(&[("timestamp.format", "bad-format")], "t", Some(0)).is_err());
    }
}
