//! The CDC task: decides between snapshot and streaming at start, emits Debezium records, and
//! confirms positions to the slot once the runtime stored the offsets covering them.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sluice_api::{
    ConnectError, ConnectResult, OffsetMap, Record, SourceTask, SourceTaskContext, Struct,
};
use tokio::time::Instant;
use tokio_postgres::{Client, NoTls};

use super::acks::Acks;
use super::catalog;
use super::changes::ChangeBuilder;
use super::config::{CdcConfig, SnapshotMode};
use super::event::SourceInfo;
use super::lsn::Lsn;
use super::offsets::{self, Position, StoredOffset, StreamPosition};
use super::publication;
use super::replication::ReplicationConnection;
use super::slot;
use super::snapshot::{SESSION_SETTINGS, Snapshot};
use super::stream::Streamer;
use super::table::TableSchema;
use crate::error::classify;

/// How long a poll waits for the marker's commit before returning nothing.
const MARKER_WAIT: Duration = Duration::from_millis(50);

/// The PostgreSQL change-data-capture task.
#[derive(Default)]
pub struct PostgresCdcTask {
    run: Option<Running>,
}

enum Phase {
    Snapshot {
        snapshot: Box<Snapshot>,
        /// The connection that created the slot, kept to stream from it afterwards.
        conn: Option<ReplicationConnection>,
        finished: bool,
        /// The newest row, held back so that the last one can be marked as such.
        held: Option<(Arc<TableSchema>, Struct)>,
    },
    Streaming(Box<Streamer>),
    /// `initial_only` after its snapshot: nothing more to read.
    Done,
}

struct Running {
    config: CdcConfig,
    builder: ChangeBuilder,
    partition: OffsetMap,
    meta: Client,
    phase: Phase,
    acks: Acks,
    /// Records of the current poll, kept here so that a cancelled poll loses none.
    pending: Vec<Record>,
    pending_position: Option<Position>,
    last_heartbeat: Instant,
}

#[async_trait]
impl SourceTask for PostgresCdcTask {
    async fn start(&mut self, ctx: SourceTaskContext) -> ConnectResult<()> {
        let config = CdcConfig::parse(&ctx.config)?;
        let partition = offsets::partition(&config.topic_prefix);
        let stored = ctx.offsets.offset(&partition).and_then(offsets::parse);
        let meta = connect(&config, "CDC catalog").await?;
        publication::ensure(&meta, &config).await?;
        let phase = plan(&config, &meta, stored).await?;
        self.run = Some(Running {
            builder: ChangeBuilder::new(&config),
            partition,
            meta,
            phase,
            acks: Acks::default(),
            pending: Vec::new(),
            pending_position: None,
            last_heartbeat: Instant::now(),
            config,
        });
        Ok(())
    }

    async fn poll(&mut self) -> ConnectResult<Vec<Record>> {
        let run = self
            .run
            .as_mut()
            .ok_or_else(|| ConnectError::fatal("poll before start"))?;
        run.poll().await
    }

    async fn commit(&mut self) -> ConnectResult<()> {
        let Some(run) = self.run.as_mut() else {
            return Ok(());
        };
        let Some(lsn) = run.acks.committed().and_then(Position::flushable) else {
            return Ok(());
        };
        if let Phase::Streaming(streamer) = &mut run.phase {
            streamer.confirm(lsn).await?;
        }
        Ok(())
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        let Some(run) = self.run.take() else {
            return Ok(());
        };
        if let Phase::Streaming(streamer) = run.phase {
            streamer.close().await;
        }
        if run.config.slot_drop_on_stop {
            slot::drop_slot(&run.meta, &run.config.slot_name).await?;
        }
        Ok(())
    }
}

/// What to do at start, from the snapshot mode, the stored offset and the slot.
async fn plan(
    config: &CdcConfig,
    meta: &Client,
    stored: Option<StoredOffset>,
) -> ConnectResult<Phase> {
    let existing = catalog::slot(meta, &config.slot_name).await?;
    if let Some(state) = &existing {
        slot::check(state, &config.slot_name, &config.dbname)?;
    }
    let unfinished = matches!(stored, None | Some(StoredOffset::SnapshotIncomplete));
    let resumable = match (stored, &existing) {
        (Some(StoredOffset::Streaming(at)), Some(state)) => state
            .confirmed_flush
            .is_none_or(|flushed| flushed <= at.commit),
        (Some(StoredOffset::SnapshotDone { lsn }), Some(state)) => {
            state.confirmed_flush.is_none_or(|flushed| flushed <= lsn)
        }
        _ => false,
    };
    let snapshot = match config.snapshot_mode {
        SnapshotMode::Initial | SnapshotMode::InitialOnly => unfinished,
        SnapshotMode::Always => true,
        SnapshotMode::NoData => false,
        SnapshotMode::WhenNeeded => unfinished || !resumable,
    };
    if config.snapshot_mode == SnapshotMode::InitialOnly && !unfinished {
        tracing::info!("snapshot.mode=initial_only and the snapshot is complete: nothing to read");
        return Ok(Phase::Done);
    }
    if snapshot {
        if existing.is_some() {
            // A consistent snapshot needs the slot's own starting point; nothing of the old
            // slot is needed since every row is read again.
            tracing::warn!(slot = %config.slot_name, "recreating the replication slot for a new snapshot");
            slot::drop_slot(meta, &config.slot_name).await?;
        }
        let created = slot::create(&config.pg, &config.slot_name, true).await?;
        let client = connect(config, "CDC snapshot").await?;
        let snapshot = Snapshot::begin(
            client,
            config,
            created.snapshot_name.as_deref(),
            created.consistent_point,
        )
        .await?;
        return Ok(Phase::Snapshot {
            snapshot: Box::new(snapshot),
            conn: Some(created.conn),
            finished: false,
            held: None,
        });
    }
    if !resumable && !unfinished && config.snapshot_mode != SnapshotMode::NoData {
        return Err(ConnectError::fatal(format!(
            "the stored position cannot be resumed from replication slot {}: {}; changes in between \
             would be lost. Use snapshot.mode=when_needed to take a new snapshot, or no_data to accept the gap",
            config.slot_name,
            if existing.is_none() {
                "the slot does not exist"
            } else {
                "the slot was advanced past it"
            }
        )));
    }
    let (emitted, confirmed) = match stored {
        Some(StoredOffset::Streaming(at)) => (at, at.commit),
        Some(StoredOffset::SnapshotDone { lsn }) => (StreamPosition::default(), lsn),
        _ => (StreamPosition::default(), Lsn::default()),
    };
    let conn = if existing.is_none() {
        Some(
            slot::create(&config.pg, &config.slot_name, false)
                .await?
                .conn,
        )
    } else {
        None
    };
    Ok(Phase::Streaming(Box::new(Streamer::new(
        config, conn, emitted, confirmed,
    ))))
}

