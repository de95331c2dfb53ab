//! Kafka client settings for task producers and consumers: worker defaults, then the worker's
//! `producer.*`/`consumer.*` settings, then the connector's `*.override.*` settings.

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;
use sluice_api::{ConnectError, ConnectResult, Props};

use crate::config::worker::{WorkerConfig, strip_prefix};

/// Java client settings librdkafka does not know; Sluice handles or ignores them itself.
const JAVA_ONLY: &[&str] = &[
    "key.serializer",
    "value.serializer",
    "key.deserializer",
    "value.deserializer",
    "interceptor.classes",
    "max.poll.records",
];

/// Producer settings for a source task: every acknowledged record is on all in-sync replicas,
/// and retries cannot reorder or duplicate.
pub fn producer_config(worker: &WorkerConfig, connector: &Props) -> ClientConfig {
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", &worker.bootstrap_servers)
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .set("compression.type", "none")
        // Kafka Connect's producers buffer at most 32 MiB (`buffer.memory`). librdkafka's own
        // limit (1 GiB, 100 000 records) lets a fast source hold hundreds of megabytes of
        // records the broker has not taken yet; a full buffer makes the task wait instead.
        .set("queue.buffering.max.kbytes", "32768");
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
        .set("enable.partition.eof", "false")
        // Statistics carry consumer lag per partition for the sink-record-lag-max metric.
        .set("statistics.interval.ms", "5000")
        // A topic created after the subscription (one a source in the same worker has not
        // produced to yet, or a new match of `topics.regex`) is found at the next metadata
        // refresh, which librdkafka does every 5 minutes by default: the sink would sit idle.
        .set("topic.metadata.refresh.interval.ms", "5000");
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
        if key == "buffer.memory" {
            // The Java producer's buffer in bytes; librdkafka counts kilobytes. A value that is
            // not a number is passed on for librdkafka to reject by its own name.
            let kbytes = value
                .trim()
                .parse::<u64>()
                .map_or(value, |bytes| (bytes / 1024).max(1).to_string());
            cfg.set("queue.buffering.max.kbytes", kbytes);
        } else if key == "partition.assignment.strategy" {
            cfg.set(key, assignors(&value));
        } else if !JAVA_ONLY.contains(&key.as_str()) {
            cfg.set(key, value);
        }
    }
}

/// The Java consumer's assignor classes as librdkafka names the same assignors (`range`,
/// `roundrobin`, `cooperative-sticky`); librdkafka names pass as they are, and anything else is
/// left for librdkafka to reject by name. The Java consumer uses the first assignor of its list
/// that every member supports, so a list mixing eager and cooperative assignors (Kafka's
/// default `range, cooperative-sticky`) rebalances like its first entry; librdkafka refuses
/// such a mix, so only the entries of the first one's kind are kept.
fn assignors(java: &str) -> String {
    let names: Vec<&str> = java
        .split(',')
        .map(str::trim)
        .filter(|class| !class.is_empty())
        .map(|class| match class.rsplit('.').next().unwrap_or(class) {
            "RangeAssignor" => "range",
            "RoundRobinAssignor" => "roundrobin",
            "CooperativeStickyAssignor" => "cooperative-sticky",
            _ => class,
        })
        .collect();
    let cooperative = |name: &&str| *name == "cooperative-sticky";
    let first_cooperative = names.first().is_some_and(cooperative);
    names
        .into_iter()
        .filter(|name| cooperative(name) == first_cooperative)
        .collect::<Vec<_>>()
        .join(",")
}

/// Creates `name` unless it exists. `settings` are topic configs such as `cleanup.policy`.
pub async fn ensure_topic(
    bootstrap: &str,
    name: &str,
    partitions: i32,
    replication: i32,
    settings: &[(&str, &str)],
) -> ConnectResult<()> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .map_err(|e| ConnectError::fatal(format!("cannot create admin client: {e}")))?;
    let mut topic = NewTopic::new(name, partitions, TopicReplication::Fixed(replication));
    for (key, value) in settings {
        topic = topic.set(key, value);
    }
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = admin.create_topics([&topic], &options).await.map_err(|e| {
        ConnectError::retriable(format!("cannot create topic {name}: {e}")).caused_by(e)
    })?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((_, code)) => {
                return Err(ConnectError::retriable(format!(
                    "cannot create topic {name}: {code}"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker(props: &[(&str, &str)]) -> WorkerConfig {
        let mut all: Props = [("bootstrap.servers", "127.0.0.1:9092")]
            .iter()
            .chain(props)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        all.insert("offset.storage.file.filename".into(), "/tmp/offsets".into());
        WorkerConfig::parse(&all).expect("valid worker config")
    }

    #[test]
    fn producers_buffer_32_mib_unless_buffer_memory_says_otherwise() {
        let cfg = producer_config(&worker(&[]), &Props::new());
        assert_eq!(cfg.get("queue.buffering.max.kbytes"), Some("32768"));
        let cfg = producer_config(
            &worker(&[("producer.buffer.memory", "8388608")]),
            &Props::new(),
        );
        assert_eq!(cfg.get("queue.buffering.max.kbytes"), Some("8192"));
        assert_eq!(cfg.get("buffer.memory"), None);
        let connector: Props = [(
            "producer.override.buffer.memory".to_string(),
            "1048576".to_string(),
        )]
        .into_iter()
        .collect();
        let cfg = producer_config(&worker(&[]), &connector);
        assert_eq!(cfg.get("queue.buffering.max.kbytes"), Some("1024"));
    }

    #[test]
    fn java_assignor_classes_become_librdkafka_assignors() {
        let strategy = |worker_value: &str| {
            let key = "consumer.partition.assignment.strategy";
            consumer_config(&worker(&[(key, worker_value)]), "c", &Props::new())
                .get("partition.assignment.strategy")
                .map(str::to_string)
        };
        assert_eq!(
            strategy("org.apache.kafka.clients.consumer.CooperativeStickyAssignor").as_deref(),
            Some("cooperative-sticky")
        );
        assert_eq!(
            strategy("org.apache.kafka.clients.consumer.RangeAssignor, org.apache.kafka.clients.consumer.RoundRobinAssignor").as_deref(),
            Some("range,roundrobin")
        );
        // Kafka's default list rebalances eagerly, with its first entry.
        assert_eq!(
            strategy("org.apache.kafka.clients.consumer.RangeAssignor,org.apache.kafka.clients.consumer.CooperativeStickyAssignor").as_deref(),
            Some("range")
        );
        assert_eq!(
            strategy("cooperative-sticky").as_deref(),
            Some("cooperative-sticky")
        );
        // Assignors librdkafka lacks reach it by name, for it to refuse.
        assert_eq!(
            strategy("org.apache.kafka.clients.consumer.StickyAssignor").as_deref(),
            Some("org.apache.kafka.clients.consumer.StickyAssignor")
        );
        let connector: Props = [(
            "consumer.override.partition.assignment.strategy".to_string(),
            "org.apache.kafka.clients.consumer.RoundRobinAssignor".to_string(),
        )]
        .into_iter()
        .collect();
        let cfg = consumer_config(&worker(&[]), "c", &connector);
        assert_eq!(cfg.get("partition.assignment.strategy"), Some("roundrobin"));
    }
}
