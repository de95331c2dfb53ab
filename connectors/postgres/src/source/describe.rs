//! What a table or query returns: its columns, their Connect types, and which columns give the
//! incrementing and timestamp positions.

use std::sync::Arc;

use sluice_api::{ConnectError, ConnectResult, Field, Schema, SchemaRef};
use tokio_postgres::Client;

use super::config::{INCREMENTING_COLUMN_NAME, Mode, TIMESTAMP_COLUMN_NAME};
use super::query::Relation;
use super::types::ColumnKind;
use crate::error::classify;

/// One column of the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
    pub optional: bool,
}

/// Table facts the result description does not carry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attribute {
    pub name: String,
    pub not_null: bool,
    /// An identity column or one whose default draws from a sequence.
    pub auto_increment: bool,
    pub primary_key: bool,
}

/// The columns of a result and the positions the mode reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub columns: Vec<Column>,
    /// Index in `columns` of the incrementing column, when the mode uses one.
    pub incrementing: Option<usize>,
    pub schema: SchemaRef,
}

/// What a layout is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Wanted<'a> {
    /// For error messages: `table public.orders` or `query`.
    pub what: &'a str,
    pub mode: Mode,
    pub incrementing_column: Option<&'a str>,
    pub timestamp_columns: &'a [String],
    /// The value schema's name (Confluent names it after the table; a query's is unnamed).
    pub schema_name: Option<&'a str>,
}

const ATTRIBUTES: &str = "\
    SELECT a.attname::text, a.attnotnull, \
           a.attidentity <> '' OR COALESCE(pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%', false), \
           EXISTS (SELECT 1 FROM pg_index i \
                   WHERE i.indrelid = a.attrelid AND i.indisprimary AND a.attnum = ANY (i.indkey)) \
    FROM pg_attribute a \
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
    WHERE a.attrelid = $1::text::regclass AND a.attnum > 0 AND NOT a.attisdropped \
    ORDER BY a.attnum";

/// Asks the database what `relation` returns and checks it against `wanted`.
pub async fn describe(
    client: &Client,
    relation: &Relation,
    wanted: Wanted<'_>,
) -> ConnectResult<Layout> {
    let statement = client
        .prepare(&format!("SELECT * FROM {}", relation.sql()))
        .await
        .map_err(|e| classify(&e, &format!("cannot read {}", wanted.what)))?;
    let attributes = match relation {
        Relation::Table(table) => client
            .query(ATTRIBUTES, &[&table.quoted()])
            .await
            .map_err(|e| classify(&e, &format!("cannot read the columns of {}", wanted.what)))?
            .iter()
            .map(|row| {
                Ok(Attribute {
                    name: row.try_get(0)?,
                    not_null: row.try_get(1)?,
                    auto_increment: row.try_get(2)?,
                    primary_key: row.try_get(3)?,
                })
            })
            .collect::<Result<Vec<_>, tokio_postgres::Error>>()
            .map_err(|e| classify(&e, &format!("cannot read the columns of {}", wanted.what)))?,
        // A query's columns may come from anywhere: all of them are nullable.
        Relation::Query(_) => Vec::new(),
    };
    let columns = statement
        .columns()
        .iter()
        .map(|c| {
            let not_null = attributes.iter().any(|a| a.name == c.name() && a.not_null);
            Column {
                name: c.name().to_string(),
                kind: ColumnKind::of(c.type_(), c.type_modifier()),
                optional: !not_null,
            }
        })
        .collect();
    layout(columns, &attributes, wanted)
}

/// Checks the columns against the mode and finds the incrementing column.
pub fn layout(
    columns: Vec<Column>,
    attributes: &[Attribute],
    wanted: Wanted<'_>,
) -> ConnectResult<Layout> {
    let what = wanted.what;
    for (i, column) in columns.iter().enumerate() {
        if columns[..i].iter().any(|c| c.name == column.name) {
            return Err(ConnectError::fatal(format!(
                "{what} returns two columns named '{}'; give them distinct names",
                column.name
            )));
        }
    }
    if wanted.mode.uses_timestamp() {
        for name in wanted.timestamp_columns {
            match columns.iter().find(|c| &c.name == name) {
                None => {
                    return Err(ConnectError::fatal(format!(
                        "{what} has no column '{name}' ({TIMESTAMP_COLUMN_NAME})"
                    )));
                }
                Some(c) if c.kind != ColumnKind::Timestamp => {
                    return Err(ConnectError::fatal(format!(
                        "column '{name}' of {what} ({TIMESTAMP_COLUMN_NAME}) is not a timestamp \
                         or timestamptz column"
                    )));
                }
                Some(_) => {}
            }
        }
    }
    let incrementing = if wanted.mode.uses_incrementing() {
        Some(incrementing_index(&columns, attributes, wanted)?)
    } else {
        None
    };
    let fields = columns
        .iter()
        .map(|c| Field::new(c.name.clone(), c.kind.schema(c.optional)))
        .collect();
    let mut schema = Schema::structure(fields);
    if let Some(name) = wanted.schema_name {
        schema = schema.named(name);
    }
    Ok(Layout {
        columns,
        incrementing,
        schema: Arc::new(schema),
    })
}

