//! The sink task loop: consume (group `connect-<connector>`) → convert → transforms → `put`,
//! then `flush` every `offset.flush.interval.ms` and commit consumer offsets only after the
//! flush succeeded, so a crash replays and never loses.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use rdkafka::consumer::{
    BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer,
};
use rdkafka::message::BorrowedMessage;
use rdkafka::statistics::Statistics;
use rdkafka::{ClientContext, Message, Offset, TopicPartitionList};
use sluice_api::{
    ConnectError, ConnectResult, PartitionOffsets, Props, Record, SinkTask, SinkTaskContext,
    TopicPartition,
};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::convert::{RecordConverter, failed_message};
use super::sink_reporter::{PendingDeadLetters, SinkReporter};
use super::status::TaskId;
use super::topics::TopicRecorder;
use super::transforms::{TransformChain, TransformError};
use crate::config::SinkTopics;
use crate::errors::{ErrorHandler, Failure, Stage};
use crate::metrics::TaskMetrics;

/// Partition changes seen by the consumer's rebalance callbacks, handled by the loop.
#[derive(Default)]
pub struct RebalanceEvents {
    assigned: Mutex<Vec<TopicPartition>>,
    revoked: Mutex<Vec<TopicPartition>>,
}

/// Consumer context that records rebalances for the task loop, pauses partitions assigned while
/// the connector is paused, and reports consumer lag from librdkafka's statistics
/// (`statistics.interval.ms`).
#[derive(Clone)]
pub struct SinkConsumerContext {
    events: Arc<RebalanceEvents>,
    paused: Arc<AtomicBool>,
    metrics: TaskMetrics,
}

impl SinkConsumerContext {
    pub fn new(metrics: TaskMetrics) -> Self {
        SinkConsumerContext {
            events: Arc::default(),
            paused: Arc::default(),
            metrics,
        }
    }
}

impl ClientContext for SinkConsumerContext {
    fn stats(&self, statistics: Statistics) {
        for (topic, stats) in &statistics.topics {
            for (partition, p) in &stats.partitions {
                // librdkafka reports -1 for partitions it does not consume.
                if *partition >= 0 && p.consumer_lag >= 0 {
                    self.metrics
                        .partition_lag(topic, *partition, p.consumer_lag);
                }
            }
        }
    }
}

impl ConsumerContext for SinkConsumerContext {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        // A cooperative rebalance may hand over no change at all for this member.
        if let Rebalance::Revoke(list) = rebalance
            && list.count() > 0
        {
            tracing::info!(partitions = %describe(list), "consumer partitions revoked");
            push_all(&self.events.revoked, list);
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(list) = rebalance
            && list.count() > 0
        {
            tracing::info!(partitions = %describe(list), "consumer partitions assigned");
            push_all(&self.events.assigned, list);
            // Partitions gained while paused stay quiet until the connector resumes.
            if self.paused.load(Ordering::Acquire)
                && let Err(err) = consumer.pause(list)
            {
                tracing::warn!(error = %err, "cannot pause newly assigned partitions");
            }
        }
    }
}

/// `topic-partition` names, for the log.
fn describe(list: &TopicPartitionList) -> String {
    let names: Vec<String> = list
        .elements()
        .iter()
        .map(|e| format!("{}-{}", e.topic(), e.partition()))
        .collect();
    names.join(",")
}

fn push_all(target: &Mutex<Vec<TopicPartition>>, list: &TopicPartitionList) {
    if let Ok(mut target) = target.lock() {
        target.extend(
            list.elements()
                .iter()
                .map(|e| TopicPartition::new(e.topic(), e.partition())),
        );
    }
}

fn take(source: &Mutex<Vec<TopicPartition>>) -> Vec<TopicPartition> {
    source
        .lock()
        .map(|mut v| std::mem::take(&mut *v))
        .unwrap_or_default()
}

/// Counters reported when the task stops.
#[derive(Debug, Default, Clone, Copy)]
pub struct SinkStats {
    pub consumed: u64,
    pub put: u64,
    pub dropped: u64,
    pub skipped: u64,
    pub offset_commits: u64,
}

pub struct SinkTaskLoop {
    pub id: TaskId,
    pub config: Props,
    pub task: Box<dyn SinkTask>,
    pub transforms: TransformChain,
    pub converter: Arc<RecordConverter>,
    pub consumer: StreamConsumer<SinkConsumerContext>,
    pub topics: SinkTopics,
    pub errors: Arc<ErrorHandler>,
    pub metrics: TaskMetrics,
    pub converter_classes: (String, String),
    pub connector_class: String,
    pub batch_size: usize,
    pub flush_interval: Duration,
    pub cancel: CancellationToken,
    /// True while the connector is paused: assigned partitions are paused, the group kept.
    pub paused: watch::Receiver<bool>,
    pub active_topics: TopicRecorder,
}

