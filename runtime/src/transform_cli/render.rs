//! Records, values and sizes as `sluice transform test|bench` print them. Records are written in
//! the `--input` line format, so an output line can be fed back as input unchanged.

use sluice_api::data::Value;
use sluice_api::json::{JsonOptions, to_json_bytes};
use sluice_api::{Header, Record};

use sluice_wasm_host::Level;

use super::input::compact;

/// A key, value or header value as JSON. Text that is compact JSON other than a string or null
/// is written as that JSON (it reads back as the same text); other text as a JSON string.
/// Bytes that are not UTF-8 are written as `{"bytes_hex": "…"}`.
pub fn value_json(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::String(text) if is_bare_json(text) => text.clone(),
        Value::String(text) => json_string(text),
        Value::Bytes(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => value_json(&Value::String(text.to_string())),
            Err(_) => format!("{{\"bytes_hex\":\"{}\"}}", hex(bytes)),
        },
        // Plugins only ever produce text and bytes from text input; anything else came from a
        // schema-aware host path and is shown the way the JSON converter would write it.
        other => to_json_bytes(None, other, &JsonOptions::default())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .unwrap_or_else(|| json_string(&format!("{other:?}"))),
    }
}

fn is_bare_json(text: &str) -> bool {
    !matches!(text.as_bytes().first(), None | Some(b'"'))
        && text != "null"
        && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
        && compact(text) == text
}

pub fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn optional(value: Option<i64>) -> String {
    value.map_or_else(|| "null".to_string(), |v| v.to_string())
}

/// Headers as a JSON object; a name that repeats appears once per header, in order.
pub fn headers_json(headers: &[Header]) -> String {
    let members: Vec<String> = headers
        .iter()
        .map(|h| format!("{}:{}", json_string(&h.key), value_json(&h.value)))
        .collect();
    format!("{{{}}}", members.join(","))
}

/// One record in the `--input` line format.
pub fn record_json(record: &Record) -> String {
    format!(
        "{{\"topic\":{},\"partition\":{},\"offset\":{},\"timestamp\":{},\"key\":{},\"value\":{},\"headers\":{}}}",
        json_string(&record.topic),
        optional(record.partition.map(i64::from)),
        optional(record.kafka_offset),
        optional(record.timestamp),
        value_json(&record.key),
        value_json(&record.value),
        headers_json(&record.headers),
    )
}

/// What a plugin changed in `input` to make `output`, as `field=value` parts; empty if nothing.
pub fn changes(input: &Record, output: &Record) -> Vec<String> {
    let mut parts = Vec::new();
    if output.topic != input.topic {
        parts.push(format!("topic={}", output.topic));
    }
    if output.partition != input.partition {
        parts.push(format!(
            "partition={}",
            optional(output.partition.map(i64::from))
        ));
    }
    if output.timestamp != input.timestamp {
        parts.push(format!("timestamp={}", optional(output.timestamp)));
    }
    if output.key != input.key {
        parts.push(format!("key={}", value_json(&output.key)));
    }
    if output.value != input.value {
        parts.push(format!("value={}", value_json(&output.value)));
    }
    if output.headers != input.headers {
        parts.push(format!("headers={}", headers_json(&output.headers)));
    }
    parts
}

pub fn level_name(level: Level) -> &'static str {
    match level {
        Level::Trace => "trace",
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Warn => "warn",
        Level::Error => "error",
    }
}

/// `1.5 MiB`, `640 KiB`, `512 B`.
pub fn human_bytes(bytes: usize) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut size = bytes as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    if size < 10.0 {
        format!("{size:.2} {}", UNITS[unit])
    } else {
        format!("{size:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::super::input::parse;
    use super::*;

    #[test]
    fn values_are_written_as_they_were_read() {
        let line = r#"{"topic":"orders","partition":1,"offset":7,"timestamp":null,"key":"k \"1\"","value":{"b":[1.0,true],"a":null},"headers":{"h":"x","h":null,"n":12}}"#;
        let records = parse(line).unwrap();
        assert_eq!(record_json(&records[0]), line);
    }

    #[test]
    fn text_that_only_looks_like_json_stays_a_string() {
        assert_eq!(value_json(&Value::String("null".into())), r#""null""#);
        assert_eq!(value_json(&Value::String("\"x\"".into())), r#""\"x\"""#);
        assert_eq!(value_json(&Value::String("".into())), r#""""#);
        assert_eq!(value_json(&Value::String("{ }".into())), r#""{ }""#);
        assert_eq!(value_json(&Value::String("{".into())), r#""{""#);
        assert_eq!(value_json(&Value::String("12".into())), "12");
        for text in ["null", "\"x\"", "", "{ }", "{", "12", "hello"] {
            let line = format!(r#"{{"value":{}}}"#, value_json(&Value::String(text.into())));
            assert_eq!(
                parse(&line).unwrap()[0].value,
                Value::String(text.into()),
                "{line}"
            );
        }
    }

    #[test]
    fn bytes_are_text_when_they_can_be() {
        assert_eq!(value_json(&Value::Bytes(b"hi".to_vec())), r#""hi""#);
        assert_eq!(
            value_json(&Value::Bytes(vec![0xff, 0x00])),
            r#"{"bytes_hex":"ff00"}"#
        );
    }

    #[test]
    fn changes_list_only_what_differs() {
        let input = parse(r#"{"topic":"a","key":"k","value":"v"}"#)
            .unwrap()
            .remove(0);
        assert!(changes(&input, &input).is_empty());
        let mut output = input.clone();
        output.topic = "b".into();
        output.value = Value::String(r#"{"x":1}"#.into());
        output.headers.push(Header::string("h", "on"));
        assert_eq!(
            changes(&input, &output),
            vec!["topic=b", r#"value={"x":1}"#, r#"headers={"h":"on"}"#]
        );
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(65536), "64.0 KiB");
        assert_eq!(human_bytes(1_114_112), "1.06 MiB");
    }
}
