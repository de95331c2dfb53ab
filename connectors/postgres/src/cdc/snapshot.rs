//! The snapshot: existing rows read as `op: r` inside a REPEATABLE READ transaction that
//! imported the slot's exported snapshot, so that streaming from the slot's consistent point
//! continues exactly where the snapshot's view of the data ends.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use sluice_api::{ConnectError, ConnectResult, Struct};
use tokio_postgres::{Client, SimpleQueryMessage};

use super::catalog::{describe, literal, published_tables};
use super::config::CdcConfig;
use super::lsn::Lsn;
use super::pgoutput::Datum;
use super::table::TableSchema;
use crate::error::classify;
use crate::ident::quote;

/// Session settings that make the text values parse as pgoutput's do.
pub const SESSION_SETTINGS: &str = "SET DateStyle = ISO; SET TimeZone = 'UTC'; \
    SET extra_float_digits = 3; SET bytea_output = 'hex'; SET IntervalStyle = 'iso_8601'";

/// A snapshot being read, one table at a time through a cursor.
pub struct Snapshot {
    client: Client,
    tables: VecDeque<(u32, String, String)>,
    current: Option<Arc<TableSchema>>,
    prefix: String,
    placeholder: String,
    fetch_size: usize,
    /// The slot's consistent point: streaming starts here.
    pub lsn: Lsn,
    /// When the snapshot started, microseconds since the epoch.
    pub ts_micros: i64,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("tables_left", &self.tables.len())
            .field("lsn", &self.lsn)
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    /// Opens the snapshot transaction on `client`, importing `exported` when the slot was just
    /// created with one, and lists the tables to read.
    pub async fn begin(
        client: Client,
        config: &CdcConfig,
        exported: Option<&str>,
        lsn: Lsn,
    ) -> ConnectResult<Snapshot> {
        let mut sql =
            format!("{SESSION_SETTINGS}; BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        if let Some(name) = exported {
            sql.push_str(&format!("; SET TRANSACTION SNAPSHOT {}", literal(name)));
        }
        client
            .batch_execute(&sql)
            .await
            .map_err(|e| classify(&e, "cannot open the snapshot transaction"))?;
        let tables = published_tables(&client, &config.publication_name, &config.tables).await?;
        tracing::info!(tables = tables.len(), %lsn, "snapshot started");
        Ok(Snapshot {
            client,
            tables: tables.into(),
            current: None,
            prefix: config.topic_prefix.clone(),
            placeholder: config.unavailable_placeholder.clone(),
            fetch_size: config.snapshot_fetch_size,
            lsn,
            ts_micros: super::event::now_micros(),
        })
    }

    /// The next rows, with their table; `None` once every table was read and the transaction
    /// closed.
    pub async fn next(&mut self) -> ConnectResult<Option<(Arc<TableSchema>, Vec<Struct>)>> {
        loop {
            let table = match &self.current {
                Some(table) => table.clone(),
                None => {
                    let Some((oid, schema, name)) = self.tables.pop_front() else {
                        self.execute("COMMIT").await?;
                        return Ok(None);
                    };
                    let description = describe(&self.client, oid).await?;
                    let table = Arc::new(TableSchema::new(
                        &self.prefix,
                        &schema,
                        &name,
                        description.columns,
                        description.full_identity,
                    ));
                    let columns = table
                        .columns
                        .iter()
                        .map(|c| quote(&c.name))
                        .collect::<Vec<_>>()
                        .join(", ");
                    self.execute(&format!(
                        "DECLARE sluice_snapshot NO SCROLL CURSOR FOR SELECT {columns} FROM {}.{}",
                        quote(&schema),
                        quote(&name)
                    ))
                    .await?;
                    self.current = Some(table.clone());
                    table
                }
            };
            let rows = self.fetch(&table).await?;
            if rows.is_empty() {
                self.execute("CLOSE sluice_snapshot").await?;
                tracing::info!(table = %format!("{}.{}", table.schema, table.table), "table snapshot done");
                self.current = None;
                continue;
            }
            return Ok(Some((table, rows)));
        }
    }

    async fn fetch(&self, table: &TableSchema) -> ConnectResult<Vec<Struct>> {
        let sql = format!("FETCH FORWARD {} FROM sluice_snapshot", self.fetch_size);
        let messages = self.client.simple_query(&sql).await.map_err(|e| {
            classify(
                &e,
                &format!("snapshot of {}.{} failed", table.schema, table.table),
            )
        })?;
        let mut rows = Vec::new();
        for message in messages {
            if let SimpleQueryMessage::Row(row) = message {
                let values: Vec<Datum> = (0..row.len())
                    .map(|i| match row.get(i) {
                        Some(text) => Datum::Text(Bytes::copy_from_slice(text.as_bytes())),
                        None => Datum::Null,
                    })
                    .collect();
                rows.push(
                    table
                        .row(&values, &self.placeholder)
                        .map_err(ConnectError::fatal)?,
                );
            }
        }
        Ok(rows)
    }

    async fn execute(&self, sql: &str) -> ConnectResult<()> {
        self.client
            .batch_execute(sql)
            .await
            .map_err(|e| classify(&e, "snapshot statement failed"))
    }
}
