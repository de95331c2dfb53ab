//! Streaming: reads pgoutput from the slot, keeps the relation cache and the transaction
//! being decoded, skips what an earlier run already emitted, and reports the flushed position.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sluice_api::{ConnectError, ConnectResult, Record};
use tokio::time::Instant;
use tokio_postgres::Client;

use super::catalog::describe;
use super::changes::ChangeBuilder;
use super::config::{CdcConfig, TableFilter};
use super::event::SourceInfo;
use super::lsn::Lsn;
use super::offsets::{Position, StreamPosition};
use super::pgoutput::{self, PgOutput, RelationMessage};
use super::replication::{ReplicationConnection, ReplicationMessage};
use super::table::{Column, TableSchema};
use super::types::ColumnKind;

/// The transaction whose changes are arriving.
#[derive(Debug, Clone, Copy)]
struct Transaction {
    commit: Lsn,
    xid: u32,
    commit_micros: i64,
}

/// The replication stream of one slot and what has been read from it.
pub struct Streamer {
    conn: Option<ReplicationConnection>,
    /// Whether `conn` is streaming (a connection that just created the slot is not yet).
    streaming: bool,
    pg: tokio_postgres::Config,
    slot: String,
    publication: String,
    prefix: String,
    filter: TableFilter,
    status_interval: Duration,
    /// Captured tables by relation id; `None` for relations the filter leaves out.
    relations: HashMap<u32, Option<Arc<TableSchema>>>,
    tx: Option<Transaction>,
    last_commit: Option<Lsn>,
    /// The newest change emitted; anything at or before it is skipped on a replay.
    emitted: StreamPosition,
    /// The newest WAL position seen, reported as written.
    received: Lsn,
    /// The newest position between transactions: everything before it was decoded.
    idle_at: Lsn,
    /// What the slot may forget: covered by offsets Kafka acknowledged and the runtime stored.
    confirmed: Lsn,
    last_status: Instant,
}

impl std::fmt::Debug for Streamer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streamer")
            .field("slot", &self.slot)
            .field("emitted", &self.emitted)
            .field("confirmed", &self.confirmed)
            .finish_non_exhaustive()
    }
}

impl Streamer {
    /// A streamer that resumes after `emitted`, with `conn` already open or opened on demand.
    pub fn new(
        config: &CdcConfig,
        conn: Option<ReplicationConnection>,
        emitted: StreamPosition,
        confirmed: Lsn,
    ) -> Self {
        Streamer {
            conn,
            streaming: false,
            pg: config.pg.clone(),
            slot: config.slot_name.clone(),
            publication: config.publication_name.clone(),
            prefix: config.topic_prefix.clone(),
            filter: config.tables.clone(),
            status_interval: config.status_update_interval,
            relations: HashMap::new(),
            tx: None,
            last_commit: None,
            emitted,
            received: confirmed,
            idle_at: confirmed,
            confirmed,
            last_status: Instant::now(),
        }
    }

    /// Reads changes into `out` until `max` records, or until nothing arrived for a moment
    /// (`wait` when `out` is still empty). Returns the position of the last record added.
    pub async fn poll(
        &mut self,
        meta: &Client,
        builder: &ChangeBuilder,
        out: &mut Vec<Record>,
        max: usize,
        wait: Duration,
    ) -> ConnectResult<Option<Position>> {
        match self.conn.as_mut() {
            None => self.connect().await?,
            Some(conn) if !self.streaming => {
                start(conn, &self.slot, self.confirmed, &self.publication).await?;
                tracing::info!(slot = %self.slot, from = %self.confirmed, "streaming changes");
                self.streaming = true;
                self.last_status = Instant::now();
            }
            Some(_) => {}
        }
        let mut last = None;
        let started = out.len();
        let deadline = Instant::now() + wait;
        while out.len() < max {
            // Once something arrived, only what is already on its way is read.
            let until = if out.len() > started {
                Instant::now() + Duration::from_millis(2)
            } else {
                deadline
            };
            let Some(conn) = self.conn.as_mut() else {
                break;
            };
            let message = match tokio::time::timeout_at(until, conn.recv()).await {
                Err(_) => break,
                Ok(Ok(message)) => message,
                Ok(Err(err)) => {
                    self.disconnect();
                    return Err(err);
                }
            };
            if let Some(position) = self.handle(message, meta, builder, out).await? {
                last = Some(position);
            }
        }
        if self.last_status.elapsed() >= self.status_interval {
            // Between transactions, ask for a keepalive: it carries how far the server has
            // decoded. PostgreSQL 15+ sends nothing for transactions without captured changes,
            // so this is how an idle slot learns it may move past them.
            self.send_status(self.tx.is_none()).await?;
        }
        Ok(last)
    }

