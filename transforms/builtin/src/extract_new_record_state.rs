//! Debezium's ExtractNewRecordState (`io.debezium.transforms.ExtractNewRecordState`): replaces a
//! change event envelope (`before`, `after`, `source`, `op`, `ts_ms`, …) by its `after` state,
//! handles deletes and tombstones as configured, and copies event metadata into added fields or
//! headers. Records that are not change events (heartbeats, schema changes, transaction
//! markers) pass through unchanged, as in Debezium.
//!
//! A record with a value schema is an envelope when the schema name ends in `.Envelope`, as
//! Debezium decides. Beyond Debezium, which passes schemaless records through, a schemaless map
//! holding `op` and `after` keys (a change event read by a JSON converter without schemas) is
//! unwrapped the same way.

mod config;
mod schemaless;
mod with_schema;

use std::mem;
use std::sync::Arc;

use sluice_api::{
    ConnectResult, Header, Props, Record, Schema, SchemaRef, Transform, TransformPlugin, Value,
};

pub use config::{DeleteHandling, ExtractNewRecordStateConfig, FieldReference, config_def};

use crate::common::{SchemaCache, data_error};

/// `io.debezium.transforms.ExtractNewRecordState`.
pub const PLUGIN: TransformPlugin = TransformPlugin { config_def, create };

const NAME: &str = "ExtractNewRecordState";
/// The field a rewrite adds, whatever `add.fields.prefix` says.
const DELETED_FIELD: &str = "__deleted";
const ENVELOPE_SCHEMA_SUFFIX: &str = ".Envelope";

fn create(props: &Props) -> ConnectResult<Box<dyn Transform>> {
    Ok(Box::new(ExtractNewRecordState::new(
        ExtractNewRecordStateConfig::parse(props)?,
    )))
}

/// Which state of the envelope a record is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// `after`: creates, updates and snapshot reads.
    After,
    /// `before`: rewritten deletes.
    Before,
}

impl State {
    fn field(self) -> &'static str {
        match self {
            State::After => "after",
            State::Before => "before",
        }
    }

    /// The `__deleted` value of a rewrite.
    fn deleted(self) -> &'static str {
        match self {
            State::After => "false",
            State::Before => "true",
        }
    }
}

/// The ExtractNewRecordState transform.
#[derive(Debug)]
pub struct ExtractNewRecordState {
    config: ExtractNewRecordStateConfig,
    /// Unwrapped schemas per envelope schema, for `after` and for `before` states.
    after_schemas: SchemaCache,
    before_schemas: SchemaCache,
}

/// What became of an envelope: dropped, or a new value schema and value.
type Unwrapped = Option<(Option<SchemaRef>, Value)>;

impl ExtractNewRecordState {
    pub fn new(config: ExtractNewRecordStateConfig) -> Self {
        ExtractNewRecordState {
            config,
            after_schemas: SchemaCache::default(),
            before_schemas: SchemaCache::default(),
        }
    }

    fn rewrite(&self) -> bool {
        self.config.delete_handling == DeleteHandling::Rewrite
    }

    /// A kept tombstone gets only an `op` header, saying `d`.
    fn add_tombstone_headers(&self, record: &mut Record) {
        for reference in &self.config.add_headers {
            if reference.field == "op" {
                record.headers.push(Header {
                    key: reference.new_name.clone(),
                    schema: Some(Arc::new(Schema::string())),
                    value: Value::from("d"),
                });
            }
        }
    }
}

/// The schema of an added field or header: the source field's, optional and without default.
fn optional_copy(schema: &Schema) -> SchemaRef {
    let mut schema = schema.clone();
    schema.optional = true;
    schema.default = None;
    Arc::new(schema)
}

fn is_envelope(record: &Record) -> bool {
    match &record.value_schema {
        Some(schema) => schema
            .name
            .as_deref()
            .is_some_and(|name| name.ends_with(ENVELOPE_SCHEMA_SUFFIX)),
        None => schemaless::is_envelope(&record.value),
    }
}

impl Transform for ExtractNewRecordState {
    fn apply(&mut self, mut record: Record) -> ConnectResult<Option<Record>> {
        if record.value.is_null() {
            if self.config.drop_tombstones {
                return Ok(None);
            }
            self.add_tombstone_headers(&mut record);
            return Ok(Some(record));
        }
        if !is_envelope(&record) {
            return Ok(Some(record));
        }
        let value = mem::replace(&mut record.value, Value::Null);
        let unwrapped = match record.value_schema.take() {
            Some(schema) => self.unwrap_with_schema(&mut record.headers, &schema, value),
            None => self.unwrap_schemaless(&mut record.headers, value),
        };
        match unwrapped.map_err(|problem| data_error(NAME, &record, problem))? {
            None => Ok(None),
            Some((schema, value)) => {
                record.value_schema = schema;
                record.value = value;
                Ok(Some(record))
            }
        }
    }
}

#[cfg(test)]
mod tests;
