//! JSON ⇄ Connect data, byte-compatible with Kafka Connect's JsonConverter.
//!
//! Output is exactly what JsonConverter (Jackson, default settings) writes: no whitespace,
//! schema JSON with `type`, then `items` / `keys`+`values` / `fields`, then `optional`, `name`,
//! `version`, `doc`, `parameters`, `default` (and `field` last for a struct field), doubles as
//! Java's `Double.toString`, bytes and BASE64 decimals as padded base64, maps whose key schema
//! is not a string as arrays of `[key, value]` pairs.
//!
//! Where Java would fail on values it has no schema for (Decimal, the time types, Structs without
//! a schema), this module writes them (decimals per the decimal format, times as ints, structs
//! as objects); reading is stricter than Jackson's coercions and names the offending field.

mod decode;
mod encode;
mod number;
mod parse;
mod schema;
mod writer;

use std::fmt;
use std::sync::Arc;

use crate::data::{DECIMAL_SCALE_PARAM, Schema, SchemaRef, SchemaType, Value};
use crate::error::{ConnectError, ConnectResult};

use decode::Decoder;
use encode::Encoder;
use parse::Node;

pub use number::{java_decimal_to_string, java_double_to_string, java_float_to_string};

/// How Decimal values are written: JsonConverter's `decimal.format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalFormat {
    /// Base64 of the unscaled value's two's-complement bytes (Kafka Connect's default).
    #[default]
    Base64,
    /// A JSON number, as `BigDecimal.toString()` spells it.
    Numeric,
}

impl DecimalFormat {
    /// Parses `BASE64` or `NUMERIC`, ignoring case as JsonConverterConfig does.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "BASE64" => Some(DecimalFormat::Base64),
            "NUMERIC" => Some(DecimalFormat::Numeric),
            _ => None,
        }
    }
}

/// The JsonConverter settings that change how data is written or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonOptions {
    pub decimal_format: DecimalFormat,
    /// `replace.null.with.default`: a null with a schema default is written (and read) as the default.
    pub replace_null_with_default: bool,
}

impl Default for JsonOptions {
    fn default() -> Self {
        JsonOptions {
            decimal_format: DecimalFormat::Base64,
            replace_null_with_default: true,
        }
    }
}

/// The payload alone (JsonConverter with `schemas.enable=false`). Without a schema the JSON
/// shape follows the value.
pub fn to_json_bytes(
    schema: Option<&Schema>,
    value: &Value,
    opts: &JsonOptions,
) -> ConnectResult<Vec<u8>> {
    let mut enc = Encoder::new(opts);
    enc.value(schema, value, &Path::Root)?;
    Ok(enc.finish())
}

/// `{"schema":…,"payload":…}` (JsonConverter with `schemas.enable=true`); `"schema":null` without a schema.
pub fn envelope(
    schema: Option<&Schema>,
    value: &Value,
    opts: &JsonOptions,
) -> ConnectResult<Vec<u8>> {
    let schema_json = schema.map(|s| schema_to_json_bytes(s, opts)).transpose()?;
    envelope_with_schema_json(schema_json.as_deref(), schema, value, opts)
}

/// As [`envelope`], with the schema's JSON already rendered (by [`schema_to_json_bytes`] with the
/// same options), so that a converter can cache it per schema.
pub fn envelope_with_schema_json(
    schema_json: Option<&[u8]>,
    schema: Option<&Schema>,
    value: &Value,
    opts: &JsonOptions,
) -> ConnectResult<Vec<u8>> {
    let mut enc = Encoder::new(opts);
    enc.w.raw(b"{\"schema\":");
    enc.w.raw(schema_json.unwrap_or(b"null"));
    enc.w.raw(b",\"payload\":");
    enc.value(schema, value, &Path::Root)?;
    enc.w.byte(b'}');
    Ok(enc.finish())
}

/// A schema as JsonConverter writes it inside the envelope.
pub fn schema_to_json_bytes(schema: &Schema, opts: &JsonOptions) -> ConnectResult<Vec<u8>> {
    let mut enc = Encoder::new(opts);
    enc.schema(schema, None, &Path::Root)?;
    Ok(enc.finish())
}

/// Reads a payload (no envelope) against a schema; without one the value is inferred as
/// JsonConverter does: objects → maps with string keys, integers → int64, other numbers →
/// float64. Empty input reads as null.
pub fn from_json_bytes(
    schema: Option<&Schema>,
    bytes: &[u8],
    opts: &JsonOptions,
) -> ConnectResult<Value> {
    let node = parse_bytes(bytes)?;
    Decoder::new(opts).value(schema, node.as_ref(), &Path::Root)
}

/// Reads a schema written by [`schema_to_json_bytes`]; `None` for JSON `null`.
pub fn schema_from_json_bytes(bytes: &[u8], opts: &JsonOptions) -> ConnectResult<Option<Schema>> {
    match parse_bytes(bytes)? {
        Some(node) => schema::from_node(&node, opts, &Path::Root),
        None => Err(ConnectError::data("Schema must contain 'type' field")),
    }
}

/// Reads a `{"schema":…,"payload":…}` envelope.
pub fn from_envelope(
    bytes: &[u8],
    opts: &JsonOptions,
) -> ConnectResult<(Option<SchemaRef>, Value)> {
    let envelope = parse_envelope(bytes)?;
    let schema = envelope.schema(opts)?;
    let value = envelope.payload(schema.as_ref(), opts)?;
    Ok((schema.map(Arc::new), value))
}

/// A parsed envelope whose schema has not been converted yet, so that a caller can look the
/// schema's raw JSON up in a cache first.
#[derive(Debug)]
pub struct Envelope<'a> {
    schema: Node<'a>,
    schema_json: &'a [u8],
    payload: Node<'a>,
}