impl SinkTaskLoop {
    pub async fn run(mut self) -> ConnectResult<SinkStats> {
        let topics: Vec<String> = match &self.topics {
            SinkTopics::List(topics) => topics.clone(),
            // librdkafka treats a subscription starting with `^` as a regex.
            SinkTopics::Regex(regex) if regex.starts_with('^') => vec![regex.clone()],
            SinkTopics::Regex(regex) => vec![format!("^{regex}")],
        };
        let names: Vec<&str> = topics.iter().map(String::as_str).collect();
        self.consumer
            .subscribe(&names)
            .map_err(|e| ConnectError::fatal(format!("cannot subscribe to {topics:?}: {e}")))?;
        let dead_letters = Arc::new(PendingDeadLetters::default());
        let ctx = SinkTaskContext {
            connector: self.id.connector.clone(),
            task_id: self.id.task,
            config: self.config.clone(),
            reporter: Arc::new(SinkReporter {
                errors: self.errors.clone(),
                converter: self.converter.clone(),
                pending: dead_letters.clone(),
                class: self.connector_class.clone(),
            }),
        };
        self.task.start(ctx).await?;
        let mut stats = SinkStats::default();
        let mut pending = PartitionOffsets::new();
        let result = self
            .consume_loop(&mut pending, &mut stats, &dead_letters)
            .await;
        // Commit what was written unless the task failed mid-batch.
        let committed = match &result {
            Ok(()) => {
                self.flush_and_commit(&mut pending, &mut stats, &dead_letters)
                    .await
            }
            Err(_) => Ok(()),
        };
        let stopped = self.task.stop().await;
        self.consumer.unsubscribe();
        tracing::info!(task = %self.id, stats = ?stats, "sink task stopped");
        result.and(committed).and(stopped).map(|_| stats)
    }

