//! What a record asks of its table: write a row, delete one, or nothing. Values carrying a
//! Debezium change envelope (`before`/`after`/`op`) are applied as the change they describe.

use sluice_api::{ConnectError, ConnectResult, Record, Schema, SchemaType, Value};

/// A row image: the struct (or schemaless map) holding the columns, and its schema if any.
#[derive(Debug, Clone, Copy)]
pub struct Image<'a> {
    pub schema: Option<&'a Schema>,
    pub value: &'a Value,
}

/// The change one record makes.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// Insert or update the row `after` describes.
    Write(Image<'a>),
    /// Delete the row with the record's key (or, for a Debezium delete, the `before` image's).
    Delete(Option<Image<'a>>),
    /// Nothing to do (a Debezium truncate or message event).
    Skip(&'static str),
}

/// Reads the change a record makes. A tombstone deletes only with `delete.enabled`; otherwise
/// it is a record error, as in the JDBC sink.
pub fn of_record(record: &Record, delete_enabled: bool) -> ConnectResult<Change<'_>> {
    let image = Image {
        schema: record.value_schema.as_deref(),
        value: &record.value,
    };
    if record.value.is_null() {
        if delete_enabled {
            return Ok(Change::Delete(None));
        }
        return Err(ConnectError::data(format!(
            "record {} has a null value (a tombstone) but delete.enabled is false; \
             set delete.enabled=true (with pk.mode=record_key) to turn tombstones into deletes",
            record.coordinates()
        )));
    }
    match debezium(image) {
        Some(envelope) => envelope.change(record),
        None => Ok(Change::Write(image)),
    }
}

/// The parts of a Debezium change event.
struct Envelope<'a> {
    op: &'a str,
    before: Option<Image<'a>>,
    after: Option<Image<'a>>,
}

/// Recognises a Debezium envelope: a struct (or map) with an `op` string and a `before` or
/// `after` field.
fn debezium(image: Image<'_>) -> Option<Envelope<'_>> {
    let field = |name: &str| -> Option<Image<'_>> {
        let value = match image.value {
            Value::Struct(s) => s.get(name)?,
            Value::Map(_) => image.value.map_get(name)?,
            _ => return None,
        };
        let schema = image.schema.and_then(|s| s.field(name)).map(|f| &*f.schema);
        Some(Image { schema, value })
    };
    if let Some(schema) = image.schema {
        let SchemaType::Struct(_) = schema.ty else {
            return None;
        };
        if schema.field("op").is_none()
            || (schema.field("after").is_none() && schema.field("before").is_none())
        {
            return None;
        }
    }
    let op = field("op")?.value.as_str()?;
    let before = field("before");
    let after = field("after");
    if before.is_none() && after.is_none() {
        return None;
    }
    Some(Envelope {
        op,
        before: before.filter(|i| !i.value.is_null()),
        after: after.filter(|i| !i.value.is_null()),
    })
}

impl<'a> Envelope<'a> {
    fn change(self, record: &Record) -> ConnectResult<Change<'a>> {
        match self.op {
            "c" | "r" | "u" => self.after.map(Change::Write).ok_or_else(|| {
                ConnectError::data(format!(
                    "record {}: Debezium '{}' event without an 'after' image",
                    record.coordinates(),
                    self.op
                ))
            }),
            "d" => Ok(Change::Delete(self.before)),
            "t" => Ok(Change::Skip("Debezium truncate event")),
            "m" => Ok(Change::Skip("Debezium message event")),
            other => Err(ConnectError::data(format!(
                "record {}: unknown Debezium op '{other}' (expected c, r, u, d, t or m)",
                record.coordinates()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use sluice_api::{Field, Struct};

    fn row_schema() -> Schema {
        Schema::structure(vec![
            Field::new("id", Schema::int32()),
            Field::new("name", Schema::string().optional()),
        ])
        .optional()
    }

    fn envelope(op: &str, before: Value, after: Value) -> Record {
        let schema = Schema::structure(vec![
            Field::new("before", row_schema()),
            Field::new("after", row_schema()),
            Field::new("op", Schema::string()),
        ])
        .named("server.public.t.Envelope");
        let value = Struct::new()
            .with("before", before)
            .with("after", after)
            .with("op", Value::String(op.into()));
        Record::new("t").with_value(Some(Arc::new(schema)), Value::Struct(value))
    }

    fn row(id: i32) -> Value {
        Value::Struct(
            Struct::new()
                .with("id", Value::Int32(id))
                .with("name", Value::String("n".into())),
        )
    }

    #[test]
    fn debezium_ops_become_writes_and_deletes() {
        let create = envelope("c", Value::Null, row(1));
        match of_record(&create, false).unwrap() {
            Change::Write(image) => {
                assert_eq!(image.value, &row(1));
                assert_eq!(image.schema, Some(&row_schema()));
            }
            other => panic!("{other:?}"),
        }
        let delete = envelope("d", row(2), Value::Null);
        match of_record(&delete, false).unwrap() {
            Change::Delete(Some(image)) => assert_eq!(image.value, &row(2)),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            of_record(&envelope("t", Value::Null, Value::Null), false).unwrap(),
            Change::Skip(_)
        ));
        assert!(of_record(&envelope("x", Value::Null, row(1)), false).is_err());
    }

    #[test]
    fn schemaless_envelopes_are_recognised() {
        let value = Value::Map(vec![
            (Value::String("before".into()), Value::Null),
            (
                Value::String("after".into()),
                Value::Map(vec![(Value::String("id".into()), Value::Int64(1))]),
            ),
            (Value::String("op".into()), Value::String("r".into())),
        ]);
        let record = Record::new("t").with_value(None, value);
        assert!(matches!(
            of_record(&record, false).unwrap(),
            Change::Write(_)
        ));
    }

    #[test]
    fn plain_values_and_tombstones() {
        let plain = Record::new("t").with_value(Some(Arc::new(row_schema())), row(1));
        assert!(matches!(
            of_record(&plain, false).unwrap(),
            Change::Write(_)
        ));
        // A struct with an `op` field but no before/after is a plain row.
        let op_row = Record::new("t").with_value(
            None,
            Value::Map(vec![(
                Value::String("op".into()),
                Value::String("c".into()),
            )]),
        );
        assert!(matches!(
            of_record(&op_row, false).unwrap(),
            Change::Write(_)
        ));
        let tombstone = Record::new("t");
        assert!(matches!(
            of_record(&tombstone, true).unwrap(),
            Change::Delete(None)
        ));
        let err = of_record(&tombstone, false).unwrap_err();
        assert!(
            err.is_record_level() && err.to_string().contains("delete.enabled"),
            "{err}"
        );
    }
}
