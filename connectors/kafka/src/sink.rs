//! The Kafka sink connector and task: produce on `put`, wait for every acknowledgement on `flush`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::FutureExt;
use futures::channel::oneshot::Canceled;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header as KafkaHeader, OwnedHeaders};
use rdkafka::producer::future_producer::OwnedDeliveryResult;
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};
use sluice_api::connector::replicate_config;
use sluice_api::{
    ConfigDef, ConnectError, ConnectResult, ErrantRecordReporter, NoTolerance, PartitionOffsets,
    Props, Record, SinkConnector, SinkTask, SinkTaskContext,
};

use crate::config::{KafkaSinkConfig, config_def};
use crate::encode::{header_bytes, to_bytes};

/// Deliveries kept before `put` waits for the oldest one, bounding memory between flushes.
const MAX_IN_FLIGHT: usize = 100_000;
/// How long `stop` lets the producer send what it still holds.
const STOP_FLUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// Writes records to Kafka topics.
#[derive(Debug, Default)]
pub struct KafkaSinkConnector {
    props: Props,
}

#[async_trait]
impl SinkConnector for KafkaSinkConnector {
    fn config_def(&self) -> ConfigDef {
        config_def()
    }

    async fn start(&mut self, props: &Props) -> ConnectResult<()> {
        KafkaSinkConfig::parse(props)?;
        self.props = props.clone();
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> ConnectResult<Vec<Props>> {
        Ok(replicate_config(&self.props, max_tasks))
    }

    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(KafkaSinkTask::default())
    }
}

/// Produces each record to its topic; `flush` returns once Kafka acknowledged all of them.
pub struct KafkaSinkTask {
    state: Option<Producing>,
    /// Takes records that can never be produced (too large, unrenderable).
    reporter: Arc<dyn ErrantRecordReporter>,
}

impl Default for KafkaSinkTask {
    fn default() -> Self {
        KafkaSinkTask {
            state: None,
            reporter: Arc::new(NoTolerance),
        }
    }
}

impl std::fmt::Debug for KafkaSinkTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let in_flight = self.state.as_ref().map_or(0, |s| s.in_flight.len());
        f.debug_struct("KafkaSinkTask")
            .field("in_flight", &in_flight)
            .finish()
    }
}

/// The first delivery that failed; it fails every later flush of the task.
#[derive(Debug, Clone)]
struct Failure {
    retriable: bool,
    message: String,
}

impl Failure {
    fn to_error(&self) -> ConnectError {
        if self.retriable {
            ConnectError::retriable(&self.message)
        } else {
            ConnectError::fatal(&self.message)
        }
    }
}

struct Producing {
    producer: FutureProducer,
    /// Deliveries not yet settled, in send order.
    in_flight: VecDeque<DeliveryFuture>,
    failure: Option<Failure>,
    sent: u64,
    acknowledged: u64,
}

#[async_trait]
impl SinkTask for KafkaSinkTask {
    async fn start(&mut self, ctx: SinkTaskContext) -> ConnectResult<()> {
        let config = KafkaSinkConfig::parse(&ctx.config)?;
        self.reporter = ctx.reporter.clone();
        let client_id = format!("sluice-{}-{}", ctx.connector, ctx.task_id);
        let producer: FutureProducer = config.client_config(&client_id).create().map_err(|e| {
            ConnectError::fatal(format!(
                "kafka sink: invalid producer settings (kafka.producer.*): {e}"
            ))
            .caused_by(e)
        })?;
        self.state = Some(Producing {
            producer,
            in_flight: VecDeque::new(),
            failure: None,
            sent: 0,
            acknowledged: 0,
        });
        Ok(())
    }

    async fn put(&mut self, records: &[Record]) -> ConnectResult<()> {
        let state = started(&mut self.state)?;
        for record in records {
            if state.failure.is_some() {
                // Nothing more is sent: the next flush fails, so no offset passes the lost record.
                break;
            }
            match state.send(record).await {
                Err(err) if err.is_record_level() => self.reporter.report(record, err)?,
                other => other?,
            }
        }
        state.reap();
        Ok(())
    }

    /// Waits for every delivery; fails if any record was not acknowledged.
    async fn flush(&mut self, _offsets: &PartitionOffsets) -> ConnectResult<()> {
        let state = started(&mut self.state)?;
        while let Some(delivery) = state.in_flight.pop_front() {
            state.settle(delivery.await);
        }
        if let Some((code, reason)) = state.producer.client().fatal_error() {
            state.fail(
                false,
                format!("kafka sink: the producer hit a fatal error ({code:?}): {reason}"),
            );
        }
        match &state.failure {
            Some(failure) => Err(failure.to_error()),
            None => Ok(()),
        }
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        if let Some(state) = self.state.take() {
            // What is still queued was not flushed, so its offsets were not committed: sending it
            // now is only a courtesy, and a failure here loses nothing.
            let producer = state.producer.clone();
            let flushed =
                tokio::task::spawn_blocking(move || producer.flush(STOP_FLUSH_TIMEOUT)).await;
            if let Ok(Err(e)) = flushed {
                tracing::warn!(error = %e, "kafka sink: flush on stop failed");
            }
            tracing::info!(
                sent = state.sent,
                acknowledged = state.acknowledged,
                "kafka sink task stopped"
            );
        }
        Ok(())
    }
}

