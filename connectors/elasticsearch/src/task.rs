//! The sink task: each `put` turns its records into bulk operations and writes them before it
//! returns, so `flush` has nothing left to do and the runtime commits only offsets of records
//! that are in the index (or were routed by the malformed-document and error policies).

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use sluice_api::{
    ConnectError, ConnectResult, ErrantRecordReporter, PartitionOffsets, Record, SinkTask,
    SinkTaskContext,
};

use crate::client::Cluster;
use crate::config::{MalformedDocuments, SinkConfig, WriteMethod};
use crate::document::{self, Operation};
use crate::mapping;
use crate::response::Outcome;
use crate::writer::BulkWriter;

/// The framework key that names the dead-letter topic.
const DLQ_TOPIC: &str = "errors.deadletterqueue.topic.name";

/// Writes records into Elasticsearch or OpenSearch indexes.
#[derive(Default)]
pub struct ElasticsearchSinkTask {
    state: Option<Running>,
}

struct Running {
    config: SinkConfig,
    writer: BulkWriter,
    reporter: Arc<dyn ErrantRecordReporter>,
    /// Whether the connector has a dead-letter queue, where ignored or warned-about malformed
    /// documents still go.
    dead_letter_queue: bool,
    /// Indexes known to exist, so that each is checked once.
    known_indexes: HashSet<String>,
    written: u64,
}

#[async_trait]
impl SinkTask for ElasticsearchSinkTask {
    async fn start(&mut self, ctx: SinkTaskContext) -> ConnectResult<()> {
        let config = SinkConfig::parse(&ctx.config)?;
        let cluster = Cluster::connect(&config.connection)?;
        let writer = BulkWriter {
            cluster,
            batch_size: config.batch_size,
            bulk_size_bytes: config.bulk_size_bytes,
            max_in_flight: config.max_in_flight,
            max_retries: config.max_retries,
            retry_backoff: config.retry_backoff,
        };
        let dead_letter_queue = ctx
            .config
            .get(DLQ_TOPIC)
            .is_some_and(|t| !t.trim().is_empty());
        self.state = Some(Running {
            config,
            writer,
            reporter: ctx.reporter,
            dead_letter_queue,
            known_indexes: HashSet::new(),
            written: 0,
        });
        Ok(())
    }

    async fn put(&mut self, records: &[Record]) -> ConnectResult<()> {
        let state = self.state.as_mut().ok_or_else(|| {
            ConnectError::fatal("elasticsearch sink task used before it was started")
        })?;
        let timeout = state.config.flush_timeout;
        match tokio::time::timeout(timeout, state.put(records)).await {
            Ok(result) => result,
            Err(_) => Err(ConnectError::retriable(format!(
                "writing {} records took longer than flush.timeout.ms ({} ms)",
                records.len(),
                timeout.as_millis()
            ))),
        }
    }

    /// Every `put` wrote its records before returning.
    async fn flush(&mut self, _offsets: &PartitionOffsets) -> ConnectResult<()> {
        Ok(())
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        if let Some(state) = self.state.take() {
            tracing::info!(documents = state.written, "elasticsearch sink task stopped");
        }
        Ok(())
    }
}

impl Running {
    async fn put(&mut self, records: &[Record]) -> ConnectResult<()> {
        let mut ops: Vec<Operation> = Vec::with_capacity(records.len());
        let mut origins: Vec<usize> = Vec::with_capacity(records.len());
        for (index, record) in records.iter().enumerate() {
            match document::operation(&self.config, record) {
                Ok(Some(op)) => {
                    self.ensure_index(record, &op.index).await?;
                    ops.push(op);
                    origins.push(index);
                }
                Ok(None) => {}
                Err(err) => self.report(record, err)?,
            }
        }
        if ops.is_empty() {
            return Ok(());
        }
        let in_order = self.config.write_method == WriteMethod::Upsert;
        let outcomes = self.writer.write(&ops, in_order).await?;
        // A failed item fails the task; rejected items fail the put (the runtime delivers the
        // records again, and written ones are then no-ops); only then are malformed ones routed,
        // so that a redelivery does not route them twice.
        for (outcome, &origin) in outcomes.iter().zip(&origins) {
            if let Outcome::Failed(reason) = outcome {
                return Err(ConnectError::fatal(format!(
                    "Indexing record {} failed: {reason}",
                    records[origin].coordinates()
                )));
            }
        }
        let rejected: Vec<&str> = outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Retry(reason) => Some(reason.as_str()),
                _ => None,
            })
            .collect();
        if let Some(first) = rejected.first() {
            return Err(ConnectError::retriable(format!(
                "{} bulk items still rejected after {} retries, e.g. {first}",
                rejected.len(),
                self.config.max_retries
            )));
        }
        for (outcome, &origin) in outcomes.iter().zip(&origins) {
            match outcome {
                Outcome::Malformed(reason) => self.malformed(&records[origin], reason)?,
                Outcome::Replayed => tracing::debug!(
                    record = %records[origin].coordinates(),
                    "already indexed at this or a later offset"
                ),
                _ => self.written += 1,
            }
        }
        Ok(())
    }

    /// Creates the index of a record with a mapping from its schema, once, when it is missing.
    async fn ensure_index(&mut self, record: &Record, index: &str) -> ConnectResult<()> {
        if self.known_indexes.contains(index) || !self.config.uses_schema(&record.topic) {
            return Ok(());
        }
        let Some(mappings) = record.value_schema.as_deref().and_then(mapping::mappings) else {
            return Ok(());
        };
        let cluster = &self.writer.cluster;
        if !cluster.index_exists(index).await? {
            cluster.create_index(index, &mappings).await?;
            tracing::info!(index, "created index with a mapping from the record schema");
        }
        self.known_indexes.insert(index.to_string());
        Ok(())
    }

    fn malformed(&self, record: &Record, reason: &str) -> ConnectResult<()> {
        let error = ConnectError::data(format!(
            "document of record {} rejected: {reason}",
            record.coordinates()
        ));
        match self.config.malformed {
            MalformedDocuments::Fail => return self.report(record, error),
            MalformedDocuments::Warn => {
                tracing::warn!(record = %record.coordinates(), reason, "malformed document skipped")
            }
            MalformedDocuments::Ignore => {
                tracing::debug!(record = %record.coordinates(), reason, "malformed document skipped")
            }
        }
        if self.dead_letter_queue {
            self.report(record, error)?;
        }
        Ok(())
    }

    fn report(&self, record: &Record, err: ConnectError) -> ConnectResult<()> {
        tracing::debug!(record = %record.coordinates(), error = %err, "record not indexed");
        self.reporter.report(record, err)
    }
}
