//! One task's metric handles, bound to its `connector` and `task` labels once, so that the task
//! loops only touch atomics per record.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus::{Histogram, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec};

use super::{Families, ProgressSummary, TASK_STATES, observe};

/// Metric handles for one task; clones share them. Every call is a few atomic operations, except
/// [`TaskMetrics::partition_lag`], [`TaskMetrics::transform_time`] and
/// [`TaskMetrics::set_status`], which take an uncontended per-task lock.
#[derive(Clone)]
pub struct TaskMetrics {
    inner: Arc<Inner>,
}

struct Inner {
    source_polled: IntCounter,
    source_written: IntCounter,
    poll_batch: Histogram,
    sink_read: IntCounter,
    sink_sent: IntCounter,
    put_batch: Histogram,
    lag_max: IntGauge,
    lags: Mutex<Lags>,
    commit_success: IntCounter,
    commit_failure: IntCounter,
    commit_time: Histogram,
    record_failures: IntCounter,
    record_errors: IntCounter,
    records_skipped: IntCounter,
    retries: IntCounter,
    errors_logged: IntCounter,
    dlq_requests: IntCounter,
    dlq_failures: IntCounter,
    last_error: IntGauge,
    /// Per transform alias, created on first use.
    transforms: Mutex<Vec<(Box<str>, Histogram)>>,
    transform_family: HistogramVec,
    plugin_counters: IntCounterVec,
    /// One gauge per state seen (the standard ones up front); the current one is 1.
    states: Mutex<Vec<(String, IntGauge)>>,
    status_family: IntGaugeVec,
    connector: Box<str>,
    task: Box<str>,
}

/// The latest lag of each partition the task consumes, and their maximum.
struct Lags {
    by_topic: HashMap<Box<str>, HashMap<i32, i64>>,
    max: i64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl TaskMetrics {
    pub(crate) fn new(f: &Families, connector: &str, task: u32) -> TaskMetrics {
        let task_label = task.to_string();
        let labels = [connector, task_label.as_str()];
        let states = TASK_STATES
            .iter()
            .map(|state| {
                let gauge = f
                    .status
                    .with_label_values(&[connector, task_label.as_str(), state]);
                gauge.set(i64::from(*state == "unassigned"));
                (state.to_string(), gauge)
            })
            .collect();
        TaskMetrics {
            inner: Arc::new(Inner {
                source_polled: f.source_polled.with_label_values(&labels),
                source_written: f.source_written.with_label_values(&labels),
                poll_batch: f.poll_batch.with_label_values(&labels),
                sink_read: f.sink_read.with_label_values(&labels),
                sink_sent: f.sink_sent.with_label_values(&labels),
                put_batch: f.put_batch.with_label_values(&labels),
                lag_max: f.lag_max.with_label_values(&labels),
                lags: Mutex::new(Lags {
                    by_topic: HashMap::new(),
                    max: i64::MIN,
                }),
                commit_success: f.commit_success.with_label_values(&labels),
                commit_failure: f.commit_failure.with_label_values(&labels),
                commit_time: f.commit_time.with_label_values(&labels),
                record_failures: f.record_failures.with_label_values(&labels),
                record_errors: f.record_errors.with_label_values(&labels),
                records_skipped: f.records_skipped.with_label_values(&labels),
                retries: f.retries.with_label_values(&labels),
                errors_logged: f.errors_logged.with_label_values(&labels),
                dlq_requests: f.dlq_requests.with_label_values(&labels),
                dlq_failures: f.dlq_failures.with_label_values(&labels),
                last_error: f.last_error.with_label_values(&labels),
                transforms: Mutex::new(Vec::new()),
                transform_family: f.transform_time.clone(),
                plugin_counters: f.plugin_counters.clone(),
                states: Mutex::new(states),
                status_family: f.status.clone(),
                connector: connector.into(),
                task: task_label.into(),
            }),
        }
    }

    /// Records a source task's `poll` returned (`source-record-poll-total`).
    pub fn source_polled(&self, n: u64) {
        self.inner.source_polled.inc_by(n);
    }

    /// Records Kafka acknowledged (`source-record-write-total`).
    pub fn source_written(&self, n: u64) {
        self.inner.source_written.inc_by(n);
    }

    /// How long one `poll` took (`poll-batch-time`).
    pub fn poll_batch(&self, elapsed: Duration) {
        observe(&self.inner.poll_batch, elapsed);
    }

    /// Records a sink task read from Kafka (`sink-record-read-total`).
    pub fn sink_read(&self, n: u64) {
        self.inner.sink_read.inc_by(n);
    }

    /// Records handed to the sink task's `put` (`sink-record-send-total`).
    pub fn sink_sent(&self, n: u64) {
        self.inner.sink_sent.inc_by(n);
    }

    /// How long one `put` took (`put-batch-time`).
    pub fn put_batch(&self, elapsed: Duration) {
        observe(&self.inner.put_batch, elapsed);
    }

    /// The latest lag of one partition; `sink-record-lag-max` is the largest over the task's
    /// partitions. A partition keeps its last value until it is reported again.
    pub fn partition_lag(&self, topic: &str, partition: i32, lag: i64) {
        let mut guard = lock(&self.inner.lags);
        let lags = &mut *guard;
        let previous = match lags.by_topic.get_mut(topic) {
            Some(partitions) => partitions.insert(partition, lag),
            None => {
                lags.by_topic
                    .insert(topic.into(), HashMap::from([(partition, lag)]));
                None
            }
        };
        if lag >= lags.max {
            lags.max = lag;
        } else if previous == Some(lags.max) {
            // The partition that held the maximum went down: look again.
            lags.max = lags
                .by_topic
                .values()
                .flat_map(|partitions| partitions.values())
                .copied()
                .max()
                .unwrap_or(lag);
        }
        self.inner.lag_max.set(lags.max);
    }

    /// One offset commit; its time is recorded when it succeeded, as Kafka Connect does.
    pub fn offset_commit(&self, ok: bool, elapsed: Duration) {
        if ok {
            self.inner.commit_success.inc();
            observe(&self.inner.commit_time, elapsed);
        } else {
            self.inner.commit_failure.inc();
        }
    }

    /// A failed attempt to process a record, retries included (`total-record-failures`).
    pub fn record_failure(&self) {
        self.inner.record_failures.inc();
    }

    /// A record that ended in error (`total-record-errors`).
    pub fn record_error(&self) {
        self.inner.record_errors.inc();
    }

    /// A record skipped because of an error (`total-records-skipped`).
    pub fn record_skipped(&self) {
        self.inner.records_skipped.inc();
    }

    /// An operation retried (`total-retries`).
    pub fn retry(&self) {
        self.inner.retries.inc();
    }

    /// An error logged (`total-errors-logged`).
    pub fn error_logged(&self) {
        self.inner.errors_logged.inc();
    }

    /// A record sent to the dead letter queue (`deadletterqueue-produce-requests`), and whether
    /// the write failed (`deadletterqueue-produce-failures`).
    pub fn dlq_produce(&self, ok: bool) {
        self.inner.dlq_requests.inc();
        if !ok {
            self.inner.dlq_failures.inc();
        }
    }

    /// Sets `last-error-timestamp` to now, in milliseconds since the epoch.
    pub fn last_error_now(&self) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        self.inner
            .last_error
            .set(i64::try_from(now).unwrap_or(i64::MAX));
    }

