//! Connect keys and values as BSON documents, as the official sink converts them: structs by
//! their schema (Decimal → Decimal128, Date/Time/Timestamp → BSON dates), schemaless maps
//! field by field, strings holding JSON or Extended JSON (`{"$oid": …}`, `{"$date": …}`,
//! `{"$numberLong": …}` become real BSON types), and bytes holding a BSON document or JSON text.

use mongodb::bson::{Binary, Bson, DateTime, Decimal128, Document, RawDocumentBuf, spec};
use sluice_api::data::{LogicalType, SchemaType};
use sluice_api::{Schema, Value};

const MILLIS_PER_DAY: i64 = 86_400_000;

/// Extended JSON wrapper keys: a map whose only key is one of these denotes a BSON value.
const EXTJSON_KEYS: &[&str] = &[
    "$oid",
    "$date",
    "$numberLong",
    "$numberInt",
    "$numberDouble",
    "$numberDecimal",
    "$binary",
    "$uuid",
    "$timestamp",
    "$regularExpression",
    "$symbol",
    "$code",
    "$minKey",
    "$maxKey",
    "$undefined",
    "$dbPointer",
];

/// The document a key or value holds; `Ok(None)` for null. `Err` names what was found.
pub fn to_document(schema: Option<&Schema>, value: &Value) -> Result<Option<Document>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => parse_json_document(text).map(Some),
        Value::Bytes(bytes) => bytes_document(bytes).map(Some),
        Value::Struct(_) | Value::Map(_) => match to_bson(schema, value)? {
            Bson::Document(doc) => Ok(Some(doc)),
            // An Extended JSON wrapper at the top level is a value, not a document.
            other => Err(format!("a {} value is not a document", type_name(&other))),
        },
        other => Err(format!(
            "a {} is not a document (expected a struct, a map, or a string or bytes holding a JSON object)",
            other.type_name()
        )),
    }
}

/// Parses JSON or Extended JSON text that must be an object.
pub fn parse_json_document(text: &str) -> Result<Document, String> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not a JSON document: {e}"))?;
    if !json.is_object() {
        return Err("JSON text is not an object".to_string());
    }
    match Bson::try_from(json).map_err(|e| format!("invalid Extended JSON: {e}"))? {
        Bson::Document(doc) => Ok(doc),
        other => Err(format!(
            "Extended JSON text is a {}, not a document",
            type_name(&other)
        )),
    }
}

/// Bytes that are a BSON document (its length prefix matches), else UTF-8 JSON text.
fn bytes_document(bytes: &[u8]) -> Result<Document, String> {
    let prefix = bytes
        .get(..4)
        .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    if prefix == Some(bytes.len() as i32)
        && let Ok(doc) =
            RawDocumentBuf::from_bytes(bytes.to_vec()).and_then(|raw| raw.to_document())
    {
        return Ok(doc);
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "bytes are neither a BSON document nor UTF-8 JSON text".to_string())?;
    parse_json_document(text)
}

