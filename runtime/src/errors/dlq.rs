//! The dead-letter queue: a topic that receives records skipped under `errors.tolerance=all`,
//! with Kafka Connect's `__connect.errors.*` context headers.

use rdkafka::message::{Header as KafkaHeader, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use sluice_api::{ConnectError, ConnectResult, OffsetMap};

use super::policy::DeadLetterSettings;
use crate::config::WorkerConfig;
use crate::worker::kafka::{ensure_topic, producer_config};

/// A record that failed, in Kafka's terms: original bytes where they exist (sink side), or the
/// record as the task's converters render it (source side and `put` failures).
#[derive(Debug, Clone, Default)]
pub struct FailedRecord {
    pub topic: String,
    pub partition: Option<i32>,
    pub offset: Option<i64>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    pub timestamp: Option<i64>,
    pub source_partition: Option<OffsetMap>,
    pub source_offset: Option<OffsetMap>,
}

/// Where in the pipeline a record failed; Kafka Connect's stage names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    KeyConverter,
    ValueConverter,
    Transformation,
    TaskPut,
    KafkaProduce,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::KeyConverter => "KEY_CONVERTER",
            Stage::ValueConverter => "VALUE_CONVERTER",
            Stage::Transformation => "TRANSFORMATION",
            Stage::TaskPut => "TASK_PUT",
            Stage::KafkaProduce => "KAFKA_PRODUCE",
        }
    }
}

/// Why and where a record failed.
#[derive(Debug)]
pub struct Failure<'a> {
    pub stage: Stage,
    /// The class of the plugin that failed (converter, transform or connector).
    pub class_name: &'a str,
    pub error: &'a ConnectError,
}

pub struct DeadLetterQueue {
    topic: String,
    context_headers: bool,
    producer: FutureProducer,
    connector: String,
    task: u32,
}

impl DeadLetterQueue {
    /// Creates the topic (one partition, as Kafka Connect does) unless it exists.
    pub async fn open(
        worker: &WorkerConfig,
        connector_props: &sluice_api::Props,
        settings: &DeadLetterSettings,
        connector: &str,
        task: u32,
    ) -> ConnectResult<Self> {
        ensure_topic(
            &worker.bootstrap_servers,
            &settings.topic,
            1,
            settings.replication_factor,
            &[],
        )
        .await?;
        let producer = producer_config(worker, connector_props)
            .create()
            .map_err(|e| {
                ConnectError::fatal(format!("invalid dead-letter producer settings: {e}"))
            })?;
        Ok(DeadLetterQueue {
            topic: settings.topic.clone(),
            context_headers: settings.context_headers,
            producer,
            connector: connector.to_string(),
            task,
        })
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Queues the record; the returned future resolves when Kafka acknowledged it.
    pub fn send(
        &self,
        record: &FailedRecord,
        failure: &Failure<'_>,
    ) -> ConnectResult<DeliveryFuture> {
        let mut headers = OwnedHeaders::new();
        for (key, value) in &record.headers {
            headers = headers.insert(KafkaHeader {
                key,
                value: value.as_deref(),
            });
        }
        if self.context_headers {
            for (key, value) in self.context(record, failure) {
                headers = headers.insert(KafkaHeader {
                    key: &key,
                    value: Some(value.as_bytes()),
                });
            }
        }
        let mut out = FutureRecord::to(&self.topic).headers(headers);
        if let Some(key) = &record.key {
            out = out.key(key.as_slice());
        }
        if let Some(value) = &record.value {
            out = out.payload(value.as_slice());
        }
        out.timestamp = record.timestamp;
        self.producer.send_result(out).map_err(|(e, _)| {
            ConnectError::retriable(format!(
                "cannot send to dead-letter topic {}: {e}",
                self.topic
            ))
        })
    }

    /// Kafka Connect's context headers, plus the source position for source records.
    fn context(&self, record: &FailedRecord, failure: &Failure<'_>) -> Vec<(String, String)> {
        let mut headers = vec![("topic", record.topic.clone())];
        if let Some(partition) = record.partition {
            headers.push(("partition", partition.to_string()));
        }
        if let Some(offset) = record.offset {
            headers.push(("offset", offset.to_string()));
        }
        headers.extend([
            ("connector.name", self.connector.clone()),
            ("task.id", self.task.to_string()),
            ("stage", failure.stage.as_str().to_string()),
            ("class.name", failure.class_name.to_string()),
            (
                "exception.class.name",
                failure.error.exception_class().to_string(),
            ),
            ("exception.message", failure.error.to_string()),
            ("exception.stacktrace", failure.error.trace()),
        ]);
        let json = |map: &OffsetMap| serde_json::Value::Object(map.clone()).to_string();
        if let Some(partition) = &record.source_partition {
            headers.push(("source.partition", json(partition)));
        }
        if let Some(offset) = &record.source_offset {
            headers.push(("source.offset", json(offset)));
        }
        headers
            .into_iter()
            .map(|(k, v)| (format!("__connect.errors.{k}"), v))
            .collect()
    }
}
