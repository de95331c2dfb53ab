//! The Kafka sink connector: writes each record to a Kafka topic, the record's topic after the
//! transform chain (so a RegexRouter decides the destination), on the cluster named by
//! `kafka.bootstrap.servers` — the worker's own cluster or another one.
//!
//! Keys: `kafka.bootstrap.servers` (required); `kafka.producer.<setting>` passes any librdkafka
//! producer setting through (applied after the defaults `acks=all`, `enable.idempotence=true`,
//! `linger.ms=5`, `compression.type=none`). Topics come from the framework's `topics`.
//!
//! Keys and values become bytes as follows: `Bytes` as they are, `String` as UTF-8, null as a
//! Kafka null, anything else as compact JSON (the payload JsonConverter writes with
//! `schemas.enable=false`). Headers are carried over (strings as UTF-8, bytes as they are, other
//! values as JSON), and so is the timestamp; the partition is left to the producer's partitioner
//! (by key), since the destination topic may have a different number of partitions.
//!
//! Delivery: `put` only enqueues; `flush` waits until Kafka acknowledged every record given to
//! `put` and fails otherwise (retriable for broker errors), so the runtime commits the source
//! topic's consumer offsets only after the destination has the records. A failed delivery is
//! remembered: every later `flush` of the task fails too, and `put` stops sending, so no offset
//! is ever committed past a lost record.

mod config;
mod encode;
mod sink;

use sluice_api::SinkConnector;

pub use config::{BOOTSTRAP_SERVERS, KafkaSinkConfig, PRODUCER_PREFIX, config_def};
pub use encode::{header_bytes, to_bytes};
pub use sink::{KafkaSinkConnector, KafkaSinkTask};

/// The Kafka sink connector.
pub fn sink() -> Box<dyn SinkConnector> {
    Box::new(KafkaSinkConnector::default())
}
