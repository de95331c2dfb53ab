//! What happens to a record that failed for good: fail the task (`errors.tolerance=none`) or
//! skip it — logged and dead-lettered as configured (`errors.tolerance=all`).

use rdkafka::producer::DeliveryFuture;
use sluice_api::{ConnectError, ConnectResult};

use super::dlq::{DeadLetterQueue, FailedRecord, Failure};
use super::policy::ErrorPolicy;
use super::retry::Retrier;
use crate::metrics::TaskMetrics;
use crate::worker::status::TaskId;

pub struct ErrorHandler {
    pub policy: ErrorPolicy,
    dlq: Option<DeadLetterQueue>,
    id: TaskId,
    metrics: TaskMetrics,
}

impl ErrorHandler {
    pub fn new(
        policy: ErrorPolicy,
        dlq: Option<DeadLetterQueue>,
        id: TaskId,
        metrics: TaskMetrics,
    ) -> Self {
        ErrorHandler {
            policy,
            dlq,
            id,
            metrics,
        }
    }

    /// A retrier for task operations (`poll`, `put`) under this policy.
    pub fn retrier(&self) -> Retrier {
        Retrier::new(
            self.policy.task_retry_timeout(),
            self.policy.retry_delay_max,
            self.metrics.clone(),
        )
    }

    /// Applies the tolerance to a record that failed. `Ok(Some(ack))` when it was sent to the
    /// dead-letter queue (its offset must not be committed before `ack`), `Ok(None)` when
    /// skipped, `Err` when the task must fail.
    pub fn tolerate(
        &self,
        failure: Failure<'_>,
        record: impl FnOnce() -> FailedRecord,
    ) -> ConnectResult<Option<DeliveryFuture>> {
        self.metrics.record_failure();
        self.metrics.record_error();
        self.metrics.last_error_now();
        let record = (self.policy.log || self.policy.tolerate_all).then(record);
        if let (true, Some(record)) = (self.policy.log, &record) {
            self.log(&failure, record);
        }
        let Some(record) = record.filter(|_| self.policy.tolerate_all) else {
            let message = format!(
                "Tolerance exceeded in error handler: {} ({}) failed: {}",
                failure.stage.as_str(),
                failure.class_name,
                failure.error
            );
            return Err(ConnectError::fatal(message).caused_by(failure.error.trace()));
        };
        self.metrics.record_skipped();
        let Some(dlq) = &self.dlq else {
            return Ok(None);
        };
        match dlq.send(&record, &failure) {
            Ok(ack) => {
                self.metrics.dlq_produce(true);
                Ok(Some(ack))
            }
            Err(err) => {
                self.metrics.dlq_produce(false);
                Err(err)
            }
        }
    }

    /// Counts a failed dead-letter delivery seen when awaiting its acknowledgement.
    pub fn dead_letter_failed(&self) {
        self.metrics.dlq_produce(false);
    }

    fn log(&self, failure: &Failure<'_>, record: &FailedRecord) {
        self.metrics.error_logged();
        let (task, stage, class) = (&self.id, failure.stage.as_str(), failure.class_name);
        let error = failure.error.trace();
        if self.policy.log_messages {
            let text = |bytes: &Option<Vec<u8>>| {
                bytes
                    .as_deref()
                    .map(String::from_utf8_lossy)
                    .unwrap_or_default()
                    .into_owned()
            };
            let headers: Vec<String> = record
                .headers
                .iter()
                .map(|(k, v)| format!("{k}={}", text(v)))
                .collect();
            tracing::error!(
                %task, stage, class, topic = record.topic, partition = record.partition, offset = record.offset,
                key = text(&record.key), value = text(&record.value), headers = ?headers, %error,
                "error processing record"
            );
        } else {
            tracing::error!(
                %task, stage, class, topic = record.topic, partition = record.partition, offset = record.offset,
                %error, "error processing record"
            );
        }
    }
}