    /// How long the transform with this alias took for one record (a batch's average).
    pub fn transform_time(&self, alias: &str, elapsed: Duration) {
        let mut transforms = lock(&self.inner.transforms);
        if let Some((_, histogram)) = transforms.iter().find(|(a, _)| &**a == alias) {
            observe(histogram, elapsed);
            return;
        }
        let histogram = self.inner.transform_family.with_label_values(&[
            &*self.inner.connector,
            &*self.inner.task,
            alias,
        ]);
        observe(&histogram, elapsed);
        transforms.push((alias.into(), histogram));
    }

    /// Adds to a counter a transform plugin keeps (`plugin_counter_total`).
    pub fn plugin_counter(&self, alias: &str, name: &str, delta: u64) {
        self.inner
            .plugin_counters
            .with_label_values(&[&*self.inner.connector, &*self.inner.task, alias, name])
            .inc_by(delta);
    }

    /// The task's state (`RUNNING`, `FAILED`, …): its `status` series becomes 1, the others 0.
    pub fn set_status(&self, state: &str) {
        let state = state.to_ascii_lowercase();
        let mut states = lock(&self.inner.states);
        if !states.iter().any(|(s, _)| *s == state) {
            let gauge = self.inner.status_family.with_label_values(&[
                &*self.inner.connector,
                &*self.inner.task,
                &state,
            ]);
            states.push((state.clone(), gauge));
        }
        for (s, gauge) in states.iter() {
            gauge.set(i64::from(*s == state));
        }
    }

    /// Adds this task's totals to `sum`.
    pub(crate) fn add_to(&self, sum: ProgressSummary) -> ProgressSummary {
        let i = &self.inner;
        ProgressSummary {
            records_in: sum.records_in + i.source_polled.get() + i.sink_read.get(),
            records_out: sum.records_out + i.source_written.get() + i.sink_sent.get(),
            errors: sum.errors + i.record_errors.get(),
            skipped: sum.skipped + i.records_skipped.get(),
            lag: sum.lag.max(i.lag_max.get()),
        }
    }
}
