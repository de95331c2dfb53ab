//! Sluice records to and from the framed layout plugins see. Keys, values and headers cross as
//! bytes: bytes as they are, strings as UTF-8, anything structured as schemaless JSON. What a
//! plugin hands back is read in the same shape the field had, and a field the plugin left
//! byte-for-byte unchanged keeps its original value and schema without being parsed again.

use std::borrow::Cow;

use sluice_api::data::{SchemaRef, Value};
use sluice_api::json::{JsonOptions, from_json_bytes, to_json_bytes};
use sluice_api::{ConnectError, ConnectResult, Header, Record};
use sluice_wasm_abi::{BatchWriter, RecordFields, RecordRef};

/// Appends `record` to the batch.
pub fn write_record(writer: &mut BatchWriter, record: &Record) -> ConnectResult<()> {
    let key = as_bytes(record.key_schema.as_ref(), &record.key)?;
    let value = as_bytes(record.value_schema.as_ref(), &record.value)?;
    writer.record(&RecordFields {
        topic: &record.topic,
        partition: record.partition,
        offset: record.kafka_offset,
        timestamp: record.timestamp,
        key: key.as_deref(),
        value: value.as_deref(),
        header_count: u32::try_from(record.headers.len())
            .map_err(|_| ConnectError::data("a record with more than 4 billion headers"))?,
    });
    for header in &record.headers {
        let value = as_bytes(header.schema.as_ref(), &header.value)?;
        writer.header(&header.key, value.as_deref());
    }
    Ok(())
}

/// The bytes a plugin sees for a key, value or header value: borrowed unless the value is
/// structured and must be serialised.
fn as_bytes<'a>(
    schema: Option<&SchemaRef>,
    value: &'a Value,
) -> ConnectResult<Option<Cow<'a, [u8]>>> {
    Ok(match value {
        Value::Null => None,
        Value::Bytes(bytes) => Some(Cow::Borrowed(bytes)),
        Value::String(text) => Some(Cow::Borrowed(text.as_bytes())),
        other => Some(Cow::Owned(to_json_bytes(
            schema.map(|s| &**s),
            other,
            &JsonOptions::default(),
        )?)),
    })
}

/// Applies what the plugin returned for `input` to `record` (a copy of the input record).
pub fn apply(
    record: &mut Record,
    output: &RecordRef<'_>,
    input: &RecordRef<'_>,
) -> ConnectResult<()> {
    if output.topic != record.topic {
        record.topic = output.topic.to_string();
    }
    record.partition = output.partition;
    record.timestamp = output.timestamp;
    if output.key != input.key {
        (record.key_schema, record.key) =
            from_bytes(record.key_schema.take(), &record.key, output.key, "key")?;
    }
    if output.value != input.value {
        (record.value_schema, record.value) = from_bytes(
            record.value_schema.take(),
            &record.value,
            output.value,
            "value",
        )?;
    }
    if !output.headers().eq(input.headers()) {
        record.headers = headers(&record.headers, output, input);
    }
    Ok(())
}

/// Reads returned bytes in the shape the field had: bytes stay bytes, strings stay strings,
/// structured data is parsed as JSON against the old schema, or schemaless if it no longer fits.
fn from_bytes(
    schema: Option<SchemaRef>,
    old: &Value,
    bytes: Option<&[u8]>,
    field: &str,
) -> ConnectResult<(Option<SchemaRef>, Value)> {
    let Some(bytes) = bytes else {
        return Ok((schema, Value::Null));
    };
    Ok(match old {
        Value::Bytes(_) => (schema, Value::Bytes(bytes.to_vec())),
        Value::String(_) => (schema, Value::String(utf8(bytes, field)?)),
        // Nothing tells what a null held; text is by far the most common.
        Value::Null => match std::str::from_utf8(bytes) {
            Ok(text) => (None, Value::String(text.to_string())),
            Err(_) => (None, Value::Bytes(bytes.to_vec())),
        },
        _ => {
            let opts = JsonOptions::default();
            if let Some(s) = &schema
                && let Ok(value) = from_json_bytes(Some(s), bytes, &opts)
            {
                return Ok((schema, value));
            }
            let value = from_json_bytes(None, bytes, &opts).map_err(|e| {
                ConnectError::data(format!(
                    "the WASM plugin returned a {field} that is not JSON, for a structured {field}"
                ))
                .caused_by(e)
            })?;
            (None, value)
        }
    })
}

fn utf8(bytes: &[u8], field: &str) -> ConnectResult<String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        ConnectError::data(format!(
            "the WASM plugin returned a {field} that is not UTF-8, for a string {field}"
        ))
    })
}

/// The returned headers; those returned unchanged at the same position keep their original value.
fn headers(original: &[Header], output: &RecordRef<'_>, input: &RecordRef<'_>) -> Vec<Header> {
    let mut inputs = input.headers().zip(original);
    output
        .headers()
        .map(|(name, value)| {
            if let Some((same, header)) = inputs.next()
                && same == (name, value)
            {
                return header.clone();
            }
            Header {
                key: name.to_string(),
                schema: None,
                value: match value {
                    None => Value::Null,
                    Some(bytes) => match std::str::from_utf8(bytes) {
                        Ok(text) => Value::String(text.to_string()),
                        Err(_) => Value::Bytes(bytes.to_vec()),
                    },
                },
            }
        })
        .collect()
}
