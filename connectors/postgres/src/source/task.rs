//! The source task: queries each of its tables at most once per `poll.interval.ms` (at once
//! again while full batches come back) and hands on the rows of one query per poll.

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;
use sluice_api::{ConnectError, ConnectResult, Record, SourceTask, SourceTaskContext};
use tokio::time::Instant;
use tokio_postgres::Client;

use super::config::{SourceConfig, TASK_AMBIGUOUS_NAMES, TASK_TABLES, Target};
use super::offset::{query_partition, table_partition};
use super::query::Relation;
use super::reader::{ReaderSpec, TableReader};
use crate::error::classify;
use crate::ident::TableId;

/// Longest single wait inside `poll`, so the task loop regains control often enough to commit
/// offsets while every table is waiting for its next turn.
const IDLE_STEP: Duration = Duration::from_millis(100);

/// Reads the tables (or the query) of one task.
#[derive(Debug, Default)]
pub struct PostgresSourceTask {
    state: Option<TaskState>,
}

/// Everything `poll` changes, so that a cancelled `poll` loses nothing.
#[derive(Debug)]
struct TaskState {
    config: SourceConfig,
    /// Made on the first poll, and again after the connection was lost.
    client: Option<Client>,
    readers: Vec<ScheduledReader>,
}

#[derive(Debug)]
struct ScheduledReader {
    reader: TableReader,
    due: Instant,
}

#[async_trait]
impl SourceTask for PostgresSourceTask {
    async fn start(&mut self, ctx: SourceTaskContext) -> ConnectResult<()> {
        let config = SourceConfig::parse(&ctx.config)?;
        let specs = reader_specs(&config, &ctx.config)?;
        let now = Instant::now();
        let readers = specs
            .into_iter()
            .map(|spec| {
                let stored = ctx.offsets.offset(&spec.partition);
                if let Some(offset) = stored {
                    tracing::info!(what = %spec.what, offset = %serde_json::Value::Object(offset.clone()), "resuming");
                }
                Ok(ScheduledReader {
                    reader: TableReader::new(spec, stored)?,
                    due: now,
                })
            })
            .collect::<ConnectResult<Vec<_>>>()?;
        self.state = Some(TaskState {
            config,
            client: None,
            readers,
        });
        Ok(())
    }

    /// Cancel-safe: a reader's position and schedule change only after its query returned,
    /// with no await between that and returning the rows.
    async fn poll(&mut self) -> ConnectResult<Vec<Record>> {
        let state = self.state.as_mut().ok_or_else(|| {
            ConnectError::fatal("PostgreSQL source task polled before it was started")
        })?;
        loop {
            let Some(next) = state
                .readers
                .iter()
                .enumerate()
                .min_by_key(|(_, r)| r.due)
                .map(|(i, _)| i)
            else {
                tokio::time::sleep(IDLE_STEP).await;
                return Ok(Vec::new());
            };
            let wait = state.readers[next]
                .due
                .saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                tokio::time::sleep(wait.min(IDLE_STEP)).await;
                return Ok(Vec::new());
            }
            if state.client.is_none() {
                state.client = Some(connect(&state.config).await?);
            }
            let Some(client) = state.client.as_ref() else {
                continue;
            };
            let started = Instant::now();
            let scheduled = &mut state.readers[next];
            match scheduled.reader.read(client).await {
                Ok(batch) => {
                    scheduled.reader.advance(&batch);
                    scheduled.due = if batch.more {
                        Instant::now()
                    } else {
                        started + state.config.poll_interval
                    };
                    if !batch.records.is_empty() {
                        return Ok(batch.records);
                    }
                }
                Err(err) => {
                    if client.is_closed() || err.is_retriable() {
                        // Reconnect on the next poll, and describe the table anew in case it
                        // changed while the database was away.
                        state.client = None;
                        scheduled.reader.forget_layout();
                    }
                    return Err(err);
                }
            }
        }
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        self.state = None;
        Ok(())
    }
}

/// A connection whose session reads `timestamp without time zone` values, and compares them
/// with `now()`, as UTC.
async fn connect(config: &SourceConfig) -> ConnectResult<Client> {
    let client = config.connection.connect("source task").await?;
    client
        .batch_execute("SET TIME ZONE 'UTC'")
        .await
        .map_err(|e| classify(&e, "cannot set the session time zone"))?;
    Ok(client)
}

/// What each reader of the task reads: the custom query, or the tables the connector gave it.
fn reader_specs(
    config: &SourceConfig,
    props: &sluice_api::Props,
) -> ConnectResult<Vec<ReaderSpec>> {
    let base = |relation, what: String, topic: String, partition, schema_name| ReaderSpec {
        relation,
        what,
        topic,
        partition,
        mode: config.mode,
        batch_max_rows: config.batch_max_rows,
        delay_ms: config.timestamp_delay.as_secs_f64() * 1000.0,
        incrementing_column: config.incrementing_column.clone(),
        timestamp_columns: if config.mode.uses_timestamp() {
            config.timestamp_columns.clone()
        } else {
            Vec::new()
        },
        schema_name,
    };
    if let Target::Query(query) = &config.target {
        return Ok(vec![base(
            Relation::Query(query.clone()),
            "query".to_string(),
            config.topic_prefix.clone(),
            query_partition(),
            None,
        )]);
    }
    let list = |key: &str| -> Vec<String> {
        props
            .get(key)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    let ambiguous: BTreeSet<String> = list(TASK_AMBIGUOUS_NAMES).into_iter().collect();
    let tables = list(TASK_TABLES);
    if tables.is_empty() {
        return Err(ConnectError::fatal(format!(
            "PostgreSQL source task config has no '{TASK_TABLES}': tasks get their tables from the connector"
        )));
    }
    tables
        .iter()
        .map(|entry| {
            let table = TableId::parse(entry).map_err(|reason| {
                ConnectError::fatal(format!("task config '{TASK_TABLES}': {reason}"))
            })?;
            let partition_name = if ambiguous.contains(&table.table) {
                table.to_string()
            } else {
                table.table.clone()
            };
            Ok(base(
                Relation::Table(table.clone()),
                format!("table {table}"),
                format!("{}{}", config.topic_prefix, table.table),
                table_partition(&partition_name),
                Some(table.table.clone()),
            ))
        })
        .collect()
}
