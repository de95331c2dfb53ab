//! Source offset stores. Keys and values use Kafka Connect's format — key `["<connector>",{partition}]`,
//! value the offset map — so offsets move between Sluice and Kafka Connect.

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
    /// Stores offsets durably; returns only once they are durable.
    async fn commit(
        &self,
        connector: &str,
        offsets: &[(OffsetMap, OffsetMap)],
    ) -> ConnectResult<()>;
}

/// Opens the store the worker config names.
pub async fn open(worker: &WorkerConfig) -> ConnectResult<Arc<dyn OffsetStore>> {
    Ok(match &worker.offset_storage {
        OffsetStorage::File(path) => Arc::new(FileOffsetStore::open(path.clone()).await?),
        OffsetStorage::Topic { .. } => Arc::new(KafkaOffsetStore::open(worker).await?),
    })
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
