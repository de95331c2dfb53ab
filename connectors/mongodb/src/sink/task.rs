//! The sink task: each `put` turns its records into write models, groups them by topic and
//! namespace, and writes them before it returns, so `flush` has nothing left to do and the
//! runtime commits only offsets of records that are in MongoDB (or were handed to the errant
//! record reporter).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use mongodb::Client;
use mongodb::error::ErrorKind;
use sluice_api::{
    ConfigErrors, ConnectError, ConnectResult, ErrantRecordReporter, PartitionOffsets, Record,
    SinkTask, SinkTaskContext,
};

use super::config::{CONNECTION_URI, SinkConfig, TopicSettings};
use super::document::{SinkDocument, record_error};
use super::errors::classify;
use super::namespace::{self, Namespace};
use super::post_processor;
use super::write_model::{DeleteModelKind, WriteModel, id_filter};
use super::writer::{BulkOptions, BulkWriter};

/// Writes records into MongoDB collections.
#[derive(Default)]
pub struct MongoSinkTask {
    state: Option<Running>,
}

struct Running {
    config: SinkConfig,
    writer: BulkWriter,
    reporter: Arc<dyn ErrantRecordReporter>,
    /// Records of a put that failed part-way that were written or reported already, so that
    /// the runtime's redelivery of the same batch neither writes nor reports them twice.
    settled: HashSet<(String, i32, i64)>,
    bulk_writes: u64,
    written: u64,
}

/// The writes of one topic into one namespace, in record order.
struct Group {
    topic: String,
    namespace: Namespace,
    models: Vec<WriteModel>,
    /// Index in the put's records of each model.
    origins: Vec<usize>,
}

#[async_trait]
impl SinkTask for MongoSinkTask {
    async fn start(&mut self, ctx: SinkTaskContext) -> ConnectResult<()> {
        let config = SinkConfig::parse(&ctx.config)?;
        let client = Client::with_uri_str(&config.connection_uri)
            .await
            .map_err(|err| match err.kind.as_ref() {
                ErrorKind::InvalidArgument { message, .. } => {
                    ConnectError::Config(ConfigErrors::one(CONNECTION_URI, message.clone()))
                }
                _ => classify(err, "cannot create the MongoDB client"),
            })?;
        self.state = Some(Running {
            config,
            writer: BulkWriter::new(client),
            reporter: ctx.reporter,
            settled: HashSet::new(),
            bulk_writes: 0,
            written: 0,
        });
        Ok(())
    }

    async fn put(&mut self, records: &[Record]) -> ConnectResult<()> {
        let state = self
            .state
            .as_mut()
            .ok_or_else(|| ConnectError::fatal("mongodb sink task used before it was started"))?;
        state.put(records).await
    }

    /// Every `put` wrote its records before returning.
    async fn flush(&mut self, _offsets: &PartitionOffsets) -> ConnectResult<()> {
        Ok(())
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        if let Some(state) = self.state.take() {
            tracing::info!(documents = state.written, "mongodb sink task stopped");
        }
        Ok(())
    }
}

impl Running {
    async fn put(&mut self, records: &[Record]) -> ConnectResult<()> {
        let mut groups: Vec<Group> = Vec::new();
        let mut by_target: HashMap<(String, Namespace), usize> = HashMap::new();
        for (index, record) in records.iter().enumerate() {
            let coordinates = coordinates(record);
            if coordinates
                .as_ref()
                .is_some_and(|c| self.settled.contains(c))
            {
                continue;
            }
            let settings = self.config.for_topic(&record.topic);
            match prepare(settings, record) {
                Ok(Some((namespace, model))) => {
                    let target = (record.topic.clone(), namespace);
                    let slot = *by_target.entry(target.clone()).or_insert_with(|| {
                        groups.push(Group {
                            topic: target.0.clone(),
                            namespace: target.1.clone(),
                            models: Vec::new(),
                            origins: Vec::new(),
                        });
                        groups.len() - 1
                    });
                    groups[slot].models.push(model);
                    groups[slot].origins.push(index);
                }
                Ok(None) => self.settle(record),
                Err(err) => {
                    self.report(record, err)?;
                    self.settle(record);
                }
            }
        }
        for group in &groups {
            self.write_group(group, records).await?;
        }
        self.settled.clear();
        Ok(())
    }

