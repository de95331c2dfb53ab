//! Schema'd output (`output.format.key|value=schema`): keys and values as Connect structs,
//! under an Avro schema from the config (`output.schema.key|value`) or, with
//! `output.schema.infer.value=true`, one inferred from each value document.

mod avro;
mod convert;
mod infer;

pub use avro::parse as parse_avro;
pub use convert::document_value;
#[cfg(test)]
pub use convert::to_value;
pub use infer::infer_document;

/// The official connector's key schema: the resume token (or document key) as a JSON string.
pub const DEFAULT_KEY_SCHEMA: &str =
    r#"{"type": "record", "name": "keySchema", "fields": [{"name": "_id", "type": "string"}]}"#;

/// The official connector's change-event schema: nested documents as JSON strings, the
/// namespace and update description as structs.
pub const DEFAULT_VALUE_SCHEMA: &str = r#"{"type": "record", "name": "ChangeStream", "fields": [
  {"name": "_id", "type": "string"},
  {"name": "operationType", "type": ["string", "null"]},
  {"name": "fullDocumentBeforeChange", "type": ["string", "null"]},
  {"name": "fullDocument", "type": ["string", "null"]},
  {"name": "ns", "type": [{"type": "record", "name": "ns", "fields": [
    {"name": "db", "type": "string"}, {"name": "coll", "type": ["string", "null"]}]}, "null"]},
  {"name": "to", "type": [{"type": "record", "name": "to", "fields": [
    {"name": "db", "type": "string"}, {"name": "coll", "type": ["string", "null"]}]}, "null"]},
  {"name": "documentKey", "type": ["string", "null"]},
  {"name": "updateDescription", "type": [{"type": "record", "name": "updateDescription", "fields": [
    {"name": "updatedFields", "type": ["string", "null"]},
    {"name": "removedFields", "type": [{"type": "array", "items": "string"}, "null"]},
    {"name": "truncatedArrays", "type": [{"type": "array", "items": {"type": "record",
      "name": "truncatedArray", "fields": [
        {"name": "field", "type": "string"}, {"name": "newSize", "type": "int"}]}}, "null"]},
    {"name": "disambiguatedPaths", "type": ["string", "null"]}]}, "null"]},
  {"name": "clusterTime", "type": ["string", "null"]},
  {"name": "wallTime", "type": ["long", "null"]},
  {"name": "txnNumber", "type": ["long", "null"]},
  {"name": "lsid", "type": [{"type": "record", "name": "lsid", "fields": [
    {"name": "id", "type": "string"}, {"name": "uid", "type": "string"}]}, "null"]}
]}"#;

#[cfg(test)]
mod tests;
