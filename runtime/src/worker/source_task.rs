//! The source task loop: poll → transforms → convert → produce. Offsets are committed every
//! `offset.flush.interval.ms`, and only up to the last record that Kafka acknowledged with every
//! record before it in the same task also acknowledged, so a crash replays and never loses.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use sluice_api::{
    ConnectError, ConnectResult, OffsetMap, Props, Record, SourceTask, SourceTaskContext,
};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::convert::{KafkaRecord, RecordConverter};
use super::retry::Backoff;
use super::status::TaskId;
use super::transforms::TransformChain;
use crate::offsets::OffsetStore;

/// Records awaiting acknowledgement before the oldest one is awaited, bounding memory.
const MAX_IN_FLIGHT: usize = 100_000;

/// A record handed to the producer (or dropped by a transform), in poll order.
struct InFlight {
    position: Option<(OffsetMap, OffsetMap)>,
    delivery: Option<DeliveryFuture>,
}

/// Counters reported when the task stops.
#[derive(Debug, Default, Clone, Copy)]
pub struct SourceStats {
    pub polled: u64,
    pub acknowledged: u64,
    pub dropped: u64,
    pub offset_commits: u64,
}

pub struct SourceTaskLoop {
    pub id: TaskId,
    pub config: Props,
    pub task: Box<dyn SourceTask>,
    pub transforms: TransformChain,
    pub converter: RecordConverter,
    pub producer: FutureProducer,
    pub offsets: Arc<dyn OffsetStore>,
    pub flush_interval: Duration,
    pub flush_timeout: Duration,
    pub cancel: CancellationToken,
}

/// Per-run state of the loop, kept apart from its configuration.
#[derive(Default)]
struct Progress {
    in_flight: VecDeque<InFlight>,
    /// Acknowledged offsets not yet committed, by source partition.
    committable: HashMap<String, (OffsetMap, OffsetMap)>,
    stats: SourceStats,
}

impl SourceTaskLoop {
    /// Runs until cancelled or failed; on the way out it waits for in-flight records, commits
    /// their offsets and stops the task.
    pub async fn run(mut self) -> ConnectResult<SourceStats> {
        let snapshot = self.offsets.load(&self.id.connector).await?;
        let ctx = SourceTaskContext {
            connector: self.id.connector.clone(),
            task_id: self.id.task,
            config: self.config.clone(),
            offsets: snapshot,
        };
        self.task.start(ctx).await?;
        let mut progress = Progress::default();
        let result = self.poll_loop(&mut progress).await;
        let drained = tokio::time::timeout(self.flush_timeout, drain(&mut progress))
            .await
            .unwrap_or_else(|_| {
                Err(ConnectError::retriable(format!(
                    "{} records still unacknowledged after {:?}; their offsets are not committed",
                    progress.in_flight.len(),
                    self.flush_timeout
                )))
            });
        let committed = self.commit(&mut progress).await;
        let stopped = self.task.stop().await;
        tracing::info!(task = %self.id, stats = ?progress.stats, "source task stopped");
        result
            .and(drained)
            .and(committed)
            .and(stopped)
            .map(|_| progress.stats)
    }

