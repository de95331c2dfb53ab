//! Connect data → Kafka bytes, without a converter: what the sink writes as keys, values and
//! header values.

use std::borrow::Cow;

use sluice_api::json::{JsonOptions, to_json_bytes};
use sluice_api::{ConnectError, ConnectResult, Schema, Value};

/// Bytes as they are, a string as UTF-8, null as a Kafka null (`None`), anything else as compact
/// JSON — the payload JsonConverter writes with `schemas.enable=false`. Bytes and strings are
/// borrowed, not copied.
pub fn to_bytes<'a>(
    schema: Option<&Schema>,
    value: &'a Value,
) -> ConnectResult<Option<Cow<'a, [u8]>>> {
    match value {
        Value::Null => Ok(None),
        Value::Bytes(bytes) => Ok(Some(Cow::Borrowed(bytes))),
        Value::String(text) => Ok(Some(Cow::Borrowed(text.as_bytes()))),
        other => {
            to_json_bytes(schema, other, &JsonOptions::default()).map(|json| Some(Cow::Owned(json)))
        }
    }
}

/// A header value: as [`to_bytes`], with the error naming the header.
pub fn header_bytes<'a>(
    key: &str,
    schema: Option<&Schema>,
    value: &'a Value,
) -> ConnectResult<Option<Cow<'a, [u8]>>> {
    to_bytes(schema, value).map_err(|e| {
        ConnectError::data(format!("header '{key}' cannot be serialized: {e}")).caused_by(e)
    })
}

#[cfg(test)]
mod tests {
    use sluice_api::{Field, Struct};

    use super::*;

    fn text(bytes: Option<Cow<'_, [u8]>>) -> String {
        String::from_utf8(bytes.expect("not null").into_owned()).expect("utf-8")
    }

    #[test]
    fn bytes_strings_and_nulls_pass_as_they_are() {
        assert_eq!(to_bytes(None, &Value::Null).unwrap(), None);
        let bytes = Value::Bytes(vec![0, 255, 7]);
        assert_eq!(
            to_bytes(None, &bytes).unwrap().as_deref(),
            Some(&[0, 255, 7][..])
        );
        assert_eq!(
            text(to_bytes(Some(&Schema::string()), &Value::String("é \"x\"".into())).unwrap()),
            "é \"x\""
        );
    }

    #[test]
    fn other_values_are_compact_json() {
        assert_eq!(text(to_bytes(None, &Value::Int64(42)).unwrap()), "42");
        assert_eq!(text(to_bytes(None, &Value::Boolean(true)).unwrap()), "true");
        let map = Value::Map(vec![
            (Value::String("a".into()), Value::Int64(1)),
            (
                Value::String("b".into()),
                Value::Array(vec![Value::String("x".into()), Value::Null]),
            ),
        ]);
        assert_eq!(
            text(to_bytes(None, &map).unwrap()),
            r#"{"a":1,"b":["x",null]}"#
        );
        let schema = Schema::structure(vec![
            Field::new("id", Schema::int32()),
            Field::new("at", Schema::timestamp()),
            Field::new("speed", Schema::float64()),
        ]);
        let value = Value::Struct(
            Struct::new()
                .with("id", Value::Int32(7))
                .with("at", Value::Timestamp(1_704_067_200_000))
                .with("speed", Value::Float64(12.5)),
        );
        assert_eq!(
            text(to_bytes(Some(&schema), &value).unwrap()),
            r#"{"id":7,"at":1704067200000,"speed":12.5}"#
        );
    }

    #[test]
    fn header_errors_name_the_header() {
        let schema = Schema::int32();
        let value = Value::String("not an int".into());
        // A string is written as it is, whatever the schema says.
        assert_eq!(
            text(header_bytes("h", Some(&schema), &value).unwrap()),
            "not an int"
        );
        let bad = header_bytes("h", Some(&schema), &Value::Boolean(true)).unwrap_err();
        assert!(
            bad.to_string()
                .starts_with("header 'h' cannot be serialized"),
            "{bad}"
        );
        assert!(bad.is_record_level());
    }
}
