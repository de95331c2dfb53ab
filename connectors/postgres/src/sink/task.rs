//! The sink task: each `put` turns its records into batches (one table and column list each,
//! at most `batch.size` rows) and writes them before returning, so `flush` has nothing left to
//! do. A batch failing on bad data is split in halves until the bad records are found; those go
//! to the errant-record reporter (`errors.tolerance` / dead-letter queue) and the rest is written.

use std::sync::Arc;

use async_trait::async_trait;
use sluice_api::{
    ConnectError, ConnectResult, ErrantRecordReporter, PartitionOffsets, Record, SinkTask,
    SinkTaskContext,
};

use super::batch::Batch;
use super::change::{self, Change};
use super::config::{InsertMode, PkMode, SinkConfig};
use super::layout;
use super::shapes::ShapeCache;
use super::table::{Shape, Tables};
use super::writer::Writer;
use crate::ident::TableId;

/// Writes records into PostgreSQL tables.
#[derive(Default)]
pub struct PostgresSinkTask {
    state: Option<Running>,
}

struct Running {
    config: SinkConfig,
    writer: Writer,
    tables: Tables,
    shapes: ShapeCache,
    reporter: Arc<dyn ErrantRecordReporter>,
    /// How far a failed `put` got, so that the same records delivered again are not written twice.
    resume: Option<Resume>,
    written: u64,
}

/// The first record of a failed `put` and how many of its records were written.
#[derive(Debug, Clone, PartialEq)]
struct Resume {
    first: (String, Option<i32>, Option<i64>),
    done: usize,
}

fn coordinates(record: &Record) -> (String, Option<i32>, Option<i64>) {
    (record.topic.clone(), record.partition, record.kafka_offset)
}

#[async_trait]
impl SinkTask for PostgresSinkTask {
    async fn start(&mut self, ctx: SinkTaskContext) -> ConnectResult<()> {
        let mut config = SinkConfig::parse(&ctx.config)?;
        // Names the task's sessions in pg_stat_activity.
        config
            .connection
            .pg
            .application_name(format!("sluice-{}-{}", ctx.connector, ctx.task_id));
        let mut writer = Writer::new(config.connection.clone());
        // Fail at start on a wrong URL or password rather than at the first record.
        writer.client().await?;
        self.state = Some(Running {
            config,
            writer,
            tables: Tables::default(),
            shapes: ShapeCache::default(),
            reporter: ctx.reporter,
            resume: None,
            written: 0,
        });
        Ok(())
    }

    async fn put(&mut self, records: &[Record]) -> ConnectResult<()> {
        let state = self
            .state
            .as_mut()
            .ok_or_else(|| ConnectError::fatal("postgres sink task used before it was started"))?;
        state.put(records).await
    }

    /// Every `put` wrote its records before returning.
    async fn flush(&mut self, _offsets: &PartitionOffsets) -> ConnectResult<()> {
        Ok(())
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        if let Some(state) = self.state.take() {
            tracing::info!(rows = state.written, "postgres sink task stopped");
        }
        Ok(())
    }
}

impl Running {
    async fn put(&mut self, records: &[Record]) -> ConnectResult<()> {
        let skip = match (&self.resume, records.first()) {
            (Some(resume), Some(first)) if resume.first == coordinates(first) => resume.done,
            _ => 0,
        };
        self.resume = None;
        let mut batch: Option<Batch> = None;
        for (index, record) in records.iter().enumerate().skip(skip) {
            let change = match change::of_record(record, self.config.delete_enabled) {
                Ok(Change::Skip(why)) => {
                    tracing::debug!(record = %record.coordinates(), "skipping {why}");
                    continue;
                }
                Ok(change) => change,
                Err(err) => {
                    self.report(record, err)?;
                    continue;
                }
            };
            let shape = match self.shape(record, &change).await {
                Ok(shape) => shape,
                Err(err) if err.is_record_level() => {
                    self.report(record, err)?;
                    continue;
                }
                Err(err) => return self.fail(records, batch.as_ref(), index, err),
            };
            let (image, delete) = match change {
                Change::Write(image) => (Some(image), false),
                Change::Delete(before) => (before, true),
                Change::Skip(_) => continue,
            };
            let separate_deletes = self.config.insert_mode == InsertMode::Insert;
            let full = batch.as_ref().is_some_and(|b| {
                b.len() >= self.config.batch_size || !b.accepts(&shape, delete, separate_deletes)
            });
            if let Some(done) = batch.take_if(|_| full)
                && let Err(err) = self.write(&done, records).await
            {
                return self.fail(records, Some(&done), index, err);
            }
            let current = batch.get_or_insert_with(|| Batch::new(shape));
            if let Err(err) = current.push(index, record, image, delete) {
                self.report(record, err)?;
            }
        }
        if let Some(done) = batch.take()
            && let Err(err) = self.write(&done, records).await
        {
            return self.fail(records, Some(&done), records.len(), err);
        }
        Ok(())
    }

