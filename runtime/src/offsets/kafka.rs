//! Offsets in a compacted Kafka topic (`offset.storage.topic`), in Kafka Connect's format.
//! The topic is read to its end at start, and every `load` first reads what was appended since,
//! so offsets committed by other workers sharing the topic are seen; commits are produced and
//! acknowledged by all in-sync replicas before `commit` returns.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rdkafka::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::Value as Json;
use sluice_api::{ConnectError, ConnectResult, OffsetSnapshot};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::{OffsetStore, OffsetTable, parse_offset_key};
use crate::config::{OffsetStorage, WorkerConfig};
use crate::distributed::topics::{self, RawRecord, TopicReader};
use crate::worker::kafka::ensure_topic;

const READ_TIMEOUT: Duration = Duration::from_secs(60);
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

pub struct KafkaOffsetStore {
    topic: String,
    producer: FutureProducer,
    /// The topic's latest state as far as it was read, plus this store's own writes. Its lock
    /// is held across each read (and its apply) and across each write, so the two never
    /// interleave: see [`KafkaOffsetStore::catch_up`] for why that keeps every write.
    table: Arc<Mutex<OffsetTable>>,
    /// Continues from where the previous read stopped; shared with the blocking task each read
    /// runs on.
    reader: Arc<std::sync::Mutex<TopicReader>>,
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
        ensure_topic(
            &worker.bootstrap_servers,
            name,
            *partitions,
            *replication_factor,
            &[("cleanup.policy", "compact")],
        )
        .await?;
        // A topic created a moment ago may not show in metadata yet, and a read finding no
        // partitions fails.
        topics::partition_count(worker, name).await?;

        // murmur2 keeps each key on the partition Kafka Connect's Java producer would choose.
        let producer = ClientConfig::new()
            .set("bootstrap.servers", &worker.bootstrap_servers)
            .set("acks", "all")
            .set("enable.idempotence", "true")
            .set("partitioner", "murmur2_random")
            .create()
            .map_err(|e| kafka_error("cannot create offset producer", e))?;
        // Every partition, looked up at each read, so partitions added later are read too.
        let reader = TopicReader::new(worker, name, "sluice-offset-reader", None)?;
        let store = KafkaOffsetStore {
            topic: name.clone(),
            producer,
            table: Arc::new(Mutex::new(OffsetTable::default())),
            reader: Arc::new(std::sync::Mutex::new(reader)),
        };
        // The whole topic is read here, so a broker that cannot be read fails the start rather
        // than the first task.
        store.catch_up().await?;
        Ok(store)
    }

    /// Reads the records appended since the previous read (the whole topic the first time) up
    /// to the end of every partition, applies them to the table in order, and returns the
    /// table, still locked.
    ///
    /// No local write is lost to an older record read back later. Every record of a key is on
    /// one partition, in the order written, and a write holds the table lock until the broker
    /// has acknowledged it, as a read does until its records are applied. So a read either
    /// ends before a write begins, and the write's value is put after it, or begins after the
    /// write was acknowledged: it then reads up to the end of the partition, at or past the
    /// written record, and the last record of that key it applies is the written one or a newer
    /// one (another worker's later commit, which the topic holds as the latest too).
    async fn catch_up(&self) -> ConnectResult<OwnedMutexGuard<OffsetTable>> {
        let mut table = self.table.clone().lock_owned().await;
        let reader = self.reader.clone();
        let topic = self.topic.clone();
        // The lock guard moves into the blocking task, so a caller that stops waiting (a
        // dropped future) neither loses the records read, which advance the reader's positions,
        // nor lets a write into the table before they are applied.
        tokio::task::spawn_blocking(move || {
            let records = reader
                .lock()
                .map_err(|_| ConnectError::fatal("an offsets topic read panicked earlier"))?
                .read_to_end(READ_TIMEOUT)?;
            for record in &records {
                apply(&mut table, &topic, record);
            }
            Ok(table)
        })
        .await
        .map_err(|e| ConnectError::fatal(format!("offset reader panicked: {e}")))?
    }
}

/// Applies one record of the offsets topic. Records whose key is not an offset key are
/// skipped; a tombstone, or a value that is not JSON, removes the key.
fn apply(table: &mut OffsetTable, topic: &str, record: &RawRecord) {
    let Some(key) = record
        .key
        .as_deref()
        .and_then(|k| serde_json::from_slice::<Json>(k).ok())
        .filter(|k| parse_offset_key(k).is_ok())
    else {
        tracing::debug!(
            topic,
            offset = record.offset,
            "skipping a record without an offset key"
        );
        return;
    };
    let value = record
        .value
        .as_deref()
        .and_then(|v| serde_json::from_slice::<Json>(v).ok())
        .unwrap_or(Json::Null);
    table.put(key, value);
}

#[async_trait]
impl OffsetStore for KafkaOffsetStore {
    async fn load(&self, connector: &str) -> ConnectResult<OffsetSnapshot> {
        // Another worker may have committed this connector's offsets since the last read, e.g.
        // before its task moved here.
        self.catch_up().await?.snapshot(connector)
    }

    async fn write(&self, updates: Vec<(Json, Json)>) -> ConnectResult<()> {
        // Held until the table is updated: see `catch_up`.
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
        // The same values are read back later; applying them again changes nothing.
        for (key, value) in updates {
            table.put(key, value);
        }
        Ok(())
    }
}

fn kafka_error(context: &str, e: KafkaError) -> ConnectError {
    ConnectError::retriable(format!("{context}: {e}")).caused_by(e)
}
