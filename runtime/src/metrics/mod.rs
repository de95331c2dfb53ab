//! Prometheus metrics for the worker, named after Kafka Connect's JMX metrics the way the JMX
//! exporter maps them: `kafka_connect_<group>_<metric>`, `-` → `_`, with `connector` and `task`
//! labels (e.g. `kafka_connect_source_task_metrics_source_record_poll_total{connector,task}`).
//!
//! Kafka Connect's `*-rate`, `*-avg` and `*-percentage` metrics are not exported: Prometheus
//! derives them from the totals and histograms (`rate(…_total[1m])`, `…_sum / …_count`).

mod server;
mod task;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

pub use server::{MetricsServer, parse_listener, serve};
pub use task::TaskMetrics;

const NAMESPACE: &str = "kafka_connect";
const TASK_LABELS: &[&str] = &["connector", "task"];
/// Task states as Kafka Connect's `status` metric reports them (lower case).
const TASK_STATES: &[&str] = &["unassigned", "running", "paused", "failed", "restarting"];

/// Batch times (poll, put, offset commit), in seconds.
const BATCH_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Per-record transform times, in seconds.
const TRANSFORM_BUCKETS: &[f64] = &[
    0.000_001, 0.000_005, 0.000_01, 0.000_05, 0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1,
];

/// Totals across all tasks, for the progress line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgressSummary {
    /// Records polled from source connectors plus records read from Kafka by sink tasks.
    pub records_in: u64,
    /// Records acknowledged by Kafka (sources) plus records handed to sink connectors.
    pub records_out: u64,
    /// Records that ended in error (`total-record-errors`).
    pub errors: u64,
    /// Records skipped by `errors.tolerance=all` (`total-records-skipped`).
    pub skipped: u64,
    /// The largest `sink-record-lag-max` of any task: how far the furthest partition is behind.
    pub lag: i64,
}

/// The worker's metric registry. Create once, share as `Arc<Metrics>`, and hand each task its
/// [`TaskMetrics`] from [`Metrics::task`].
pub struct Metrics {
    registry: Registry,
    families: Families,
    worker: WorkerMetrics,
    /// Every task's handles, by connector and task number; a restarted task gets the same ones.
    tasks: Mutex<HashMap<(String, u32), TaskMetrics>>,
}

/// Worker-wide metrics (`connect-worker-metrics`).
struct WorkerMetrics {
    connector_count: IntGauge,
    task_count: IntGauge,
    connector_attempts: IntCounter,
    connector_success: IntCounter,
    connector_failure: IntCounter,
    task_attempts: IntCounter,
    task_success: IntCounter,
    task_failure: IntCounter,
    connector_status: IntGaugeVec,
}

/// Per-task metric families; [`TaskMetrics`] holds handles bound to one task's labels.
pub(crate) struct Families {
    pub source_polled: IntCounterVec,
    pub source_written: IntCounterVec,
    pub poll_batch: HistogramVec,
    pub sink_read: IntCounterVec,
    pub sink_sent: IntCounterVec,
    pub put_batch: HistogramVec,
    pub lag_max: IntGaugeVec,
    pub commit_success: IntCounterVec,
    pub commit_failure: IntCounterVec,
    pub commit_time: HistogramVec,
    pub status: IntGaugeVec,
    pub transform_time: HistogramVec,
    pub plugin_counters: IntCounterVec,
    pub record_failures: IntCounterVec,
    pub record_errors: IntCounterVec,
    pub records_skipped: IntCounterVec,
    pub retries: IntCounterVec,
    pub errors_logged: IntCounterVec,
    pub dlq_requests: IntCounterVec,
    pub dlq_failures: IntCounterVec,
    pub last_error: IntGaugeVec,
}

/// Registers metrics under `kafka_connect_<group>_…`; names are fixed here, so a failure is a bug.
struct Builder<'a> {
    registry: &'a Registry,
}