/// The configured incrementing column, or else an auto-increment integer column, or else the
/// single integer primary-key column.
fn incrementing_index(
    columns: &[Column],
    attributes: &[Attribute],
    wanted: Wanted<'_>,
) -> ConnectResult<usize> {
    let what = wanted.what;
    let integer = |name: &str| {
        columns
            .iter()
            .position(|c| c.name == name && c.kind.is_integer())
    };
    if let Some(name) = wanted.incrementing_column {
        return match columns.iter().position(|c| c.name == name) {
            None => Err(ConnectError::fatal(format!(
                "{what} has no column '{name}' ({INCREMENTING_COLUMN_NAME})"
            ))),
            Some(index) if columns[index].kind.is_integer() => Ok(index),
            Some(_) => Err(ConnectError::fatal(format!(
                "column '{name}' of {what} ({INCREMENTING_COLUMN_NAME}) is not an integer column \
                 (smallint, integer or bigint)"
            ))),
        };
    }
    let auto = attributes
        .iter()
        .filter(|a| a.auto_increment)
        .find_map(|a| integer(&a.name));
    let primary: Vec<&Attribute> = attributes.iter().filter(|a| a.primary_key).collect();
    let single_key = match primary.as_slice() {
        [key] => integer(&key.name),
        _ => None,
    };
    auto.or(single_key).ok_or_else(|| {
        ConnectError::fatal(format!(
            "{what} has no auto-increment integer column and no single-column integer primary key; \
             set {INCREMENTING_COLUMN_NAME}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, kind: ColumnKind) -> Column {
        Column {
            name: name.into(),
            kind,
            optional: true,
        }
    }

    fn attribute(name: &str, auto_increment: bool, primary_key: bool) -> Attribute {
        Attribute {
            name: name.into(),
            not_null: true,
            auto_increment,
            primary_key,
        }
    }

    fn wanted(mode: Mode, incrementing: Option<&'static str>) -> Wanted<'static> {
        static TS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        Wanted {
            what: "table public.t",
            mode,
            incrementing_column: incrementing,
            timestamp_columns: TS.get_or_init(|| vec!["ts".to_string()]),
            schema_name: Some("t"),
        }
    }

    fn columns() -> Vec<Column> {
        vec![
            column("code", ColumnKind::String),
            column("id", ColumnKind::Int64),
            column("seq", ColumnKind::Int32),
            column("ts", ColumnKind::Timestamp),
        ]
    }

    #[test]
    fn detects_auto_increment_before_primary_key() {
        let attrs = [attribute("seq", true, false), attribute("id", false, true)];
        let layout = layout(columns(), &attrs, wanted(Mode::Incrementing, None)).unwrap();
        assert_eq!(layout.incrementing, Some(2));
        let attrs = [attribute("id", false, true)];
        let layout = layout_of(&attrs, Mode::TimestampIncrementing, None).unwrap();
        assert_eq!(layout.incrementing, Some(1));
        assert_eq!(layout.schema.name.as_deref(), Some("t"));
    }

    fn layout_of(
        attrs: &[Attribute],
        mode: Mode,
        inc: Option<&'static str>,
    ) -> ConnectResult<Layout> {
        layout(columns(), attrs, wanted(mode, inc))
    }

    #[test]
    fn refuses_missing_or_unsuitable_columns() {
        let composite = [attribute("id", false, true), attribute("seq", false, true)];
        let err = layout_of(&composite, Mode::Incrementing, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("table public.t") && err.contains("incrementing.column.name"),
            "{err}"
        );
        let err = layout_of(&[], Mode::Incrementing, Some("nope"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no column 'nope'"), "{err}");
        let err = layout_of(&[], Mode::Incrementing, Some("code"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not an integer"), "{err}");
        let mut cols = columns();
        cols.pop();
        let err = layout(cols, &[], wanted(Mode::Timestamp, None))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no column 'ts'") && err.contains("timestamp.column.name"),
            "{err}"
        );
        let mut cols = columns();
        cols[3].kind = ColumnKind::Date;
        let err = layout(cols, &[], wanted(Mode::Timestamp, None))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a timestamp"), "{err}");
    }

    #[test]
    fn bulk_needs_nothing_and_keeps_optionality() {
        let mut cols = columns();
        cols[0].optional = false;
        let layout = layout(cols, &[], wanted(Mode::Bulk, None)).unwrap();
        assert_eq!(layout.incrementing, None);
        assert!(!layout.schema.fields()[0].schema.optional);
        assert!(layout.schema.fields()[1].schema.optional);
    }
}
