//! Parsing and checking of single config values: pipelines, JSON objects, operation times,
//! enumerations.

use mongodb::bson::{Bson, DateTime, Document, Timestamp};
use sluice_api::config::ConfigValue;

use super::OutputFormat;
use crate::source::json::JsonFormatter;

pub fn output_format(name: &str) -> OutputFormat {
    match name.to_ascii_lowercase().as_str() {
        "bson" => OutputFormat::Bson,
        "schema" => OutputFormat::Schema,
        _ => OutputFormat::Json,
    }
}

pub fn canonical_full_document(value: &str) -> String {
    ["updateLookup", "whenAvailable", "required", "default"]
        .into_iter()
        .find(|v| v.eq_ignore_ascii_case(value))
        .unwrap_or(value)
        .to_string()
}

pub fn canonical_before_change(value: &str) -> String {
    ["whenAvailable", "required", "off", "default"]
        .into_iter()
        .find(|v| v.eq_ignore_ascii_case(value))
        .unwrap_or(value)
        .to_string()
}

/// Parses a JSON array of stage documents (Extended JSON values allowed), keeping key order.
pub fn pipeline_of(text: &str) -> Result<Vec<Document>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let serde_json::Value::Array(stages) = json else {
        return Err("must be a JSON array of pipeline stages".to_string());
    };
    stages
        .into_iter()
        .enumerate()
        .map(|(i, stage)| match Bson::try_from(stage) {
            Ok(Bson::Document(doc)) if !doc.is_empty() => Ok(doc),
            Ok(_) => Err(format!("stage {i} is not a non-empty JSON object")),
            Err(e) => Err(format!("stage {i}: {e}")),
        })
        .collect()
}

/// Parses a JSON object (Extended JSON values allowed).
pub fn json_document(text: &str) -> Result<Document, String> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    match Bson::try_from(json) {
        Ok(Bson::Document(doc)) => Ok(doc),
        Ok(_) => Err("must be a JSON object".to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// Parses a start time as the official connector does: seconds since the epoch, an ISO-8601
/// instant with second precision, or an Extended JSON `$timestamp`.
pub fn operation_time(text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u32>() {
        return Ok(Timestamp {
            time: seconds,
            increment: 0,
        });
    }
    if text.starts_with('{') {
        let json: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        return match Bson::try_from(json) {
            Ok(Bson::Timestamp(ts)) => Ok(ts),
            _ => {
                Err("expected {\"$timestamp\": {\"t\": <seconds>, \"i\": <increment>}}".to_string())
            }
        };
    }
    let instant = DateTime::parse_rfc3339_str(text).map_err(|_| {
        "expected seconds since the epoch, an ISO-8601 instant such as 1970-01-01T00:00:30Z, or {\"$timestamp\": {\"t\": 30, \"i\": 0}}".to_string()
    })?;
    let seconds = instant.timestamp_millis().div_euclid(1000);
    u32::try_from(seconds)
        .map(|time| Timestamp { time, increment: 0 })
        .map_err(|_| "the instant is outside the range of a BSON timestamp".to_string())
}

fn string_of(value: &ConfigValue) -> &str {
    match value {
        ConfigValue::String(s) => s,
        _ => "",
    }
}

pub fn check_uri(value: &ConfigValue) -> Result<(), String> {
    let uri = string_of(value);
    if uri.starts_with("mongodb://") || uri.starts_with("mongodb+srv://") {
        Ok(())
    } else {
        Err("must be a MongoDB connection string (mongodb:// or mongodb+srv://)".to_string())
    }
}

pub fn check_pipeline(value: &ConfigValue) -> Result<(), String> {
    pipeline_of(string_of(value)).map(|_| ())
}

pub fn check_json_object(value: &ConfigValue) -> Result<(), String> {
    match string_of(value) {
        "" => Ok(()),
        text => json_document(text).map(|_| ()),
    }
}

pub fn check_regex(value: &ConfigValue) -> Result<(), String> {
    match string_of(value) {
        "" => Ok(()),
        text => regex::Regex::new(text)
            .map(|_| ())
            .map_err(|e| format!("not a valid regular expression: {e}")),
    }
}

pub fn check_operation_time(value: &ConfigValue) -> Result<(), String> {
    match string_of(value) {
        "" => Ok(()),
        text => operation_time(text).map(|_| ()),
    }
}

pub fn check_full_document(value: &ConfigValue) -> Result<(), String> {
    let v = string_of(value);
    let known = ["", "default", "updateLookup", "whenAvailable", "required"];
    if known.iter().any(|k| k.eq_ignore_ascii_case(v)) {
        Ok(())
    } else {
        Err("must be one of: updateLookup, whenAvailable, required (or empty)".to_string())
    }
}

pub fn check_full_document_before_change(value: &ConfigValue) -> Result<(), String> {
    let v = string_of(value);
    let known = ["", "default", "off", "whenAvailable", "required"];
    if known.iter().any(|k| k.eq_ignore_ascii_case(v)) {
        Ok(())
    } else {
        Err("must be one of: whenAvailable, required, off, default (or empty)".to_string())
    }
}

pub fn check_output_format(value: &ConfigValue) -> Result<(), String> {
    match string_of(value).to_ascii_lowercase().as_str() {
        "json" | "bson" | "schema" => Ok(()),
        _ => Err("must be one of: json, bson, schema".to_string()),
    }
}

pub fn check_formatter(value: &ConfigValue) -> Result<(), String> {
    match JsonFormatter::parse(string_of(value)) {
        Some(_) => Ok(()),
        None => Err(format!(
            "must be one of: {}, {}, {}",
            JsonFormatter::Default.class_name(),
            JsonFormatter::Extended.class_name(),
            JsonFormatter::Simplified.class_name()
        )),
    }
}
