//! `$Key` / `$Value`: which part of the record a transform works on.

use std::mem;

use sluice_api::{Record, SchemaRef, Value};

/// The part of the record a `$Key` or `$Value` transform changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Key,
    Value,
}

impl Target {
    /// `$Key` or `$Value`, as in Kafka Connect's class names.
    pub fn suffix(self) -> &'static str {
        match self {
            Target::Key => "$Key",
            Target::Value => "$Value",
        }
    }

    /// The schema and data of this part.
    pub fn get(self, record: &Record) -> (Option<&SchemaRef>, &Value) {
        match self {
            Target::Key => (record.key_schema.as_ref(), &record.key),
            Target::Value => (record.value_schema.as_ref(), &record.value),
        }
    }

    /// Moves the schema and data out, leaving no schema and a null.
    pub fn take(self, record: &mut Record) -> (Option<SchemaRef>, Value) {
        match self {
            Target::Key => (
                record.key_schema.take(),
                mem::replace(&mut record.key, Value::Null),
            ),
            Target::Value => (
                record.value_schema.take(),
                mem::replace(&mut record.value, Value::Null),
            ),
        }
    }

    pub fn put(self, record: &mut Record, schema: Option<SchemaRef>, value: Value) {
        match self {
            Target::Key => (record.key_schema, record.key) = (schema, value),
            Target::Value => (record.value_schema, record.value) = (schema, value),
        }
    }
}
