//! Offsets in a compacted Kafka topic (`offset.storage.topic`), in Kafka Connect's format.
//! The topic is read to its end once at start; commits are produced and acknowledged by all
//! in-sync replicas before `commit` returns.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use serde_json::Value as Json;
use sluice_api::{ConnectError, ConnectResult, OffsetSnapshot};
use tokio::sync::Mutex;

use super::{OffsetStore, OffsetTable, parse_offset_key};
use crate::config::{OffsetStorage, WorkerConfig};
use crate::worker::kafka::ensure_topic;

/// A record's key and value bytes (`None` for a tombstone).
type RawRecord = (Vec<u8>, Option<Vec<u8>>);

const READ_TIMEOUT: Duration = Duration::from_secs(60);
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

pub struct KafkaOffsetStore {
    topic: String,
    producer: FutureProducer,
    /// The topic's latest state.
    table: Mutex<OffsetTable>,
}

impl KafkaOffsetStore {
    pub async fn open(worker: &WorkerConfig) -> ConnectResult<Self> {
        let OffsetStorage::Topic {
            name,
            partitions,
            replication_factor,
        } = &worker.offset_storage
        else {
            return Err(ConnectError::fatal("offset.storage.topic is not set"));
        };
        let client = |extra: &[(&str, &str)]| {
            let mut cfg = ClientConfig::new();
            cfg.set("bootstrap.servers", &worker.bootstrap_servers);
            for (k, v) in extra {
                cfg.set(*k, *v);
            }
            cfg
        };
        ensure_topic(
            &worker.bootstrap_servers,
            name,
            *partitions,
            *replication_factor,
            &[("cleanup.policy", "compact")],
        )
        .await?;

        let reader = client(&[
            ("group.id", "sluice-offset-reader"),
            ("enable.auto.commit", "false"),
            ("enable.partition.eof", "true"),
            ("auto.offset.reset", "earliest"),
        ]);
        let topic = name.clone();
        let records = tokio::task::spawn_blocking(move || read_to_end(&reader, &topic))
            .await
            .map_err(|e| ConnectError::fatal(format!("offset reader panicked: {e}")))??;
        let mut table = OffsetTable::default();
        for (key, value) in records {
            let Ok(key) = serde_json::from_slice::<Json>(&key) else {
                continue;
            };
            if parse_offset_key(&key).is_ok() {
                let value = value
                    .and_then(|v| serde_json::from_slice::<Json>(&v).ok())
                    .unwrap_or(Json::Null);
                table.put(key, value);
            }
        }

        // murmur2 keeps each key on the partition Kafka Connect's Java producer would choose.
        let producer = client(&[
            ("acks", "all"),
            ("enable.idempotence", "true"),
            ("partitioner", "murmur2_random"),
        ])
        .create()
        .map_err(|e| kafka_error("cannot create offset producer", e))?;
        Ok(KafkaOffsetStore {
            topic: name.clone(),
            producer,
            table: Mutex::new(table),
        })
    }
}

#[async_trait]
impl OffsetStore for KafkaOffsetStore {
    async fn load(&self, connector: &str) -> ConnectResult<OffsetSnapshot> {
        self.table.lock().await.snapshot(connector)
    }

    async fn write(&self, updates: Vec<(Json, Json)>) -> ConnectResult<()> {
        let mut table = self.table.lock().await;
        let sends = updates.iter().map(|(key, value)| {
            let key = key.to_string();
            // A null value is written as a tombstone, as Kafka Connect resets an offset.
            let value = (!value.is_null()).then(|| value.to_string());
            async move {
                let mut record = FutureRecord::<String, String>::to(&self.topic).key(&key);
                if let Some(value) = &value {
                    record = record.payload(value);
                }
                self.producer
                    .send(record, SEND_TIMEOUT)
                    .await
                    .map(|_| ())
                    .map_err(|(e, _)| e)
            }
        });
        for result in futures::future::join_all(sends).await {
            result.map_err(|e| {
                ConnectError::retriable(format!(
                    "cannot write offsets to topic {}: {e}",
                    self.topic
                ))
            })?;
        }
        for (key, value) in updates {
            table.put(key, value);
        }
        Ok(())
    }
}

/// Reads every record of `topic` up to the end each partition had when reading began. The end
/// is taken from fetch responses (partition EOF), which brokers report exactly.
fn read_to_end(cfg: &ClientConfig, topic: &str) -> ConnectResult<Vec<RawRecord>> {
    let consumer: BaseConsumer = cfg
        .create()
        .map_err(|e| kafka_error("cannot create offset reader", e))?;
    let deadline = Instant::now() + READ_TIMEOUT;
    let metadata = consumer
        .fetch_metadata(Some(topic), READ_TIMEOUT)
        .map_err(|e| kafka_error(&format!("cannot read metadata of offsets topic {topic}"), e))?;
    let partitions: Vec<i32> = metadata
        .topics()
        .iter()
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    let mut assignment = TopicPartitionList::new();
    for p in &partitions {
        assignment
            .add_partition_offset(topic, *p, Offset::Beginning)
            .map_err(|e| kafka_error("cannot assign offsets topic", e))?;
    }
    consumer
        .assign(&assignment)
        .map_err(|e| kafka_error("cannot assign offsets topic", e))?;

    let mut at_end = HashSet::new();
    let mut records = Vec::new();
    while at_end.len() < partitions.len() {
        if Instant::now() > deadline {
            return Err(ConnectError::retriable(format!(
                "timed out reading offsets topic {topic} to its end ({} of {} partitions done)",
                at_end.len(),
                partitions.len()
            )));
        }
        match consumer.poll(Duration::from_millis(200)) {
            None => {}
            Some(Ok(message)) => {
                if let Some(key) = message.key() {
                    records.push((key.to_vec(), message.payload().map(<[u8]>::to_vec)));
                }
            }
            Some(Err(KafkaError::PartitionEOF(partition))) => {
                at_end.insert(partition);
            }
            Some(Err(e)) => {
                return Err(kafka_error(
                    &format!("cannot read offsets topic {topic}"),
                    e,
                ));
            }
        }
    }
    Ok(records)
}

fn kafka_error(context: &str, e: KafkaError) -> ConnectError {
    ConnectError::retriable(format!("{context}: {e}")).caused_by(e)
}
