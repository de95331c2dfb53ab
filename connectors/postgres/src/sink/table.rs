//! Destination tables: what columns they have, and the DDL of `auto.create` and `auto.evolve`.
//! A record's wanted columns are resolved against the table into a [`Shape`], the column list
//! rows are written with.

use std::collections::HashMap;

use sluice_api::{ConnectError, ConnectResult, SchemaRef};
use tokio_postgres::Client;

use super::config::SinkConfig;
use super::layout::{Layout, Source, Wanted};
use super::types::ColumnKind;
use crate::error::classify;
use crate::ident::{TableId, quote};

/// A column rows are written to.
#[derive(Debug, Clone)]
pub struct Column {
    /// The table's own spelling of the name.
    pub name: String,
    pub source: Source,
    /// The column's declared type, as `format_type` spells it.
    pub pg_type: String,
    pub kind: ColumnKind,
    pub schema: Option<SchemaRef>,
}

/// The columns of a table that records of one layout write, primary-key columns first.
#[derive(Debug, Clone)]
pub struct Shape {
    pub table: TableId,
    pub columns: Vec<Column>,
    pub pk_len: usize,
    /// Whether a unique index covers exactly the key columns, so that a plain insert of a row
    /// whose key exists fails rather than adding a second row.
    pub pk_unique: bool,
}

impl Shape {
    pub fn pk(&self) -> &[Column] {
        &self.columns[..self.pk_len]
    }

    pub fn non_pk(&self) -> &[Column] {
        &self.columns[self.pk_len..]
    }

    /// Whether both write the same key columns of the same table, so a delete of one can join
    /// a batch of the other.
    pub fn same_key(&self, other: &Shape) -> bool {
        self.table == other.table
            && self.pk_len == other.pk_len
            && self
                .pk()
                .iter()
                .zip(other.pk())
                .all(|(a, b)| a.name == b.name && a.source == b.source)
    }

    /// Whether both write the same columns from the same sources.
    pub fn same_columns(&self, other: &Shape) -> bool {
        self.same_key(other)
            && self.columns.len() == other.columns.len()
            && self
                .non_pk()
                .iter()
                .zip(other.non_pk())
                .all(|(a, b)| a.name == b.name && a.source == b.source)
    }
}

/// A table's columns: name and declared type, in column order.
type TableColumns = Vec<(String, String)>;

/// What the sink reads of a table: its columns, and the column sets of its unique indexes.
#[derive(Debug, Clone, Default)]
struct TableInfo {
    columns: TableColumns,
    unique_keys: Vec<Vec<String>>,
}

/// What the sink knows of the destination tables; kept across reconnects.
#[derive(Debug, Default)]
pub struct Tables {
    known: HashMap<TableId, TableInfo>,
}

impl Tables {
    /// Resolves `layout` against `table`, creating the table or adding columns as configured.
    pub async fn resolve(
        &mut self,
        client: &Client,
        config: &SinkConfig,
        table: &TableId,
        layout: &Layout,
    ) -> ConnectResult<Shape> {
        let mut info = match self.known.get(table) {
            Some(info) => info.clone(),
            None => describe(client, table).await?,
        };
        if info.columns.is_empty() {
            if !config.auto_create {
                return Err(ConnectError::fatal(format!(
                    "table {table} does not exist and auto.create is false; create it or set auto.create=true"
                )));
            }
            create(client, table, layout).await?;
            info = describe(client, table).await?;
        }
        let wanted = || layout.pk.iter().chain(&layout.values);
        let missing: Vec<&Wanted> = wanted()
            .filter(|w| find(&info.columns, &w.name).is_none())
            .collect();
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|w| w.name.as_str()).collect();
            if !config.auto_evolve {
                return Err(ConnectError::fatal(format!(
                    "table {table} is missing columns [{}] and auto.evolve is false; add them or set auto.evolve=true",
                    names.join(", ")
                )));
            }
            add_columns(client, table, &missing).await?;
            info = describe(client, table).await?;
        }
        let mut resolved = Vec::with_capacity(layout.pk.len() + layout.values.len());
        for w in wanted() {
            let (name, pg_type) = find(&info.columns, &w.name).ok_or_else(|| {
                ConnectError::fatal(format!(
                    "table {table} has no column {} after adding it",
                    w.name
                ))
            })?;
            resolved.push(Column {
                name: name.clone(),
                source: w.source.clone(),
                kind: ColumnKind::of(pg_type),
                pg_type: pg_type.clone(),
                schema: w.schema.clone(),
            });
        }
        let mut key: Vec<String> = resolved[..layout.pk.len()]
            .iter()
            .map(|c| c.name.clone())
            .collect();
        key.sort();
        let pk_unique = !key.is_empty() && info.unique_keys.contains(&key);
        self.known.insert(table.clone(), info);
        Ok(Shape {
            table: table.clone(),
            columns: resolved,
            pk_len: layout.pk.len(),
            pk_unique,
        })
    }

    /// Forgets a table's columns, after a statement found them changed.
    pub fn forget(&mut self, table: &TableId) {
        self.known.remove(table);
    }
}

