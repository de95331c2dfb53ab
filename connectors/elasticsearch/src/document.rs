//! One record as one bulk operation: which index, which `_id`, which action, which source.

use serde_json::{Map, Value as Json, json};
use sluice_api::json::{DecimalFormat, JsonOptions, to_json_bytes};
use sluice_api::{ConnectError, ConnectResult, Record, Value};

use crate::config::{NullValues, SinkConfig, WriteMethod};
use crate::index;

/// The bulk action of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Index,
    /// Data streams accept only `create`.
    Create,
    /// Partial update, creating the document when it is missing.
    Update,
    Delete,
}

/// One bulk operation: the action line and, except for deletes, the source line.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub index: String,
    pub id: Option<String>,
    pub action: Action,
    /// Written with `version_type=external`: a version conflict then means "already written".
    pub versioned: bool,
    /// Both NDJSON lines, each ending in `\n`.
    pub lines: Vec<u8>,
}

impl Operation {
    /// Bytes this operation adds to a bulk request.
    pub fn size(&self) -> usize {
        self.lines.len()
    }
}

/// Builds the bulk operation of `record`; `Ok(None)` when the record writes nothing
/// (a tombstone with `behavior.on.null.values=ignore`). Errors are record-level.
pub fn operation(config: &SinkConfig, record: &Record) -> ConnectResult<Option<Operation>> {
    let topic = record.original_topic.as_deref().unwrap_or(&record.topic);
    let index = index::resource_name(
        &record.topic,
        &config.topic_to_index,
        config.data_stream.as_ref(),
    );
    let keyed = config.uses_key(&record.topic);
    let id = document_id(record, keyed, topic)?;
    // The offset orders a key's writes, so a replay (same or older offset) changes nothing.
    let version = match (keyed, record.kafka_offset) {
        (true, Some(offset)) if offset >= 0 => Some(offset),
        _ => None,
    };
    if record.is_tombstone() {
        return match config.null_values {
            NullValues::Ignore => Ok(None),
            NullValues::Fail => Err(ConnectError::data(format!(
                "record {} has a null value and behavior.on.null.values is fail",
                record.coordinates()
            ))),
            NullValues::Delete => {
                let line = action_line("delete", &index, Some(&id), version);
                Ok(Some(Operation {
                    index,
                    id: Some(id),
                    action: Action::Delete,
                    versioned: version.is_some(),
                    lines: line,
                }))
            }
        };
    }
    let source = source_json(config, record)?;
    let (action, versioned) = match (&config.data_stream, config.write_method) {
        (Some(_), _) => (Action::Create, false),
        // The update API takes no external version; upserts stay ordered by the task instead.
        (None, WriteMethod::Upsert) => (Action::Update, false),
        (None, WriteMethod::Insert) => (Action::Index, version.is_some()),
    };
    let mut lines = match action {
        Action::Index => action_line("index", &index, Some(&id), version),
        Action::Create => action_line("create", &index, Some(&id), None),
        Action::Update => action_line("update", &index, Some(&id), None),
        Action::Delete => Vec::new(),
    };
    if action == Action::Update {
        lines.extend_from_slice(br#"{"doc":"#);
        lines.extend_from_slice(&source);
        lines.extend_from_slice(b",\"doc_as_upsert\":true}");
    } else {
        lines.extend_from_slice(&source);
    }
    lines.push(b'\n');
    Ok(Some(Operation {
        index,
        id: Some(id),
        action,
        versioned,
        lines,
    }))
}

/// The `_id`: the record key as text, or `topic+partition+offset` when keys are ignored.
pub fn document_id(record: &Record, keyed: bool, topic: &str) -> ConnectResult<String> {
    if !keyed {
        let partition = record.partition.unwrap_or(0);
        let offset = record.kafka_offset.unwrap_or(-1);
        return Ok(format!("{topic}+{partition}+{offset}"));
    }
    let id = match &record.key {
        Value::Null => {
            return Err(ConnectError::data(format!(
                "record {} has a null key, which cannot be a document id (set key.ignore=true to use topic+partition+offset)",
                record.coordinates()
            )));
        }
        Value::String(s) => s.clone(),
        Value::Boolean(b) => b.to_string(),
        Value::Int8(n) => n.to_string(),
        Value::Int16(n) => n.to_string(),
        Value::Int32(n) => n.to_string(),
        Value::Int64(n) => n.to_string(),
        // Structured keys (and the rest) are written as compact JSON, stable for equal keys.
        other => {
            let bytes = to_json_bytes(record.key_schema.as_deref(), other, &json_options())
                .map_err(|e| key_error(record, e))?;
            String::from_utf8(bytes).map_err(|e| key_error(record, e))?
        }
    };
    if id.is_empty() {
        return Err(ConnectError::data(format!(
            "record {} has an empty key, which cannot be a document id",
            record.coordinates()
        )));
    }
    Ok(id)
}

fn key_error(record: &Record, err: impl std::fmt::Display) -> ConnectError {
    ConnectError::data(format!(
        "record {}: key cannot be a document id: {err}",
        record.coordinates()
    ))
}

fn json_options() -> JsonOptions {
    JsonOptions {
        // Numbers index as numbers; base64 text would not.
        decimal_format: DecimalFormat::Numeric,
        replace_null_with_default: true,
    }
}

/// The document source: the value as JSON (it must be an object), with `@timestamp` for data streams.
fn source_json(config: &SinkConfig, record: &Record) -> ConnectResult<Vec<u8>> {
    let bytes = to_json_bytes(
        record.value_schema.as_deref(),
        &record.value,
        &json_options(),
    )
    .map_err(|e| {
        ConnectError::data(format!(
            "record {}: value cannot be written as JSON: {e}",
            record.coordinates()
        ))
    })?;
    if !bytes.starts_with(b"{") {
        return Err(ConnectError::data(format!(
            "record {}: a {} value is not a document (documents are JSON objects)",
            record.coordinates(),
            record.value.type_name()
        )));
    }
    if config.data_stream.is_none() {
        return Ok(bytes);
    }
    let mut doc: Map<String, Json> = serde_json::from_slice(&bytes)
        .map_err(|e| ConnectError::data(format!("record {}: {e}", record.coordinates())))?;
    if !doc.contains_key("@timestamp") {
        let from_field = config
            .timestamp_fields
            .iter()
            .find_map(|f| doc.get(f).cloned());
        let stamp = from_field
            .or_else(|| record.timestamp.map(Json::from))
            .ok_or_else(|| {
                ConnectError::data(format!(
                    "record {} has no timestamp for the data stream's @timestamp",
                    record.coordinates()
                ))
            })?;
        doc.insert("@timestamp".to_string(), stamp);
    }
    serde_json::to_vec(&doc).map_err(|e| ConnectError::data(e.to_string()))
}

fn action_line(action: &str, index: &str, id: Option<&str>, version: Option<i64>) -> Vec<u8> {
    let mut meta = Map::new();
    meta.insert("_index".to_string(), json!(index));
    if let Some(id) = id {
        meta.insert("_id".to_string(), json!(id));
    }
    if let Some(version) = version {
        meta.insert("version".to_string(), json!(version));
        meta.insert("version_type".to_string(), json!("external"));
    }
    let mut line = json!({ action: meta }).to_string().into_bytes();
    line.push(b'\n');
    line
}

#[cfg(test)]
mod tests;
