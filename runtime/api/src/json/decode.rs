//! JSON → Connect value, following JsonConverter's `convertToConnect`. Where Jackson would
//! silently coerce (a string read as a boolean gives false, 300 read as int8 wraps), this fails
//! with a message naming the field instead.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::number::{integral_value, parse_decimal, rescale};
use super::parse::Node;
use super::{JsonOptions, Path, connect_type_name, decimal_scale, fail};
use crate::data::{
    DATE_NAME, DECIMAL_NAME, DECIMAL_SCALE_PARAM, Decimal, Field, Schema, SchemaType, Struct,
    TIME_NAME, TIMESTAMP_NAME, Value,
};
use crate::error::ConnectResult;

pub(crate) struct Decoder<'o> {
    opts: &'o JsonOptions,
}

impl<'o> Decoder<'o> {
    pub(crate) fn new(opts: &'o JsonOptions) -> Self {
        Decoder { opts }
    }

    /// `node` is `None` where Jackson has a missing node (an absent struct field, empty input).
    pub(crate) fn value(
        &self,
        schema: Option<&Schema>,
        node: Option<&Node>,
        path: &Path,
    ) -> ConnectResult<Value> {
        let Some(schema) = schema else {
            return schemaless(node, path);
        };
        let node = match node {
            None | Some(Node::Null) => return self.null(schema, path),
            Some(node) => node,
        };
        match schema.name.as_deref() {
            Some(DECIMAL_NAME) => return decimal(schema, node, path),
            Some(DATE_NAME) => return int32_logical("Date", node, path).map(Value::Date),
            Some(TIME_NAME) => return int32_logical("Time", node, path).map(Value::Time),
            Some(TIMESTAMP_NAME) => {
                return match node {
                    Node::Number(t) if Node::is_integral(t) => {
                        t.parse().map(Value::Timestamp).map_err(|_| {
                            fail(
                                path,
                                format!(
                                    "Invalid value for Timestamp: {t} does not fit in an int64"
                                ),
                            )
                        })
                    }
                    other => Err(fail(
                        path,
                        format!(
                            "Invalid type for Timestamp, underlying representation should be integral but was {}",
                            other.type_name()
                        ),
                    )),
                };
            }
            _ => {}
        }
        let mismatch = |expected: &str| {
            fail(
                path,
                format!(
                    "Invalid value for {} schema: expected {expected} but found JSON {}",
                    connect_type_name(&schema.ty),
                    node.type_name()
                ),
            )
        };
        Ok(match (&schema.ty, node) {
            (SchemaType::Boolean, Node::Bool(b)) => Value::Boolean(*b),
            (SchemaType::Int8, Node::Number(t)) => Value::Int8(integer(&schema.ty, t, path)?),
            (SchemaType::Int16, Node::Number(t)) => Value::Int16(integer(&schema.ty, t, path)?),
            (SchemaType::Int32, Node::Number(t)) => Value::Int32(integer(&schema.ty, t, path)?),
            (SchemaType::Int64, Node::Number(t)) => Value::Int64(integer(&schema.ty, t, path)?),
            (SchemaType::Float32, node) => {
                Value::Float32(float(node).ok_or_else(|| mismatch("a number"))?)
            }
            (SchemaType::Float64, node) => {
                Value::Float64(float(node).ok_or_else(|| mismatch("a number"))?)
            }
            (SchemaType::String, Node::Str(s)) => Value::String(s.to_string()),
            (SchemaType::Bytes, Node::Str(s)) => Value::Bytes(
                STANDARD
                    .decode(s.as_bytes())
                    .map_err(|_| fail(path, "Invalid bytes field"))?,
            ),
            (SchemaType::Array(items), Node::Array(elems)) => Value::Array(
                elems
                    .iter()
                    .enumerate()
                    .map(|(i, e)| self.value(Some(items), Some(e), &Path::Index(path, i)))
                    .collect::<ConnectResult<_>>()?,
            ),
            (SchemaType::Map(keys, values), node) => self.map(keys, values, node, path)?,
            (SchemaType::Struct(fields), node) => self.structure(fields, node, path)?,
            (SchemaType::Boolean, _) => return Err(mismatch("a boolean")),
            (SchemaType::String, _) => return Err(mismatch("a string")),
            (SchemaType::Bytes, _) => return Err(mismatch("a base64 string")),
            (SchemaType::Array(_), _) => return Err(mismatch("an array")),
            (_, _) => return Err(mismatch("an integer")),
        })
    }

