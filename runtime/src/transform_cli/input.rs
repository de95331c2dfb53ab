//! Records for `sluice transform test|bench`, one JSON object a line:
//!
//! ```text
//! {"topic": "orders", "partition": 0, "offset": 5, "timestamp": 1700000000000,
//!  "key": "k1", "value": {"id": 1}, "headers": {"source": "web", "trace": null}}
//! ```
//!
//! Every field is optional. A JSON string becomes a string, null stays null, and any other JSON
//! becomes the string of its compact text, exactly as written (key order and number spelling
//! kept), which is what a JSON-converted Kafka record hands a plugin. The topic defaults to
//! `test`, the offset to the line number. Header names may repeat; each occurrence is a header.

use std::path::Path;

use sluice_api::data::Value;
use sluice_api::{Header, Record};

pub const DEFAULT_TOPIC: &str = "test";

const FIELDS: &str = "topic, partition, offset, timestamp, key, value, headers";

/// Reads the records in `path`; an error names the file and line.
pub fn read(path: &Path) -> Result<Vec<Record>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read --input '{}': {e}", path.display()))?;
    let records = parse(&text).map_err(|e| format!("--input '{}': {e}", path.display()))?;
    if records.is_empty() {
        return Err(format!(
            "--input '{}' holds no records (one JSON object a line)",
            path.display()
        ));
    }
    Ok(records)
}

/// Parses JSONL text; blank lines are skipped.
pub fn parse(text: &str) -> Result<Vec<Record>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| parse_line(line, i as i64 + 1).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

fn parse_line(line: &str, line_number: i64) -> Result<Record, String> {
    // Validates the whole line first, so the scanner below only meets well-formed JSON.
    let parsed: serde_json::Value = serde_json::from_str(line).map_err(|e| {
        let message = e.to_string();
        let message = message
            .strip_suffix(&format!(" at line {} column {}", e.line(), e.column()))
            .unwrap_or(&message);
        format!("not valid JSON at column {}: {message}", e.column())
    })?;
    if !parsed.is_object() {
        return Err(format!(
            "expected a JSON object with any of {FIELDS}, found {}",
            kind(&parsed)
        ));
    }
    let members = members(line).ok_or("cannot split the object into fields")?;
    let mut record = Record::new(DEFAULT_TOPIC);
    record.kafka_offset = Some(line_number);
    let mut seen: Vec<String> = Vec::new();
    for (name, raw) in members {
        if seen.contains(&name) {
            return Err(format!("field '{name}' given twice"));
        }
        let json: serde_json::Value =
            serde_json::from_str(raw).map_err(|e| format!("field '{name}': {e}"))?;
        match name.as_str() {
            "topic" => match json {
                serde_json::Value::String(topic) if topic.is_empty() => {
                    return Err("'topic' must not be empty".into());
                }
                serde_json::Value::String(topic) => record.topic = topic,
                other => {
                    return Err(format!("'topic' must be a string, found {}", kind(&other)));
                }
            },
            "partition" => {
                record.partition =
                    integer(&json, "partition", 0, i32::MAX.into())?.map(|p| p as i32);
            }
            "offset" => record.kafka_offset = integer(&json, "offset", 0, i64::MAX)?,
            "timestamp" => record.timestamp = integer(&json, "timestamp", i64::MIN, i64::MAX)?,
            "key" => record.key = data(&json, raw),
            "value" => record.value = data(&json, raw),
            "headers" => record.headers = headers(&json, raw)?,
            other => return Err(format!("unknown field '{other}' (known: {FIELDS})")),
        }
        seen.push(name);
    }
    Ok(record)
}

/// A key, value or header value: see the module comment.
fn data(json: &serde_json::Value, raw: &str) -> Value {
    match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::String(text) => Value::String(text.clone()),
        _ => Value::String(compact(raw)),
    }
}

fn headers(json: &serde_json::Value, raw: &str) -> Result<Vec<Header>, String> {
    match json {
        serde_json::Value::Null => Ok(Vec::new()),
        serde_json::Value::Object(_) => {
            let members = members(raw).ok_or("cannot split 'headers' into names")?;
            members
                .into_iter()
                .map(|(name, raw)| {
                    let json: serde_json::Value =
                        serde_json::from_str(raw).map_err(|e| format!("header '{name}': {e}"))?;
                    Ok(Header {
                        key: name,
                        schema: None,
                        value: data(&json, raw),
                    })
                })
                .collect()
        }
        other => Err(format!(
            "'headers' must be an object of name: value, found {}",
            kind(other)
        )),
    }
}

fn integer(
    json: &serde_json::Value,
    field: &str,
    min: i64,
    max: i64,
) -> Result<Option<i64>, String> {
    match json {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(v) if (min..=max).contains(&v) => Ok(Some(v)),
            _ => Err(format!(
                "'{field}' must be an integer from {min} to {max}, found {n}"
            )),
        },
        other => Err(format!(
            "'{field}' must be an integer, found {}",
            kind(other)
        )),
    }
}

fn kind(json: &serde_json::Value) -> &'static str {
    match json {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The members of a well-formed JSON object, names decoded and values as written. `serde_json`
/// here sorts object keys and drops repeated ones, which would change what the plugin sees.
/// `None` only if `text` is not a well-formed object.
fn members(text: &str) -> Option<Vec<(String, &str)>> {
    let bytes = text.as_bytes();
    let mut members = Vec::new();
    let mut i = skip_whitespace(bytes, 0);
    if bytes.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_whitespace(bytes, i + 1);
    if bytes.get(i) == Some(&b'}') {
        return Some(members);
    }
    loop {
        let name_end = string_end(bytes, i)?;
        let name: String = serde_json::from_str(text.get(i..name_end)?).ok()?;
        i = skip_whitespace(bytes, name_end);
        if bytes.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_whitespace(bytes, i + 1);
        let end = value_end(bytes, start)?;
        members.push((name, text.get(start..end)?));
        i = skip_whitespace(bytes, end);
        match bytes.get(i)? {
            b',' => i = skip_whitespace(bytes, i + 1),
            b'}' => return Some(members),
            _ => return None,
        }
    }
}

fn skip_whitespace(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
        i += 1;
    }
    i
}

