//! The record that flows through a pipeline, source side and sink side alike.

use crate::data::{SchemaRef, Value};

/// A source partition or offset: a JSON object of primitive values, as Kafka Connect stores them.
pub type OffsetMap = serde_json::Map<String, serde_json::Value>;

/// One record header. Header values use the Connect data model, like keys and values.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub key: String,
    pub schema: Option<SchemaRef>,
    pub value: Value,
}

impl Header {
    /// A header holding a string.
    pub fn string(key: impl Into<String>, value: impl Into<String>) -> Self {
        Header {
            key: key.into(),
            schema: None,
            value: Value::String(value.into()),
        }
    }
}

/// A record as in Kafka Connect: a `SourceRecord` when `source_partition` is set, a `SinkRecord`
/// when `kafka_offset` is set. One type keeps the transform chain and converters shared.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub topic: String,
    /// Kafka partition; `None` lets the producer's partitioner choose (by key).
    pub partition: Option<i32>,
    pub key_schema: Option<SchemaRef>,
    pub key: Value,
    pub value_schema: Option<SchemaRef>,
    pub value: Value,
    /// Milliseconds since the Unix epoch.
    pub timestamp: Option<i64>,
    pub headers: Vec<Header>,
    /// Offset in the Kafka partition the record was read from (sink records only).
    pub kafka_offset: Option<i64>,
    /// Topic the record was read from, when a transform may have changed `topic` (sink records).
    pub original_topic: Option<String>,
    /// Identifies the source system's partition (source records only).
    pub source_partition: Option<OffsetMap>,
    /// How far the source task got in `source_partition` with this record.
    pub source_offset: Option<OffsetMap>,
}

impl Record {
    /// An empty record (null key and value, no schemas) for `topic`.
    pub fn new(topic: impl Into<String>) -> Self {
        Record {
            topic: topic.into(),
            partition: None,
            key_schema: None,
            key: Value::Null,
            value_schema: None,
            value: Value::Null,
            timestamp: None,
            headers: Vec::new(),
            kafka_offset: None,
            original_topic: None,
            source_partition: None,
            source_offset: None,
        }
    }

    pub fn with_key(mut self, schema: Option<SchemaRef>, key: Value) -> Self {
        self.key_schema = schema;
        self.key = key;
        self
    }

    pub fn with_value(mut self, schema: Option<SchemaRef>, value: Value) -> Self {
        self.value_schema = schema;
        self.value = value;
        self
    }

    pub fn with_timestamp(mut self, timestamp: i64) -> Self {
        self.timestamp = Some(timestamp);
        self
    }

    pub fn with_source(mut self, partition: OffsetMap, offset: OffsetMap) -> Self {
        self.source_partition = Some(partition);
        self.source_offset = Some(offset);
        self
    }

    /// A tombstone has a null value.
    pub fn is_tombstone(&self) -> bool {
        self.value.is_null()
    }

    /// The last header with this key.
    pub fn header(&self, key: &str) -> Option<&Header> {
        self.headers.iter().rev().find(|h| h.key == key)
    }

    /// Where the record stands, for error messages: `topic/partition@offset`.
    pub fn coordinates(&self) -> String {
        let partition = self
            .partition
            .map_or_else(|| "-".to_string(), |p| p.to_string());
        match (self.kafka_offset, &self.source_offset) {
            (Some(offset), _) => format!("{}/{partition}@{offset}", self.topic),
            (None, Some(offset)) => format!(
                "{}/{partition}@{}",
                self.topic,
                serde_json::Value::Object(offset.clone())
            ),
            (None, None) => format!("{}/{partition}", self.topic),
        }
    }
}
