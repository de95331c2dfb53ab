//! Settings of the Kafka sink.

use rdkafka::ClientConfig;
use sluice_api::config::ConfigIssue;
use sluice_api::config::Validator;
use sluice_api::{ConfigDef, ConfigErrors, ConfigType, Importance, Props};

/// The destination cluster.
pub const BOOTSTRAP_SERVERS: &str = "kafka.bootstrap.servers";
/// Prefix of librdkafka producer settings passed through as they are (prefix removed).
pub const PRODUCER_PREFIX: &str = "kafka.producer.";

/// Producer defaults: every acknowledged record is on all in-sync replicas, and retries can
/// neither reorder nor duplicate. `kafka.producer.*` settings are applied after these.
const PRODUCER_DEFAULTS: &[(&str, &str)] = &[
    ("acks", "all"),
    ("enable.idempotence", "true"),
    ("linger.ms", "5"),
    ("compression.type", "none"),
];

/// Keys of the Kafka sink (`topics` belongs to the framework).
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            BOOTSTRAP_SERVERS,
            ConfigType::List,
            Importance::High,
            "Comma-separated host:port pairs of the destination Kafka cluster.",
        )
        .validate(Validator::NonEmpty)
}

/// The validated Kafka sink settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaSinkConfig {
    pub bootstrap_servers: String,
    /// `kafka.producer.*` settings, prefix removed.
    pub producer: Props,
}

impl KafkaSinkConfig {
    /// Parses `props`, reporting every problem at once.
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = config_def().parse(props);
        let mut issues = Vec::new();
        let mut producer = Props::new();
        for (key, value) in props.range(PRODUCER_PREFIX.to_string()..) {
            let Some(setting) = key.strip_prefix(PRODUCER_PREFIX) else {
                break;
            };
            match setting {
                "" => issues.push(ConfigIssue::new(
                    key,
                    "no producer setting after the prefix",
                )),
                "bootstrap.servers" => issues.push(ConfigIssue::new(
                    key,
                    format!("set the destination cluster with '{BOOTSTRAP_SERVERS}'"),
                )),
                _ => {
                    producer.insert(setting.to_string(), value.clone());
                }
            }
        }
        match parsed {
            Ok(parsed) if issues.is_empty() => Ok(KafkaSinkConfig {
                bootstrap_servers: parsed.list(BOOTSTRAP_SERVERS).join(","),
                producer,
            }),
            Ok(_) => Err(ConfigErrors::new(issues)),
            Err(errors) => {
                let mut all = errors.issues().to_vec();
                all.extend(issues);
                Err(ConfigErrors::new(all))
            }
        }
    }

    /// The producer's client settings: defaults, then `client.id`, then the passed-through ones.
    pub fn client_config(&self, client_id: &str) -> ClientConfig {
        let mut cfg = ClientConfig::new();
        cfg.set("bootstrap.servers", &self.bootstrap_servers);
        for (key, value) in PRODUCER_DEFAULTS {
            cfg.set(*key, *value);
        }
        cfg.set("client.id", client_id);
        for (key, value) in &self.producer {
            cfg.set(key, value);
        }
        cfg
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::config::props;

    #[test]
    fn bootstrap_servers_are_required() {
        let err = KafkaSinkConfig::parse(&props(&[("topics", "a")])).unwrap_err();
        let keys: Vec<_> = err.issues().iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, [BOOTSTRAP_SERVERS]);
        assert!(KafkaSinkConfig::parse(&props(&[(BOOTSTRAP_SERVERS, " ")])).is_err());
    }

    #[test]
    fn producer_settings_pass_through_after_the_defaults() {
        let config = KafkaSinkConfig::parse(&props(&[
            (BOOTSTRAP_SERVERS, "a:9092, b:9092"),
            ("kafka.producer.linger.ms", "20"),
            ("kafka.producer.compression.type", "lz4"),
            ("kafka.other", "ignored"),
            ("producer.override.acks", "1"),
        ]))
        .unwrap();
        assert_eq!(config.bootstrap_servers, "a:9092,b:9092");
        assert_eq!(
            config.producer,
            props(&[("linger.ms", "20"), ("compression.type", "lz4")])
        );
        let cfg = config.client_config("sluice-test-0");
        assert_eq!(cfg.get("bootstrap.servers"), Some("a:9092,b:9092"));
        assert_eq!(cfg.get("acks"), Some("all"));
        assert_eq!(cfg.get("enable.idempotence"), Some("true"));
        assert_eq!(cfg.get("linger.ms"), Some("20"));
        assert_eq!(cfg.get("compression.type"), Some("lz4"));
        assert_eq!(cfg.get("client.id"), Some("sluice-test-0"));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = KafkaSinkConfig::parse(&props(&[
            ("kafka.producer.", "x"),
            ("kafka.producer.bootstrap.servers", "elsewhere:9092"),
        ]))
        .unwrap_err();
        let keys: Vec<_> = err.issues().iter().map(|i| i.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                BOOTSTRAP_SERVERS,
                "kafka.producer.",
                "kafka.producer.bootstrap.servers"
            ]
        );
    }
}