    async fn poll_loop(&mut self, progress: &mut Progress) -> ConnectResult<()> {
        let mut next_commit = Instant::now() + self.flush_interval;
        let mut backoff = Backoff::default();
        loop {
            let polled = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => return Ok(()),
                polled = self.task.poll() => polled,
            };
            match polled {
                Ok(records) => {
                    backoff.reset();
                    progress.stats.polled += records.len() as u64;
                    for record in records {
                        self.send(record, progress).await?;
                    }
                }
                Err(err) if err.is_retriable() => {
                    tracing::warn!(task = %self.id, error = %err.trace(), "poll failed, retrying");
                    if backoff.wait(&self.cancel).await.is_err() {
                        return Ok(());
                    }
                }
                Err(err) => return Err(err),
            }
            reap(progress)?;
            if Instant::now() >= next_commit {
                self.commit(progress).await?;
                next_commit = Instant::now() + self.flush_interval;
            }
        }
    }

    async fn send(&mut self, record: Record, progress: &mut Progress) -> ConnectResult<()> {
        let position = record
            .source_partition
            .clone()
            .zip(record.source_offset.clone());
        let delivery = match self.transforms.apply(record)? {
            Some(record) => Some(
                self.produce(self.converter.to_kafka(record)?, progress)
                    .await?,
            ),
            None => {
                progress.stats.dropped += 1;
                None
            }
        };
        progress
            .in_flight
            .push_back(InFlight { position, delivery });
        if progress.in_flight.len() >= MAX_IN_FLIGHT {
            await_oldest(progress).await?;
        }
        Ok(())
    }

    async fn produce(
        &mut self,
        record: KafkaRecord,
        progress: &mut Progress,
    ) -> ConnectResult<DeliveryFuture> {
        loop {
            let mut out = FutureRecord::to(&record.topic);
            if let Some(key) = &record.key {
                out = out.key(key.as_slice());
            }
            if let Some(value) = &record.value {
                out = out.payload(value.as_slice());
            }
            out.partition = record.partition;
            out.timestamp = record.timestamp;
            out.headers = record.headers.clone();
            match self.producer.send_result(out) {
                Ok(delivery) => return Ok(delivery),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    // The local queue is full: wait for the oldest record rather than spin.
                    if progress.in_flight.is_empty() {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    } else {
                        await_oldest(progress).await?;
                    }
                }
                Err((err, _)) => {
                    return Err(ConnectError::fatal(format!(
                        "cannot produce to topic {}: {err}",
                        record.topic
                    ))
                    .caused_by(err));
                }
            }
        }
    }

    /// Commits acknowledged offsets; a failed commit is retried at the next interval.
    async fn commit(&mut self, progress: &mut Progress) -> ConnectResult<()> {
        reap(progress)?;
        if progress.committable.is_empty() {
            return Ok(());
        }
        let offsets: Vec<_> = progress.committable.values().cloned().collect();
        match self.offsets.commit(&self.id.connector, &offsets).await {
            Ok(()) => {
                progress.committable.clear();
                progress.stats.offset_commits += 1;
                self.task.commit().await
            }
            Err(err) if err.is_retriable() => {
                tracing::warn!(task = %self.id, error = %err.trace(), "offset commit failed; will retry");
                Ok(())
            }
            Err(err) => Err(err),
        }
    }
}

/// Moves acknowledged records, oldest first, into the committable offsets; stops at the first
/// record still in flight so that no offset passes an unacknowledged record.
fn reap(progress: &mut Progress) -> ConnectResult<()> {
    while let Some(front) = progress.in_flight.front_mut() {
        if let Some(delivery) = front.delivery.as_mut() {
            match delivery.now_or_never() {
                None => break,
                Some(outcome) => settle(outcome)?,
            }
            progress.stats.acknowledged += 1;
        }
        if let Some(entry) = progress.in_flight.pop_front() {
            mark_committable(progress, entry.position);
        }
    }
    Ok(())
}

/// Waits for the oldest in-flight record.
async fn await_oldest(progress: &mut Progress) -> ConnectResult<()> {
    let Some(mut entry) = progress.in_flight.pop_front() else {
        return Ok(());
    };
    if let Some(delivery) = entry.delivery.take() {
        settle(delivery.await)?;
        progress.stats.acknowledged += 1;
    }
    mark_committable(progress, entry.position);
    Ok(())
}

async fn drain(progress: &mut Progress) -> ConnectResult<()> {
    while !progress.in_flight.is_empty() {
        await_oldest(progress).await?;
    }
    Ok(())
}

fn mark_committable(progress: &mut Progress, position: Option<(OffsetMap, OffsetMap)>) {
    if let Some((partition, offset)) = position {
        let key = serde_json::Value::Object(partition.clone()).to_string();
        progress.committable.insert(key, (partition, offset));
    }
}

type DeliveryOutcome = Result<
    rdkafka::producer::future_producer::OwnedDeliveryResult,
    futures::channel::oneshot::Canceled,
>;

fn settle(outcome: DeliveryOutcome) -> ConnectResult<()> {
    match outcome {
        Ok(Ok(_)) => Ok(()),
        Ok(Err((err, _))) => Err(ConnectError::fatal(format!(
            "Kafka did not acknowledge a record: {err}"
        ))
        .caused_by(err)),
        Err(_) => Err(ConnectError::fatal(
            "producer closed before acknowledging a record",
        )),
    }
}