impl Builder<'_> {
    fn opts(group: &str, name: &str, help: &str) -> Opts {
        Opts::new(name, help).namespace(NAMESPACE).subsystem(group)
    }

    fn register<C: prometheus::core::Collector + Clone + 'static>(&self, c: C) -> C {
        self.registry
            .register(Box::new(c.clone()))
            .expect("metric names are unique and valid");
        c
    }

    fn counter(&self, group: &str, name: &str, help: &str) -> IntCounter {
        self.register(IntCounter::with_opts(Self::opts(group, name, help)).expect("valid metric"))
    }

    fn gauge(&self, group: &str, name: &str, help: &str) -> IntGauge {
        self.register(IntGauge::with_opts(Self::opts(group, name, help)).expect("valid metric"))
    }

    fn counters(&self, group: &str, name: &str, help: &str) -> IntCounterVec {
        self.register(
            IntCounterVec::new(Self::opts(group, name, help), TASK_LABELS).expect("valid metric"),
        )
    }

    fn gauges(&self, group: &str, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
        self.register(
            IntGaugeVec::new(Self::opts(group, name, help), labels).expect("valid metric"),
        )
    }

    fn histograms(
        &self,
        group: &str,
        name: &str,
        help: &str,
        labels: &[&str],
        buckets: &[f64],
    ) -> HistogramVec {
        let opts = HistogramOpts::from(Self::opts(group, name, help)).buckets(buckets.to_vec());
        self.register(HistogramVec::new(opts, labels).expect("valid metric"))
    }
}