const ENVELOPE_ERROR: &str = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.";

/// Parses an envelope, failing with JsonConverter's message when the bytes are not exactly an
/// object with `schema` and `payload`.
pub fn parse_envelope(bytes: &[u8]) -> ConnectResult<Envelope<'_>> {
    let Some(Node::Object(mut members)) = parse_bytes(bytes)? else {
        return Err(ConnectError::data(ENVELOPE_ERROR));
    };
    // The parser has merged duplicate keys, so two members named schema and payload is exactly
    // Java's "object of size 2 with both fields".
    let schema_first = match members.as_slice() {
        [a, b] if a.key == "schema" && b.key == "payload" => true,
        [a, b] if a.key == "payload" && b.key == "schema" => false,
        _ => return Err(ConnectError::data(ENVELOPE_ERROR)),
    };
    let (second, first) = (members.pop(), members.pop());
    let (Some(first), Some(second)) = (first, second) else {
        return Err(ConnectError::data(ENVELOPE_ERROR));
    };
    let (schema, payload) = if schema_first {
        (first, second)
    } else {
        (second, first)
    };
    Ok(Envelope {
        schema: schema.value,
        schema_json: schema.raw,
        payload: payload.value,
    })
}

impl<'a> Envelope<'a> {
    /// The schema member's bytes exactly as they appear in the input.
    pub fn schema_json(&self) -> &'a [u8] {
        self.schema_json
    }

    /// The envelope's schema; `None` for `"schema":null`.
    pub fn schema(&self, opts: &JsonOptions) -> ConnectResult<Option<Schema>> {
        schema::from_node(&self.schema, opts, &Path::Root)
    }

    /// The payload read against `schema` (normally the envelope's own).
    pub fn payload(&self, schema: Option<&Schema>, opts: &JsonOptions) -> ConnectResult<Value> {
        Decoder::new(opts).value(schema, Some(&self.payload), &Path::Root)
    }
}

/// The value as a JSON document, for connectors that write JSON. It is the JSON JsonConverter
/// writes with default options and `schemas.enable=false`, except that object keys come out
/// sorted (serde_json's map) and numbers pass through f64/i64; use [`to_json_bytes`] for exact bytes.
pub fn to_serde(schema: Option<&Schema>, value: &Value) -> ConnectResult<serde_json::Value> {
    to_serde_with(schema, value, &JsonOptions::default())
}

/// [`to_serde`] with explicit options (e.g. NUMERIC decimals).
pub fn to_serde_with(
    schema: Option<&Schema>,
    value: &Value,
    opts: &JsonOptions,
) -> ConnectResult<serde_json::Value> {
    let bytes = to_json_bytes(schema, value, opts)?;
    let node = parse_bytes(&bytes)?;
    Ok(node
        .as_ref()
        .map_or(serde_json::Value::Null, decode::to_serde))
}

/// Kafka Connect's `Schema.Type` name (`INT32`, `FLOAT64`, …), as its error texts show it.
pub fn connect_type_name(ty: &SchemaType) -> &'static str {
    match ty {
        SchemaType::Int8 => "INT8",
        SchemaType::Int16 => "INT16",
        SchemaType::Int32 => "INT32",
        SchemaType::Int64 => "INT64",
        SchemaType::Float32 => "FLOAT32",
        SchemaType::Float64 => "FLOAT64",
        SchemaType::Boolean => "BOOLEAN",
        SchemaType::String => "STRING",
        SchemaType::Bytes => "BYTES",
        SchemaType::Array(_) => "ARRAY",
        SchemaType::Map(..) => "MAP",
        SchemaType::Struct(_) => "STRUCT",
    }
}

fn parse_bytes(bytes: &[u8]) -> ConnectResult<Option<Node<'_>>> {
    parse::parse(bytes).map_err(|e| {
        ConnectError::data(format!(
            "Converting byte[] to Kafka Connect data failed due to serialization error: {e}"
        ))
    })
}

/// The scale of a Decimal schema, with Kafka Connect's messages when it is missing or bad.
fn decimal_scale(schema: &Schema, path: &Path) -> ConnectResult<i32> {
    let raw = schema
        .parameter(DECIMAL_SCALE_PARAM)
        .ok_or_else(|| fail(path, "Invalid Decimal schema: scale parameter not found."))?;
    raw.trim().parse().map_err(|_| {
        fail(
            path,
            format!("Invalid scale parameter found in Decimal schema: {raw}"),
        )
    })
}

/// Where in a value an error happened, built on the stack while walking it and only rendered
/// when an error is reported.
#[derive(Clone, Copy)]
pub(crate) enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
    /// A non-data position such as a schema's default or a map key.
    Note(&'a Path<'a>, &'static str),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (parent, is_field) = match self {
            Path::Root => return Ok(()),
            Path::Field(p, _) | Path::Note(p, _) => (p, true),
            Path::Index(p, _) => (p, false),
        };
        write!(f, "{parent}")?;
        if is_field && !matches!(parent, Path::Root) {
            f.write_str(".")?;
        }
        match self {
            Path::Field(_, name) => f.write_str(name),
            Path::Note(_, note) => write!(f, "<{note}>"),
            Path::Index(_, i) => write!(f, "[{i}]"),
            Path::Root => Ok(()),
        }
    }
}

/// A data error, naming the position unless it is the top level.
pub(crate) fn fail(path: &Path, message: impl Into<String>) -> ConnectError {
    let message = message.into();
    match path {
        Path::Root => ConnectError::data(message),
        _ => ConnectError::data(format!("{message} (at `{path}`)")),
    }
}

#[cfg(test)]
mod tests;
