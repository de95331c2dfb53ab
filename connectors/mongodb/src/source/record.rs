//! Change events (and copied documents shaped like them) as records, as the official connector
//! builds them: the value is the event (or only its `fullDocument`), the key `{"_id": <resume
//! token>}` (or the `documentKey`), each a JSON string in the configured formatter, raw BSON,
//! or a struct under a schema.

use std::sync::{Arc, LazyLock};

use mongodb::bson::{Bson, Document, doc};
use sluice_api::{ConnectError, ConnectResult, OffsetMap, Record, Schema, SchemaRef, Value};

use super::config::{OutputFormat, SourceConfig};
use super::json::JsonFormatter;
use super::offsets;
use super::schema;
use super::topic::TopicMapper;

static STRING: LazyLock<SchemaRef> = LazyLock::new(|| Arc::new(Schema::string()));
static BYTES: LazyLock<SchemaRef> = LazyLock::new(|| Arc::new(Schema::bytes()));
static OPTIONAL_BYTES: LazyLock<SchemaRef> = LazyLock::new(|| Arc::new(Schema::bytes().optional()));

/// Turns events into records.
#[derive(Debug, Clone)]
pub struct RecordBuilder {
    topics: TopicMapper,
    formatter: JsonFormatter,
    key_format: OutputFormat,
    value_format: OutputFormat,
    key_schema: SchemaRef,
    value_schema: SchemaRef,
    infer_value_schema: bool,
    tolerate_errors: bool,
    full_document_only: bool,
    tombstone_on_delete: bool,
    document_key_as_key: bool,
    heartbeat_topic: String,
    partition: OffsetMap,
}

impl RecordBuilder {
    pub fn new(config: &SourceConfig, partition: OffsetMap) -> Self {
        RecordBuilder {
            topics: config.topics.clone(),
            formatter: config.formatter,
            key_format: config.key_format,
            value_format: config.value_format,
            key_schema: config.key_schema.clone(),
            value_schema: config.value_schema.clone(),
            infer_value_schema: config.infer_value_schema,
            tolerate_errors: config.tolerate_errors,
            full_document_only: config.full_document_only,
            tombstone_on_delete: config.tombstone_on_delete,
            document_key_as_key: config.document_key_as_key,
            heartbeat_topic: config.heartbeat_topic.clone(),
            partition,
        }
    }

    /// The record of one event; `None` when the event is not published (no topic for its
    /// namespace, or no full document to publish alone). An event that does not fit the
    /// output schema is skipped under `errors.tolerance=all` and fails the task otherwise.
    pub fn event(&self, event: &Document, copying: bool) -> ConnectResult<Option<Record>> {
        match self.try_event(event, copying) {
            Ok(record) => Ok(record),
            Err(reason) if self.tolerate_errors => {
                tracing::warn!(event = %self.formatter.document(event), error = %reason, "change event does not fit the output schema; skipped because errors.tolerance=all");
                Ok(None)
            }
            Err(reason) => Err(ConnectError::data(format!(
                "change event does not fit the output schema: {reason}; event: {}",
                self.formatter.document(event)
            ))),
        }
    }

    fn try_event(&self, event: &Document, copying: bool) -> Result<Option<Record>, String> {
        let id = match event.get("_id") {
            Some(Bson::Document(id)) => id.clone(),
            _ => {
                tracing::warn!(event = %self.formatter.document(event), "change event without a resume token _id; skipped");
                return Ok(None);
            }
        };
        let topic = self.topics.topic(event);
        if topic.is_empty() {
            tracing::warn!(event = %self.formatter.document(event), "no topic for the change event's namespace; skipped");
            return Ok(None);
        }
        let is_delete = event
            .get_str("operationType")
            .is_ok_and(|op| op == "delete");
        let value = if self.full_document_only {
            // A delete has no post-image. Servers that attach one to deletes anyway still
            // produce a tombstone (or nothing), as a delete does on MongoDB.
            match event.get("fullDocument") {
                Some(Bson::Document(full)) if !is_delete => Some(full),
                _ if is_delete && self.tombstone_on_delete => None,
                None if self.tombstone_on_delete => None,
                _ => return Ok(None),
            }
        } else {
            Some(event)
        };
        let key_doc = match event.get("documentKey") {
            Some(Bson::Document(key)) if self.document_key_as_key => key.clone(),
            _ => doc! { "_id": id.clone() },
        };
        let (key_schema, key) = self.encode(&key_doc, self.key_format, &self.key_schema, false)?;
        let mut record = Record::new(topic)
            .with_key(Some(key_schema), key)
            .with_source(self.partition.clone(), offsets::event_offset(&id, copying));
        record = match value {
            Some(doc) => {
                let (schema, value) = self.encode(
                    doc,
                    self.value_format,
                    &self.value_schema,
                    self.infer_value_schema,
                )?;
                record.with_value(Some(schema), value)
            }
            None => record.with_value(None, Value::Null),
        };
        Ok(Some(record))
    }

    /// A heartbeat: the token as the key, a null value, and an offset that resumes there.
    pub fn heartbeat(&self, token: &Document) -> (String, Record) {
        let token_json = super::json::relaxed(token);
        let record = Record::new(self.heartbeat_topic.clone())
            .with_key(Some(STRING.clone()), Value::String(token_json.clone()))
            .with_value(Some(OPTIONAL_BYTES.clone()), Value::Null)
            .with_source(
                self.partition.clone(),
                offsets::heartbeat_offset(&token_json),
            );
        (token_json, record)
    }

    fn encode(
        &self,
        doc: &Document,
        format: OutputFormat,
        schema: &SchemaRef,
        infer: bool,
    ) -> Result<(SchemaRef, Value), String> {
        Ok(match format {
            OutputFormat::Json => (STRING.clone(), Value::String(self.formatter.document(doc))),
            OutputFormat::Bson => {
                let mut bytes = Vec::new();
                // Writing a document that was read as BSON into memory cannot fail.
                let _ = doc.to_writer(&mut bytes);
                (BYTES.clone(), Value::Bytes(bytes))
            }
            OutputFormat::Schema => {
                let schema = if infer {
                    SchemaRef::new(schema::infer_document(doc))
                } else {
                    schema.clone()
                };
                let value = schema::document_value(&schema, doc, self.formatter)?;
                (schema, value)
            }
        })
    }
}

/// A copied document as the official connector's copy pipeline shapes it: an insert event
/// whose `_id` marks it as copied.
pub fn copy_event(db: &str, coll: &str, document: Document) -> Document {
    let id = document.get("_id").cloned().unwrap_or(Bson::Null);
    doc! {
        "_id": { "_id": id.clone(), "copyingData": true },
        "operationType": "insert",
        "ns": { "db": db, "coll": coll },
        "documentKey": { "_id": id },
        "fullDocument": document,
    }
}

#[cfg(test)]
mod tests;
