//! Writes batches over one connection. Inserts without deletes, and upserts whose keys are all
//! new, go straight into the table with COPY; everything else is COPYed into a session-local
//! staging table and merged with one statement per kind of change, inside one transaction per
//! batch:
//!
//! ```sql
//! COPY pg_temp.sluice_stage_1 (id, name, __sluice_delete) FROM STDIN;
//! DELETE FROM orders t USING pg_temp.sluice_stage_1 s WHERE s.__sluice_delete AND t.id = s.id;
//! INSERT INTO orders (id, name) SELECT id, name FROM pg_temp.sluice_stage_1
//!   WHERE NOT __sluice_delete ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name;
//! ```
//!
//! Measured against multi-row `INSERT … VALUES … ON CONFLICT` statements (docs/benchmarks.md),
//! COPY plus one merge wrote upserts about three times faster.

use std::collections::HashMap;

use bytes::Bytes;
use futures::SinkExt;
use sluice_api::{ConnectError, ConnectResult};
use tokio_postgres::Client;

use super::batch::Batch;
use super::config::InsertMode;
use super::table::Shape;
use crate::connection::ConnectionConfig;
use crate::error::classify;
use crate::ident::{TableId, quote};

/// The staging table's flag column: true for rows to delete.
const DELETE_FLAG: &str = "__sluice_delete";
/// Batches merged, after an upsert batch met existing keys, before plain COPY is tried again.
const MERGE_AFTER_CONFLICT: u32 = 64;

/// A connection and the staging tables created on it.
pub struct Writer {
    connection: ConnectionConfig,
    client: Option<Client>,
    /// Staging table per column list (names and types), on the current connection.
    stages: HashMap<String, String>,
    created: usize,
    /// Counts connections made, so a name from `stages` is known to belong to the current one.
    connections: u64,
    /// Upsert batches left to merge before trying plain COPY again, per table.
    merge_only: HashMap<TableId, u32>,
}

impl Writer {
    pub fn new(connection: ConnectionConfig) -> Self {
        Writer {
            connection,
            client: None,
            stages: HashMap::new(),
            created: 0,
            connections: 0,
            merge_only: HashMap::new(),
        }
    }

