//! Connect schema ⇄ JsonConverter's schema JSON (`asJsonSchema` / `asConnectSchema`).

use std::sync::Arc;

use super::decode::Decoder;
use super::encode::Encoder;
use super::parse::Node;
use super::{JsonOptions, Path, fail};
use crate::data::{Field, Schema, SchemaType};
use crate::error::ConnectResult;

impl Encoder<'_> {
    /// Writes a schema; `field` names a struct field, which Java appends as the last member.
    pub(crate) fn schema(
        &mut self,
        schema: &Schema,
        field: Option<&str>,
        path: &Path,
    ) -> ConnectResult<()> {
        self.w.raw(b"{\"type\":");
        self.w.string(schema.ty.json_name());
        match &schema.ty {
            SchemaType::Array(items) => {
                self.w.raw(b",\"items\":");
                self.schema(items, None, &Path::Note(path, "items"))?;
            }
            SchemaType::Map(keys, values) => {
                self.w.raw(b",\"keys\":");
                self.schema(keys, None, &Path::Note(path, "keys"))?;
                self.w.raw(b",\"values\":");
                self.schema(values, None, &Path::Note(path, "values"))?;
            }
            SchemaType::Struct(fields) => {
                self.w.raw(b",\"fields\":[");
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        self.w.byte(b',');
                    }
                    self.schema(&f.schema, Some(&f.name), &Path::Field(path, &f.name))?;
                }
                self.w.byte(b']');
            }
            _ => {}
        }
        self.w.raw(b",\"optional\":");
        self.w.bool(schema.optional);
        if let Some(name) = &schema.name {
            self.w.raw(b",\"name\":");
            self.w.string(name);
        }
        if let Some(version) = schema.version {
            self.w.raw(b",\"version\":");
            self.w.int(i64::from(version));
        }
        if let Some(doc) = &schema.doc {
            self.w.raw(b",\"doc\":");
            self.w.string(doc);
        }
        // Java writes parameters whenever the map exists; an empty map is indistinguishable from
        // none in this model, and SchemaBuilder only creates it when a parameter is added.
        if !schema.parameters.is_empty() {
            self.w.raw(b",\"parameters\":{");
            for (i, (k, v)) in schema.parameters.iter().enumerate() {
                if i > 0 {
                    self.w.byte(b',');
                }
                self.w.key(k);
                self.w.string(v);
            }
            self.w.byte(b'}');
        }
        if let Some(default) = schema.default.as_ref().filter(|d| !d.is_null()) {
            self.w.raw(b",\"default\":");
            self.value(Some(schema), default, &Path::Note(path, "default"))?;
        }
        if let Some(field) = field {
            self.w.raw(b",\"field\":");
            self.w.string(field);
        }
        self.w.byte(b'}');
        Ok(())
    }
}

/// Reads schema JSON; `None` for a JSON null.
pub(crate) fn from_node(
    node: &Node,
    opts: &JsonOptions,
    path: &Path,
) -> ConnectResult<Option<Schema>> {
    if *node == Node::Null {
        return Ok(None);
    }
    let Some(Node::Str(type_name)) = node.get("type") else {
        return Err(fail(path, "Schema must contain 'type' field"));
    };
    let ty = match type_name.as_ref() {
        "boolean" => SchemaType::Boolean,
        "int8" => SchemaType::Int8,
        "int16" => SchemaType::Int16,
        "int32" => SchemaType::Int32,
        "int64" => SchemaType::Int64,
        "float" => SchemaType::Float32,
        "double" => SchemaType::Float64,
        "bytes" => SchemaType::Bytes,
        "string" => SchemaType::String,
        "array" => {
            let items = child(
                node,
                "items",
                opts,
                path,
                "Array schema did not specify the element type",
            )?;
            SchemaType::Array(items)
        }
        "map" => {
            let keys = child(
                node,
                "keys",
                opts,
                path,
                "Map schema did not specify the key type",
            )?;
            let values = child(
                node,
                "values",
                opts,
                path,
                "Map schema did not specify the value type",
            )?;
            SchemaType::Map(keys, values)
        }
        "struct" => SchemaType::Struct(fields(node, opts, path)?),
        other => return Err(fail(path, format!("Unknown schema type: {other}"))),
    };
    let mut schema = Schema::new(ty);
    schema.optional = node.get("optional") == Some(&Node::Bool(true));
    if let Some(Node::Str(name)) = node.get("name") {
        schema.name = Some(name.to_string());
    }
    if let Some(Node::Number(text)) = node.get("version") {
        // Java takes any integral number and narrows it with intValue().
        if Node::is_integral(text) {
            schema.version = text.parse::<i64>().ok().map(|v| v as i32);
        }
    }
    if let Some(Node::Str(doc)) = node.get("doc") {
        schema.doc = Some(doc.to_string());
    }
    if let Some(Node::Object(params)) = node.get("parameters") {
        for p in params {
            let Node::Str(value) = &p.value else {
                return Err(fail(path, "Schema parameters must have string values."));
            };
            schema
                .parameters
                .push((p.key.to_string(), value.to_string()));
        }
    }
    if let Some(default) = node.get("default") {
        let value =
            Decoder::new(opts).value(Some(&schema), Some(default), &Path::Note(path, "default"))?;
        if !value.is_null() {
            schema.default = Some(value);
        }
    }
    Ok(Some(schema))
}

fn child(
    node: &Node,
    key: &'static str,
    opts: &JsonOptions,
    path: &Path,
    missing: &str,
) -> ConnectResult<Arc<Schema>> {
    let path = Path::Note(path, key);
    match node.get(key) {
        Some(child) => from_node(child, opts, &path)?
            .map(Arc::new)
            .ok_or_else(|| fail(&path, missing)),
        None => Err(fail(&path, missing)),
    }
}

fn fields(node: &Node, opts: &JsonOptions, path: &Path) -> ConnectResult<Vec<Field>> {
    let Some(Node::Array(items)) = node.get("fields") else {
        return Err(fail(
            path,
            "Struct schema's \"fields\" argument is not an array.",
        ));
    };
    let mut fields: Vec<Field> = Vec::with_capacity(items.len());
    for item in items {
        let Some(Node::Str(name)) = item.get("field") else {
            return Err(fail(
                path,
                "Struct schema's field name not specified properly",
            ));
        };
        if fields.iter().any(|f| f.name == *name) {
            return Err(fail(
                path,
                format!("Cannot create field because of field name duplication {name}"),
            ));
        }
        let field_path = Path::Field(path, name);
        let schema = from_node(item, opts, &field_path)?
            .ok_or_else(|| fail(&field_path, "Schema must contain 'type' field"))?;
        fields.push(Field::new(name.to_string(), schema));
    }
    Ok(fields)
}
