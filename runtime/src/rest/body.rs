//! Connector configs as request bodies send them. Kafka Connect reads a config as a map of
//! strings but lets Jackson coerce numbers and booleans (`"tasks.max": 1`), and scripts rely on
//! that, so scalars are taken as their JSON text; nested objects and arrays are refused.

use serde_json::{Map, Value};
use sluice_api::Props;

use super::error::ApiError;

/// A JSON object as a config; `null` values are refused.
pub fn config(map: Map<String, Value>) -> Result<Props, ApiError> {
    map.into_iter()
        .map(|(key, value)| match scalar(&key, value)? {
            Some(text) => Ok((key, text)),
            None => Err(ApiError::bad_request(format!(
                "The value of configuration {key} must be a string, not null"
            ))),
        })
        .collect()
}

/// A JSON object as a KIP-477 patch: a `null` value removes the key.
pub fn patch(map: Map<String, Value>) -> Result<Vec<(String, Option<String>)>, ApiError> {
    map.into_iter()
        .map(|(key, value)| {
            let text = scalar(&key, value)?;
            Ok((key, text))
        })
        .collect()
}

fn scalar(key: &str, value: Value) -> Result<Option<String>, ApiError> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => Ok(Some(text)),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Array(_) | Value::Object(_) => Err(ApiError::bad_request(format!(
            "The value of configuration {key} must be a string, not a JSON array or object"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn scalars_become_their_text_and_nesting_is_refused() {
        let props = config(object(json!({"tasks.max": 2, "a": true, "b": "x"}))).unwrap();
        assert_eq!(props["tasks.max"], "2");
        assert_eq!(props["a"], "true");
        assert_eq!(props["b"], "x");
        let nested = config(object(json!({"topics": ["a"]}))).unwrap_err();
        assert_eq!(nested.status, 400);
        assert!(nested.message.contains("topics"), "{}", nested.message);
        assert!(config(object(json!({"k": null}))).is_err());
        let patched = patch(object(json!({"k": null, "n": 5}))).unwrap();
        assert_eq!(
            patched,
            [
                ("k".to_string(), None),
                ("n".to_string(), Some("5".to_string()))
            ]
        );
    }
}