    /// The open connection, made anew after a failure.
    pub async fn client(&mut self) -> ConnectResult<&Client> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            self.reset();
            self.client = Some(self.connection.connect("sink").await?);
            self.connections += 1;
        }
        self.client
            .as_ref()
            .ok_or_else(|| ConnectError::retriable("no PostgreSQL connection"))
    }

    /// Drops the connection; the next write reconnects and recreates staging tables.
    pub fn reset(&mut self) {
        self.client = None;
        self.stages.clear();
    }

    /// Writes the chosen rows of `batch` as `mode` says.
    pub async fn write(
        &mut self,
        batch: &Batch,
        rows: &[usize],
        mode: InsertMode,
    ) -> ConnectResult<()> {
        let shape = &batch.shape;
        let no_deletes = !rows.iter().any(|&i| batch.rows()[i].delete);
        let result = match mode {
            InsertMode::Insert if no_deletes => self.copy_direct(batch, rows).await,
            InsertMode::Upsert if no_deletes && shape.pk_unique => self.upsert(batch, rows).await,
            _ => self.merge(batch, rows, mode).await,
        };
        if let Err(err) = &result {
            // A transaction left open by the failure would swallow every later statement.
            let rolled_back = match &self.client {
                Some(client) if !client.is_closed() => {
                    client.batch_execute("ROLLBACK").await.is_ok()
                }
                _ => false,
            };
            if err.is_retriable() || !rolled_back {
                self.reset();
            }
            tracing::debug!(table = %shape.table, error = %err, "batch write failed");
        }
        result
    }

    async fn copy_direct(&mut self, batch: &Batch, rows: &[usize]) -> ConnectResult<()> {
        self.try_copy_direct(batch, rows).await?.map_err(|e| {
            classify(
                &e,
                &format!("cannot write {} rows to {}", rows.len(), batch.shape.table),
            )
        })
    }

    /// COPY straight into the table; the outer error is the connection's, the inner the COPY's.
    async fn try_copy_direct(
        &mut self,
        batch: &Batch,
        rows: &[usize],
    ) -> ConnectResult<Result<(), tokio_postgres::Error>> {
        let shape = &batch.shape;
        let sql = format!(
            "COPY {} ({}) FROM STDIN",
            shape.table.quoted(),
            column_list(shape)
        );
        let data = batch.copy_data(rows, false);
        let client = self.client().await?;
        Ok(copy(client, &sql, data).await.map(|_| ()))
    }

    /// Upserts of keys that are not in the table yet are plain inserts, and COPY straight into
    /// the table is PostgreSQL's fastest way in (about twice the speed of staging and merging).
    /// So a batch is first COPYed as it is; if a key exists, the COPY fails as a whole (the
    /// unique index guarantees it, or this path is not taken), the batch is merged instead, and
    /// the next batches of the table are merged too, since a replay or an update stream is
    /// under way.
    async fn upsert(&mut self, batch: &Batch, rows: &[usize]) -> ConnectResult<()> {
        let table = &batch.shape.table;
        let left = self.merge_only.get(table).copied().unwrap_or(0);
        if left > 0 {
            self.merge_only.insert(table.clone(), left - 1);
            return self.merge(batch, rows, InsertMode::Upsert).await;
        }
        match self.try_copy_direct(batch, rows).await? {
            Ok(()) => return Ok(()),
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => {
                self.merge_only.insert(table.clone(), MERGE_AFTER_CONFLICT);
            }
            // Bad data fails the merge too, which finds the rows to report.
            Err(e) if e.code().is_some_and(crate::error::is_data_error) => {}
            Err(e) => {
                return Err(classify(
                    &e,
                    &format!("cannot write {} rows to {table}", rows.len()),
                ));
            }
        }
        self.merge(batch, rows, InsertMode::Upsert).await
    }

    async fn merge(
        &mut self,
        batch: &Batch,
        rows: &[usize],
        mode: InsertMode,
    ) -> ConnectResult<()> {
        let shape = &batch.shape;
        let stage = self.stage(shape).await?;
        let connection = self.connections;
        let any_delete = rows.iter().any(|&i| batch.rows()[i].delete);
        let any_write = rows.iter().any(|&i| !batch.rows()[i].delete);
        let copy_sql = format!(
            "COPY pg_temp.{stage} ({}, {DELETE_FLAG}) FROM STDIN",
            column_list(shape)
        );
        let data = batch.copy_data(rows, true);
        let context = format!("cannot write {} rows to {}", rows.len(), shape.table);
        self.client().await?;
        if self.connections != connection {
            // Reconnected since the staging table was made: it went with the old session.
            return Err(ConnectError::retriable(format!(
                "{context}: the connection was lost"
            )));
        }
        let client = self
            .client
            .as_ref()
            .ok_or_else(|| ConnectError::retriable("no PostgreSQL connection"))?;
        let run = async {
            client.batch_execute("BEGIN").await?;
            copy(client, &copy_sql, data).await?;
            if any_delete {
                client.execute(&delete_sql(shape, &stage), &[]).await?;
            }
            if let Some(sql) = any_write.then(|| write_sql(shape, &stage, mode)).flatten() {
                client.execute(&sql, &[]).await?;
            }
            client.batch_execute("COMMIT").await
        };
        run.await.map_err(|e| classify(&e, &context))
    }

    /// The staging table for this column list, created on first use on this connection. It is
    /// emptied at every commit, so each batch starts with it empty.
    async fn stage(&mut self, shape: &Shape) -> ConnectResult<String> {
        // Connect (or reconnect) first: a reconnection forgets the staging tables.
        self.client().await?;
        let signature: Vec<String> = shape
            .columns
            .iter()
            .map(|c| format!("{} {}", quote(&c.name), c.pg_type))
            .collect();
        let signature = signature.join(", ");
        if let Some(name) = self.stages.get(&signature) {
            return Ok(name.clone());
        }
        self.created += 1;
        let name = format!("sluice_stage_{}", self.created);
        let sql = format!(
            "CREATE TEMP TABLE IF NOT EXISTS {name} ({signature}, {DELETE_FLAG} boolean NOT NULL) ON COMMIT DELETE ROWS"
        );
        let client = self.client().await?;
        client.batch_execute(&sql).await.map_err(|e| {
            classify(
                &e,
                &format!("cannot create the staging table for {}", shape.table),
            )
        })?;
        self.stages.insert(signature, name.clone());
        Ok(name)
    }
}

async fn copy(client: &Client, sql: &str, data: Vec<u8>) -> Result<u64, tokio_postgres::Error> {
    let sink = client.copy_in::<_, Bytes>(sql).await?;
    futures::pin_mut!(sink);
    sink.send(Bytes::from(data)).await?;
    sink.finish().await
}

