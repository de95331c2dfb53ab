//! StringConverter: text in UTF-8. Writing uses the value's text whatever the schema; reading
//! always gives an optional string schema.

use std::sync::{Arc, LazyLock};

use sluice_api::config::{ConfigDef, ConfigType, ConfigValue, Importance, Props, Validator};
use sluice_api::json::{
    JsonOptions, java_decimal_to_string, java_double_to_string, java_float_to_string, to_json_bytes,
};
use sluice_api::{ConnectResult, Converter, ConverterPlugin, Schema, SchemaRef, Value};

pub const PLUGIN: ConverterPlugin = ConverterPlugin { config_def, create };

pub const ENCODING_CONFIG: &str = "converter.encoding";

pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .optional(
            ENCODING_CONFIG,
            ConfigType::String,
            Some("UTF-8"),
            Importance::High,
            "The name of the character set to use for encoding strings as byte arrays. Only UTF-8 is supported.",
        )
        .validate(Validator::Custom(check_encoding))
}

/// Java accepts any charset name; only UTF-8 (under its Java aliases) is supported here, and
/// saying so at startup beats corrupting text.
fn check_encoding(value: &ConfigValue) -> Result<(), String> {
    match value {
        ConfigValue::String(name) if is_utf8(name) => Ok(()),
        ConfigValue::String(name) => Err(format!(
            "unsupported encoding '{name}': only UTF-8 is supported"
        )),
        _ => Ok(()),
    }
}

fn is_utf8(name: &str) -> bool {
    ["UTF-8", "UTF8", "unicode-1-1-utf-8"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name.trim()))
}

fn create(props: &Props, _is_key: bool) -> ConnectResult<Box<dyn Converter>> {
    super::parse(&config_def(), props)?;
    Ok(Box::new(StringConverter))
}

static OPTIONAL_STRING: LazyLock<SchemaRef> =
    LazyLock::new(|| Arc::new(Schema::string().optional()));

#[derive(Debug, Default, Clone, Copy)]
pub struct StringConverter;

impl Converter for StringConverter {
    fn from_connect(
        &self,
        _topic: &str,
        _schema: Option<&Schema>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        Ok(match value {
            Value::Null => None,
            Value::String(s) => Some(s.clone().into_bytes()),
            other => Some(text_of(other)?.into_bytes()),
        })
    }

    fn to_connect(
        &self,
        _topic: &str,
        data: Option<&[u8]>,
    ) -> ConnectResult<(Option<SchemaRef>, Value)> {
        // Java's decoder replaces malformed input with U+FFFD rather than failing.
        let value = data.map_or(Value::Null, |b| {
            Value::String(String::from_utf8_lossy(b).into_owned())
        });
        Ok((Some(OPTIONAL_STRING.clone()), value))
    }
}

/// Java's `toString()` for primitives and decimals; JSON (schemaless, as JsonConverter would
/// write it) for bytes, containers and the time types, whose Java `toString()` is not meant
/// to be read back.
fn text_of(value: &Value) -> ConnectResult<String> {
    Ok(match value {
        Value::Boolean(v) => v.to_string(),
        Value::Int8(v) => v.to_string(),
        Value::Int16(v) => v.to_string(),
        Value::Int32(v) => v.to_string(),
        Value::Int64(v) => v.to_string(),
        Value::Float32(v) => java_float_to_string(*v),
        Value::Float64(v) => java_double_to_string(*v),
        Value::Decimal(d) => java_decimal_to_string(d),
        Value::String(s) => s.clone(),
        other => {
            let json = to_json_bytes(None, other, &JsonOptions::default())?;
            String::from_utf8(json).unwrap_or_default()
        }
    })
}

#[cfg(test)]
mod tests {
    use sluice_api::data::{Decimal, Struct};

    use super::*;

    fn write(value: Value) -> Option<String> {
        let bytes = StringConverter.from_connect("t", None, &value).unwrap();
        bytes.map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn writes_text_like_java_to_string() {
        assert_eq!(write("héllo".into()).as_deref(), Some("héllo"));
        assert_eq!(write(Value::Null), None);
        assert_eq!(write(Value::Int64(-5)).as_deref(), Some("-5"));
        assert_eq!(write(Value::Boolean(true)).as_deref(), Some("true"));
        assert_eq!(write(Value::Float64(1.0e7)).as_deref(), Some("1.0E7"));
        assert_eq!(write(Value::Float32(0.5)).as_deref(), Some("0.5"));
        let d = Decimal {
            unscaled: 1,
            scale: 10,
        };
        assert_eq!(write(Value::Decimal(d)).as_deref(), Some("1E-10"));
        let s = Struct::new()
            .with("a", Value::Int32(1))
            .with("b", Value::Array(vec!["x".into()]));
        assert_eq!(
            write(Value::Struct(s)).as_deref(),
            Some(r#"{"a":1,"b":["x"]}"#)
        );
    }

    #[test]
    fn reads_optional_strings() {
        let (schema, value) = StringConverter.to_connect("t", Some(b"a\xffb")).unwrap();
        assert_eq!(schema.as_deref(), Some(&Schema::string().optional()));
        assert_eq!(value, Value::String("a\u{fffd}b".into()));
        assert_eq!(
            StringConverter.to_connect("t", None).unwrap().1,
            Value::Null
        );
    }

    #[test]
    fn only_utf8_is_accepted() {
        let mut props = Props::new();
        props.insert(ENCODING_CONFIG.into(), "utf8".into());
        assert!((PLUGIN.create)(&props, true).is_ok());
        props.insert(ENCODING_CONFIG.into(), "ISO-8859-1".into());
        let err = (PLUGIN.create)(&props, true).err().unwrap();
        assert_eq!(
            err.to_string(),
            "1 configuration error(s):\n  converter.encoding: invalid value 'ISO-8859-1': \
             unsupported encoding 'ISO-8859-1': only UTF-8 is supported"
        );
    }
}