    /// A null or missing value: the default if configured, null if optional, an error otherwise.
    fn null(&self, schema: &Schema, path: &Path) -> ConnectResult<Value> {
        match &schema.default {
            Some(default) if !default.is_null() && self.opts.replace_null_with_default => {
                Ok(default.clone())
            }
            _ if schema.optional => Ok(Value::Null),
            _ => Err(fail(
                path,
                format!(
                    "Invalid null value for required {} field",
                    connect_type_name(&schema.ty)
                ),
            )),
        }
    }

    fn map(
        &self,
        keys: &Schema,
        values: &Schema,
        node: &Node,
        path: &Path,
    ) -> ConnectResult<Value> {
        if keys.ty == SchemaType::String {
            let Node::Object(members) = node else {
                return Err(fail(
                    path,
                    format!(
                        "Maps with string fields should be encoded as JSON objects, but found {}",
                        node.type_name()
                    ),
                ));
            };
            let entries = members
                .iter()
                .map(|m| {
                    let v = self.value(Some(values), Some(&m.value), &Path::Field(path, &m.key))?;
                    Ok((Value::String(m.key.to_string()), v))
                })
                .collect::<ConnectResult<_>>()?;
            return Ok(Value::Map(entries));
        }
        let Node::Array(items) = node else {
            return Err(fail(
                path,
                format!(
                    "Maps with non-string fields should be encoded as JSON array of tuples, but found {}",
                    node.type_name()
                ),
            ));
        };
        let mut entries = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let entry = Path::Index(path, i);
            let pair = match item {
                Node::Array(pair) if pair.len() == 2 => pair,
                Node::Array(pair) => {
                    return Err(fail(
                        &entry,
                        format!(
                            "Found invalid map entry, expected length 2 but found :{}",
                            pair.len()
                        ),
                    ));
                }
                other => {
                    return Err(fail(
                        &entry,
                        format!(
                            "Found invalid map entry instead of array tuple: {}",
                            other.type_name()
                        ),
                    ));
                }
            };
            let k = self.value(Some(keys), Some(&pair[0]), &Path::Note(&entry, "key"))?;
            let v = self.value(Some(values), Some(&pair[1]), &Path::Note(&entry, "value"))?;
            entries.push((k, v));
        }
        Ok(Value::Map(entries))
    }

    fn structure(&self, fields: &[Field], node: &Node, path: &Path) -> ConnectResult<Value> {
        if !matches!(node, Node::Object(_)) {
            return Err(fail(
                path,
                format!(
                    "Structs should be encoded as JSON objects, but found {}",
                    node.type_name()
                ),
            ));
        }
        let values = fields
            .iter()
            .map(|f| {
                let v = self.value(
                    Some(&f.schema),
                    node.get(&f.name),
                    &Path::Field(path, &f.name),
                )?;
                Ok((f.name.clone(), v))
            })
            .collect::<ConnectResult<Vec<_>>>()?;
        Ok(Value::Struct(Struct::from(values)))
    }
}

/// Inference without a schema, as JsonConverter does it.
fn schemaless(node: Option<&Node>, path: &Path) -> ConnectResult<Value> {
    let Some(node) = node else {
        return Ok(Value::Null);
    };
    Ok(match node {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Boolean(*b),
        Node::Number(t) if Node::is_integral(t) => Value::Int64(
            t.parse()
                .map_err(|_| fail(path, format!("Integer {t} does not fit in an int64")))?,
        ),
        Node::Number(t) => Value::Float64(t.parse().unwrap_or(f64::NAN)),
        Node::Str(s) => Value::String(s.to_string()),
        Node::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| schemaless(Some(item), &Path::Index(path, i)))
                .collect::<ConnectResult<_>>()?,
        ),
        Node::Object(members) => Value::Map(
            members
                .iter()
                .map(|m| {
                    Ok((
                        Value::String(m.key.to_string()),
                        schemaless(Some(&m.value), &Path::Field(path, &m.key))?,
                    ))
                })
                .collect::<ConnectResult<_>>()?,
        ),
    })
}