const WORKER: &str = "worker_metrics";
const CONNECTOR: &str = "connector_metrics";
const CONNECTOR_TASK: &str = "connector_task_metrics";
const SOURCE_TASK: &str = "source_task_metrics";
const SINK_TASK: &str = "sink_task_metrics";
const TASK_ERROR: &str = "task_error_metrics";

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        let registry = Registry::new();
        let b = Builder {
            registry: &registry,
        };
        let worker = WorkerMetrics {
            connector_count: b.gauge(
                WORKER,
                "connector_count",
                "Connectors running on this worker.",
            ),
            task_count: b.gauge(WORKER, "task_count", "Tasks running on this worker."),
            connector_attempts: b.counter(
                WORKER,
                "connector_startup_attempts_total",
                "Connector starts attempted.",
            ),
            connector_success: b.counter(
                WORKER,
                "connector_startup_success_total",
                "Connector starts that succeeded.",
            ),
            connector_failure: b.counter(
                WORKER,
                "connector_startup_failure_total",
                "Connector starts that failed.",
            ),
            task_attempts: b.counter(
                WORKER,
                "task_startup_attempts_total",
                "Task starts attempted.",
            ),
            task_success: b.counter(
                WORKER,
                "task_startup_success_total",
                "Task starts that succeeded.",
            ),
            task_failure: b.counter(
                WORKER,
                "task_startup_failure_total",
                "Task starts that failed.",
            ),
            connector_status: b.gauges(
                CONNECTOR,
                "status",
                "1 for the connector's current state (label status), 0 otherwise.",
                &["connector", "status"],
            ),
        };
        let families = Families {
            source_polled: b.counters(
                SOURCE_TASK,
                "source_record_poll_total",
                "Records produced by the source task (before transforms).",
            ),
            source_written: b.counters(
                SOURCE_TASK,
                "source_record_write_total",
                "Records written to Kafka and acknowledged.",
            ),
            poll_batch: b.histograms(
                SOURCE_TASK,
                "poll_batch_time_seconds",
                "Time to poll a batch of source records.",
                TASK_LABELS,
                BATCH_BUCKETS,
            ),
            sink_read: b.counters(
                SINK_TASK,
                "sink_record_read_total",
                "Records read from Kafka by the sink task.",
            ),
            sink_sent: b.counters(
                SINK_TASK,
                "sink_record_send_total",
                "Records handed to the sink task's put (after transforms).",
            ),
            put_batch: b.histograms(
                SINK_TASK,
                "put_batch_time_seconds",
                "Time for the sink task's put of one batch.",
                TASK_LABELS,
                BATCH_BUCKETS,
            ),
            lag_max: b.gauges(
                SINK_TASK,
                "sink_record_lag_max",
                "Largest consumer lag, in records, of any partition of the task.",
                TASK_LABELS,
            ),
            commit_success: b.counters(
                CONNECTOR_TASK,
                "offset_commit_success_total",
                "Offset commits that succeeded.",
            ),
            commit_failure: b.counters(
                CONNECTOR_TASK,
                "offset_commit_failure_total",
                "Offset commits that failed.",
            ),
            commit_time: b.histograms(
                CONNECTOR_TASK,
                "offset_commit_time_seconds",
                "Time taken by offset commits.",
                TASK_LABELS,
                BATCH_BUCKETS,
            ),
            status: b.gauges(
                CONNECTOR_TASK,
                "status",
                "1 for the task's current state (label status), 0 otherwise.",
                &["connector", "task", "status"],
            ),
            transform_time: b.histograms(
                CONNECTOR_TASK,
                "transform_time_seconds",
                "Time one transform (label transform, its alias) takes per record, averaged over each batch.",
                &["connector", "task", "transform"],
                TRANSFORM_BUCKETS,
            ),
            plugin_counters: b.register(
                IntCounterVec::new(
                    Builder::opts(
                        CONNECTOR_TASK,
                        "plugin_counter_total",
                        "Counters a WASM transform plugin (label transform) keeps, by name.",
                    ),
                    &["connector", "task", "transform", "counter"],
                )
                .expect("valid metric"),
            ),
            record_failures: b.counters(
                TASK_ERROR,
                "total_record_failures",
                "Failed attempts to process a record, retries included.",
            ),
            record_errors: b.counters(
                TASK_ERROR,
                "total_record_errors",
                "Records that ended in error.",
            ),
            records_skipped: b.counters(
                TASK_ERROR,
                "total_records_skipped",
                "Records skipped because of errors.",
            ),
            retries: b.counters(TASK_ERROR, "total_retries", "Retried operations."),
            errors_logged: b.counters(TASK_ERROR, "total_errors_logged", "Errors logged."),
            dlq_requests: b.counters(
                TASK_ERROR,
                "deadletterqueue_produce_requests",
                "Records sent to the dead letter queue.",
            ),
            dlq_failures: b.counters(
                TASK_ERROR,
                "deadletterqueue_produce_failures",
                "Failed writes to the dead letter queue.",
            ),
            last_error: b.gauges(
                TASK_ERROR,
                "last_error_timestamp",
                "When the task last saw an error, in milliseconds since the epoch.",
                TASK_LABELS,
            ),
        };
        #[cfg(target_os = "linux")]
        registry
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .expect("process metrics register once");
        Arc::new(Metrics {
            registry,
            families,
            worker,
            tasks: Mutex::new(HashMap::new()),
        })
    }

    /// Handles bound to one task's labels; cheap to clone. The same task gets the same handles.
    pub fn task(&self, connector: &str, task: u32) -> TaskMetrics {
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks
            .entry((connector.to_string(), task))
            .or_insert_with(|| TaskMetrics::new(&self.families, connector, task))
            .clone()
    }

    /// A connector start was attempted; `ok` when it started.
    pub fn connector_started(&self, connector: &str, ok: bool) {
        let w = &self.worker;
        w.connector_attempts.inc();
        if ok {
            w.connector_success.inc();
            w.connector_count.inc();
        } else {
            w.connector_failure.inc();
        }
        let (now, other) = if ok {
            ("running", "failed")
        } else {
            ("failed", "running")
        };
        w.connector_status
            .with_label_values(&[connector, now])
            .set(1);
        w.connector_status
            .with_label_values(&[connector, other])
            .set(0);
    }

    /// A connector that had started has stopped or been deleted.
    pub fn connector_stopped(&self, connector: &str) {
        let w = &self.worker;
        w.connector_count.dec();
        for state in ["running", "failed"] {
            w.connector_status
                .with_label_values(&[connector, state])
                .set(0);
        }
    }

    /// A task start was attempted; `ok` when it started (then pair it with [`Self::task_stopped`]).
    pub fn task_started(&self, ok: bool) {
        let w = &self.worker;
        w.task_attempts.inc();
        if ok {
            w.task_success.inc();
            w.task_count.inc();
        } else {
            w.task_failure.inc();
        }
    }

    /// A task that had started has ended.
    pub fn task_stopped(&self) {
        self.worker.task_count.dec();
    }

    /// Every metric in the Prometheus text format (version 0.0.4), process metrics included
    /// (`process_resident_memory_bytes`, `process_cpu_seconds_total`, …).
    pub fn render(&self) -> String {
        TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .unwrap_or_else(|err| {
                tracing::warn!(error = %err, "cannot render metrics");
                String::new()
            })
    }

    /// Totals across every task, for the progress line.
    pub fn summary(&self) -> ProgressSummary {
        let tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks
            .values()
            .fold(ProgressSummary::default(), |sum, t| t.add_to(sum))
    }
}

/// A histogram observation in seconds.
pub(crate) fn observe(histogram: &Histogram, elapsed: std::time::Duration) {
    histogram.observe(elapsed.as_secs_f64());
}

#[cfg(test)]
mod tests;