impl Running {
    async fn poll(&mut self) -> ConnectResult<Vec<Record>> {
        match &mut self.phase {
            Phase::Snapshot { .. } => self.poll_snapshot().await?,
            Phase::Streaming(streamer) => {
                let position = streamer
                    .poll(
                        &self.meta,
                        &self.builder,
                        &mut self.pending,
                        self.config.max_batch_size,
                        self.config.poll_interval,
                    )
                    .await?;
                if position.is_some() {
                    self.pending_position = position;
                }
                self.heartbeat();
            }
            Phase::Done => tokio::time::sleep(self.config.poll_interval).await,
        }
        if let (Some(last), Some(position), true) = (
            self.pending.last_mut(),
            self.pending_position,
            self.acks.can_mark(),
        ) {
            self.acks.mark(last, &self.partition, position);
        }
        self.pending_position = None;
        Ok(std::mem::take(&mut self.pending))
    }

    async fn poll_snapshot(&mut self) -> ConnectResult<()> {
        let Phase::Snapshot {
            snapshot,
            conn,
            finished,
            held,
        } = &mut self.phase
        else {
            return Ok(());
        };
        let info = SourceInfo {
            snapshot: "true",
            ts_micros: snapshot.ts_micros,
            tx_id: None,
            lsn: snapshot.lsn,
            last_commit: None,
        };
        if !*finished {
            match snapshot.next().await? {
                Some((table, rows)) => {
                    for row in rows {
                        if let Some((table, row)) = held.replace((table.clone(), row)) {
                            self.builder.read(&table, row, &info, &mut self.pending);
                        }
                    }
                    self.pending_position = Some(Position::Snapshot {
                        lsn: snapshot.lsn,
                        ts_usec: snapshot.ts_micros,
                        last: false,
                    });
                    return Ok(());
                }
                None => *finished = true,
            }
        }
        let lsn = snapshot.lsn;
        if let Some((table, row)) = held.take() {
            if !self.acks.can_mark() {
                // The last row must carry the completed-snapshot offset: wait for the marker.
                *held = Some((table, row));
                if self.pending.is_empty() {
                    tokio::time::sleep(MARKER_WAIT).await;
                }
                return Ok(());
            }
            let info = SourceInfo {
                snapshot: "last",
                ..info
            };
            self.builder.read(&table, row, &info, &mut self.pending);
            self.pending_position = Some(Position::Snapshot {
                lsn,
                ts_usec: info.ts_micros,
                last: true,
            });
        }
        tracing::info!(%lsn, "snapshot complete");
        let conn = conn.take();
        self.phase = if self.config.snapshot_mode == SnapshotMode::InitialOnly {
            if let Some(conn) = conn {
                conn.close().await;
            }
            Phase::Done
        } else {
            Phase::Streaming(Box::new(Streamer::new(
                &self.config,
                conn,
                StreamPosition::default(),
                lsn,
            )))
        };
        Ok(())
    }

    /// Adds a heartbeat record when one is due and it can carry an offset: on an idle
    /// database it is what lets the slot confirm WAL that holds no captured change.
    fn heartbeat(&mut self) {
        let Some(interval) = self.config.heartbeat_interval else {
            return;
        };
        let Phase::Streaming(streamer) = &self.phase else {
            return;
        };
        if self.last_heartbeat.elapsed() < interval || !self.acks.can_mark() {
            return;
        }
        let position = if streamer.in_transaction() {
            match self.pending_position {
                Some(position) => position,
                None => return,
            }
        } else {
            Position::Idle {
                lsn: streamer.idle_position(),
                ts_usec: super::event::now_micros(),
            }
        };
        self.last_heartbeat = Instant::now();
        self.pending
            .push(self.builder.events.heartbeat(&self.config.heartbeat_topic));
        self.pending_position = Some(position);
    }
}

/// A normal connection with the session settings the text values are parsed with.
async fn connect(config: &CdcConfig, purpose: &str) -> ConnectResult<Client> {
    let (client, connection) = config.pg.connect(NoTls).await.map_err(|e| {
        classify(
            &e,
            &format!("cannot connect to PostgreSQL for the {purpose}"),
        )
    })?;
    let purpose = purpose.to_string();
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "postgres {purpose} connection closed");
        }
    });
    client
        .batch_execute(SESSION_SETTINGS)
        .await
        .map_err(|e| classify(&e, "cannot set the session settings"))?;
    Ok(client)
}
