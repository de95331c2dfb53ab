//! The SQL text of each mode's query. Values are always bound parameters; only identifiers
//! (quoted) and the row limit (a validated integer) are part of the text.

use crate::ident::{TableId, quote};

use super::config::Mode;

/// Alias of a custom query wrapped as a subquery, so that the incremental filter applies to
/// its result whatever WHERE clause the query has itself.
pub const QUERY_ALIAS: &str = "sluice_query";
/// Alias of the combined timestamp (COALESCE of several columns) appended to the select list.
const TIMESTAMP_ALIAS: &str = "sluice_timestamp";

/// What rows come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relation {
    Table(TableId),
    Query(String),
}

impl Relation {
    /// The relation as a FROM item.
    pub fn sql(&self) -> String {
        match self {
            Relation::Table(table) => table.quoted(),
            // Line breaks keep a trailing `--` comment in the query from swallowing the
            // closing parenthesis; a trailing semicolon would end the statement early.
            Relation::Query(query) => format!(
                "(\n{}\n) AS {QUERY_ALIAS}",
                query.trim().trim_end_matches(';').trim_end()
            ),
        }
    }
}

/// The statements of one table (or query) in one mode, built once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statements {
    /// The next batch. Parameters by mode: bulk none; incrementing `$1` = last value (int8);
    /// timestamp `$1` = last timestamp, `$2` = delay in ms (float8); timestamp+incrementing
    /// `$1` = last timestamp, `$2` = last incrementing value, `$3` = delay in ms.
    pub batch: String,
    /// Timestamp mode only: every row of one timestamp, `$1`, when a batch holds nothing else.
    pub group: Option<String>,
    /// Position of the combined timestamp in the select list, when the mode has one.
    pub timestamp_index: Option<usize>,
}

/// Builds the statements reading `columns` (select-list items, in order) of `relation`.
/// `incrementing` is the incrementing column's name and its position in `columns`.
pub fn build(
    mode: Mode,
    relation: &Relation,
    columns: &[String],
    incrementing: Option<(&str, usize)>,
    timestamp_columns: &[String],
    batch_max_rows: usize,
) -> Statements {
    let mut select = columns.to_vec();
    let timestamp = timestamp_expression(timestamp_columns);
    let timestamp_index = mode.uses_timestamp().then(|| {
        select.push(format!("{timestamp} AS {TIMESTAMP_ALIAS}"));
        select.len() - 1
    });
    let head = format!("SELECT {} FROM {}", select.join(", "), relation.sql());
    // ORDER BY output positions (1-based), which no column name can make ambiguous.
    let ts_pos = timestamp_index.map_or(0, |i| i + 1);
    let (inc, inc_pos) = incrementing.map_or((String::new(), 0), |(name, i)| (quote(name), i + 1));
    let end = "now() - $END::float8 * interval '1 millisecond'";
    let (batch, group) = match mode {
        Mode::Bulk => (head, None),
        Mode::Incrementing => (
            format!("{head} WHERE {inc} > $1::int8 ORDER BY {inc_pos} LIMIT {batch_max_rows}"),
            None,
        ),
        Mode::Timestamp => (
            // One row more than a batch shows whether the last timestamp group is complete.
            format!(
                "{head} WHERE {timestamp} > $1 AND {timestamp} < {} ORDER BY {ts_pos} LIMIT {}",
                end.replace("$END", "$2"),
                batch_max_rows.saturating_add(1)
            ),
            Some(format!("{head} WHERE {timestamp} = $1")),
        ),
        Mode::TimestampIncrementing => (
            format!(
                "{head} WHERE {timestamp} < {} AND (({timestamp} = $1 AND {inc} > $2::int8) OR {timestamp} > $1) \
                 ORDER BY {ts_pos}, {inc_pos} LIMIT {batch_max_rows}",
                end.replace("$END", "$3"),
            ),
            None,
        ),
    };
    Statements {
        batch,
        group,
        timestamp_index,
    }
}

