//! The status topic as a store: writes [`StatusRecord`]s without waiting for them, and folds
//! what the topic holds into a [`StatusState`].
//!
//! Status writes are reports, not decisions: a worker does not stop to wait for one. A write
//! that fails for a reason that may pass is sent again, for as long as it is still the newest
//! write of its key from this store; a newer status of the same connector or task makes the
//! older one moot. Failures are logged.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::producer::FutureProducer;
use sluice_api::{ConnectError, ConnectResult};
use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::status_log::{StatusRecord, StatusState};
use super::topics::{self, TopicReader};
use crate::config::WorkerConfig;

const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
const READ_TIMEOUT: Duration = Duration::from_secs(30);
const FIRST_RETRY: Duration = Duration::from_millis(200);
const LAST_RETRY: Duration = Duration::from_secs(10);

pub struct KafkaStatusStore {
    writer: Arc<Writer>,
    /// Shared with the blocking task each read runs on.
    reader: Arc<Mutex<TopicReader>>,
    runtime: Handle,
}

/// The sending half, shared with the tasks that wait for deliveries.
struct Writer {
    topic: String,
    producer: FutureProducer,
    /// Numbers every write, so a retry can tell whether a newer write of its key came since.
    sequence: AtomicU64,
    newest: Mutex<HashMap<String, u64>>,
    /// Writes neither acknowledged nor given up yet.
    in_flight: watch::Sender<usize>,
    /// Cancelled when the store is dropped: retries stop.
    closed: CancellationToken,
}

impl KafkaStatusStore {
    /// Connects to `topic`, which [`topics::ensure_internal_topics`] has created. Must be called
    /// within a Tokio runtime, which then runs the deliveries of [`KafkaStatusStore::put`].
    pub fn open(worker: &WorkerConfig, topic: &str) -> ConnectResult<KafkaStatusStore> {
        let runtime = Handle::try_current().map_err(|_| {
            ConnectError::fatal("the status store must be opened within a Tokio runtime")
        })?;
        let producer = topics::producer(worker, "sluice-status-writer", WRITE_TIMEOUT)?;
        let reader = TopicReader::new(worker, topic, "sluice-status-reader", None)?;
        Ok(KafkaStatusStore {
            writer: Arc::new(Writer {
                topic: topic.to_string(),
                producer,
                sequence: AtomicU64::new(0),
                newest: Mutex::new(HashMap::new()),
                in_flight: watch::Sender::new(0),
                closed: CancellationToken::new(),
            }),
            reader: Arc::new(Mutex::new(reader)),
            runtime,
        })
    }

    pub fn topic(&self) -> &str {
        &self.writer.topic
    }

