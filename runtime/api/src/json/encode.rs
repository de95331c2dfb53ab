//! Connect value → JSON, following JsonConverter's `convertToJson`.

use std::borrow::Cow;

use super::number::{java_decimal_to_string, rescale};
use super::writer::Writer;
use super::{DecimalFormat, JsonOptions, Path, connect_type_name, decimal_scale, fail};
use crate::data::{
    DATE_NAME, DECIMAL_NAME, Decimal, Field, Schema, SchemaType, Struct, TIME_NAME, TIMESTAMP_NAME,
    Value,
};
use crate::error::ConnectResult;

const NULL: Value = Value::Null;

pub(crate) struct Encoder<'o> {
    pub(crate) w: Writer,
    pub(crate) opts: &'o JsonOptions,
}

impl<'o> Encoder<'o> {
    pub(crate) fn new(opts: &'o JsonOptions) -> Self {
        Encoder {
            w: Writer::new(),
            opts,
        }
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        self.w.out
    }

    pub(crate) fn value(
        &mut self,
        schema: Option<&Schema>,
        value: &Value,
        path: &Path,
    ) -> ConnectResult<()> {
        let Some(schema) = schema else {
            self.schemaless(value);
            return Ok(());
        };
        if value.is_null() {
            return self.null(schema, path);
        }
        // Logical types are recognised by name alone, as JsonConverter's converter table is.
        match schema.name.as_deref() {
            Some(DECIMAL_NAME) => return self.decimal(schema, value, path),
            Some(DATE_NAME) => return self.int32_logical("Date", value, path),
            Some(TIME_NAME) => return self.int32_logical("Time", value, path),
            Some(TIMESTAMP_NAME) => {
                return match value {
                    Value::Timestamp(v) | Value::Int64(v) => {
                        self.w.int(*v);
                        Ok(())
                    }
                    other => Err(fail(
                        path,
                        format!(
                            "Invalid type for Timestamp, expected timestamp but was {}",
                            other.type_name()
                        ),
                    )),
                };
            }
            _ => {}
        }
        match (&schema.ty, value) {
            (SchemaType::Int8, Value::Int8(v)) => self.w.int(i64::from(*v)),
            (SchemaType::Int16, Value::Int16(v)) => self.w.int(i64::from(*v)),
            (SchemaType::Int32, Value::Int32(v)) => self.w.int(i64::from(*v)),
            (SchemaType::Int64, Value::Int64(v)) => self.w.int(*v),
            (SchemaType::Float32, Value::Float32(v)) => self.w.float(*v),
            (SchemaType::Float64, Value::Float64(v)) => self.w.double(*v),
            (SchemaType::Boolean, Value::Boolean(v)) => self.w.bool(*v),
            (SchemaType::String, Value::String(s)) => self.w.string(s),
            (SchemaType::Bytes, Value::Bytes(b)) => self.w.base64(b),
            (SchemaType::Array(items), Value::Array(elems)) => {
                self.w.byte(b'[');
                for (i, elem) in elems.iter().enumerate() {
                    if i > 0 {
                        self.w.byte(b',');
                    }
                    self.value(Some(items), elem, &Path::Index(path, i))?;
                }
                self.w.byte(b']');
            }
            (SchemaType::Map(keys, values), Value::Map(entries)) => {
                self.map(keys, values, entries, path)?
            }
            (SchemaType::Struct(fields), Value::Struct(s)) => self.structure(fields, s, path)?,
            (ty, other) => {
                return Err(fail(
                    path,
                    format!(
                        "Invalid type for {}: {} value",
                        connect_type_name(ty),
                        other.type_name()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A null: the schema's default if configured, `null` if optional, an error otherwise.
    fn null(&mut self, schema: &Schema, path: &Path) -> ConnectResult<()> {
        match &schema.default {
            Some(default) if !default.is_null() && self.opts.replace_null_with_default => {
                self.value(Some(schema), default, path)
            }
            _ if schema.optional => {
                self.w.null();
                Ok(())
            }
            _ => Err(fail(
                path,
                "Conversion error: null value for field that is required and has no default value",
            )),
        }
    }

    fn decimal(&mut self, schema: &Schema, value: &Value, path: &Path) -> ConnectResult<()> {
        let decimal = match value {
            Value::Decimal(d) => *d,
            // Raw unscaled bytes are already the BASE64 payload; NUMERIC needs them decoded.
            Value::Bytes(b) if self.opts.decimal_format == DecimalFormat::Base64 => {
                self.w.base64(b);
                return Ok(());
            }
            Value::Bytes(b) => Decimal::from_unscaled_bytes(b, decimal_scale(schema, path)?)
                .ok_or_else(|| fail(path, "Invalid bytes for Decimal field"))?,
            other => {
                return Err(fail(
                    path,
                    format!(
                        "Invalid type for Decimal, expected decimal but was {}",
                        other.type_name()
                    ),
                ));
            }
        };
        match self.opts.decimal_format {
            // Java writes the BigDecimal as it is, whatever its scale.
            DecimalFormat::Numeric => self.w.raw(java_decimal_to_string(&decimal).as_bytes()),
            DecimalFormat::Base64 => {
                let scale = decimal_scale(schema, path)?;
                let exact = rescale(decimal, scale).ok_or_else(|| {
                    fail(
                        path,
                        format!(
                            "Decimal value {decimal} has scale {} and cannot be written with the schema's scale {scale}",
                            decimal.scale
                        ),
                    )
                })?;
                self.w.base64(&exact.unscaled_bytes());
            }
        }
        Ok(())
    }

    fn int32_logical(&mut self, name: &str, value: &Value, path: &Path) -> ConnectResult<()> {
        match (name, value) {
            ("Date", Value::Date(v)) | ("Time", Value::Time(v)) | (_, Value::Int32(v)) => {
                self.w.int(i64::from(*v));
                Ok(())
            }
            (_, other) => Err(fail(
                path,
                format!(
                    "Invalid type for {name}, expected {} but was {}",
                    name.to_ascii_lowercase(),
                    other.type_name()
                ),
            )),
        }
    }

    /// Maps with string keys are JSON objects; any other key schema gives `[[key, value], …]`.
    fn map(
        &mut self,
        keys: &Schema,
        values: &Schema,
        entries: &[(Value, Value)],
        path: &Path,
    ) -> ConnectResult<()> {
        let object = keys.ty == SchemaType::String;
        self.w.byte(if object { b'{' } else { b'[' });
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 {
                self.w.byte(b',');
            }
            if object {
                let key = self.key_text(keys, k, &Path::Note(path, "key"))?;
                self.w.key(&key);
                self.value(Some(values), v, &Path::Field(path, &key))?;
            } else {
                let entry = Path::Index(path, i);
                self.w.byte(b'[');
                self.value(Some(keys), k, &Path::Note(&entry, "key"))?;
                self.w.byte(b',');
                self.value(Some(values), v, &Path::Note(&entry, "value"))?;
                self.w.byte(b']');
            }
        }
        self.w.byte(if object { b'}' } else { b']' });
        Ok(())
    }

    /// The text of a string-schema map key; a null key reads as Jackson's `asText()` of null.
    fn key_text<'v>(
        &self,
        schema: &'v Schema,
        key: &'v Value,
        path: &Path,
    ) -> ConnectResult<Cow<'v, str>> {
        let key = match (key, &schema.default) {
            (Value::Null, Some(default)) if self.opts.replace_null_with_default => default,
            _ => key,
        };
        match key {
            Value::String(s) => Ok(Cow::Borrowed(s)),
            Value::Null if schema.optional => Ok(Cow::Borrowed("null")),
            Value::Null => Err(fail(
                path,
                "Conversion error: null value for field that is required and has no default value",
            )),
            other => Err(fail(
                path,
                format!("Invalid type for STRING: {} value", other.type_name()),
            )),
        }
    }

    fn structure(&mut self, fields: &[Field], value: &Struct, path: &Path) -> ConnectResult<()> {
        let values = value.fields();
        // Struct values normally hold the schema's fields in order; look up by name otherwise.
        let mut in_order = values.len() == fields.len();
        self.w.byte(b'{');
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                self.w.byte(b',');
            }
            let v = match values.get(i) {
                Some((name, v)) if *name == field.name => v,
                _ => {
                    in_order = false;
                    value.get(&field.name).unwrap_or(&NULL)
                }
            };
            self.w.key(&field.name);
            self.value(Some(&field.schema), v, &Path::Field(path, &field.name))?;
        }
        self.w.byte(b'}');
        let extra = match in_order {
            true => None,
            false => values
                .iter()
                .find(|(n, _)| !fields.iter().any(|f| f.name == *n)),
        };
        match extra {
            Some((name, _)) => Err(fail(
                path,
                format!(
                    "Mismatching schema: the struct has a field '{name}' that its schema lacks"
                ),
            )),
            None => Ok(()),
        }
    }

    /// JSON for a value without a schema: the shape follows the value.
    fn schemaless(&mut self, value: &Value) {
        match value {
            Value::Null => self.w.null(),
            Value::Boolean(v) => self.w.bool(*v),
            Value::Int8(v) => self.w.int(i64::from(*v)),
            Value::Int16(v) => self.w.int(i64::from(*v)),
            Value::Int32(v) | Value::Date(v) | Value::Time(v) => self.w.int(i64::from(*v)),
            Value::Int64(v) | Value::Timestamp(v) => self.w.int(*v),
            Value::Float32(v) => self.w.float(*v),
            Value::Float64(v) => self.w.double(*v),
            Value::String(s) => self.w.string(s),
            Value::Bytes(b) => self.w.base64(b),
            Value::Decimal(d) => match self.opts.decimal_format {
                DecimalFormat::Numeric => self.w.raw(java_decimal_to_string(d).as_bytes()),
                DecimalFormat::Base64 => self.w.base64(&d.unscaled_bytes()),
            },
            Value::Array(items) => {
                self.w.byte(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.w.byte(b',');
                    }
                    self.schemaless(item);
                }
                self.w.byte(b']');
            }
            Value::Map(entries) if entries.iter().all(|(k, _)| matches!(k, Value::String(_))) => {
                self.w.byte(b'{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        self.w.byte(b',');
                    }
                    self.w.key(k.as_str().unwrap_or_default());
                    self.schemaless(v);
                }
                self.w.byte(b'}');
            }
            Value::Map(entries) => {
                self.w.byte(b'[');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        self.w.byte(b',');
                    }
                    self.w.byte(b'[');
                    self.schemaless(k);
                    self.w.byte(b',');
                    self.schemaless(v);
                    self.w.byte(b']');
                }
                self.w.byte(b']');
            }
            Value::Struct(s) => {
                self.w.byte(b'{');
                for (i, (name, v)) in s.fields().iter().enumerate() {
                    if i > 0 {
                        self.w.byte(b',');
                    }
                    self.w.key(name);
                    self.schemaless(v);
                }
                self.w.byte(b'}');
            }
        }
    }
}