    /// Remembers where a retriable failure stopped this `put`, then returns the error.
    fn fail(
        &mut self,
        records: &[Record],
        pending: Option<&Batch>,
        next: usize,
        err: ConnectError,
    ) -> ConnectResult<()> {
        if err.is_retriable() {
            let done = pending
                .and_then(|b| b.rows().first())
                .map_or(next, |row| row.record);
            self.resume = records.first().map(|first| Resume {
                first: coordinates(first),
                done,
            });
        }
        Err(err)
    }

    fn report(&self, record: &Record, err: ConnectError) -> ConnectResult<()> {
        tracing::debug!(record = %record.coordinates(), error = %err, "record not written");
        self.reporter.report(record, err)
    }

    /// The shape of `record`, resolved against its table once per record form.
    async fn shape(&mut self, record: &Record, change: &Change<'_>) -> ConnectResult<Arc<Shape>> {
        if let Some(shape) = self.shapes.get(record, change) {
            return Ok(shape);
        }
        let table = TableId::parse(&self.config.table_name(&record.topic)).map_err(|reason| {
            ConnectError::fatal(format!(
                "table.name.format gives an invalid table name for topic {}: {reason}",
                record.topic
            ))
        })?;
        let layout = layout::of_record(&self.config, record, change)?;
        if layout.pk.is_empty() && layout.values.is_empty() {
            return Err(ConnectError::data(format!(
                "record {} has no fields to write",
                record.coordinates()
            )));
        }
        let client = self.writer.client().await?;
        let shape = Arc::new(
            self.tables
                .resolve(client, &self.config, &table, &layout)
                .await?,
        );
        self.shapes.insert(record, change, Arc::clone(&shape));
        Ok(shape)
    }

    /// Writes a batch: retried on transient failures, split on bad data.
    async fn write(&mut self, batch: &Batch, records: &[Record]) -> ConnectResult<()> {
        let dedupe =
            self.config.insert_mode != InsertMode::Insert && self.config.pk_mode != PkMode::Kafka;
        let rows = if dedupe {
            batch.latest_per_key()
        } else {
            (0..batch.len()).collect()
        };
        // Halves of a failing part are written first-half first, keeping the order of changes.
        let mut parts = vec![rows];
        while let Some(part) = parts.pop() {
            match self.write_with_retries(batch, &part).await {
                Ok(()) => self.written += part.len() as u64,
                Err(err) if err.is_record_level() && part.len() > 1 => {
                    let (first, second) = part.split_at(part.len() / 2);
                    parts.push(second.to_vec());
                    parts.push(first.to_vec());
                }
                Err(err) if err.is_record_level() => {
                    let record = &records[batch.rows()[part[0]].record];
                    self.report(record, err)?;
                }
                Err(err) => {
                    if !err.is_retriable() {
                        // The table may have changed under the sink; look again after a restart.
                        self.tables.forget(&batch.shape.table);
                        self.shapes.clear();
                    }
                    return Err(err);
                }
            }
        }
        Ok(())
    }

    async fn write_with_retries(&mut self, batch: &Batch, rows: &[usize]) -> ConnectResult<()> {
        let mut attempt = 0;
        loop {
            match self
                .writer
                .write(batch, rows, self.config.insert_mode)
                .await
            {
                Err(err) if err.is_retriable() && attempt < self.config.max_retries => {
                    attempt += 1;
                    tracing::warn!(
                        table = %batch.shape.table,
                        attempt,
                        max_retries = self.config.max_retries,
                        error = %err,
                        "write failed; retrying"
                    );
                    tokio::time::sleep(self.config.retry_backoff).await;
                }
                other => return other,
            }
        }
    }
}