/// One Connect value as BSON, guided by its schema when there is one.
pub fn to_bson(schema: Option<&Schema>, value: &Value) -> Result<Bson, String> {
    if let Some(logical) = schema.and_then(Schema::logical_type) {
        match (logical, value) {
            (LogicalType::Date, Value::Int32(days) | Value::Date(days)) => {
                return Ok(Bson::DateTime(DateTime::from_millis(
                    i64::from(*days) * MILLIS_PER_DAY,
                )));
            }
            (LogicalType::Time, Value::Int32(ms) | Value::Time(ms)) => {
                return Ok(Bson::DateTime(DateTime::from_millis(i64::from(*ms))));
            }
            (LogicalType::Timestamp, Value::Int64(ms) | Value::Timestamp(ms)) => {
                return Ok(Bson::DateTime(DateTime::from_millis(*ms)));
            }
            _ => {}
        }
    }
    Ok(match value {
        Value::Null => match schema.and_then(|s| s.default.as_ref()) {
            Some(default) => to_bson(schema, default)?,
            None => Bson::Null,
        },
        Value::Boolean(b) => Bson::Boolean(*b),
        Value::Int8(n) => Bson::Int32(i32::from(*n)),
        Value::Int16(n) => Bson::Int32(i32::from(*n)),
        Value::Int32(n) => Bson::Int32(*n),
        Value::Int64(n) => Bson::Int64(*n),
        Value::Float32(n) => Bson::Double(f64::from(*n)),
        Value::Float64(n) => Bson::Double(*n),
        Value::String(s) => Bson::String(s.clone()),
        Value::Bytes(b) => Bson::Binary(Binary {
            subtype: spec::BinarySubtype::Generic,
            bytes: b.clone(),
        }),
        Value::Array(items) => {
            let item_schema = schema.and_then(|s| match &s.ty {
                SchemaType::Array(items) => Some(items.as_ref()),
                _ => None,
            });
            Bson::Array(
                items
                    .iter()
                    .map(|v| to_bson(item_schema, v))
                    .collect::<Result<_, _>>()?,
            )
        }
        Value::Map(entries) => map_to_bson(schema, entries)?,
        Value::Struct(s) => {
            let mut doc = Document::new();
            for (name, field_value) in s.fields() {
                let field_schema = schema
                    .and_then(|s| s.field(name))
                    .map(|f| f.schema.as_ref());
                doc.insert(
                    name.clone(),
                    to_bson(field_schema, field_value).map_err(|e| format!("{name}: {e}"))?,
                );
            }
            Bson::Document(doc)
        }
        Value::Decimal(d) => Bson::Decimal128(
            d.to_string()
                .parse::<Decimal128>()
                .map_err(|e| format!("decimal {d} does not fit in Decimal128: {e}"))?,
        ),
        Value::Date(days) => {
            Bson::DateTime(DateTime::from_millis(i64::from(*days) * MILLIS_PER_DAY))
        }
        Value::Time(ms) => Bson::DateTime(DateTime::from_millis(i64::from(*ms))),
        Value::Timestamp(ms) => Bson::DateTime(DateTime::from_millis(*ms)),
    })
}

fn map_to_bson(schema: Option<&Schema>, entries: &[(Value, Value)]) -> Result<Bson, String> {
    let value_schema = schema.and_then(|s| match &s.ty {
        SchemaType::Map(_, values) => Some(values.as_ref()),
        _ => None,
    });
    let is_wrapper = entries.len() <= 2
        && entries
            .first()
            .and_then(|(k, _)| k.as_str())
            .is_some_and(|k| EXTJSON_KEYS.contains(&k));
    if is_wrapper && schema.is_none() {
        let json = sluice_api::json::to_serde(None, &Value::Map(entries.to_vec()))
            .map_err(|e| e.to_string())?;
        return Bson::try_from(json).map_err(|e| format!("invalid Extended JSON: {e}"));
    }
    let mut doc = Document::new();
    for (key, value) in entries {
        let name = match key {
            Value::String(s) => s.clone(),
            Value::Boolean(b) => b.to_string(),
            Value::Int8(n) => n.to_string(),
            Value::Int16(n) => n.to_string(),
            Value::Int32(n) => n.to_string(),
            Value::Int64(n) => n.to_string(),
            other => {
                return Err(format!(
                    "a map key of type {} cannot be a field name",
                    other.type_name()
                ));
            }
        };
        let converted = to_bson(value_schema, value).map_err(|e| format!("{name}: {e}"))?;
        doc.insert(name, converted);
    }
    Ok(Bson::Document(doc))
}

/// A short BSON type name for messages.
pub fn type_name(value: &Bson) -> &'static str {
    match value.element_type() {
        spec::ElementType::Double => "double",
        spec::ElementType::String => "string",
        spec::ElementType::EmbeddedDocument => "document",
        spec::ElementType::Array => "array",
        spec::ElementType::Binary => "binary",
        spec::ElementType::ObjectId => "objectId",
        spec::ElementType::Boolean => "bool",
        spec::ElementType::DateTime => "date",
        spec::ElementType::Null => "null",
        spec::ElementType::Int32 => "int",
        spec::ElementType::Int64 => "long",
        spec::ElementType::Decimal128 => "decimal",
        _ => "BSON value",
    }
}

/// The value at a dot path (`a.b.c`) through nested documents.
pub fn get_path<'a>(doc: &'a Document, path: &str) -> Option<&'a Bson> {
    let mut segments = path.split('.');
    let mut current = doc.get(segments.next()?)?;
    for segment in segments {
        current = match current {
            Bson::Document(inner) => inner.get(segment)?,
            _ => return None,
        };
    }
    Some(current)
}

#[cfg(test)]
mod tests;
