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
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::convert::{KafkaRecord, RecordConverter};
use super::status::TaskId;
use super::topics::TopicRecorder;
use super::transforms::{TransformChain, TransformError};
use crate::errors::{ErrorHandler, FailedRecord, Failure, Stage};
use crate::metrics::TaskMetrics;
use crate::offsets::OffsetStore;

/// Records awaiting acknowledgement before the oldest one is awaited, bounding memory.
const MAX_IN_FLIGHT: usize = 100_000;

/// A record handed to the producer (or dropped, or dead-lettered), in poll order.
struct InFlight {
    position: Option<(OffsetMap, OffsetMap)>,
    delivery: Option<DeliveryFuture>,
    /// The delivery is of a dead-letter copy, not of the record itself.
    dead_letter: bool,
}

/// Counters reported when the task stops.
#[derive(Debug, Default, Clone, Copy)]
pub struct SourceStats {
    pub polled: u64,
    pub acknowledged: u64,
    pub dropped: u64,
    pub dead_lettered: u64,
    pub skipped: u64,
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
    pub errors: ErrorHandler,
    pub metrics: TaskMetrics,
    /// Classes of the key and value converters, named in dead-letter headers.
    pub converter_classes: (String, String),
    pub flush_interval: Duration,
    pub flush_timeout: Duration,
    pub cancel: CancellationToken,
    /// True while the connector is paused: the loop stops polling until it turns false.
    pub paused: watch::Receiver<bool>,
    pub topics: TopicRecorder,
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
        let drained = tokio::time::timeout(self.flush_timeout, drain(&mut progress, &self.metrics))
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
        let mut retrier = self.errors.retrier();
        loop {
            if *self.paused.borrow() {
                self.wait_while_paused(progress).await?;
                continue;
            }
            let started = Instant::now();
            let polled = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => return Ok(()),
                polled = self.task.poll() => polled,
            };
            match polled {
                Ok(records) => {
                    retrier = self.errors.retrier();
                    self.metrics.poll_batch(started.elapsed());
                    self.metrics.source_polled(records.len() as u64);
                    progress.stats.polled += records.len() as u64;
                    self.send_batch(records, progress).await?;
                }
                Err(err) => match retrier.wait(err, "poll", &self.cancel).await {
                    Ok(()) => {}
                    Err(_) if self.cancel.is_cancelled() => return Ok(()),
                    Err(err) => return Err(err),
                },
            }
            reap(progress, &self.metrics)?;
            if Instant::now() >= next_commit {
                self.commit(progress).await?;
                next_commit = Instant::now() + self.flush_interval;
            }
        }
    }

    /// Settles what is in flight, commits it, then waits for resume or cancellation.
    async fn wait_while_paused(&mut self, progress: &mut Progress) -> ConnectResult<()> {
        drain(progress, &self.metrics).await?;
        self.commit(progress).await?;
        let cancel = self.cancel.clone();
        tokio::select! {
            _ = cancel.cancelled() => {}
            resumed = async { self.paused.wait_for(|paused| !paused).await.is_ok() } => {
                // The worker dropped the switch: it is stopping this task.
                if !resumed {
                    cancel.cancelled().await;
                }
            }
        }
        Ok(())
    }

    /// Transforms a polled batch and hands each result to the producer, in poll order. A
    /// record's source position rides on the last record it turned into, so its offset is
    /// committed only once all of them are acknowledged.
    async fn send_batch(
        &mut self,
        records: Vec<Record>,
        progress: &mut Progress,
    ) -> ConnectResult<()> {
        if self.transforms.is_empty() {
            for record in records {
                let position = position(&record);
                self.send(Ok(record), position, None, progress).await?;
            }
            return Ok(());
        }
        let positions: Vec<_> = records.iter().map(position).collect();
        // Only a dead-letter queue needs the records as polled once transforms consumed them.
        let polled = self.keep_polled().then(|| records.clone());
        let mut results = self.transforms.apply_batch(records)?.into_iter().peekable();
        for (index, mut position) in positions.into_iter().enumerate() {
            let polled = polled.as_ref().map(|records| &records[index]);
            let mut produced = false;
            while let Some((_, result)) = results.next_if(|(origin, _)| *origin == index) {
                let last = results.peek().is_none_or(|(origin, _)| *origin != index);
                let position = if last { position.take() } else { None };
                self.send(result, position, polled, progress).await?;
                produced = true;
            }
            if !produced {
                progress.stats.dropped += 1;
                self.track(position, None, false, progress).await?;
            }
        }
        Ok(())
    }

    /// Converts and produces one transformed record, or applies the error policy to it.
    async fn send(
        &mut self,
        result: Result<Record, TransformError>,
        position: Option<(OffsetMap, OffsetMap)>,
        polled: Option<&Record>,
        progress: &mut Progress,
    ) -> ConnectResult<()> {
        let (delivery, dead_letter) = match result {
            Ok(record) => match self.converter.to_kafka(&record) {
                Ok(kafka) => (Some(self.produce(&kafka, progress).await?), false),
                Err((stage, error)) => {
                    let class = match stage {
                        Stage::KeyConverter => &self.converter_classes.0,
                        _ => &self.converter_classes.1,
                    };
                    let failure = Failure {
                        stage,
                        class_name: class,
                        error: &error,
                    };
                    let failed = || self.converter.failed_record(polled.unwrap_or(&record));
                    (self.errors.tolerate(failure, failed)?, true)
                }
            },
            Err(TransformError { class, error }) => {
                let failure = Failure {
                    stage: Stage::Transformation,
                    class_name: &class,
                    error: &error,
                };
                let failed = || match polled {
                    Some(record) => self.converter.failed_record(record),
                    None => FailedRecord::default(),
                };
                (self.errors.tolerate(failure, failed)?, true)
            }
        };
        if dead_letter {
            progress.stats.skipped += 1;
        }
        self.track(position, delivery, dead_letter, progress).await
    }

    /// Queues a record's delivery (if any) and position, in poll order.
    async fn track(
        &mut self,
        position: Option<(OffsetMap, OffsetMap)>,
        delivery: Option<DeliveryFuture>,
        dead_letter: bool,
        progress: &mut Progress,
    ) -> ConnectResult<()> {
        progress.in_flight.push_back(InFlight {
            position,
            delivery,
            dead_letter,
        });
        if progress.in_flight.len() >= MAX_IN_FLIGHT {
            await_oldest(progress, &self.metrics).await?;
        }
        Ok(())
    }

    fn keep_polled(&self) -> bool {
        let policy = &self.errors.policy;
        policy.tolerate_all && (policy.dead_letter.is_some() || policy.log)
    }

    async fn produce(
        &mut self,
        record: &KafkaRecord<'_>,
        progress: &mut Progress,
    ) -> ConnectResult<DeliveryFuture> {
        self.topics.record(record.topic);
        loop {
            let mut out = FutureRecord::to(record.topic);
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
                        await_oldest(progress, &self.metrics).await?;
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
        reap(progress, &self.metrics)?;
        if progress.committable.is_empty() {
            return Ok(());
        }
        let offsets: Vec<_> = progress.committable.values().cloned().collect();
        let started = Instant::now();
        let committed = self.offsets.commit(&self.id.connector, &offsets).await;
        self.metrics
            .offset_commit(committed.is_ok(), started.elapsed());
        match committed {
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

/// Where a polled record leaves its source, committed once it is delivered.
fn position(record: &Record) -> Option<(OffsetMap, OffsetMap)> {
    record
        .source_partition
        .clone()
        .zip(record.source_offset.clone())
}

/// Moves acknowledged records, oldest first, into the committable offsets; stops at the first
/// record still in flight so that no offset passes an unacknowledged record.
fn reap(progress: &mut Progress, metrics: &TaskMetrics) -> ConnectResult<()> {
    while let Some(front) = progress.in_flight.front_mut() {
        if let Some(delivery) = front.delivery.as_mut() {
            let Some(outcome) = delivery.now_or_never() else {
                break;
            };
            settle(
                outcome,
                front.dead_letter,
                progress_stats(&mut progress.stats, front.dead_letter),
                metrics,
            )?;
        }
        if let Some(entry) = progress.in_flight.pop_front() {
            mark_committable(progress, entry.position);
        }
    }
    Ok(())
}

/// Waits for the oldest in-flight record.
async fn await_oldest(progress: &mut Progress, metrics: &TaskMetrics) -> ConnectResult<()> {
    let Some(mut entry) = progress.in_flight.pop_front() else {
        return Ok(());
    };
    if let Some(delivery) = entry.delivery.take() {
        let outcome = delivery.await;
        settle(
            outcome,
            entry.dead_letter,
            progress_stats(&mut progress.stats, entry.dead_letter),
            metrics,
        )?;
    }
    mark_committable(progress, entry.position);
    Ok(())
}

/// The counter an acknowledgement adds to.
fn progress_stats(stats: &mut SourceStats, dead_letter: bool) -> &mut u64 {
    if dead_letter {
        &mut stats.dead_lettered
    } else {
        &mut stats.acknowledged
    }
}

async fn drain(progress: &mut Progress, metrics: &TaskMetrics) -> ConnectResult<()> {
    while !progress.in_flight.is_empty() {
        await_oldest(progress, metrics).await?;
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

fn settle(
    outcome: DeliveryOutcome,
    dead_letter: bool,
    counter: &mut u64,
    metrics: &TaskMetrics,
) -> ConnectResult<()> {
    let what = if dead_letter {
        "a dead-letter record"
    } else {
        "a record"
    };
    match outcome {
        Ok(Ok(_)) => {
            *counter += 1;
            if !dead_letter {
                metrics.source_written(1);
            }
            Ok(())
        }
        Ok(Err((err, _))) => {
            if dead_letter {
                metrics.dlq_produce(false);
            }
            Err(
                ConnectError::fatal(format!("Kafka did not acknowledge {what}: {err}"))
                    .caused_by(err),
            )
        }
        Err(_) => Err(ConnectError::fatal(format!(
            "producer closed before acknowledging {what}"
        ))),
    }
}
