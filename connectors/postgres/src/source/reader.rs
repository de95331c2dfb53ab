//! Reads one table (or the custom query) a batch at a time and keeps its position.

use std::sync::Arc;

use sluice_api::{ConnectError, ConnectResult, OffsetMap, Record, Struct, Value};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{ToSql, WrongType};
use tokio_postgres::{Client, Row};

use super::config::Mode;
use super::decode::{PgTimestamp, read_value};
use super::describe::{Layout, Wanted, describe};
use super::offset::{INITIAL_INCREMENTING, INITIAL_TIMESTAMP_MICROS, Position};
use super::query::{Relation, Statements, build};
use crate::error::{classify, is_connection_lost};

/// What a reader reads and how, fixed when the task starts.
#[derive(Debug, Clone)]
pub struct ReaderSpec {
    pub relation: Relation,
    /// For error messages: `table public.orders` or `query`.
    pub what: String,
    pub topic: String,
    pub partition: OffsetMap,
    pub mode: Mode,
    pub batch_max_rows: usize,
    pub delay_ms: f64,
    pub incrementing_column: Option<String>,
    pub timestamp_columns: Vec<String>,
    pub schema_name: Option<String>,
}

/// The statements and result layout of a reader, learnt from the database once.
#[derive(Debug)]
struct Prepared {
    layout: Layout,
    statements: Statements,
}

/// One batch read, not yet taken into the reader's position.
#[derive(Debug)]
pub struct Batch {
    pub records: Vec<Record>,
    position: Position,
    /// Whether more rows are waiting: the query returned a full batch.
    pub more: bool,
}

/// Reads one table or query.
#[derive(Debug)]
pub struct TableReader {
    spec: ReaderSpec,
    /// Where the last emitted row stands (or the start, before any).
    position: Position,
    prepared: Option<Arc<Prepared>>,
}

impl TableReader {
    /// A reader resuming after `stored` (the committed offset, if any).
    pub fn new(spec: ReaderSpec, stored: Option<&OffsetMap>) -> ConnectResult<TableReader> {
        let stored = match stored {
            Some(offset) => Position::decode(offset, &spec.what)?,
            None => Position::default(),
        };
        let position = Position {
            incrementing: spec
                .mode
                .uses_incrementing()
                .then(|| stored.incrementing.unwrap_or(INITIAL_INCREMENTING)),
            timestamp_micros: spec
                .mode
                .uses_timestamp()
                .then(|| stored.timestamp_micros.unwrap_or(INITIAL_TIMESTAMP_MICROS)),
        };
        Ok(TableReader {
            spec,
            position,
            prepared: None,
        })
    }

    /// The next batch after the current position. Cancel-safe: nothing but the cache of the
    /// result layout changes until [`TableReader::advance`].
    pub async fn read(&mut self, client: &Client) -> ConnectResult<Batch> {
        let prepared = match &self.prepared {
            Some(prepared) => Arc::clone(prepared),
            None => {
                let prepared = Arc::new(self.prepare(client).await?);
                self.prepared = Some(Arc::clone(&prepared));
                prepared
            }
        };
        let spec = &self.spec;
        let n = spec.batch_max_rows;
        let timestamp = PgTimestamp(
            self.position
                .timestamp_micros
                .unwrap_or(INITIAL_TIMESTAMP_MICROS),
        );
        let incrementing = self.position.incrementing.unwrap_or(INITIAL_INCREMENTING);
        let statements = &prepared.statements;
        let (rows, more) = match spec.mode {
            Mode::Bulk => (self.query(client, &statements.batch, &[]).await?, false),
            Mode::Incrementing => {
                let rows = self
                    .query(client, &statements.batch, &[&incrementing])
                    .await?;
                let more = rows.len() >= n;
                (rows, more)
            }
            Mode::TimestampIncrementing => {
                let params: [&(dyn ToSql + Sync); 3] = [&timestamp, &incrementing, &spec.delay_ms];
                let rows = self.query(client, &statements.batch, &params).await?;
                let more = rows.len() >= n;
                (rows, more)
            }
            Mode::Timestamp => {
                let params: [&(dyn ToSql + Sync); 2] = [&timestamp, &spec.delay_ms];
                let mut rows = self.query(client, &statements.batch, &params).await?;
                let more = rows.len() > n;
                if more {
                    let timestamps = timestamps(&rows, &prepared)?;
                    let kept = complete_groups(&timestamps, n);
                    match (kept, statements.group.as_deref(), timestamps.first()) {
                        // One timestamp fills the whole batch: take its group whole, however
                        // large, since no position lies inside it.
                        (0, Some(group), Some(&first)) => {
                            rows = self.query(client, group, &[&PgTimestamp(first)]).await?;
                        }
                        _ => rows.truncate(kept),
                    }
                }
                (rows, more)
            }
        };
        let mut records = Vec::with_capacity(rows.len());
        let mut position = self.position;
        for row in &rows {
            let (record, row_position) = self.record(row, &prepared)?;
            records.push(record);
            position = row_position;
        }
        Ok(Batch {
            records,
            position,
            more,
        })
    }

    /// Takes a batch's position as the reader's own, once the batch is handed on.
    pub fn advance(&mut self, batch: &Batch) {
        self.position = batch.position;
    }

    /// Forgets the result layout, so that the next read asks the database again.
    pub fn forget_layout(&mut self) {
        self.prepared = None;
    }

