//! Catalog lookups on a normal connection: the captured tables, their columns and keys, and
//! the state of the replication slot.

use sluice_api::{ConnectError, ConnectResult};
use tokio_postgres::{Client, SimpleQueryMessage};

use super::config::TableFilter;
use super::lsn::Lsn;
use super::table::Column;
use super::types::ColumnKind;
use crate::error::classify;

/// A table as the catalog describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDescription {
    pub columns: Vec<Column>,
    pub full_identity: bool,
}

/// A replication slot as `pg_replication_slots` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotState {
    pub plugin: Option<String>,
    pub database: Option<String>,
    pub confirmed_flush: Option<Lsn>,
}

/// Rows of a simple query, every value as text.
pub async fn rows(client: &Client, sql: &str) -> ConnectResult<Vec<Vec<Option<String>>>> {
    let messages = client
        .simple_query(sql)
        .await
        .map_err(|e| classify(&e, "catalog query failed"))?;
    Ok(messages
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_string))
                    .collect(),
            ),
            _ => None,
        })
        .collect())
}

/// A SQL string literal.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The columns of table `oid` in attribute order (generated columns left out, as pgoutput
/// leaves them out), the key being the primary key or else the replica identity index.
pub async fn describe(client: &Client, oid: u32) -> ConnectResult<TableDescription> {
    let sql = format!(
        "SELECT a.attname, a.atttypid::int8, a.atttypmod, \
                coalesce(a.attnum = ANY(pk.indkey), false), \
                coalesce(a.attnum = ANY(ri.indkey), false), \
                c.relreplident::text \
         FROM pg_attribute a \
         JOIN pg_class c ON c.oid = a.attrelid \
         LEFT JOIN pg_index pk ON pk.indrelid = a.attrelid AND pk.indisprimary \
         LEFT JOIN pg_index ri ON ri.indrelid = a.attrelid AND ri.indisreplident \
         WHERE a.attrelid = {oid} AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' \
         ORDER BY a.attnum"
    );
    let rows = rows(client, &sql).await?;
    let text = |row: &[Option<String>], i: usize| row.get(i).cloned().flatten().unwrap_or_default();
    let has_pk = rows.iter().any(|r| text(r, 3) == "t");
    let mut full_identity = false;
    let columns = rows
        .iter()
        .map(|row| {
            full_identity = text(row, 5) == "f";
            let key = if has_pk {
                text(row, 3) == "t"
            } else {
                text(row, 4) == "t"
            };
            Column {
                name: text(row, 0),
                kind: ColumnKind::of(
                    text(row, 1).parse().unwrap_or(25),
                    text(row, 2).parse().unwrap_or(-1),
                ),
                key,
            }
        })
        .collect();
    Ok(TableDescription {
        columns,
        full_identity,
    })
}

/// The tables of the publication that the filter keeps: `(oid, schema, table)`, sorted.
pub async fn published_tables(
    client: &Client,
    publication: &str,
    filter: &TableFilter,
) -> ConnectResult<Vec<(u32, String, String)>> {
    let sql = format!(
        "SELECT c.oid::int8, p.schemaname, p.tablename FROM pg_publication_tables p \
         JOIN pg_namespace n ON n.nspname = p.schemaname \
         JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename \
         WHERE p.pubname = {} ORDER BY 2, 3",
        literal(publication)
    );
    let mut tables = Vec::new();
    for row in rows(client, &sql).await? {
        if let [Some(oid), Some(schema), Some(table)] = row.as_slice()
            && filter.keeps(schema, table)
        {
            let oid = oid
                .parse()
                .map_err(|_| ConnectError::fatal("bad table oid"))?;
            tables.push((oid, schema.clone(), table.clone()));
        }
    }
    Ok(tables)
}

/// Every ordinary or partitioned table the filter keeps: `(schema, table)`.
pub async fn matching_tables(
    client: &Client,
    filter: &TableFilter,
) -> ConnectResult<Vec<(String, String)>> {
    let sql = "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
               WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1, 2";
    Ok(rows(client, sql)
        .await?
        .into_iter()
        .filter_map(|row| match row.as_slice() {
            [Some(schema), Some(table)] if filter.keeps(schema, table) => {
                Some((schema.clone(), table.clone()))
            }
            _ => None,
        })
        .collect())
}

/// The slot named `name`, if it exists.
pub async fn slot(client: &Client, name: &str) -> ConnectResult<Option<SlotState>> {
    let sql = format!(
        "SELECT plugin, database, confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = {}",
        literal(name)
    );
    Ok(rows(client, &sql).await?.into_iter().next().map(|row| {
        let get = |i: usize| row.get(i).cloned().flatten();
        SlotState {
            plugin: get(0),
            database: get(1),
            confirmed_flush: get(2).and_then(|l| Lsn::parse(&l).ok()),
        }
    }))
}