    /// Opens the replication connection and starts streaming at the confirmed position.
    async fn connect(&mut self) -> ConnectResult<()> {
        let mut conn = ReplicationConnection::connect(&self.pg).await?;
        start(&mut conn, &self.slot, self.confirmed, &self.publication).await?;
        tracing::info!(slot = %self.slot, from = %self.confirmed, "streaming changes");
        self.conn = Some(conn);
        self.streaming = true;
        self.last_status = Instant::now();
        Ok(())
    }

    fn disconnect(&mut self) {
        self.conn = None;
        self.streaming = false;
        self.tx = None;
        // A new session sends every relation again before its first change.
        self.relations.clear();
    }

    async fn handle(
        &mut self,
        message: ReplicationMessage,
        meta: &Client,
        builder: &ChangeBuilder,
        out: &mut Vec<Record>,
    ) -> ConnectResult<Option<Position>> {
        let (start, data) = match message {
            ReplicationMessage::Keepalive { end, reply } => {
                self.received = self.received.max(end);
                if self.tx.is_none() {
                    self.idle_at = self.idle_at.max(end);
                }
                if reply {
                    self.send_status(false).await?;
                }
                return Ok(None);
            }
            ReplicationMessage::XLogData { start, data, .. } => (start, data),
        };
        self.received = self.received.max(start);
        let message = pgoutput::decode(data).map_err(|e| {
            ConnectError::fatal(format!("cannot decode pgoutput message at {start}: {e}"))
        })?;
        let tx = match message {
            PgOutput::Begin {
                final_lsn,
                commit_micros,
                xid,
            } => {
                self.tx = Some(Transaction {
                    commit: final_lsn,
                    xid,
                    commit_micros,
                });
                return Ok(None);
            }
            PgOutput::Commit {
                commit_lsn,
                end_lsn,
                ..
            } => {
                self.tx = None;
                self.last_commit = Some(commit_lsn);
                self.idle_at = self.idle_at.max(end_lsn);
                self.received = self.received.max(end_lsn);
                return Ok(None);
            }
            PgOutput::Relation(relation) => {
                let table = self.table_of(&relation, meta).await?;
                self.relations.insert(relation.id, table);
                return Ok(None);
            }
            PgOutput::Origin | PgOutput::Type | PgOutput::Message { .. } => return Ok(None),
            _ => self.tx.ok_or_else(|| {
                ConnectError::fatal(format!("row change at {start} outside a transaction"))
            })?,
        };
        if self.emitted.covers(tx.commit, start) {
            return Ok(None);
        }
        let info = SourceInfo {
            snapshot: "false",
            ts_micros: tx.commit_micros,
            tx_id: Some(tx.xid),
            lsn: start,
            last_commit: self.last_commit,
        };
        let before = out.len();
        match message {
            PgOutput::Insert { relation, new } => {
                if let Some(table) = self.captured(relation)? {
                    builder.insert(&table, &new, &info, out)?;
                }
            }
            PgOutput::Update { relation, old, new } => {
                if let Some(table) = self.captured(relation)? {
                    builder.update(&table, old.as_deref(), &new, &info, out)?;
                }
            }
            PgOutput::Delete { relation, old } => {
                if let Some(table) = self.captured(relation)? {
                    builder.delete(&table, &old, &info, out)?;
                }
            }
            PgOutput::Truncate { relations } => {
                for relation in relations {
                    if let Some(table) = self.captured(relation)? {
                        builder.truncate(&table, &info, out);
                    }
                }
            }
            _ => {}
        }
        self.emitted = StreamPosition {
            commit: tx.commit,
            lsn: start,
        };
        Ok((out.len() > before).then_some(Position::Change {
            commit: tx.commit,
            lsn: start,
            tx_id: tx.xid,
            ts_usec: tx.commit_micros,
        }))
    }

