//! The errant-record reporter a sink task is given, and the dead-letter acknowledgements the sink
//! loop awaits before it commits offsets past a skipped record.

use std::sync::{Arc, Mutex};

use rdkafka::producer::DeliveryFuture;
use sluice_api::{ConnectError, ConnectResult, ErrantRecordReporter, Record};

use super::convert::RecordConverter;
use crate::errors::{ErrorHandler, FailedRecord, Failure, Stage};

/// Dead-letter deliveries not yet acknowledged.
#[derive(Default)]
pub struct PendingDeadLetters {
    acks: Mutex<Vec<DeliveryFuture>>,
}

impl PendingDeadLetters {
    pub fn push(&self, ack: Option<DeliveryFuture>) {
        if let (Some(ack), Ok(mut acks)) = (ack, self.acks.lock()) {
            acks.push(ack);
        }
    }

    /// Waits for every pending delivery; an unacknowledged one must stop the offset commit.
    pub async fn settle(&self, errors: &ErrorHandler) -> ConnectResult<()> {
        let acks = self
            .acks
            .lock()
            .map(|mut a| std::mem::take(&mut *a))
            .unwrap_or_default();
        for ack in acks {
            match ack.await {
                Ok(Ok(_)) => {}
                Ok(Err((err, _))) => {
                    errors.dead_letter_failed();
                    return Err(ConnectError::fatal(format!(
                        "dead-letter record not acknowledged: {err}"
                    ))
                    .caused_by(err));
                }
                Err(_) => return Err(ConnectError::fatal("dead-letter producer closed")),
            }
        }
        Ok(())
    }
}

/// Reports records a sink task could not write, under the connector's `errors.*` policy.
pub struct SinkReporter {
    pub errors: Arc<ErrorHandler>,
    pub converter: Arc<RecordConverter>,
    pub pending: Arc<PendingDeadLetters>,
    /// The connector's class, named in dead-letter headers.
    pub class: String,
}

impl ErrantRecordReporter for SinkReporter {
    fn report(&self, record: &Record, error: ConnectError) -> ConnectResult<()> {
        let failure = Failure {
            stage: Stage::TaskPut,
            class_name: &self.class,
            error: &error,
        };
        let ack = self.errors.tolerate(failure, || self.failed(record))?;
        self.pending.push(ack);
        Ok(())
    }
}

impl SinkReporter {
    fn failed(&self, record: &Record) -> FailedRecord {
        self.converter.failed_record(record)
    }
}
