//! Exponential backoff between retries of a retriable failure.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Doubles the delay on each failure, from `initial` up to `max`.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    current: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(Duration::from_millis(100), Duration::from_secs(10))
    }
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max,
            current: initial,
        }
    }

    pub fn reset(&mut self) {
        self.current = self.initial;
    }

    /// Sleeps for the current delay; `Err` if cancelled meanwhile.
    pub async fn wait(&mut self, cancel: &CancellationToken) -> Result<(), ()> {
        let delay = self.current;
        self.current = (self.current * 2).min(self.max);
        tokio::select! {
            _ = cancel.cancelled() => Err(()),
            _ = tokio::time::sleep(delay) => Ok(()),
        }
    }
}