    async fn prepare(&self, client: &Client) -> ConnectResult<Prepared> {
        let spec = &self.spec;
        let wanted = Wanted {
            what: &spec.what,
            mode: spec.mode,
            incrementing_column: spec.incrementing_column.as_deref(),
            timestamp_columns: &spec.timestamp_columns,
            schema_name: spec.schema_name.as_deref(),
        };
        let layout = describe(client, &spec.relation, wanted).await?;
        let items: Vec<String> = layout
            .columns
            .iter()
            .map(|c| c.kind.select_item(&c.name))
            .collect();
        let incrementing = layout
            .incrementing
            .map(|i| (layout.columns[i].name.as_str(), i));
        let statements = build(
            spec.mode,
            &spec.relation,
            &items,
            incrementing,
            &spec.timestamp_columns,
            spec.batch_max_rows,
        );
        tracing::debug!(what = %spec.what, query = %statements.batch, "source query");
        Ok(Prepared { layout, statements })
    }

    async fn query(
        &self,
        client: &Client,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> ConnectResult<Vec<Row>> {
        client.query(sql, params).await.map_err(|e| {
            let context = format!("cannot read {}", self.spec.what);
            if e.code() == Some(&SqlState::UNDEFINED_COLUMN) {
                // The statement was built from the columns the table had; it changed since.
                // Retrying describes it anew, and fails for good if a column the mode needs
                // is gone.
                let reason = e
                    .as_db_error()
                    .map_or_else(|| e.to_string(), |db| db.message().to_string());
                ConnectError::retriable(format!("{context}: {reason}; reading its columns again"))
                    .caused_by(e)
            } else if std::error::Error::source(&e).is_some_and(|s| s.is::<WrongType>()) {
                ConnectError::fatal(format!("{context}: {e}")).caused_by(e)
            } else if is_connection_lost(&e) {
                ConnectError::retriable(format!("{context}: connection lost: {e}")).caused_by(e)
            } else {
                classify(&e, &context)
            }
        })
    }

    /// The record of one row, carrying the row's own position.
    fn record(&self, row: &Row, prepared: &Prepared) -> ConnectResult<(Record, Position)> {
        let spec = &self.spec;
        let layout = &prepared.layout;
        let mut value = Struct::new();
        for (index, column) in layout.columns.iter().enumerate() {
            let field = read_value(row, index, column.kind).map_err(|reason| {
                ConnectError::fatal(format!(
                    "{}, column '{}': cannot read the value: {reason}",
                    spec.what, column.name
                ))
            })?;
            value.put(column.name.clone(), field);
        }
        let incrementing = match layout.incrementing {
            Some(index) => Some(
                integer(value.fields().get(index).map(|(_, v)| v)).ok_or_else(|| {
                    ConnectError::fatal(format!(
                        "{}: a row has no value in incrementing column '{}'",
                        spec.what, layout.columns[index].name
                    ))
                })?,
            ),
            None => None,
        };
        let timestamp_micros = match prepared.statements.timestamp_index {
            Some(index) => Some(timestamp_at(row, index, &spec.what)?),
            None => None,
        };
        let position = Position {
            timestamp_micros,
            incrementing,
        };
        let record = Record::new(spec.topic.clone())
            .with_value(Some(layout.schema.clone()), Value::Struct(value))
            .with_source(spec.partition.clone(), position.encode());
        Ok((record, position))
    }
}

/// The timestamps (µs) of the rows, from the combined-timestamp column.
fn timestamps(rows: &[Row], prepared: &Prepared) -> ConnectResult<Vec<i64>> {
    let index = prepared
        .statements
        .timestamp_index
        .ok_or_else(|| ConnectError::fatal("timestamp mode without a timestamp column"))?;
    rows.iter()
        .map(|row| timestamp_at(row, index, "the query"))
        .collect()
}

fn timestamp_at(row: &Row, index: usize, what: &str) -> ConnectResult<i64> {
    match row.try_get::<_, Option<PgTimestamp>>(index) {
        Ok(Some(ts)) => Ok(ts.0),
        Ok(None) => Err(ConnectError::fatal(format!(
            "{what}: a row has no timestamp (every timestamp column is null)"
        ))),
        Err(e) => Err(ConnectError::fatal(format!(
            "{what}: cannot read the timestamp: {e}"
        ))),
    }
}

fn integer(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Int16(n) => Some(i64::from(*n)),
        Value::Int32(n) => Some(i64::from(*n)),
        Value::Int64(n) => Some(*n),
        _ => None,
    }
}

/// How many of the first `limit` rows can be emitted so that no timestamp group is split:
/// `timestamps` (ascending) holds more than `limit` rows, and the rows sharing the timestamp
/// of row `limit` may continue beyond what was fetched, so they all wait. Zero when every
/// fetched row shares that timestamp.
pub fn complete_groups(timestamps: &[i64], limit: usize) -> usize {
    let Some(boundary) = timestamps.get(limit) else {
        return timestamps.len();
    };
    timestamps[..limit]
        .iter()
        .rposition(|ts| ts != boundary)
        .map_or(0, |last| last + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_splits_a_timestamp_group() {
        // Fewer rows than one more than the limit: everything is complete.
        assert_eq!(complete_groups(&[1, 2, 2], 3), 3);
        // The row past the limit shares the last kept timestamp: that group waits.
        assert_eq!(complete_groups(&[1, 2, 3, 3], 3), 2);
        assert_eq!(complete_groups(&[1, 1, 3, 3, 3], 4), 2);
        // The row past the limit starts a new group: the whole batch is complete.
        assert_eq!(complete_groups(&[1, 2, 3, 4], 3), 3);
        // One timestamp throughout: nothing can be emitted from this fetch.
        assert_eq!(complete_groups(&[5, 5, 5, 5], 3), 0);
    }
}
