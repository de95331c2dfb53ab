//! The worker settings only distributed mode reads: the group, its timeouts, the subprotocol
//! and the internal topics, with Kafka Connect's keys.

use std::time::Duration;

use sluice_api::config::{
    ConfigDef, ConfigErrors, ConfigType, Importance, IssueCollector, Validator,
};

use super::coordinator::{CoordinatorConfig, DEFAULT_MISMATCH_BACKOFF};
use super::membership::MembershipConfig;
use super::protocol::ConnectProtocol;
use super::topics::InternalTopics;
use crate::config::WorkerConfig;

pub const GROUP_ID: &str = "group.id";
pub const SESSION_TIMEOUT: &str = "session.timeout.ms";
pub const HEARTBEAT_INTERVAL: &str = "heartbeat.interval.ms";
pub const REBALANCE_TIMEOUT: &str = "rebalance.timeout.ms";
pub const MAX_DELAY: &str = "scheduled.rebalance.max.delay.ms";
pub const PROTOCOL: &str = "connect.protocol";
pub const SYNC_TIMEOUT: &str = "worker.sync.timeout.ms";

/// Sluice's default `scheduled.rebalance.max.delay.ms`: a departed worker's tasks wait this long
/// for it to come back, instead of Kafka Connect's five minutes of idle tasks.
pub const DEFAULT_MAX_DELAY_MS: &str = "10000";

fn distributed_config_def() -> ConfigDef {
    use ConfigType::*;
    use Importance::*;
    ConfigDef::new()
        .required(
            GROUP_ID,
            String,
            High,
            "The group every worker of one Sluice cluster joins.",
        )
        .validate(Validator::NonEmpty)
        .optional(
            SESSION_TIMEOUT,
            Int,
            Some("10000"),
            High,
            "How long the group coordinator waits for a heartbeat before it drops a worker.",
        )
        .validate(Validator::AtLeast(1))
        .optional(
            HEARTBEAT_INTERVAL,
            Int,
            Some("3000"),
            High,
            "How often a worker heartbeats; below a third of the session timeout.",
        )
        .validate(Validator::AtLeast(1))
        .optional(
            REBALANCE_TIMEOUT,
            Int,
            Some("60000"),
            High,
            "How long each worker may take to rejoin during a rebalance.",
        )
        .validate(Validator::AtLeast(1))
        .optional(
            MAX_DELAY,
            Int,
            Some(DEFAULT_MAX_DELAY_MS),
            Medium,
            "How long the work of a departed worker stays unassigned in case it comes back; \
             0 reassigns it at once.",
        )
        .validate(Validator::AtLeast(0))
        .optional(
            PROTOCOL,
            String,
            Some("sessioned"),
            Low,
            "The newest group subprotocol offered: eager, compatible or sessioned.",
        )
        .validate(Validator::OneOf(vec![
            "eager".into(),
            "compatible".into(),
            "sessioned".into(),
        ]))
        .optional(
            SYNC_TIMEOUT,
            Int,
            Some("3000"),
            Medium,
            "How long a worker waits to read the config topic up to the offset of an \
             assignment before it asks for another rebalance.",
        )
        .validate(Validator::AtLeast(1))
}

/// How this worker takes part in the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributedConfig {
    pub topics: InternalTopics,
    pub group_id: String,
    pub session_timeout: Duration,
    pub heartbeat_interval: Duration,
    pub rebalance_timeout: Duration,
    pub max_delay: Duration,
    pub protocol: ConnectProtocol,
    pub sync_timeout: Duration,
}

impl DistributedConfig {
    /// Reads the distributed settings, reporting every problem at once.
    pub fn from_worker(worker: &WorkerConfig) -> Result<DistributedConfig, ConfigErrors> {
        let mut issues = IssueCollector::new();
        let topics = issues.take(InternalTopics::from_worker(worker));
        let parsed = issues.take(distributed_config_def().parse(&worker.props));
        let (Some(topics), Some(parsed)) = (topics, parsed) else {
            return Err(issues.into_errors());
        };
        let ms = |key: &str| Duration::from_millis(parsed.int(key) as u64);
        let config = DistributedConfig {
            topics,
            group_id: parsed.string(GROUP_ID),
            session_timeout: ms(SESSION_TIMEOUT),
            heartbeat_interval: ms(HEARTBEAT_INTERVAL),
            rebalance_timeout: ms(REBALANCE_TIMEOUT),
            max_delay: ms(MAX_DELAY),
            // The validator admits only known names.
            protocol: parsed
                .string(PROTOCOL)
                .parse()
                .unwrap_or(ConnectProtocol::default()),
            sync_timeout: ms(SYNC_TIMEOUT),
        };
        if config.heartbeat_interval >= config.session_timeout {
            return Err(ConfigErrors::one(
                HEARTBEAT_INTERVAL,
                format!(
                    "must be lower than {SESSION_TIMEOUT} ({} ms), or the group drops workers \
                     between heartbeats",
                    config.session_timeout.as_millis()
                ),
            ));
        }
        Ok(config)
    }

    /// The coordinator settings for a worker advertising `url`.
    pub fn coordinator(&self, worker: &WorkerConfig, url: &str) -> CoordinatorConfig {
        let bootstrap = worker
            .bootstrap_servers
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        let membership = MembershipConfig {
            bootstrap,
            group_id: self.group_id.clone(),
            session_timeout: self.session_timeout,
            rebalance_timeout: self.rebalance_timeout,
            heartbeat_interval: self.heartbeat_interval,
            client_id: format!("sluice-{url}"),
        };
        CoordinatorConfig {
            membership,
            url: url.to_string(),
            protocol: self.protocol,
            max_delay: self.max_delay,
            mismatch_backoff: DEFAULT_MISMATCH_BACKOFF,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::config::props;

    fn worker(extra: &[(&str, &str)]) -> WorkerConfig {
        let mut pairs = vec![
            ("bootstrap.servers", "a:9092, b:9092"),
            ("offset.storage.topic", "connect-offsets"),
            ("config.storage.topic", "connect-configs"),
            ("status.storage.topic", "connect-status"),
            ("group.id", "sluice-cluster"),
        ];
        pairs.extend_from_slice(extra);
        WorkerConfig::parse(&props(&pairs)).unwrap()
    }

    #[test]
    fn defaults_favour_quick_recovery() {
        let config = DistributedConfig::from_worker(&worker(&[])).unwrap();
        assert_eq!(config.group_id, "sluice-cluster");
        assert_eq!(config.max_delay, Duration::from_secs(10));
        assert_eq!(config.session_timeout, Duration::from_secs(10));
        assert_eq!(config.protocol, ConnectProtocol::Sessioned);
        let coordinator = config.coordinator(&worker(&[]), "http://w1:8083");
        assert_eq!(coordinator.membership.bootstrap, vec!["a:9092", "b:9092"]);
        assert_eq!(coordinator.url, "http://w1:8083");
    }

    #[test]
    fn every_problem_names_its_key() {
        let mut w = worker(&[("connect.protocol", "chatty"), (MAX_DELAY, "-1")]);
        w.props.remove("group.id");
        w.props.remove("status.storage.topic");
        let err = DistributedConfig::from_worker(&w).unwrap_err().to_string();
        for key in [
            "group.id",
            "status.storage.topic",
            "connect.protocol",
            MAX_DELAY,
        ] {
            assert!(err.contains(key), "{key} missing from: {err}");
        }
        let err = DistributedConfig::from_worker(&worker(&[(HEARTBEAT_INTERVAL, "20000")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(HEARTBEAT_INTERVAL), "{err}");
    }
}