    /// The table of a change; an unknown relation means the stream is out of step.
    fn captured(&self, relation: u32) -> ConnectResult<Option<Arc<TableSchema>>> {
        self.relations.get(&relation).cloned().ok_or_else(|| {
            ConnectError::fatal(format!(
                "change for relation {relation} before its description"
            ))
        })
    }

    /// The schemas of a relation as the message describes it now; the key comes from the
    /// catalog's primary key (the replica identity flags mark every column under FULL).
    async fn table_of(
        &self,
        relation: &RelationMessage,
        meta: &Client,
    ) -> ConnectResult<Option<Arc<TableSchema>>> {
        if !self.filter.keeps(&relation.namespace, &relation.name) {
            return Ok(None);
        }
        let catalog = describe(meta, relation.id).await?;
        let catalog_keys: Vec<&str> = catalog
            .columns
            .iter()
            .filter(|c| c.key)
            .map(|c| c.name.as_str())
            .collect();
        let columns = relation
            .columns
            .iter()
            .map(|c| Column {
                name: c.name.clone(),
                kind: ColumnKind::of(c.type_oid, c.type_modifier),
                key: if catalog_keys.is_empty() {
                    c.key && relation.replica_identity == b'i'
                } else {
                    catalog_keys.contains(&c.name.as_str())
                },
            })
            .collect();
        Ok(Some(Arc::new(TableSchema::new(
            &self.prefix,
            &relation.namespace,
            &relation.name,
            columns,
            relation.replica_identity == b'f',
        ))))
    }

    /// Whether a transaction is being decoded (its changes are not all in yet).
    pub fn in_transaction(&self) -> bool {
        self.tx.is_some()
    }

    /// The position between transactions that a heartbeat may carry.
    pub fn idle_position(&self) -> Lsn {
        self.idle_at
    }

    /// Lets the slot forget WAL before `lsn`; reported at once.
    pub async fn confirm(&mut self, lsn: Lsn) -> ConnectResult<()> {
        if lsn > self.confirmed {
            self.confirmed = lsn;
            self.send_status(false).await?;
        }
        Ok(())
    }

    /// Reports the received and confirmed positions; `reply` asks the server for a keepalive.
    async fn send_status(&mut self, reply: bool) -> ConnectResult<()> {
        self.last_status = Instant::now();
        let received = self.received.max(self.confirmed);
        if let (Some(conn), true) = (self.conn.as_mut(), self.streaming)
            && let Err(err) = conn.send_status(received, self.confirmed, reply).await
        {
            self.disconnect();
            return Err(err);
        }
        Ok(())
    }

    /// Closes the connection, reporting the confirmed position one last time.
    pub async fn close(mut self) {
        let _ = self.send_status(false).await;
        if let Some(conn) = self.conn.take() {
            conn.close().await;
        }
    }
}

/// `START_REPLICATION` with pgoutput's options.
pub async fn start(
    conn: &mut ReplicationConnection,
    slot: &str,
    from: Lsn,
    publication: &str,
) -> ConnectResult<()> {
    conn.start_replication(
        slot,
        from,
        &[
            ("proto_version", "1".to_string()),
            ("publication_names", crate::ident::quote(publication)),
        ],
    )
    .await
}