/// The exact name, else the only case-insensitive match (a lower-case table written from
/// CamelCase fields).
fn find<'a>(columns: &'a TableColumns, name: &str) -> Option<&'a (String, String)> {
    columns.iter().find(|(n, _)| n == name).or_else(|| {
        let mut matches = columns.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name));
        match (matches.next(), matches.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        }
    })
}

/// The table's columns (none when it does not exist) and unique keys.
async fn describe(client: &Client, table: &TableId) -> ConnectResult<TableInfo> {
    let rows = client
        .query(
            "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod) \
             FROM pg_catalog.pg_attribute a \
             WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attnum",
            &[&table.quoted()],
        )
        .await
        .map_err(|e| classify(&e, &format!("cannot read the columns of table {table}")))?;
    let columns = rows.iter().map(|row| (row.get(0), row.get(1))).collect();
    let rows = client
        .query(
            "SELECT array_agg(a.attname::text ORDER BY a.attname::text) \
             FROM pg_catalog.pg_index i \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
             WHERE i.indrelid = pg_catalog.to_regclass($1) AND i.indisunique AND i.indpred IS NULL \
             GROUP BY i.indexrelid",
            &[&table.quoted()],
        )
        .await
        .map_err(|e| classify(&e, &format!("cannot read the indexes of table {table}")))?;
    let unique_keys = rows.iter().map(|row| row.get(0)).collect();
    Ok(TableInfo {
        columns,
        unique_keys,
    })
}

fn declared_type(wanted: &Wanted) -> &'static str {
    // A schemaless field that was null in the first record tells no type; text takes anything.
    wanted.pg_type.unwrap_or("text")
}

async fn create(client: &Client, table: &TableId, layout: &Layout) -> ConnectResult<()> {
    let mut defs: Vec<String> = layout
        .pk
        .iter()
        .chain(&layout.values)
        .map(|w| {
            let not_null = if w.nullable { "" } else { " NOT NULL" };
            format!("{} {}{not_null}", quote(&w.name), declared_type(w))
        })
        .collect();
    if !layout.pk.is_empty() {
        let pk: Vec<String> = layout.pk.iter().map(|w| quote(&w.name)).collect();
        defs.push(format!("PRIMARY KEY ({})", pk.join(", ")));
    }
    let sql = format!(
        "CREATE TABLE IF NOT EXISTS {} ({})",
        table.quoted(),
        defs.join(", ")
    );
    tracing::info!(%table, sql, "creating table (auto.create)");
    execute_ddl(client, &sql, table).await
}

async fn add_columns(client: &Client, table: &TableId, missing: &[&Wanted]) -> ConnectResult<()> {
    let adds: Vec<String> = missing
        .iter()
        .map(|w| {
            format!(
                "ADD COLUMN IF NOT EXISTS {} {}",
                quote(&w.name),
                declared_type(w)
            )
        })
        .collect();
    let sql = format!("ALTER TABLE {} {}", table.quoted(), adds.join(", "));
    tracing::info!(%table, sql, "adding columns (auto.evolve)");
    execute_ddl(client, &sql, table).await
}

/// Runs DDL; another task creating the same table at the same moment is not an error.
async fn execute_ddl(client: &Client, sql: &str, table: &TableId) -> ConnectResult<()> {
    match client.batch_execute(sql).await {
        Ok(()) => Ok(()),
        Err(e)
            if e.code()
                .is_some_and(|c| c.code() == "23505" || c.code() == "42P07") =>
        {
            Ok(())
        }
        Err(e) => Err(classify(&e, &format!("cannot change table {table}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_match_exactly_then_by_case() {
        let columns: TableColumns = vec![
            ("id".into(), "bigint".into()),
            ("Name".into(), "text".into()),
            ("name".into(), "text".into()),
            ("total".into(), "numeric".into()),
        ];
        assert_eq!(find(&columns, "Name").map(|c| c.0.as_str()), Some("Name"));
        assert_eq!(find(&columns, "ID").map(|c| c.0.as_str()), Some("id"));
        // Two columns differ only by case: no guess.
        assert_eq!(find(&columns, "NAME"), None);
        assert_eq!(find(&columns, "missing"), None);
    }
}