    async fn consume_loop(
        &mut self,
        pending: &mut PartitionOffsets,
        stats: &mut SinkStats,
        dead_letters: &PendingDeadLetters,
    ) -> ConnectResult<()> {
        let mut next_flush = Instant::now() + self.flush_interval;
        self.apply_pause()?;
        loop {
            let first = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => return Ok(()),
                Ok(()) = self.paused.changed() => {
                    self.apply_pause()?;
                    continue;
                }
                _ = tokio::time::sleep_until(next_flush) => None,
                message = self.consumer.recv() => Some(message),
            };
            if let Some(message) = first {
                let mut messages = Vec::with_capacity(self.batch_size);
                let mut next = Some(message);
                while let Some(message) = next {
                    // librdkafka reports transient broker trouble as errors and recovers by itself.
                    match message {
                        Ok(message) => messages.push(message),
                        Err(err) => {
                            tracing::warn!(task = %self.id, error = %err, "consumer error");
                            break;
                        }
                    }
                    next = if messages.len() < self.batch_size {
                        self.consumer.recv().now_or_never()
                    } else {
                        None
                    };
                }
                stats.consumed += messages.len() as u64;
                self.metrics.sink_read(messages.len() as u64);
                let mut records = Vec::with_capacity(messages.len());
                let mut origins = Vec::with_capacity(messages.len());
                for (index, message) in messages.iter().enumerate() {
                    self.active_topics.record(message.topic());
                    pending.insert(
                        TopicPartition::new(message.topic(), message.partition()),
                        message.offset() + 1,
                    );
                    match convert(&self.converter, &self.converter_classes, message) {
                        Ok(mut record) => {
                            if !self.transforms.is_empty() {
                                // Kept for the dead-letter headers, since a transform may rename
                                // the topic.
                                record.original_topic = Some(record.topic.clone());
                            }
                            records.push(record);
                            origins.push(index);
                        }
                        Err((class, stage, error)) => {
                            let failure = Failure {
                                stage,
                                class_name: &class,
                                error: &error,
                            };
                            dead_letters
                                .push(self.errors.tolerate(failure, || failed_message(message))?);
                            stats.skipped += 1;
                        }
                    }
                }
                let batch = transform_batch(
                    &mut self.transforms,
                    &self.errors,
                    records,
                    |index| &messages[origins[index]],
                    stats,
                    dead_letters,
                )?;
                drop(messages);
                self.put(&batch).await?;
                self.metrics.sink_sent(batch.len() as u64);
                stats.put += batch.len() as u64;
            }
            self.handle_rebalance(pending).await?;
            if Instant::now() >= next_flush {
                match self.flush_and_commit(pending, stats, dead_letters).await {
                    Err(err) if err.is_retriable() => {
                        // Offsets stay pending; the next interval flushes and commits them again.
                        tracing::warn!(task = %self.id, error = %err.trace(), "flush or commit failed; will retry");
                    }
                    other => other?,
                }
                next_flush = Instant::now() + self.flush_interval;
            }
        }
    }

    /// Pauses or resumes the assigned partitions to match the connector's target state. The loop
    /// keeps polling while paused, so the task keeps its group membership.
    fn apply_pause(&mut self) -> ConnectResult<()> {
        let paused = *self.paused.borrow_and_update();
        self.consumer
            .context()
            .paused
            .store(paused, Ordering::Release);
        let assignment = self
            .consumer
            .assignment()
            .map_err(|e| ConnectError::retriable(format!("cannot read the assignment: {e}")))?;
        let switched = if paused {
            self.consumer.pause(&assignment)
        } else {
            self.consumer.resume(&assignment)
        };
        switched.map_err(|e| {
            ConnectError::retriable(format!("cannot pause or resume partitions: {e}")).caused_by(e)
        })
    }

    /// Delivers the batch, again after retriable errors (within `errors.retry.timeout`; for ever
    /// when it is 0, as Kafka Connect retries `put`).
    async fn put(&mut self, batch: &[Record]) -> ConnectResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut retrier = self.errors.retrier();
        loop {
            let started = Instant::now();
            let result = self.task.put(batch).await;
            self.metrics.put_batch(started.elapsed());
            match result {
                Ok(()) => return Ok(()),
                Err(err) => retrier.wait(err, "put", &self.cancel).await?,
            }
        }
    }

    async fn flush_and_commit(
        &mut self,
        pending: &mut PartitionOffsets,
        stats: &mut SinkStats,
        dead_letters: &PendingDeadLetters,
    ) -> ConnectResult<()> {
        if pending.is_empty() {
            return Ok(());
        }
        self.task.flush(pending).await?;
        // Offsets may pass a skipped record only once its dead-letter copy is stored.
        dead_letters.settle(&self.errors).await?;
        let mut list = TopicPartitionList::new();
        for (tp, offset) in pending.iter() {
            list.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*offset))
                .map_err(|e| ConnectError::fatal(format!("invalid offset for {tp:?}: {e}")))?;
        }
        let consumer = &self.consumer;
        tokio::task::block_in_place(|| consumer.commit(&list, CommitMode::Sync)).map_err(|e| {
            ConnectError::retriable(format!("cannot commit consumer offsets: {e}")).caused_by(e)
        })?;
        pending.clear();
        stats.offset_commits += 1;
        Ok(())
    }

    /// Opens newly assigned partitions; forgets positions of revoked ones, whose new owner
    /// resumes from the last commit (replaying, never skipping).
    async fn handle_rebalance(&mut self, pending: &mut PartitionOffsets) -> ConnectResult<()> {
        let context = self.consumer.context().clone();
        let revoked = take(&context.events.revoked);
        if !revoked.is_empty() {
            for tp in &revoked {
                pending.remove(tp);
            }
            self.task.close(&revoked).await?;
        }
        let assigned = take(&context.events.assigned);
        if !assigned.is_empty() {
            self.task.open(&assigned).await?;
        }
        Ok(())
    }
}

/// Runs converted records through the transforms; a record that fails is handled by the error
/// policy against the message it came from (`message(index)`).
fn transform_batch<'m>(
    transforms: &mut TransformChain,
    errors: &ErrorHandler,
    records: Vec<Record>,
    message: impl Fn(usize) -> &'m BorrowedMessage<'m>,
    stats: &mut SinkStats,
    dead_letters: &PendingDeadLetters,
) -> ConnectResult<Vec<Record>> {
    if transforms.is_empty() {
        return Ok(records);
    }
    let inputs = records.len();
    let mut batch = Vec::with_capacity(inputs);
    let mut seen = 0;
    let mut last = None;
    for (index, result) in transforms.apply_batch(records)? {
        if last != Some(index) {
            seen += 1;
            last = Some(index);
        }
        match result {
            Ok(record) => batch.push(record),
            Err(TransformError { class, error }) => {
                let failure = Failure {
                    stage: Stage::Transformation,
                    class_name: &class,
                    error: &error,
                };
                dead_letters.push(errors.tolerate(failure, || failed_message(message(index)))?);
                stats.skipped += 1;
            }
        }
    }
    // Inputs without an output or a failure were dropped by a transform.
    stats.dropped += (inputs - seen) as u64;
    Ok(batch)
}

/// Converts one message; a failure names the converter class and stage.
fn convert(
    converter: &RecordConverter,
    converter_classes: &(String, String),
    message: &BorrowedMessage<'_>,
) -> Result<Record, (String, Stage, ConnectError)> {
    converter.from_kafka(message).map_err(|(stage, error)| {
        let class = if stage == Stage::KeyConverter {
            &converter_classes.0
        } else {
            &converter_classes.1
        };
        (class.clone(), stage, error)
    })
}