/// One timestamp column as it is; several combined, the first non-null one winning.
pub fn timestamp_expression(columns: &[String]) -> String {
    match columns {
        [single] => quote(single),
        many => format!(
            "COALESCE({})",
            many.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Relation {
        Relation::Table(TableId::parse("public.orders").unwrap())
    }

    fn columns() -> Vec<String> {
        vec![
            "\"id\"".into(),
            "\"updated\"".into(),
            "\"doc\"::text AS \"doc\"".into(),
        ]
    }

    #[test]
    fn bulk_reads_everything() {
        let s = build(Mode::Bulk, &table(), &columns(), None, &[], 100);
        assert_eq!(
            s.batch,
            "SELECT \"id\", \"updated\", \"doc\"::text AS \"doc\" FROM \"public\".\"orders\""
        );
        assert_eq!((s.group, s.timestamp_index), (None, None));
    }

    #[test]
    fn incrementing_orders_by_the_column_and_limits() {
        let s = build(
            Mode::Incrementing,
            &table(),
            &columns(),
            Some(("id", 0)),
            &[],
            50,
        );
        assert_eq!(
            s.batch,
            "SELECT \"id\", \"updated\", \"doc\"::text AS \"doc\" FROM \"public\".\"orders\" \
             WHERE \"id\" > $1::int8 ORDER BY 1 LIMIT 50"
        );
    }

    #[test]
    fn timestamp_fetches_one_extra_row_and_has_a_group_query() {
        let ts = vec!["updated".to_string()];
        let s = build(Mode::Timestamp, &table(), &columns(), None, &ts, 10);
        assert_eq!(
            s.batch,
            "SELECT \"id\", \"updated\", \"doc\"::text AS \"doc\", \"updated\" AS sluice_timestamp \
             FROM \"public\".\"orders\" WHERE \"updated\" > $1 AND \"updated\" < now() - $2::float8 \
             * interval '1 millisecond' ORDER BY 4 LIMIT 11"
        );
        assert_eq!(
            s.group.as_deref(),
            Some(
                "SELECT \"id\", \"updated\", \"doc\"::text AS \"doc\", \"updated\" AS sluice_timestamp \
                 FROM \"public\".\"orders\" WHERE \"updated\" = $1"
            )
        );
        assert_eq!(s.timestamp_index, Some(3));
    }

    #[test]
    fn timestamp_incrementing_uses_a_unique_position() {
        let ts = vec!["modified".to_string(), "created".to_string()];
        let s = build(
            Mode::TimestampIncrementing,
            &table(),
            &columns(),
            Some(("id", 0)),
            &ts,
            100,
        );
        let coalesce = "COALESCE(\"modified\", \"created\")";
        assert_eq!(
            s.batch,
            format!(
                "SELECT \"id\", \"updated\", \"doc\"::text AS \"doc\", {coalesce} AS sluice_timestamp \
                 FROM \"public\".\"orders\" WHERE {coalesce} < now() - $3::float8 * interval '1 millisecond' \
                 AND (({coalesce} = $1 AND \"id\" > $2::int8) OR {coalesce} > $1) ORDER BY 4, 1 LIMIT 100"
            )
        );
    }

    #[test]
    fn custom_queries_become_subqueries() {
        let query = Relation::Query("SELECT id, name FROM t WHERE name <> '' -- named;\n;".into());
        let s = build(
            Mode::Incrementing,
            &query,
            &["\"id\"".into(), "\"name\"".into()],
            Some(("id", 0)),
            &[],
            5,
        );
        assert_eq!(
            s.batch,
            "SELECT \"id\", \"name\" FROM (\nSELECT id, name FROM t WHERE name <> '' -- named;\n) AS sluice_query \
             WHERE \"id\" > $1::int8 ORDER BY 1 LIMIT 5"
        );
    }
}
