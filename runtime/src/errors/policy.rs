//! The `errors.*` settings of a connector, with Kafka Connect's names and defaults.

use std::time::Duration;

use sluice_api::Props;
use sluice_api::config::{ConfigDef, ConfigErrors, ConfigType, ConfigValue, Importance, Validator};

pub const TOLERANCE: &str = "errors.tolerance";
pub const RETRY_TIMEOUT: &str = "errors.retry.timeout";
pub const RETRY_DELAY_MAX: &str = "errors.retry.delay.max.ms";
pub const LOG_ENABLE: &str = "errors.log.enable";
pub const LOG_MESSAGES: &str = "errors.log.include.messages";
pub const DLQ_TOPIC: &str = "errors.deadletterqueue.topic.name";
pub const DLQ_REPLICATION: &str = "errors.deadletterqueue.topic.replication.factor";
pub const DLQ_HEADERS: &str = "errors.deadletterqueue.context.headers.enable";

/// Keys every connector accepts for error handling.
pub fn error_config_def() -> ConfigDef {
    use ConfigType::*;
    use Importance::*;
    ConfigDef::new()
        .optional(
            TOLERANCE,
            String,
            Some("none"),
            Medium,
            "none fails the task on a bad record; all skips it.",
        )
        .validate(Validator::OneOf(vec!["none".into(), "all".into()]))
        .optional(
            RETRY_TIMEOUT,
            Long,
            Some("0"),
            Medium,
            "ms to retry a retriable failure; -1 retries forever.",
        )
        .validate(Validator::AtLeast(-1))
        .optional(
            RETRY_DELAY_MAX,
            Long,
            Some("60000"),
            Medium,
            "Longest wait between two retries, in ms.",
        )
        .validate(Validator::AtLeast(0))
        .optional(
            LOG_ENABLE,
            Boolean,
            Some("false"),
            Medium,
            "Log every failed record.",
        )
        .optional(
            LOG_MESSAGES,
            Boolean,
            Some("false"),
            Low,
            "Include key, value and headers in those logs.",
        )
        .optional(
            DLQ_TOPIC,
            String,
            Some(""),
            Medium,
            "Topic that receives records skipped by errors.tolerance=all.",
        )
        .optional(
            DLQ_REPLICATION,
            Int,
            Some("3"),
            Low,
            "Replication factor of a created dead-letter topic; -1 for the broker's.",
        )
        .validate(Validator::Custom(replication_factor))
        .optional(
            DLQ_HEADERS,
            Boolean,
            Some("false"),
            Low,
            "Add __connect.errors.* headers to dead-letter records.",
        )
}

fn replication_factor(value: &ConfigValue) -> Result<(), std::string::String> {
    match value {
        ConfigValue::Int(n) if *n == -1 || *n >= 1 => Ok(()),
        _ => Err("must be -1 or at least 1".into()),
    }
}

/// Where skipped records go.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetterSettings {
    pub topic: String,
    pub replication_factor: i32,
    pub context_headers: bool,
}

/// How a task treats failures, parsed from `errors.*`.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorPolicy {
    /// `None`: retry for ever. Zero: no retries for record stages; for `put` and `poll`,
    /// zero keeps Kafka Connect's behaviour of retrying a retriable failure for ever.
    pub retry_timeout: Option<Duration>,
    pub retry_delay_max: Duration,
    pub tolerate_all: bool,
    pub log: bool,
    pub log_messages: bool,
    pub dead_letter: Option<DeadLetterSettings>,
}

impl Default for ErrorPolicy {
    fn default() -> Self {
        ErrorPolicy {
            retry_timeout: Some(Duration::ZERO),
            retry_delay_max: Duration::from_secs(60),
            tolerate_all: false,
            log: false,
            log_messages: false,
            dead_letter: None,
        }
    }
}

impl ErrorPolicy {
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = error_config_def().parse(props)?;
        let timeout = parsed.int(RETRY_TIMEOUT);
        Ok(ErrorPolicy {
            retry_timeout: (timeout >= 0).then(|| Duration::from_millis(timeout as u64)),
            retry_delay_max: Duration::from_millis(parsed.int(RETRY_DELAY_MAX).max(0) as u64),
            tolerate_all: parsed.string(TOLERANCE).eq_ignore_ascii_case("all"),
            log: parsed.bool(LOG_ENABLE),
            log_messages: parsed.bool(LOG_MESSAGES),
            dead_letter: parsed
                .optional_string(DLQ_TOPIC)
                .map(|topic| DeadLetterSettings {
                    topic,
                    replication_factor: parsed.int(DLQ_REPLICATION) as i32,
                    context_headers: parsed.bool(DLQ_HEADERS),
                }),
        })
    }

    /// How long a task operation (`poll`, `put`) may be retried: zero means for ever there.
    pub fn task_retry_timeout(&self) -> Option<Duration> {
        self.retry_timeout.filter(|t| !t.is_zero())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::config::props;

    #[test]
    fn defaults_match_kafka_connect() {
        let policy = ErrorPolicy::parse(&Props::new()).unwrap();
        assert_eq!(policy, ErrorPolicy::default());
        assert_eq!(policy.task_retry_timeout(), None);
    }

    #[test]
    fn parses_every_key() {
        let policy = ErrorPolicy::parse(&props(&[
            (TOLERANCE, "ALL"),
            (RETRY_TIMEOUT, "-1"),
            (RETRY_DELAY_MAX, "500"),
            (LOG_ENABLE, "true"),
            (DLQ_TOPIC, "dlq"),
            (DLQ_REPLICATION, "1"),
            (DLQ_HEADERS, "true"),
        ]))
        .unwrap();
        assert!(policy.tolerate_all && policy.log && !policy.log_messages);
        assert_eq!(policy.retry_timeout, None);
        assert_eq!(policy.retry_delay_max, Duration::from_millis(500));
        let dlq = policy.dead_letter.unwrap();
        assert_eq!(
            (
                dlq.topic.as_str(),
                dlq.replication_factor,
                dlq.context_headers
            ),
            ("dlq", 1, true)
        );
    }

    #[test]
    fn rejects_unknown_tolerance() {
        let err = ErrorPolicy::parse(&props(&[(TOLERANCE, "some")])).unwrap_err();
        assert_eq!(
            err.issues()[0].reason,
            "invalid value 'some': must be one of: none, all"
        );
    }
}
