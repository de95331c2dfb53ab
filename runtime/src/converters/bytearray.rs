//! ByteArrayConverter: raw bytes pass through untouched.

use std::sync::{Arc, LazyLock};

use sluice_api::config::{ConfigDef, Props};
use sluice_api::json::connect_type_name;
use sluice_api::{
    ConnectError, ConnectResult, Converter, ConverterPlugin, Schema, SchemaRef, SchemaType, Value,
};

pub const PLUGIN: ConverterPlugin = ConverterPlugin { config_def, create };

/// No settings of its own.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
}

fn create(_props: &Props, _is_key: bool) -> ConnectResult<Box<dyn Converter>> {
    Ok(Box::new(ByteArrayConverter))
}

/// What every read returns as its schema, shared rather than rebuilt per record.
static OPTIONAL_BYTES: LazyLock<SchemaRef> = LazyLock::new(|| Arc::new(Schema::bytes().optional()));

#[derive(Debug, Default, Clone, Copy)]
pub struct ByteArrayConverter;

impl Converter for ByteArrayConverter {
    fn from_connect(
        &self,
        _topic: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        if let Some(schema) = schema.filter(|s| s.ty != SchemaType::Bytes) {
            return Err(ConnectError::data(format!(
                "Invalid schema type for ByteArrayConverter: {}",
                connect_type_name(&schema.ty)
            )));
        }
        match value {
            Value::Null => Ok(None),
            Value::Bytes(bytes) => Ok(Some(bytes.clone())),
            other => Err(ConnectError::data(format!(
                "ByteArrayConverter is not compatible with objects of type {}",
                other.type_name()
            ))),
        }
    }

    fn to_connect(
        &self,
        _topic: &str,
        data: Option<&[u8]>,
    ) -> ConnectResult<(Option<SchemaRef>, Value)> {
        let value = data.map_or(Value::Null, |b| Value::Bytes(b.to_vec()));
        Ok((Some(OPTIONAL_BYTES.clone()), value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_bytes_through() {
        let c = (PLUGIN.create)(&Props::new(), false).unwrap();
        let schema = Schema::bytes();
        assert_eq!(
            c.from_connect("t", Some(&schema), &Value::Bytes(vec![1, 2]))
                .unwrap(),
            Some(vec![1, 2])
        );
        assert_eq!(c.from_connect("t", None, &Value::Null).unwrap(), None);
        let (schema, value) = c.to_connect("t", Some(&[3])).unwrap();
        assert_eq!(schema.as_deref(), Some(&Schema::bytes().optional()));
        assert_eq!(value, Value::Bytes(vec![3]));
        assert_eq!(c.to_connect("t", None).unwrap().1, Value::Null);
    }

    #[test]
    fn rejects_other_types() {
        let c = ByteArrayConverter;
        let err = c
            .from_connect("t", Some(&Schema::string()), &"x".into())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid schema type for ByteArrayConverter: STRING"
        );
        let err = c.from_connect("t", None, &Value::Int32(1)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "ByteArrayConverter is not compatible with objects of type int32"
        );
        assert!(err.is_record_level());
    }
}