/// An integer of the schema's width; integral floats such as `7.0` are accepted.
fn integer<T: TryFrom<i64>>(ty: &SchemaType, text: &str, path: &Path) -> ConnectResult<T> {
    integral_value(text)
        .and_then(|v| T::try_from(v).ok())
        .ok_or_else(|| {
            fail(
                path,
                format!("Invalid value for {} schema: {text}", connect_type_name(ty)),
            )
        })
}

/// A float from a number or from the strings Jackson writes for non-finite values (which Java
/// itself would read back as 0.0).
/// Parsing straight into the target width rounds once, as Java's floatValue() does.
fn float<T: std::str::FromStr>(node: &Node) -> Option<T> {
    match node {
        Node::Number(t) => t.parse().ok(),
        // Rust's float parser reads these spellings too.
        Node::Str(s) if matches!(s.as_ref(), "NaN" | "Infinity" | "-Infinity") => s.parse().ok(),
        _ => None,
    }
}

/// A Decimal from a JSON number (exact, brought to the schema's scale when that loses nothing)
/// or from base64 of the unscaled bytes.
fn decimal(schema: &Schema, node: &Node, path: &Path) -> ConnectResult<Value> {
    match node {
        Node::Number(t) => {
            let d = parse_decimal(t)
                .ok_or_else(|| fail(path, format!("Decimal value {t} has more than 38 digits")))?;
            let scale = schema
                .parameter(DECIMAL_SCALE_PARAM)
                .and_then(|s| s.trim().parse().ok());
            Ok(Value::Decimal(
                scale.and_then(|s| rescale(d, s)).unwrap_or(d),
            ))
        }
        Node::Str(s) => {
            let scale = decimal_scale(schema, path)?;
            STANDARD
                .decode(s.as_bytes())
                .ok()
                .and_then(|bytes| Decimal::from_unscaled_bytes(&bytes, scale))
                .map(Value::Decimal)
                .ok_or_else(|| fail(path, "Invalid bytes for Decimal field"))
        }
        other => Err(fail(
            path,
            format!(
                "Invalid type for Decimal, underlying representation should be numeric or bytes but was {}",
                other.type_name()
            ),
        )),
    }
}

/// Date and Time need an integer that fits in an int32 (Jackson's `isInt()`).
fn int32_logical(name: &str, node: &Node, path: &Path) -> ConnectResult<i32> {
    match node {
        Node::Number(t) if Node::is_integral(t) => t.parse().map_err(|_| {
            fail(
                path,
                format!("Invalid value for {name}: {t} does not fit in an int32"),
            )
        }),
        other => Err(fail(
            path,
            format!(
                "Invalid type for {name}, underlying representation should be integer but was {}",
                other.type_name()
            ),
        )),
    }
}

/// A parsed document as serde_json, for [`super::to_serde`].
pub(crate) fn to_serde(node: &Node) -> serde_json::Value {
    use serde_json::Value as J;
    match node {
        Node::Null => J::Null,
        Node::Bool(b) => J::Bool(*b),
        Node::Number(t) => {
            if let Ok(i) = t.parse::<i64>() {
                J::from(i)
            } else if let Ok(u) = t.parse::<u64>() {
                J::from(u)
            } else {
                // JSON numbers are finite, so this is a number unless it overflows f64.
                t.parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(J::Null, J::Number)
            }
        }
        Node::Str(s) => J::String(s.to_string()),
        Node::Array(items) => J::Array(items.iter().map(to_serde).collect()),
        Node::Object(members) => J::Object(
            members
                .iter()
                .map(|m| (m.key.to_string(), to_serde(&m.value)))
                .collect(),
        ),
    }
}
