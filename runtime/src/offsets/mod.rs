//! Source offset stores. Keys and values use Kafka Connect's format — key `["<connector>",{partition}]`,
//! value the offset map — so offsets move between Sluice and Kafka Connect.

pub mod consumer_group;
mod file;
mod kafka;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value as Json;
use sluice_api::{ConnectError, ConnectResult, OffsetMap, OffsetSnapshot};

use crate::config::{OffsetStorage, WorkerConfig};

pub use file::FileOffsetStore;
pub use kafka::KafkaOffsetStore;

/// Where committed source offsets live.
#[async_trait]
pub trait OffsetStore: Send + Sync {
    /// Every committed offset of one connector.
    async fn load(&self, connector: &str) -> ConnectResult<OffsetSnapshot>;
    /// Stores offset-topic entries durably (a null value removes the key); returns only once
    /// they are durable.
    async fn write(&self, entries: Vec<(Json, Json)>) -> ConnectResult<()>;

    /// Stores a task's offsets durably.
    async fn commit(
        &self,
        connector: &str,
        offsets: &[(OffsetMap, OffsetMap)],
    ) -> ConnectResult<()> {
        self.write(OffsetTable::updates(connector, offsets)).await
    }

    /// Sets or (with `None`) removes offsets of a connector's partitions, as
    /// `PATCH /connectors/{c}/offsets` asks.
    async fn alter(
        &self,
        connector: &str,
        changes: &[(OffsetMap, Option<OffsetMap>)],
    ) -> ConnectResult<()> {
        let entries = changes
            .iter()
            .map(|(partition, offset)| {
                let value = offset.clone().map_or(Json::Null, Json::Object);
                (offset_key(connector, partition), value)
            })
            .collect();
        self.write(entries).await
    }
}

/// Opens the store the worker config names.
pub async fn open(worker: &WorkerConfig) -> ConnectResult<Arc<dyn OffsetStore>> {
    Ok(match &worker.offset_storage {
        OffsetStorage::File(path) => Arc::new(FileOffsetStore::open(path.clone()).await?),
        OffsetStorage::Topic { .. } => Arc::new(KafkaOffsetStore::open(worker).await?),
    })
}

/// Offsets by key text, as both stores keep them in memory: the latest value of every key.
#[derive(Debug, Default, Clone)]
pub struct OffsetTable {
    entries: std::collections::BTreeMap<String, (Json, Json)>,
}

impl OffsetTable {
    /// Records `value` as the latest for `key`; a null value (a tombstone) removes the key.
    pub fn put(&mut self, key: Json, value: Json) {
        if value.is_null() {
            self.entries.remove(&key.to_string());
        } else {
            self.entries.insert(key.to_string(), (key, value));
        }
    }

    /// Every (key, value) pair, in key order.
    pub fn entries(&self) -> impl Iterator<Item = &(Json, Json)> {
        self.entries.values()
    }

    /// The committed offsets of one connector.
    pub fn snapshot(&self, connector: &str) -> ConnectResult<OffsetSnapshot> {
        let mut found = Vec::new();
        for (key, value) in self.entries.values() {
            let (name, partition) = parse_offset_key(key)?;
            if let (true, Json::Object(offset)) = (name == connector, value) {
                found.push((partition, offset.clone()));
            }
        }
        Ok(OffsetSnapshot::new(found))
    }

    /// The entries that committing `offsets` for `connector` writes.
    pub fn updates(connector: &str, offsets: &[(OffsetMap, OffsetMap)]) -> Vec<(Json, Json)> {
        offsets
            .iter()
            .map(|(p, o)| (offset_key(connector, p), Json::Object(o.clone())))
            .collect()
    }
}

/// The offset-topic key of a source partition: `["<connector>",{partition}]`.
pub fn offset_key(connector: &str, partition: &OffsetMap) -> Json {
    Json::Array(vec![
        Json::String(connector.to_string()),
        Json::Object(partition.clone()),
    ])
}

/// Splits an offset-topic key into connector name and partition.
pub fn parse_offset_key(key: &Json) -> ConnectResult<(String, OffsetMap)> {
    match key.as_array().map(Vec::as_slice) {
        Some([Json::String(connector), Json::Object(partition)]) => {
            Ok((connector.clone(), partition.clone()))
        }
        _ => Err(ConnectError::fatal(format!(
            "offset key {key} is not of the form [\"<connector>\",{{partition}}]"
        ))),
    }
}