/// Just past the string starting at `i`.
fn string_end(bytes: &[u8], i: usize) -> Option<usize> {
    if bytes.get(i) != Some(&b'"') {
        return None;
    }
    let mut j = i + 1;
    loop {
        match bytes.get(j)? {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
}

/// Just past the value starting at `i`.
fn value_end(bytes: &[u8], i: usize) -> Option<usize> {
    match bytes.get(i)? {
        b'"' => string_end(bytes, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match bytes.get(j)? {
                    b'"' => {
                        j = string_end(bytes, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while bytes
                .get(j)
                .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
            {
                j += 1;
            }
            Some(j)
        }
    }
}

/// `json` without the whitespace between tokens.
pub fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_ascii_whitespace() {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> Record {
        let mut records = parse(line).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(records.len(), 1);
        records.remove(0)
    }

    fn error(text: &str) -> String {
        parse(text).expect_err("expected an error")
    }

    #[test]
    fn every_field_is_read() {
        let record = one(
            r#"{"topic": "orders", "partition": 2, "offset": 5, "timestamp": 1700000000000,
                "key": "k1", "value": {"id": 1}, "headers": {"source": "web", "trace": null}}"#
                .replace('\n', " ")
                .as_str(),
        );
        assert_eq!(record.topic, "orders");
        assert_eq!(record.partition, Some(2));
        assert_eq!(record.kafka_offset, Some(5));
        assert_eq!(record.timestamp, Some(1_700_000_000_000));
        assert_eq!(record.key, Value::String("k1".into()));
        assert_eq!(record.value, Value::String(r#"{"id":1}"#.into()));
        assert_eq!(
            record.headers,
            vec![
                Header::string("source", "web"),
                Header {
                    key: "trace".into(),
                    schema: None,
                    value: Value::Null
                }
            ]
        );
    }

    #[test]
    fn defaults_are_the_test_topic_and_the_line_number() {
        let records = parse("{}\n\n{\"value\": null}\n").unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].topic, DEFAULT_TOPIC);
        assert_eq!(records[0].kafka_offset, Some(1));
        assert_eq!(records[1].kafka_offset, Some(3));
        assert_eq!(records[1].value, Value::Null);
        assert_eq!(records[1].partition, None);
        assert_eq!(records[1].timestamp, None);
    }

    #[test]
    fn structured_json_keeps_its_order_and_spelling() {
        let record = one(
            r#"{"value": { "b" : [1.0, 2e3, {"x": " a b "}], "a": true }, "key": 12345678901234567890}"#,
        );
        assert_eq!(
            record.value,
            Value::String(r#"{"b":[1.0,2e3,{"x":" a b "}],"a":true}"#.into())
        );
        assert_eq!(record.key, Value::String("12345678901234567890".into()));
    }

    #[test]
    fn escaped_strings_are_decoded_and_kept_compact() {
        let record =
            one(r#"{"key": "say \"hi\"\n", "value": ["a\\", "}\"{"], "headers": {"h\u0031": 7}}"#);
        assert_eq!(record.key, Value::String("say \"hi\"\n".into()));
        assert_eq!(record.value, Value::String(r#"["a\\","}\"{"]"#.into()));
        assert_eq!(record.headers[0].key, "h1");
        assert_eq!(record.headers[0].value, Value::String("7".into()));
    }

    #[test]
    fn repeated_header_names_are_separate_headers() {
        let record = one(r#"{"headers": {"a": "1", "a": "2"}}"#);
        assert_eq!(
            record.headers,
            vec![Header::string("a", "1"), Header::string("a", "2")]
        );
    }

    #[test]
    fn errors_name_the_line_and_the_problem() {
        let err = error("{}\n{\"value\": 1,}\n");
        assert!(err.starts_with("line 2: not valid JSON at column"), "{err}");
        let err = error("{}\n\n[1]");
        assert_eq!(
            err,
            format!("line 3: expected a JSON object with any of {FIELDS}, found an array")
        );
        assert_eq!(
            error(r#"{"vlaue": 1}"#),
            format!("line 1: unknown field 'vlaue' (known: {FIELDS})")
        );
        assert_eq!(
            error(r#"{"value": 1, "value": 2}"#),
            "line 1: field 'value' given twice"
        );
        assert_eq!(
            error(r#"{"partition": -1}"#),
            "line 1: 'partition' must be an integer from 0 to 2147483647, found -1"
        );
        assert_eq!(
            error(r#"{"offset": "5"}"#),
            "line 1: 'offset' must be an integer, found a string"
        );
        assert_eq!(
            error(r#"{"topic": ""}"#),
            "line 1: 'topic' must not be empty"
        );
        assert_eq!(
            error(r#"{"headers": ["a"]}"#),
            "line 1: 'headers' must be an object of name: value, found an array"
        );
    }

    #[test]
    fn compact_drops_only_whitespace_between_tokens() {
        assert_eq!(compact(" { \"a b\" : [ 1 , 2 ] } "), "{\"a b\":[1,2]}");
        assert_eq!(compact(r#"["\" x", "\\", " y"]"#), r#"["\" x","\\"," y"]"#);
    }
}
