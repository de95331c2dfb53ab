//! Kafka client settings for task producers and consumers: worker defaults, then the worker's
//! `producer.*`/`consumer.*` settings, then the connector's `*.override.*` settings.

use rdkafka::ClientConfig;
use sluice_api::Props;

use crate::config::worker::{WorkerConfig, strip_prefix};

/// Java client settings librdkafka does not know; Sluice handles or ignores them itself.
const JAVA_ONLY: &[&str] = &[
    "key.serializer",
    "value.serializer",
    "key.deserializer",
    "value.deserializer",
    "interceptor.classes",
    "max.poll.records",
    "partition.assignment.strategy",
];

/// Producer settings for a source task: every acknowledged record is on all in-sync replicas,
/// and retries cannot reorder or duplicate.
pub fn producer_config(worker: &WorkerConfig, connector: &Props) -> ClientConfig {
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", &worker.bootstrap_servers)
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .set("compression.type", "none");
    apply(&mut cfg, worker.with_prefix("producer."));
    apply(&mut cfg, strip_prefix(connector, "producer.override."));
    cfg
}

/// Consumer settings for a sink task: offsets are committed by the task loop after a flush.
pub fn consumer_config(
    worker: &WorkerConfig,
    connector_name: &str,
    connector: &Props,
) -> ClientConfig {
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", &worker.bootstrap_servers)
        .set("group.id", format!("connect-{connector_name}"))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", "false");
    apply(&mut cfg, worker.with_prefix("consumer."));
    apply(&mut cfg, strip_prefix(connector, "consumer.override."));
    cfg
}

/// Records per sink batch: `consumer.max.poll.records` as in Kafka Connect (default 500).
pub fn max_poll_records(worker: &WorkerConfig, connector: &Props) -> usize {
    connector
        .get("consumer.override.max.poll.records")
        .or_else(|| worker.props.get("consumer.max.poll.records"))
        .and_then(|v| v.trim().parse().ok())
        .filter(|n: &usize| *n > 0)
        .unwrap_or(500)
}

fn apply(cfg: &mut ClientConfig, settings: Props) {
    for (key, value) in settings {
        if !JAVA_ONLY.contains(&key.as_str()) {
            cfg.set(key, value);
        }
    }
}
