//! Statuses in distributed mode: what this worker's connectors and tasks report goes to the
//! status topic with the worker's id and generation, and every worker folds the topic into the
//! view the REST API shows, so any worker answers for the whole cluster.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio_util::sync::CancellationToken;

use crate::config::providers::Redactor;
use crate::distributed::status_log::{Status, StatusRecord, StatusState};
use crate::distributed::status_store::KafkaStatusStore;
use crate::worker::status::{StatusChange, StatusListener, TaskId};
use crate::worker::topics::TopicListener;

/// How often the status topic is read for other workers' reports.
const READ_INTERVAL: Duration = Duration::from_millis(500);
/// How long shutdown waits for the last status writes.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// The cluster's statuses, and this worker's way of reporting its own.
pub struct StatusView {
    store: KafkaStatusStore,
    state: Mutex<StatusState>,
    worker_id: OnceLock<String>,
    /// The generation this worker's work was assigned in; reports carry it so that a report
    /// from a worker the group has moved on from loses to the new owner's.
    generation: AtomicI32,
    /// Hides provider-supplied secrets of each connector from the traces that leave the worker.
    redactors: Mutex<BTreeMap<String, Redactor>>,
}

impl StatusView {
    pub fn new(store: KafkaStatusStore) -> Arc<StatusView> {
        Arc::new(StatusView {
            store,
            state: Mutex::new(StatusState::new()),
            worker_id: OnceLock::new(),
            generation: AtomicI32::new(-1),
            redactors: Mutex::new(BTreeMap::new()),
        })
    }

    pub fn set_worker_id(&self, id: String) {
        let _ = self.worker_id.set(id);
    }

    pub fn set_generation(&self, generation: i32) {
        self.generation.store(generation, Ordering::Release);
    }

    pub fn set_redactor(&self, connector: &str, redactor: Redactor) {
        lock(&self.redactors).insert(connector.to_string(), redactor);
    }

    /// What the worker's status board hears: every change becomes a status record.
    pub fn listener(self: &Arc<Self>) -> StatusListener {
        let view = self.clone();
        Arc::new(move |change| view.report(change))
    }

    /// What the worker's active-topic recorders hear: every newly used topic becomes a record.
    pub fn topic_listener(self: &Arc<Self>) -> TopicListener {
        let view = self.clone();
        Arc::new(move |task: &TaskId, topic: &str| {
            let discover_timestamp = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            view.put(StatusRecord::Topic {
                connector: task.connector.clone(),
                topic: topic.to_string(),
                task: task.task,
                discover_timestamp,
            });
        })
    }

    fn report(&self, change: StatusChange) {
        let (connector, record) = match change {
            StatusChange::Connector(name, status) => {
                let status = self.status(&name, status);
                (name.clone(), StatusRecord::Connector { name, status })
            }
            StatusChange::Task(id, status) => {
                let status = self.status(&id.connector, status);
                (id.connector.clone(), StatusRecord::Task { id, status })
            }
        };
        if self.is_stale(&record) {
            tracing::debug!(%connector, "not reporting a status another worker now owns");
            return;
        }
        self.put(record);
    }

    fn status(&self, connector: &str, status: crate::worker::status::TaskStatus) -> Option<Status> {
        let trace = status
            .trace
            .map(|trace| match lock(&self.redactors).get(connector) {
                Some(redactor) => redactor.redact(&trace),
                None => trace,
            });
        Some(Status {
            state: status.state,
            trace,
            worker_id: self.worker_id.get().cloned().unwrap_or_default(),
            generation: self.generation.load(Ordering::Acquire),
        })
    }

    fn is_stale(&self, record: &StatusRecord) -> bool {
        lock(&self.state).is_stale(record)
    }

    /// Writes a record and shows it here at once, without waiting for it to be read back.
    pub fn put(&self, record: StatusRecord) {
        lock(&self.state).apply(record.clone());
        self.store.put(record);
    }

    /// Reads what the view holds.
    pub fn read<T>(&self, f: impl FnOnce(&StatusState) -> T) -> T {
        f(&lock(&self.state))
    }

    /// Folds the status topic into the view until `cancel` fires, then waits for the last
    /// writes of this worker to be acknowledged.
    pub async fn follow(&self, cancel: CancellationToken) {
        loop {
            match self.store.read_records().await {
                Ok(records) => {
                    let mut state = lock(&self.state);
                    for (_, _, record) in records {
                        state.apply(record);
                    }
                }
                Err(err) => tracing::warn!(error = %err.trace(), "cannot read the status topic"),
            }
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(READ_INTERVAL) => {}
            }
        }
        if let Err(err) = self.store.flush(FLUSH_TIMEOUT).await {
            tracing::warn!(error = %err.trace(), "last status writes not acknowledged");
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves data that is still a valid view.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
