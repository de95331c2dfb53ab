//! A captured table as events describe it: its columns, key, and the Connect schemas of its
//! key, row and change envelope, built once per table (and again when its columns change).

use std::sync::Arc;

use sluice_api::{Field, Schema, SchemaRef, Struct, Value};

use super::event::{envelope_schema, key_schema_name};
use super::pgoutput::Datum;
use super::types::ColumnKind;

/// One column of a captured table.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
    /// Part of the event key (the primary key, or the replica identity index without one).
    pub key: bool,
}

/// A captured table with its schemas.
#[derive(Debug)]
pub struct TableSchema {
    pub schema: String,
    pub table: String,
    pub topic: String,
    pub columns: Vec<Column>,
    /// REPLICA IDENTITY FULL: updates and deletes carry the whole old row.
    pub full_identity: bool,
    /// `None` for a table without a key: its events have a null key.
    pub key_schema: Option<SchemaRef>,
    pub envelope_schema: SchemaRef,
}

impl TableSchema {
    /// The schemas of `schema.table` with these columns, in topic `<prefix>.<schema>.<table>`.
    pub fn new(
        prefix: &str,
        schema: &str,
        table: &str,
        columns: Vec<Column>,
        full_identity: bool,
    ) -> TableSchema {
        let topic = format!("{prefix}.{schema}.{table}");
        let key_fields: Vec<Field> = columns
            .iter()
            .filter(|c| c.key)
            .map(|c| Field::new(&c.name, c.kind.schema(false)))
            .collect();
        let key_schema = (!key_fields.is_empty())
            .then(|| Arc::new(Schema::structure(key_fields).named(key_schema_name(&topic))));
        // Columns outside the key are optional: a key-only old row (REPLICA IDENTITY DEFAULT)
        // carries no value for them.
        let row_fields = columns
            .iter()
            .map(|c| Field::new(&c.name, c.kind.schema(!c.key)))
            .collect();
        let row_schema = Arc::new(
            Schema::structure(row_fields)
                .named(format!("{topic}.Value"))
                .optional(),
        );
        let envelope_schema = Arc::new(envelope_schema(&topic, &row_schema));
        TableSchema {
            schema: schema.to_string(),
            table: table.to_string(),
            topic,
            columns,
            full_identity,
            key_schema,
            envelope_schema,
        }
    }

    /// A row struct from column values in text form; an unchanged TOASTed value becomes
    /// `placeholder` (or null for kinds that have no text form of it).
    pub fn row(&self, values: &[Datum], placeholder: &str) -> Result<Struct, String> {
        if values.len() != self.columns.len() {
            return Err(format!(
                "{}.{}: the row has {} values for {} columns",
                self.schema,
                self.table,
                values.len(),
                self.columns.len()
            ));
        }
        let mut row = Struct::new();
        for (column, datum) in self.columns.iter().zip(values) {
            let value = match datum {
                Datum::Null => Value::Null,
                Datum::UnchangedToast => column.kind.unavailable(placeholder),
                Datum::Text(bytes) => {
                    let text = std::str::from_utf8(bytes).map_err(|_| {
                        format!(
                            "{}.{}: column {} is not UTF-8",
                            self.schema, self.table, column.name
                        )
                    })?;
                    column.kind.parse(text).map_err(|e| {
                        format!(
                            "{}.{}: column {}: {e}",
                            self.schema, self.table, column.name
                        )
                    })?
                }
            };
            row.put(&column.name, value);
        }
        Ok(row)
    }

    /// The key struct of a row, `None` for a table without a key.
    pub fn key(&self, row: &Struct) -> Option<Struct> {
        self.key_schema.as_ref()?;
        let mut key = Struct::new();
        for column in self.columns.iter().filter(|c| c.key) {
            key.put(
                &column.name,
                row.get(&column.name).cloned().unwrap_or(Value::Null),
            );
        }
        Some(key)
    }
}
