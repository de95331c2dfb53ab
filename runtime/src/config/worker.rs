//! The worker's own settings, with Kafka Connect's names.

use std::path::PathBuf;
use std::time::Duration;

use sluice_api::Props;
use sluice_api::config::{ConfigDef, ConfigErrors, ConfigType, Importance, Validator};

use super::providers::ConfigProviders;
use crate::herder::restart::RestartPolicy;

pub const JSON_CONVERTER: &str = "org.apache.kafka.connect.json.JsonConverter";
const DEFAULT_OFFSETS_FILE: &str = "sluice-data/connect.offsets.json";
const CONFIGS_FILE_NAME: &str = "connect.configs.json";

/// Keys a worker file may set.
pub fn worker_config_def() -> ConfigDef {
    use ConfigType::*;
    use Importance::*;
    ConfigDef::new()
        .optional(
            "bootstrap.servers",
            List,
            Some("localhost:9092"),
            High,
            "Kafka brokers to connect to.",
        )
        .validate(Validator::NonEmpty)
        .optional(
            "key.converter",
            Class,
            Some(JSON_CONVERTER),
            High,
            "Default key converter.",
        )
        .optional(
            "value.converter",
            Class,
            Some(JSON_CONVERTER),
            High,
            "Default value converter.",
        )
        .optional(
            "offset.storage.file.filename",
            String,
            Some(DEFAULT_OFFSETS_FILE),
            High,
            "File holding source offsets in standalone mode, unless offset.storage.topic is set.",
        )
        .optional(
            "offset.storage.topic",
            String,
            None,
            High,
            "Kafka topic holding source offsets; when set, standalone mode stores offsets there.",
        )
        .optional(
            "offset.storage.partitions",
            Int,
            Some("25"),
            Low,
            "Partitions of a created offsets topic.",
        )
        .validate(Validator::AtLeast(1))
        .optional(
            "offset.storage.replication.factor",
            Int,
            Some("-1"),
            Low,
            "Replication factor of a created offsets topic; -1 takes the broker's default.",
        )
        .validate(Validator::Custom(replication_factor))
        .optional(
            "offset.flush.interval.ms",
            Long,
            Some("60000"),
            Low,
            "How often source offsets are committed.",
        )
        .validate(Validator::AtLeast(1))
        .optional(
            "offset.flush.timeout.ms",
            Long,
            Some("5000"),
            Low,
            "How long to wait for in-flight records before an offset commit or shutdown gives up.",
        )
        .validate(Validator::AtLeast(0))
        .optional(
            "task.shutdown.graceful.timeout.ms",
            Long,
            Some("5000"),
            Low,
            "How long a stopping task may take to flush and commit.",
        )
        .validate(Validator::AtLeast(0))
        .optional(
            "plugin.path",
            List,
            None,
            Low,
            "Accepted for compatibility; Sluice plugins are built in.",
        )
        .optional(
            "metrics.listener",
            String,
            Some(DEFAULT_METRICS_LISTENER),
            Medium,
            "Where Prometheus metrics are served (GET /metrics), as http://host:port; port 0 picks \
             a free port; empty turns the endpoint off.",
        )
        .validate(Validator::Custom(metrics_listener))
        .optional(
            "log.format",
            String,
            Some("text"),
            Low,
            "Log output: text (one line per event) or json (one JSON object per line).",
        )
        .validate(Validator::OneOf(vec!["text".into(), "json".into()]))
        .optional(
            "progress.interval.ms",
            Long,
            Some("10000"),
            Low,
            "How often a progress line (records in/out, errors, skipped, lag) is logged; 0 turns \
             it off.",
        )
        .validate(Validator::AtLeast(0))
        .optional(
            "config.storage.file.filename",
            String,
            None,
            High,
            "File holding the connectors created over the REST API in standalone mode, so that \
             they survive a restart; default: connect.configs.json beside the offsets file.",
        )
        .merge(RestartPolicy::config_def())
        .merge(ConfigProviders::config_def())
}

pub const DEFAULT_METRICS_LISTENER: &str = "http://0.0.0.0:9464";