fn started(state: &mut Option<Producing>) -> ConnectResult<&mut Producing> {
    state
        .as_mut()
        .ok_or_else(|| ConnectError::fatal("kafka sink task used before it was started"))
}

impl Producing {
    async fn send(&mut self, record: &Record) -> ConnectResult<()> {
        let key = to_bytes(record.key_schema.as_deref(), &record.key)
            .map_err(|e| record_error(record, "key", e))?;
        let value = to_bytes(record.value_schema.as_deref(), &record.value)
            .map_err(|e| record_error(record, "value", e))?;
        let mut headers = kafka_headers(record)?;
        loop {
            let mut out: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(&record.topic);
            out.key = key.as_deref();
            out.payload = value.as_deref();
            out.timestamp = record.timestamp;
            out.headers = headers.take();
            match self.producer.send_result(out) {
                Ok(delivery) => {
                    self.sent += 1;
                    self.in_flight.push_back(delivery);
                    if self.in_flight.len() >= MAX_IN_FLIGHT {
                        self.await_oldest().await;
                    }
                    return Ok(());
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), returned)) => {
                    // The producer's queue is full: wait for the oldest delivery rather than spin.
                    headers = returned.headers;
                    if self.in_flight.is_empty() {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    } else {
                        self.await_oldest().await;
                    }
                    if self.failure.is_some() {
                        return Ok(());
                    }
                }
                Err((err, _)) => {
                    let message = format!(
                        "kafka sink: cannot produce {} to topic {}: {err}",
                        record.coordinates(),
                        record.topic
                    );
                    let error = if is_retriable(&err) {
                        ConnectError::retriable(message)
                    } else if is_record_level(&err) {
                        // This record can never be produced; the others can.
                        ConnectError::data(message)
                    } else {
                        ConnectError::fatal(message)
                    };
                    return Err(error.caused_by(err));
                }
            }
        }
    }

    /// Waits for the oldest delivery, then settles every later one that is already done.
    async fn await_oldest(&mut self) {
        if let Some(delivery) = self.in_flight.pop_front() {
            let outcome = delivery.await;
            self.settle(outcome);
        }
        self.reap();
    }

    /// Settles the deliveries at the front that are done, without waiting.
    fn reap(&mut self) {
        while let Some(front) = self.in_flight.front_mut() {
            let Some(outcome) = front.now_or_never() else {
                break;
            };
            self.in_flight.pop_front();
            self.settle(outcome);
        }
    }

    fn settle(&mut self, outcome: Result<OwnedDeliveryResult, Canceled>) {
        match outcome {
            Ok(Ok(_)) => self.acknowledged += 1,
            Ok(Err((err, message))) => {
                let message = format!(
                    "kafka sink: Kafka did not acknowledge a record for topic {}: {err}",
                    rdkafka::Message::topic(&message)
                );
                self.fail(is_retriable(&err), message);
            }
            Err(Canceled) => self.fail(
                true,
                "kafka sink: producer closed before acknowledging a record".into(),
            ),
        }
    }

    fn fail(&mut self, retriable: bool, message: String) {
        if self.failure.is_none() {
            tracing::error!(error = %message, "kafka sink: delivery failed; flushes fail from now on");
            self.failure = Some(Failure { retriable, message });
        }
    }
}

fn record_error(record: &Record, what: &str, cause: ConnectError) -> ConnectError {
    ConnectError::data(format!(
        "kafka sink: the {what} of {} cannot be serialized: {cause}",
        record.coordinates()
    ))
    .caused_by(cause)
}

fn kafka_headers(record: &Record) -> ConnectResult<Option<OwnedHeaders>> {
    if record.headers.is_empty() {
        return Ok(None);
    }
    let mut out = OwnedHeaders::new_with_capacity(record.headers.len());
    for header in &record.headers {
        let bytes = header_bytes(&header.key, header.schema.as_deref(), &header.value)
            .map_err(|e| record_error(record, "headers", e))?;
        out = out.insert(KafkaHeader {
            key: &header.key,
            value: bytes.as_deref(),
        });
    }
    Ok(Some(out))
}

/// Whether producing again may succeed: broker and network trouble may pass; records that are too
/// large, authorization failures, invalid topics and fatal producer states do not.
/// Errors that concern one record only: the producer refuses it, but would take others.
pub(crate) fn is_record_level(err: &KafkaError) -> bool {
    use RDKafkaErrorCode as C;
    matches!(
        err.rdkafka_error_code(),
        Some(C::MessageSizeTooLarge | C::InvalidMessageSize | C::InvalidMessage | C::InvalidRecord)
    )
}

pub(crate) fn is_retriable(err: &KafkaError) -> bool {
    use RDKafkaErrorCode as C;
    match err.rdkafka_error_code() {
        Some(code) => !matches!(
            code,
            C::MessageSizeTooLarge
                | C::InvalidMessageSize
                | C::InvalidMessage
                | C::InvalidRecord
                | C::InvalidTopic
                | C::InvalidRequiredAcks
                | C::TopicAuthorizationFailed
                | C::ClusterAuthorizationFailed
                | C::PolicyViolation
                | C::UnsupportedVersion
                | C::InvalidArgument
                | C::ProducerFenced
                | C::InvalidProducerEpoch
                | C::Fatal
        ),
        None => true,
    }
}

#[cfg(test)]
#[path = "sink_tests.rs"]
mod tests;