    async fn write_group(&mut self, group: &Group, records: &[Record]) -> ConnectResult<()> {
        let settings = self.config.for_topic(&group.topic);
        let options = BulkOptions {
            ordered: settings.ordered,
            max_retries: settings.max_retries,
            retry_defer: settings.retry_defer,
        };
        let (every, pause) = (settings.rate_limit_every, settings.rate_limit_timeout);
        let chunk = match settings.max_batch_size {
            0 => group.models.len().max(1),
            n => n,
        };
        let writer = self.writer.clone();
        let reporter = self.reporter.clone();
        for (models, origins) in group.models.chunks(chunk).zip(group.origins.chunks(chunk)) {
            let mut reported = Vec::new();
            let mut on_failure = |k: usize, reason: String| -> ConnectResult<()> {
                let record = &records[origins[k]];
                let error = record_error(
                    record,
                    &format!("write to {} rejected: {reason}", group.namespace),
                );
                tracing::debug!(record = %record.coordinates(), error = %error, "document not written");
                reporter.report(record, error)?;
                reported.push(origins[k]);
                Ok(())
            };
            let result = writer
                .write(&group.namespace, models, &options, &mut on_failure)
                .await;
            for &i in &reported {
                self.settle(&records[i]);
            }
            self.written += result? as u64;
            for &i in origins {
                self.settle(&records[i]);
            }
            self.bulk_writes += 1;
            if every > 0 && self.bulk_writes.is_multiple_of(u64::from(every)) && !pause.is_zero() {
                tracing::debug!(pause_ms = pause.as_millis() as u64, "rate limiting");
                tokio::time::sleep(pause).await;
            }
        }
        Ok(())
    }

    fn settle(&mut self, record: &Record) {
        if let Some(c) = coordinates(record) {
            self.settled.insert(c);
        }
    }

    fn report(&self, record: &Record, err: ConnectError) -> ConnectResult<()> {
        tracing::debug!(record = %record.coordinates(), error = %err, "record not written");
        self.reporter.report(record, err)
    }
}

fn coordinates(record: &Record) -> Option<(String, i32, i64)> {
    Some((
        record.topic.clone(),
        record.partition.unwrap_or(0),
        record.kafka_offset?,
    ))
}

/// The namespace and write of one record; `Ok(None)` when it writes nothing (a tombstone
/// without `delete.on.null.values`, a CDC tombstone or event without a document).
pub fn prepare(
    settings: &TopicSettings,
    record: &Record,
) -> ConnectResult<Option<(Namespace, WriteModel)>> {
    let fail = |reason: String| record_error(record, &reason);
    let mut doc = SinkDocument::from_record(record)?;
    let namespace = namespace::resolve(settings, &record.topic, &doc).map_err(fail)?;
    if let Some(handler) = settings.cdc {
        // CDC events carry their own ids; post processors do not apply to them.
        let model = handler.handle(&doc).map_err(fail)?;
        return Ok(model.map(|m| (namespace, m)));
    }
    if doc.value.is_none() {
        if !settings.delete_on_null_values {
            tracing::debug!(record = %record.coordinates(), "null value skipped (delete.on.null.values is false)");
            return Ok(None);
        }
        let id = settings.id_strategy.generate(&doc, record).map_err(fail)?;
        let model = match settings.delete_model {
            DeleteModelKind::DeleteOneDefault => WriteModel::Delete {
                filter: id_filter(id),
            },
        };
        return Ok(Some((namespace, model)));
    }
    post_processor::apply(
        &settings.post_processors,
        &settings.id_strategy,
        &mut doc,
        record,
    )
    .map_err(fail)?;
    let model = settings.write_model.build(&doc).map_err(fail)?;
    Ok(Some((namespace, model)))
}

#[cfg(test)]
mod tests;
