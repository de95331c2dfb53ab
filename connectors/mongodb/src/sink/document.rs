//! A record as the key and value documents the strategies work on. The key is converted up
//! front but its failure only matters to the parts that use the key, as in the official sink,
//! where a topic with plain-text keys works with strategies that never read the key.

use mongodb::bson::Document;
use sluice_api::{ConnectError, Record};

use super::convert;

/// The key and value documents of one record.
#[derive(Debug, Clone)]
pub struct SinkDocument {
    key: Result<Option<Document>, String>,
    pub value: Option<Document>,
}

impl SinkDocument {
    /// Converts the record; an unusable value is a record-level error.
    pub fn from_record(record: &Record) -> Result<Self, ConnectError> {
        let value = convert::to_document(record.value_schema.as_deref(), &record.value)
            .map_err(|e| record_error(record, &format!("value: {e}")))?;
        let key = convert::to_document(record.key_schema.as_deref(), &record.key);
        Ok(SinkDocument { key, value })
    }

    /// A document from already converted parts.
    #[cfg(test)]
    pub fn new(key: Option<Document>, value: Option<Document>) -> Self {
        SinkDocument {
            key: Ok(key),
            value,
        }
    }

    /// The key document; `Err` says why there is none (null key, or not a document).
    pub fn key(&self) -> Result<&Document, String> {
        match &self.key {
            Ok(Some(key)) => Ok(key),
            Ok(None) => Err("the record has no key".to_string()),
            Err(reason) => Err(format!("key: {reason}")),
        }
    }

    /// The key document for changing it, when there is one.
    pub fn key_mut(&mut self) -> Option<&mut Document> {
        self.key.as_mut().ok().and_then(Option::as_mut)
    }

    /// The key document, empty when the key is null (as Debezium keyless tables send it).
    pub fn key_or_empty(&self) -> Result<Document, String> {
        match &self.key {
            Ok(key) => Ok(key.clone().unwrap_or_default()),
            Err(reason) => Err(format!("key: {reason}")),
        }
    }
}

/// A record-level error naming the record.
pub fn record_error(record: &Record, reason: &str) -> ConnectError {
    ConnectError::data(format!("record {}: {reason}", record.coordinates()))
}
