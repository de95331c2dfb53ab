//! Retries of retriable failures: exponential backoff capped by `errors.retry.delay.max.ms`,
//! for as long as `errors.retry.timeout` allows.

use std::time::Duration;

use sluice_api::ConnectError;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::metrics::TaskMetrics;

const INITIAL_DELAY: Duration = Duration::from_millis(300);

/// Retry state for one failing operation; start a new one after a success.
pub struct Retrier {
    deadline: Option<Instant>,
    delay: Duration,
    max_delay: Duration,
    attempts: u32,
    metrics: TaskMetrics,
}

impl Retrier {
    /// `timeout` None retries for ever.
    pub fn new(timeout: Option<Duration>, max_delay: Duration, metrics: TaskMetrics) -> Self {
        Retrier {
            deadline: timeout.map(|t| Instant::now() + t),
            delay: INITIAL_DELAY.min(max_delay),
            max_delay,
            attempts: 0,
            metrics,
        }
    }

    /// Waits before the next attempt, or gives `error` back when retries are exhausted or the
    /// task is stopping.
    pub async fn wait(
        &mut self,
        error: ConnectError,
        what: &str,
        cancel: &CancellationToken,
    ) -> Result<(), ConnectError> {
        self.metrics.record_failure();
        let now = Instant::now();
        if !error.is_retriable() || self.deadline.is_some_and(|d| now + self.delay > d) {
            if self.attempts > 0 {
                let message = format!("{what} failed after {} retries: {error}", self.attempts);
                return Err(ConnectError::fatal(message).caused_by(error));
            }
            return Err(error);
        }
        self.attempts += 1;
        self.metrics.retry();
        tracing::warn!(error = %error.trace(), attempt = self.attempts, delay_ms = self.delay.as_millis() as u64, "{what} failed, retrying");
        let delay = self.delay;
        self.delay = (self.delay * 2).min(self.max_delay);
        tokio::select! {
            _ = cancel.cancelled() => Err(error),
            _ = tokio::time::sleep(delay) => Ok(()),
        }
    }
}
