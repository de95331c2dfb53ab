//! Avro schema definitions as Connect schemas, within the official connector's limits: a record
//! at the top, unions only as `[T, "null"]` (an optional T), no enums or fixed types. A named
//! record may be used again by name; a record that contains itself cannot be a Connect schema.

use std::collections::HashMap;

use serde_json::Value as Json;
use sluice_api::{Field, Schema, SchemaType, Value};

/// Parses an Avro schema; the error names the offending field.
pub fn parse(text: &str) -> Result<Schema, String> {
    let json: Json =
        serde_json::from_str(text).map_err(|e| format!("invalid Avro schema JSON: {e}"))?;
    let mut parser = Parser::default();
    let schema = parser.schema(&json, "")?;
    if !matches!(schema.ty, SchemaType::Struct(_)) || schema.optional {
        return Err("only a record schema is supported at the top level".to_string());
    }
    Ok(schema)
}

#[derive(Default)]
struct Parser {
    /// Records defined so far, by name, for later references.
    named: HashMap<String, Schema>,
    /// Records being defined, to reject one that refers to itself.
    open: Vec<String>,
}

impl Parser {
    fn schema(&mut self, json: &Json, path: &str) -> Result<Schema, String> {
        match json {
            Json::String(name) => self.by_name(name, path),
            Json::Array(branches) => self.union(branches, path),
            Json::Object(object) => match object.get("type") {
                Some(Json::String(ty)) if ty == "record" => self.record(object, path),
                Some(Json::String(ty)) if ty == "array" => {
                    let items = object
                        .get("items")
                        .ok_or_else(|| invalid(path, "an array needs 'items'"))?;
                    Ok(Schema::array(self.schema(items, path)?))
                }
                Some(Json::String(ty)) if ty == "map" => {
                    let values = object
                        .get("values")
                        .ok_or_else(|| invalid(path, "a map needs 'values'"))?;
                    Ok(Schema::map(Schema::string(), self.schema(values, path)?))
                }
                Some(Json::String(name)) => self.by_name(name, path),
                Some(nested @ (Json::Object(_) | Json::Array(_))) => self.schema(nested, path),
                _ => Err(invalid(path, "a schema object needs a 'type'")),
            },
            _ => Err(invalid(path, &format!("'{json}' is not a schema"))),
        }
    }

    fn by_name(&self, name: &str, path: &str) -> Result<Schema, String> {
        let schema = match name {
            "string" => Schema::string(),
            "bytes" => Schema::bytes(),
            "int" => Schema::int32(),
            "long" => Schema::int64(),
            "float" => Schema::float32(),
            "double" => Schema::float64(),
            "boolean" => Schema::boolean(),
            "enum" | "fixed" => {
                return Err(invalid(
                    path,
                    &format!("Avro type '{name}' is not supported: use string or bytes"),
                ));
            }
            "null" => {
                return Err(invalid(
                    path,
                    "a null type is only supported in a union with one other type",
                ));
            }
            _ if self.open.iter().any(|open| open == name) => {
                return Err(invalid(
                    path,
                    &format!("record '{name}' contains itself, which a Connect schema cannot"),
                ));
            }
            _ => {
                return self
                    .named
                    .get(name)
                    .cloned()
                    .ok_or_else(|| invalid(path, &format!("unknown type '{name}'")));
            }
        };
        Ok(schema)
    }

    fn union(&mut self, branches: &[Json], path: &str) -> Result<Schema, String> {
        let is_null = |b: &&Json| b.as_str() == Some("null");
        match (branches.len(), branches.iter().find(|b| !is_null(b))) {
            (2, Some(other)) if branches.iter().any(|b| is_null(&b)) => {
                Ok(self.schema(other, path)?.optional())
            }
            _ => Err(invalid(
                path,
                "a union is only supported as an optional value: one type and \"null\"",
            )),
        }
    }

    fn record(
        &mut self,
        object: &serde_json::Map<String, Json>,
        path: &str,
    ) -> Result<Schema, String> {
        let name = object
            .get("name")
            .and_then(Json::as_str)
            .ok_or_else(|| invalid(path, "a record needs a 'name'"))?
            .to_string();
        let fields = object
            .get("fields")
            .and_then(Json::as_array)
            .ok_or_else(|| invalid(path, "a record needs a 'fields' array"))?;
        self.open.push(name.clone());
        let mut built = Vec::with_capacity(fields.len());
        for field in fields {
            let field_name = field
                .get("name")
                .and_then(Json::as_str)
                .ok_or_else(|| invalid(path, "every record field needs a 'name'"))?;
            let field_path = if path.is_empty() {
                field_name.to_string()
            } else {
                format!("{path}.{field_name}")
            };
            let ty = field
                .get("type")
                .ok_or_else(|| invalid(&field_path, "the field needs a 'type'"))?;
            let mut schema = self.schema(ty, &field_path)?;
            if let Some(default) = field.get("default").filter(|d| !d.is_null()) {
                let value = default_value(&schema, default)
                    .ok_or_else(|| invalid(&field_path, &format!("invalid default {default}")))?;
                schema = schema.with_default(value);
            }
            built.push(Field::new(field_name, schema));
        }
        self.open.pop();
        let schema = Schema::structure(built).named(name.clone());
        self.named.insert(name, schema.clone());
        Ok(schema)
    }
}

/// A JSON default as a value of `schema`; defaults of container types are not supported.
fn default_value(schema: &Schema, json: &Json) -> Option<Value> {
    let value = match &schema.ty {
        SchemaType::String => Value::String(json.as_str()?.to_string()),
        SchemaType::Bytes => Value::Bytes(json.as_str()?.as_bytes().to_vec()),
        SchemaType::Int32 => Value::Int32(i32::try_from(json.as_i64()?).ok()?),
        SchemaType::Int64 => Value::Int64(json.as_i64()?),
        SchemaType::Float32 => Value::Float32(json.as_f64()? as f32),
        SchemaType::Float64 => Value::Float64(json.as_f64()?),
        SchemaType::Boolean => Value::Boolean(json.as_bool()?),
        _ => return None,
    };
    Some(value)
}

fn invalid(path: &str, reason: &str) -> String {
    if path.is_empty() {
        reason.to_string()
    } else {
        format!("field '{path}': {reason}")
    }
}