fn column_list(shape: &Shape) -> String {
    let names: Vec<String> = shape.columns.iter().map(|c| quote(&c.name)).collect();
    names.join(", ")
}

fn key_match(shape: &Shape) -> String {
    let terms: Vec<String> = shape
        .pk()
        .iter()
        .map(|c| format!("t.{0} = s.{0}", quote(&c.name)))
        .collect();
    terms.join(" AND ")
}

fn delete_sql(shape: &Shape, stage: &str) -> String {
    format!(
        "DELETE FROM {} t USING pg_temp.{stage} s WHERE s.{DELETE_FLAG} AND {}",
        shape.table.quoted(),
        key_match(shape)
    )
}

/// The statement applying the staged writes; `None` when there is nothing to change (an update
/// of a table whose only columns are the key).
fn write_sql(shape: &Shape, stage: &str, mode: InsertMode) -> Option<String> {
    let table = shape.table.quoted();
    let columns = column_list(shape);
    let non_pk: Vec<String> = shape.non_pk().iter().map(|c| quote(&c.name)).collect();
    match mode {
        InsertMode::Update => {
            if non_pk.is_empty() {
                return None;
            }
            let set: Vec<String> = non_pk.iter().map(|c| format!("{c} = s.{c}")).collect();
            Some(format!(
                "UPDATE {table} t SET {} FROM pg_temp.{stage} s WHERE NOT s.{DELETE_FLAG} AND {}",
                set.join(", "),
                key_match(shape)
            ))
        }
        InsertMode::Upsert => {
            let pk: Vec<String> = shape.pk().iter().map(|c| quote(&c.name)).collect();
            let action = if non_pk.is_empty() {
                "DO NOTHING".to_string()
            } else {
                let set: Vec<String> = non_pk
                    .iter()
                    .map(|c| format!("{c} = EXCLUDED.{c}"))
                    .collect();
                format!("DO UPDATE SET {}", set.join(", "))
            };
            Some(format!(
                "INSERT INTO {table} ({columns}) SELECT {columns} FROM pg_temp.{stage} \
                 WHERE NOT {DELETE_FLAG} ON CONFLICT ({}) {action}",
                pk.join(", ")
            ))
        }
        InsertMode::Insert => Some(format!(
            "INSERT INTO {table} ({columns}) SELECT {columns} FROM pg_temp.{stage} WHERE NOT {DELETE_FLAG}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ident::TableId;
    use crate::sink::layout::Source;
    use crate::sink::table::Column;
    use crate::sink::types::ColumnKind;

    fn shape() -> Shape {
        let column = |name: &str| Column {
            name: name.into(),
            source: Source::ValueField(name.into()),
            pg_type: "text".into(),
            kind: ColumnKind::Other,
            schema: None,
        };
        Shape {
            table: TableId::parse("app.orders").unwrap(),
            columns: vec![column("id"), column("name"), column("total")],
            pk_len: 1,
            pk_unique: true,
        }
    }

    #[test]
    fn merge_statements() {
        let shape = shape();
        assert_eq!(
            write_sql(&shape, "s1", InsertMode::Upsert).unwrap(),
            "INSERT INTO \"app\".\"orders\" (\"id\", \"name\", \"total\") SELECT \"id\", \"name\", \"total\" \
             FROM pg_temp.s1 WHERE NOT __sluice_delete ON CONFLICT (\"id\") \
             DO UPDATE SET \"name\" = EXCLUDED.\"name\", \"total\" = EXCLUDED.\"total\""
        );
        assert_eq!(
            write_sql(&shape, "s1", InsertMode::Update).unwrap(),
            "UPDATE \"app\".\"orders\" t SET \"name\" = s.\"name\", \"total\" = s.\"total\" \
             FROM pg_temp.s1 s WHERE NOT s.__sluice_delete AND t.\"id\" = s.\"id\""
        );
        assert_eq!(
            delete_sql(&shape, "s1"),
            "DELETE FROM \"app\".\"orders\" t USING pg_temp.s1 s WHERE s.__sluice_delete AND t.\"id\" = s.\"id\""
        );
    }

    #[test]
    fn key_only_tables() {
        let mut shape = shape();
        shape.columns.truncate(1);
        assert!(
            write_sql(&shape, "s1", InsertMode::Upsert)
                .unwrap()
                .ends_with("DO NOTHING")
        );
        assert_eq!(write_sql(&shape, "s1", InsertMode::Update), None);
    }
}
