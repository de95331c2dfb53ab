//! Key, value and header conversion between Connect records and Kafka messages.

use rdkafka::Message;
use rdkafka::message::{BorrowedMessage, Header as KafkaHeader, Headers, OwnedHeaders};
use sluice_api::{ConnectError, ConnectResult, Converter, Header, Record, Value};

use crate::config::ConverterSpec;
use crate::errors::{FailedRecord, Stage};

/// The key and value converters of one task.
pub struct RecordConverter {
    key: Box<dyn Converter>,
    value: Box<dyn Converter>,
}

/// A record in Kafka's terms, ready to produce.
pub struct KafkaRecord<'a> {
    pub topic: &'a str,
    pub partition: Option<i32>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub timestamp: Option<i64>,
    pub headers: Option<OwnedHeaders>,
}

impl RecordConverter {
    pub fn build(key: &ConverterSpec, value: &ConverterSpec) -> ConnectResult<Self> {
        Ok(RecordConverter {
            key: (key.plugin.create)(&key.props, true)?,
            value: (value.plugin.create)(&value.props, false)?,
        })
    }

    /// Serializes a record for the producer; a failure names the converter stage.
    pub fn to_kafka<'a>(
        &self,
        record: &'a Record,
    ) -> Result<KafkaRecord<'a>, (Stage, ConnectError)> {
        let key = self
            .key
            .from_connect(&record.topic, record.key_schema.as_deref(), &record.key)
            .map_err(|e| (Stage::KeyConverter, e))?;
        let value = self
            .value
            .from_connect(&record.topic, record.value_schema.as_deref(), &record.value)
            .map_err(|e| (Stage::ValueConverter, e))?;
        let headers = if record.headers.is_empty() {
            None
        } else {
            let mut out = OwnedHeaders::new_with_capacity(record.headers.len());
            for header in &record.headers {
                let bytes = header_bytes(&header.value).map_err(|e| (Stage::ValueConverter, e))?;
                out = out.insert(KafkaHeader {
                    key: &header.key,
                    value: bytes.as_deref(),
                });
            }
            Some(out)
        };
        Ok(KafkaRecord {
            topic: &record.topic,
            partition: record.partition,
            key,
            value,
            timestamp: record.timestamp,
            headers,
        })
    }

    /// The record as it would be written, for the dead-letter queue: through the converters
    /// when they accept it, else as schemaless JSON, else nothing.
    pub fn failed_record(&self, record: &Record) -> FailedRecord {
        let render =
            |converter: &dyn Converter, schema: Option<&sluice_api::Schema>, value: &Value| {
                converter
                    .from_connect(&record.topic, schema, value)
                    .ok()
                    .flatten()
                    .or_else(|| {
                        sluice_api::json::to_json_bytes(
                            None,
                            value,
                            &sluice_api::json::JsonOptions::default(),
                        )
                        .ok()
                    })
            };
        FailedRecord {
            topic: record
                .original_topic
                .clone()
                .unwrap_or_else(|| record.topic.clone()),
            partition: record.partition,
            offset: record.kafka_offset,
            key: render(self.key.as_ref(), record.key_schema.as_deref(), &record.key),
            value: render(
                self.value.as_ref(),
                record.value_schema.as_deref(),
                &record.value,
            ),
            headers: record
                .headers
                .iter()
                .map(|h| (h.key.clone(), header_bytes(&h.value).ok().flatten()))
                .collect(),
            timestamp: record.timestamp,
            source_partition: record.source_partition.clone(),
            source_offset: record.source_offset.clone(),
        }
    }

    /// Deserializes a consumed message into a sink record.
    pub fn from_kafka(
        &self,
        message: &BorrowedMessage<'_>,
    ) -> Result<Record, (Stage, ConnectError)> {
        let topic = message.topic();
        let (key_schema, key) = self
            .key
            .to_connect(topic, message.key())
            .map_err(|e| (Stage::KeyConverter, e))?;
        let (value_schema, value) = self
            .value
            .to_connect(topic, message.payload())
            .map_err(|e| (Stage::ValueConverter, e))?;
        let mut record = Record::new(topic)
            .with_key(key_schema, key)
            .with_value(value_schema, value);
        record.partition = Some(message.partition());
        record.kafka_offset = Some(message.offset());
        record.timestamp = message.timestamp().to_millis();
        if let Some(headers) = message.headers() {
            record.headers = headers
                .iter()
                .map(|h| Header {
                    key: h.key.to_string(),
                    schema: None,
                    value: match h.value {
                        None => Value::Null,
                        Some(bytes) => match std::str::from_utf8(bytes) {
                            Ok(text) => Value::String(text.to_string()),
                            Err(_) => Value::Bytes(bytes.to_vec()),
                        },
                    },
                })
                .collect();
        }
        Ok(record)
    }
}

/// Header values travel as text (or raw bytes), like Kafka Connect's SimpleHeaderConverter.
fn header_bytes(value: &Value) -> ConnectResult<Option<Vec<u8>>> {
    Ok(match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone().into_bytes()),
        Value::Bytes(b) => Some(b.clone()),
        other => Some(
            sluice_api::json::to_serde(None, other)
                .map_err(|e| ConnectError::data(format!("header value cannot be serialized: {e}")))?
                .to_string()
                .into_bytes(),
        ),
    })
}

/// A consumed message as it arrived, for the dead-letter queue.
pub fn failed_message(message: &BorrowedMessage<'_>) -> FailedRecord {
    FailedRecord {
        topic: message.topic().to_string(),
        partition: Some(message.partition()),
        offset: Some(message.offset()),
        key: message.key().map(<[u8]>::to_vec),
        value: message.payload().map(<[u8]>::to_vec),
        headers: message
            .headers()
            .map(|hs| {
                hs.iter()
                    .map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec)))
                    .collect()
            })
            .unwrap_or_default(),
        timestamp: message.timestamp().to_millis(),
        source_partition: None,
        source_offset: None,
    }
}