    /// Queues a status write and returns at once. Writes of one key reach the topic in the
    /// order they were put. Callers replacing another worker's report check
    /// [`StatusState::is_stale`] first.
    pub fn put(&self, record: StatusRecord) {
        let (key, value) = record.encode();
        let writer = self.writer.clone();
        let sequence = writer.sequence.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut newest) = writer.newest.lock() {
            newest.insert(key.clone(), sequence);
        }
        writer.in_flight.send_modify(|n| *n += 1);
        // Queued here rather than in the task, so that the order of calls is the order sent.
        let first = topics::send(
            &writer.producer,
            &writer.topic,
            None,
            &key,
            value.as_deref(),
        );
        self.runtime.spawn(async move {
            writer
                .deliver(&key, value.as_deref(), sequence, first)
                .await;
            writer.in_flight.send_modify(|n| *n -= 1);
        });
    }

    /// Waits until every write put so far is acknowledged or given up (and logged).
    pub async fn flush(&self, timeout: Duration) -> ConnectResult<()> {
        let mut in_flight = self.writer.in_flight.subscribe();
        match tokio::time::timeout(timeout, in_flight.wait_for(|n| *n == 0)).await {
            Ok(_) => Ok(()),
            Err(_) => Err(ConnectError::retriable(format!(
                "{} status writes to topic {} still unacknowledged after {timeout:?}",
                *self.writer.in_flight.borrow(),
                self.writer.topic
            ))),
        }
    }

    /// Folds into `state` every record written since the previous call, up to the end of each
    /// partition, at least as far as it reached when the call began; returns how many were
    /// read. The first call reads the whole topic, so `state` must be the same state at every
    /// call. Records that cannot be parsed are logged and skipped, and stale ones are dropped
    /// as [`StatusState`] decides.
    pub async fn read_to_end(&self, state: &mut StatusState) -> ConnectResult<usize> {
        let records = self.read_records().await?;
        let count = records.len();
        for (offset, key, record) in records {
            if !state.apply(record) {
                tracing::debug!(topic = %self.writer.topic, offset, %key, "dropped a stale status");
            }
        }
        Ok(count)
    }

    /// The records written since the previous call, parsed, with their offsets and keys, up to
    /// the end of each partition; records that cannot be parsed, or are unknown, are logged and
    /// left out. For a caller that folds them into a state it shares.
    pub async fn read_records(&self) -> ConnectResult<Vec<(i64, String, StatusRecord)>> {
        let reader = self.reader.clone();
        let records = tokio::task::spawn_blocking(move || {
            let mut reader = reader
                .lock()
                .map_err(|_| ConnectError::fatal("a status topic read panicked earlier"))?;
            reader.read_to_end(READ_TIMEOUT)
        })
        .await
        .map_err(|e| ConnectError::fatal(format!("status topic reader panicked: {e}")))??;
        let topic = &self.writer.topic;
        let mut parsed = Vec::with_capacity(records.len());
        for record in &records {
            let offset = record.offset;
            let Some(key) = record.key_text() else {
                tracing::warn!(%topic, offset, "skipping a status record without a key");
                continue;
            };
            match StatusRecord::parse(&key, record.value.as_deref()) {
                Ok(StatusRecord::Unknown(key)) => {
                    tracing::debug!(%topic, offset, %key, "skipping an unknown status record");
                }
                Ok(record) => parsed.push((offset, key, record)),
                Err(e) => tracing::warn!(%topic, offset, error = %e, "skipping a status record"),
            }
        }
        Ok(parsed)
    }

    /// The next offset to read in each partition seen so far.
    pub fn positions(&self) -> ConnectResult<Vec<(i32, i64)>> {
        let reader = self
            .reader
            .lock()
            .map_err(|_| ConnectError::fatal("a status topic read panicked earlier"))?;
        Ok(reader.positions().iter().map(|(p, o)| (*p, *o)).collect())
    }
}

impl Drop for KafkaStatusStore {
    fn drop(&mut self) {
        self.writer.closed.cancel();
    }
}

impl Writer {
    /// Waits for one write, sending it again while the failure may pass and no newer write of
    /// the key was put.
    async fn deliver(
        &self,
        key: &str,
        value: Option<&[u8]>,
        sequence: u64,
        mut attempt: ConnectResult<rdkafka::producer::DeliveryFuture>,
    ) {
        let mut backoff = FIRST_RETRY;
        loop {
            let error = match attempt {
                Ok(delivery) => match topics::delivered(delivery, &self.topic, key).await {
                    Ok(()) => return,
                    Err(e) => e,
                },
                Err(e) => e,
            };
            if !error.is_retriable() {
                let error = error.trace();
                tracing::error!(topic = %self.topic, %key, %error, "status write failed");
                return;
            }
            tracing::warn!(
                topic = %self.topic,
                %key,
                error = %error,
                retry_in = ?backoff,
                "status write failed; retrying"
            );
            tokio::select! {
                () = self.closed.cancelled() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            if !self.is_newest(key, sequence) {
                tracing::debug!(topic = %self.topic, %key, "a newer status replaced a failed one");
                return;
            }
            backoff = (backoff * 2).min(LAST_RETRY);
            attempt = topics::send(&self.producer, &self.topic, None, key, value);
        }
    }

    fn is_newest(&self, key: &str, sequence: u64) -> bool {
        self.newest
            .lock()
            .map(|newest| newest.get(key) == Some(&sequence))
            .unwrap_or(false)
    }
}
