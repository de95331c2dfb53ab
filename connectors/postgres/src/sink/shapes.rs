//! Shapes remembered per record form, so that a stream of records sharing schemas resolves its
//! table and columns once, not per record.

use std::sync::Arc;

use sluice_api::{Record, SchemaRef, Value};

use super::change::{Change, Image};
use super::table::Shape;

/// The forms kept; streams usually carry one or a few.
const MAX_SHAPES: usize = 32;

/// What makes two records resolve to the same shape.
struct Form {
    topic: String,
    key_schema: Option<SchemaRef>,
    /// Kept so the image schema's address below stays that of the same schema.
    value_schema: Option<SchemaRef>,
    image_schema: Option<usize>,
    delete: bool,
    /// Field names of schemaless keys and images, which decide the columns.
    key_names: Option<Vec<String>>,
    image_names: Option<Vec<String>>,
}

impl Form {
    fn of(record: &Record, change: &Change<'_>) -> Form {
        let (image, delete) = split(change);
        Form {
            topic: record.topic.clone(),
            key_schema: record.key_schema.clone(),
            value_schema: record.value_schema.clone(),
            image_schema: image.and_then(|i| i.schema).map(address),
            delete,
            key_names: schemaless_names(record.key_schema.is_none(), &record.key),
            image_names: image.and_then(|i| schemaless_names(i.schema.is_none(), i.value)),
        }
    }

    fn matches(&self, record: &Record, change: &Change<'_>) -> bool {
        let (image, delete) = split(change);
        self.delete == delete
            && self.topic == record.topic
            && same(&self.key_schema, &record.key_schema)
            && same(&self.value_schema, &record.value_schema)
            && self.image_schema == image.and_then(|i| i.schema).map(address)
            && names_match(&self.key_names, record.key_schema.is_none(), &record.key)
            && match image {
                Some(image) => names_match(&self.image_names, image.schema.is_none(), image.value),
                None => self.image_names.is_none(),
            }
    }
}

fn split<'a>(change: &Change<'a>) -> (Option<Image<'a>>, bool) {
    match change {
        Change::Write(image) => (Some(*image), false),
        Change::Delete(before) => (*before, true),
        Change::Skip(_) => (None, false),
    }
}

fn address(schema: &sluice_api::Schema) -> usize {
    std::ptr::from_ref(schema) as usize
}

fn same(a: &Option<SchemaRef>, b: &Option<SchemaRef>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// Field names of a schemaless struct or map.
fn schemaless_names(schemaless: bool, value: &Value) -> Option<Vec<String>> {
    if !schemaless {
        return None;
    }
    match value {
        Value::Map(entries) => Some(
            entries
                .iter()
                .map(|(k, _)| k.as_str().unwrap_or_default().to_string())
                .collect(),
        ),
        Value::Struct(s) => Some(s.fields().iter().map(|(n, _)| n.clone()).collect()),
        _ => None,
    }
}

fn names_match(names: &Option<Vec<String>>, schemaless: bool, value: &Value) -> bool {
    let expected = match names {
        Some(names) if schemaless => names,
        None => return !schemaless || !matches!(value, Value::Map(_) | Value::Struct(_)),
        Some(_) => return false,
    };
    match value {
        Value::Map(entries) => {
            entries.len() == expected.len()
                && entries
                    .iter()
                    .zip(expected)
                    .all(|((k, _), name)| k.as_str() == Some(name))
        }
        Value::Struct(s) => {
            s.fields().len() == expected.len()
                && s.fields()
                    .iter()
                    .zip(expected)
                    .all(|((n, _), name)| n == name)
        }
        _ => false,
    }
}

/// Most recently used first.
#[derive(Default)]
pub struct ShapeCache {
    entries: Vec<(Form, Arc<Shape>)>,
}

impl ShapeCache {
    pub fn get(&mut self, record: &Record, change: &Change<'_>) -> Option<Arc<Shape>> {
        let at = self
            .entries
            .iter()
            .position(|(form, _)| form.matches(record, change))?;
        self.entries[..=at].rotate_right(1);
        Some(Arc::clone(&self.entries[0].1))
    }

    pub fn insert(&mut self, record: &Record, change: &Change<'_>, shape: Arc<Shape>) {
        self.entries.insert(0, (Form::of(record, change), shape));
        self.entries.truncate(MAX_SHAPES);
    }

    /// Forgets every shape, after a table changed under the sink.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}
