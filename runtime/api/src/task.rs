//! Tasks: the units that move data. The runtime owns delivery; tasks own the external system.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;

use crate::config::Props;
use crate::error::{ConnectError, ConnectResult};
use crate::record::{OffsetMap, Record};

/// A Kafka topic partition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

/// Next offset to consume per partition: what a sink flush covers.
pub type PartitionOffsets = BTreeMap<TopicPartition, i64>;

/// The committed source offsets of a connector, as loaded when its task starts.
#[derive(Debug, Clone, Default)]
pub struct OffsetSnapshot {
    offsets: HashMap<String, (OffsetMap, OffsetMap)>,
}

impl OffsetSnapshot {
    /// Builds a snapshot from `(partition, offset)` pairs.
    pub fn new(entries: impl IntoIterator<Item = (OffsetMap, OffsetMap)>) -> Self {
        let offsets = entries
            .into_iter()
            .map(|(partition, offset)| (partition_key(&partition), (partition, offset)))
            .collect();
        OffsetSnapshot { offsets }
    }

    /// The last committed offset of a source partition.
    pub fn offset(&self, partition: &OffsetMap) -> Option<&OffsetMap> {
        self.offsets.get(&partition_key(partition)).map(|(_, o)| o)
    }

    /// Every `(partition, offset)` pair, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = (&OffsetMap, &OffsetMap)> {
        self.offsets.values().map(|(p, o)| (p, o))
    }
}

/// Canonical text of a source partition (serde_json maps are sorted, so equal maps match).
fn partition_key(partition: &OffsetMap) -> String {
    serde_json::Value::Object(partition.clone()).to_string()
}

/// What a source task is given when it starts.
#[derive(Debug, Clone)]
pub struct SourceTaskContext {
    pub connector: String,
    pub task_id: u32,
    /// The task's config (from the connector's `task_configs`).
    pub config: Props,
    pub offsets: OffsetSnapshot,
}

/// Takes records a sink task could not write, so that one bad record does not stop the task.
pub trait ErrantRecordReporter: Send + Sync {
    /// Reports `record` as failed. `Ok` means the runtime took it (skipped, logged or sent to the
    /// dead-letter queue per `errors.*`) and the task should go on; `Err` means the configured
    /// tolerance is exceeded and the task should return that error.
    fn report(&self, record: &Record, error: ConnectError) -> ConnectResult<()>;
}

/// What a sink task is given when it starts.
#[derive(Clone)]
pub struct SinkTaskContext {
    pub connector: String,
    pub task_id: u32,
    pub config: Props,
    /// Where to report records that fail inside `put`, as Kafka Connect's ErrantRecordReporter.
    pub reporter: Arc<dyn ErrantRecordReporter>,
}

impl std::fmt::Debug for SinkTaskContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkTaskContext")
            .field("connector", &self.connector)
            .field("task_id", &self.task_id)
            .finish_non_exhaustive()
    }
}

/// A reporter that accepts nothing: every report fails, as with `errors.tolerance=none`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTolerance;

impl ErrantRecordReporter for NoTolerance {
    fn report(&self, _record: &Record, error: ConnectError) -> ConnectResult<()> {
        Err(error)
    }
}

/// Produces records from an external system.
#[async_trait]
pub trait SourceTask: Send {
    async fn start(&mut self, ctx: SourceTaskContext) -> ConnectResult<()>;
    /// The next records. An empty batch means nothing is available now; the task should wait
    /// a little inside `poll` rather than return at once. Must be safe to cancel between awaits.
    async fn poll(&mut self) -> ConnectResult<Vec<Record>>;
    /// Called after the runtime committed offsets, for sources that acknowledge upstream.
    async fn commit(&mut self) -> ConnectResult<()> {
        Ok(())
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

/// Consumes records into an external system.
#[async_trait]
pub trait SinkTask: Send {
    async fn start(&mut self, ctx: SinkTaskContext) -> ConnectResult<()>;
    /// Partitions newly assigned to this task.
    async fn open(&mut self, _partitions: &[TopicPartition]) -> ConnectResult<()> {
        Ok(())
    }
    /// Writes (or buffers) records. Buffered records must be durable once `flush` returns.
    /// Records are borrowed so that the runtime can deliver the same batch again after a
    /// retriable error, as Kafka Connect does.
    async fn put(&mut self, records: &[Record]) -> ConnectResult<()>;
    /// Makes everything given to `put` durable; the runtime then commits `offsets`.
    async fn flush(&mut self, offsets: &PartitionOffsets) -> ConnectResult<()>;
    /// Partitions taken away from this task.
    async fn close(&mut self, _partitions: &[TopicPartition]) -> ConnectResult<()> {
        Ok(())
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}