fn metrics_listener(value: &sluice_api::config::ConfigValue) -> Result<(), std::string::String> {
    match value {
        sluice_api::config::ConfigValue::String(s) if !s.is_empty() => {
            crate::metrics::parse_listener(s).map(|_| ())
        }
        _ => Ok(()),
    }
}

/// A created topic's replication factor: -1 (the broker's default) or at least 1.
pub(crate) fn replication_factor(
    value: &sluice_api::config::ConfigValue,
) -> Result<(), std::string::String> {
    match value {
        sluice_api::config::ConfigValue::Int(n) if *n == -1 || *n >= 1 => Ok(()),
        _ => Err("must be -1 or at least 1".into()),
    }
}

/// Where source offsets live.
#[derive(Debug, Clone, PartialEq)]
pub enum OffsetStorage {
    File(PathBuf),
    Topic {
        name: String,
        partitions: i32,
        replication_factor: i32,
    },
}

/// How log lines are written (`log.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl LogFormat {
    /// `text` or `json`, without regard to case; anything else is `None`.
    pub fn parse(value: &str) -> Option<LogFormat> {
        match value.trim().to_ascii_lowercase().as_str() {
            "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

/// Validated worker settings.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub bootstrap_servers: String,
    pub key_converter: String,
    pub value_converter: String,
    pub offset_storage: OffsetStorage,
    pub offset_flush_interval: Duration,
    pub offset_flush_timeout: Duration,
    pub task_shutdown_timeout: Duration,
    /// `metrics.listener`, e.g. `http://0.0.0.0:9464`; `None` when set empty (no endpoint).
    pub metrics_listener: Option<String>,
    pub log_format: LogFormat,
    /// `progress.interval.ms`; `None` when 0 (no progress line).
    pub progress_interval: Option<Duration>,
    /// `config.storage.file.filename`: where standalone mode keeps REST-created connectors.
    pub config_storage_file: PathBuf,
    pub restart: RestartPolicy,
    /// Every setting as given, for converter (`key.converter.*`) and client (`producer.*`,
    /// `consumer.*`) prefixes.
    pub props: Props,
}

impl WorkerConfig {
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = worker_config_def().parse(props)?;
        let offset_storage = match parsed.optional_string("offset.storage.topic") {
            Some(name) => OffsetStorage::Topic {
                name,
                partitions: parsed.int("offset.storage.partitions") as i32,
                replication_factor: parsed.int("offset.storage.replication.factor") as i32,
            },
            None => OffsetStorage::File(parsed.string("offset.storage.file.filename").into()),
        };
        let millis = |key| Duration::from_millis(parsed.int(key).max(0) as u64);
        let config_storage_file = parsed
            .optional_string("config.storage.file.filename")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let offsets_file = PathBuf::from(parsed.string("offset.storage.file.filename"));
                offsets_file.with_file_name(CONFIGS_FILE_NAME)
            });
        Ok(WorkerConfig {
            bootstrap_servers: parsed.list("bootstrap.servers").join(","),
            key_converter: parsed.string("key.converter"),
            value_converter: parsed.string("value.converter"),
            offset_storage,
            offset_flush_interval: millis("offset.flush.interval.ms"),
            offset_flush_timeout: millis("offset.flush.timeout.ms"),
            task_shutdown_timeout: millis("task.shutdown.graceful.timeout.ms"),
            metrics_listener: parsed.optional_string("metrics.listener"),
            log_format: LogFormat::parse(&parsed.string("log.format")).unwrap_or_default(),
            progress_interval: Some(millis("progress.interval.ms")).filter(|d| !d.is_zero()),
            config_storage_file,
            restart: RestartPolicy::from_worker(props)?,
            props: props.clone(),
        })
    }

    /// Settings under `prefix`, with the prefix removed.
    pub fn with_prefix(&self, prefix: &str) -> Props {
        strip_prefix(&self.props, prefix)
    }
}

/// The entries of `props` whose key starts with `prefix`, with the prefix removed.
pub fn strip_prefix(props: &Props, prefix: &str) -> Props {
    props
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(prefix)
                .map(|rest| (rest.to_string(), v.clone()))
        })
        .filter(|(k, _)| !k.is_empty())
        .collect()
}
