//! Finding the tables to read, and sharing them out among tasks.

use std::collections::{BTreeMap, BTreeSet};

use sluice_api::{ConnectError, ConnectResult};
use tokio_postgres::Client;

use super::config::{TABLE_TYPE_KINDS, TableFilter};
use crate::error::classify;
use crate::ident::TableId;

/// Every relation of the wanted kinds outside the system schemas, optionally only in schemas
/// matching a LIKE pattern.
const LIST_TABLES: &str = "\
    SELECT n.nspname::text, c.relname::text \
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE c.relkind::text = ANY ($1::text[]) \
      AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' \
      AND ($2::text IS NULL OR n.nspname LIKE $2::text) \
    ORDER BY 1, 2";

/// Lists the tables of the given `pg_class.relkind`s, schema-qualified.
pub async fn list_tables(
    client: &Client,
    kinds: &[char],
    schema_pattern: Option<&str>,
) -> ConnectResult<Vec<TableId>> {
    let kinds: Vec<String> = kinds.iter().map(char::to_string).collect();
    let rows = client
        .query(LIST_TABLES, &[&kinds, &schema_pattern])
        .await
        .map_err(|e| classify(&e, "cannot list the tables to read"))?;
    rows.iter()
        .map(|row| {
            Ok(TableId {
                schema: Some(row.try_get(0)?),
                table: row.try_get(1)?,
            })
        })
        .collect::<Result<Vec<_>, tokio_postgres::Error>>()
        .map_err(|e| classify(&e, "cannot list the tables to read"))
}

/// The tables the filter keeps. Tables whose names hold a `.` or `,` cannot be written in a
/// task's table list or a `schema.table` entry, so they are left out with a warning.
pub fn select_tables(found: Vec<TableId>, filter: &TableFilter) -> Vec<TableId> {
    found
        .into_iter()
        .filter(|table| filter.keeps(table))
        .filter(|table| {
            let name = table.to_string();
            let plain = !table.table.contains([',', '.'])
                && !table.schema.as_deref().unwrap_or("").contains([',', '.']);
            if !plain {
                tracing::warn!(table = %name, "skipping a table whose name holds '.' or ','");
            }
            plain
        })
        .collect()
}

/// Fails when nothing is left to read, saying what was looked for.
pub fn require_tables(
    tables: &[TableId],
    kinds: &[char],
    filter: &TableFilter,
) -> ConnectResult<()> {
    if !tables.is_empty() {
        return Ok(());
    }
    let types: Vec<&str> = TABLE_TYPE_KINDS
        .iter()
        .filter(|(_, kind)| kinds.contains(kind))
        .map(|(name, _)| *name)
        .collect();
    let filtered = match filter {
        TableFilter::All => String::new(),
        TableFilter::Include(entries) => {
            format!(" matching table.whitelist [{}]", entries.join(", "))
        }
        TableFilter::Exclude(entries) => {
            format!(" outside table.blacklist [{}]", entries.join(", "))
        }
    };
    Err(ConnectError::fatal(format!(
        "no tables to read: the database has no {} in a non-system schema{filtered}",
        types.join(" or ")
    )))
}

/// Table names found in more than one schema. Their source partitions use `schema.table`,
/// since the bare name (Confluent's partition) would mix their offsets up.
pub fn ambiguous_names(tables: &[TableId]) -> BTreeSet<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for table in tables {
        *counts.entry(table.table.as_str()).or_default() += 1;
    }
    counts
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(name, _)| name.to_string())
        .collect()
}

/// Deals `tables` round-robin to at most `max_tasks` tasks, none of them empty.
pub fn spread<T: Clone>(tables: &[T], max_tasks: usize) -> Vec<Vec<T>> {
    let tasks = max_tasks.max(1).min(tables.len());
    let mut groups = vec![Vec::new(); tasks];
    for (i, table) in tables.iter().enumerate() {
        groups[i % tasks].push(table.clone());
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Vec<TableId> {
        names.iter().map(|n| TableId::parse(n).unwrap()).collect()
    }

    #[test]
    fn spreads_round_robin_without_empty_tasks() {
        assert_eq!(spread(&[1, 2, 3, 4, 5], 2), vec![vec![1, 3, 5], vec![2, 4]]);
        assert_eq!(spread(&[1, 2], 8), vec![vec![1], vec![2]]);
        assert_eq!(spread(&[1, 2, 3], 0), vec![vec![1, 2, 3]]);
        assert!(spread::<i32>(&[], 3).is_empty());
    }

    #[test]
    fn filters_by_name_or_qualified_name() {
        let found = ids(&["public.a", "public.b", "sales.a", "sales.c"]);
        let include = TableFilter::Include(vec!["a".into(), "sales.c".into()]);
        assert_eq!(
            select_tables(found.clone(), &include),
            ids(&["public.a", "sales.a", "sales.c"])
        );
        let exclude = TableFilter::Exclude(vec!["public.a".into(), "c".into()]);
        assert_eq!(
            select_tables(found.clone(), &exclude),
            ids(&["public.b", "sales.a"])
        );
        assert_eq!(select_tables(found, &TableFilter::All).len(), 4);
    }

    #[test]
    fn leaves_out_names_that_cannot_be_listed() {
        let found = vec![TableId {
            schema: Some("public".into()),
            table: "we.ird".into(),
        }];
        assert!(select_tables(found, &TableFilter::All).is_empty());
    }

    #[test]
    fn names_in_several_schemas_are_ambiguous() {
        let found = ids(&["public.a", "public.b", "sales.a"]);
        assert_eq!(ambiguous_names(&found), BTreeSet::from(["a".to_string()]));
    }

    #[test]
    fn explains_an_empty_selection() {
        let err = require_tables(&[], &['r', 'v'], &TableFilter::Include(vec!["x".into()]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("TABLE or VIEW") && err.contains("whitelist [x]"),
            "{err}"
        );
    }
}
