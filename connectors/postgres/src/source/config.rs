//! Settings of the source, with the Confluent JDBC source's key names and defaults.

use std::collections::BTreeSet;
use std::time::Duration;

use sluice_api::config::{IssueCollector, ParsedConfig, Validator};
use sluice_api::{ConfigDef, ConfigErrors, ConfigType, Importance, Props};

use crate::connection::{self, ConnectionConfig};
use crate::ident::TableId;

pub const MODE: &str = "mode";
pub const QUERY: &str = "query";
pub const TABLE_WHITELIST: &str = "table.whitelist";
pub const TABLE_BLACKLIST: &str = "table.blacklist";
/// Newer name of `table.whitelist`.
pub const TABLE_INCLUDE_LIST: &str = "table.include.list";
/// Newer name of `table.blacklist`.
pub const TABLE_EXCLUDE_LIST: &str = "table.exclude.list";
pub const TOPIC_PREFIX: &str = "topic.prefix";
pub const POLL_INTERVAL_MS: &str = "poll.interval.ms";
pub const BATCH_MAX_ROWS: &str = "batch.max.rows";
pub const TIMESTAMP_DELAY_INTERVAL_MS: &str = "timestamp.delay.interval.ms";
pub const INCREMENTING_COLUMN_NAME: &str = "incrementing.column.name";
pub const TIMESTAMP_COLUMN_NAME: &str = "timestamp.column.name";
pub const TABLE_TYPES: &str = "table.types";
pub const SCHEMA_PATTERN: &str = "schema.pattern";
pub const VALIDATE_NON_NULL: &str = "validate.non.null";
/// Task-config key set by the connector: the schema-qualified tables of one task.
pub const TASK_TABLES: &str = "tables";
/// Task-config key set by the connector: bare table names found in more than one schema, whose
/// source partitions therefore use `schema.table`.
pub const TASK_AMBIGUOUS_NAMES: &str = "tables.ambiguous";

const MODES: [&str; 4] = [
    "bulk",
    "incrementing",
    "timestamp",
    "timestamp+incrementing",
];
/// `table.types` values and the `pg_class.relkind` each stands for.
pub const TABLE_TYPE_KINDS: [(&str, char); 5] = [
    ("TABLE", 'r'),
    ("PARTITIONED TABLE", 'p'),
    ("VIEW", 'v'),
    ("MATERIALIZED VIEW", 'm'),
    ("FOREIGN TABLE", 'f'),
];

/// How new rows are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The whole table on every poll.
    Bulk,
    /// Rows whose strictly increasing column is above the last one seen.
    Incrementing,
    /// Rows whose timestamp is after the last one seen.
    Timestamp,
    /// The timestamp for change detection, the incrementing column for a unique position.
    TimestampIncrementing,
}

impl Mode {
    fn parse(name: &str) -> Option<Mode> {
        match name.to_ascii_lowercase().as_str() {
            "bulk" => Some(Mode::Bulk),
            "incrementing" => Some(Mode::Incrementing),
            "timestamp" => Some(Mode::Timestamp),
            "timestamp+incrementing" => Some(Mode::TimestampIncrementing),
            _ => None,
        }
    }

    /// Whether the mode reads an incrementing column.
    pub fn uses_incrementing(self) -> bool {
        matches!(self, Mode::Incrementing | Mode::TimestampIncrementing)
    }

    /// Whether the mode reads timestamp columns.
    pub fn uses_timestamp(self) -> bool {
        matches!(self, Mode::Timestamp | Mode::TimestampIncrementing)
    }
}

/// Which tables to read when no `query` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableFilter {
    All,
    /// Only these entries (`table` or `schema.table`).
    Include(Vec<String>),
    /// Every table but these entries.
    Exclude(Vec<String>),
}

impl TableFilter {
    /// Whether the filter keeps `table`. An entry without a schema matches that table name in
    /// any schema.
    pub fn keeps(&self, table: &TableId) -> bool {
        let listed = |entries: &[String]| entries.iter().any(|entry| matches(entry, table));
        match self {
            TableFilter::All => true,
            TableFilter::Include(entries) => listed(entries),
            TableFilter::Exclude(entries) => !listed(entries),
        }
    }
}

/// Whether a whitelist or blacklist entry names `table`.
pub fn matches(entry: &str, table: &TableId) -> bool {
    match TableId::parse(entry) {
        Ok(TableId {
            schema: Some(schema),
            table: name,
        }) => table.schema.as_deref() == Some(schema.as_str()) && table.table == name,
        Ok(TableId {
            schema: None,
            table: name,
        }) => table.table == name,
        Err(_) => false,
    }
}

/// What the source reads: discovered tables or one custom query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Tables {
        filter: TableFilter,
        /// `pg_class.relkind` values to list.
        kinds: Vec<char>,
        /// A LIKE pattern on the schema name; `None` = every non-system schema.
        schema_pattern: Option<String>,
    },
    Query(String),
}

/// The validated source settings shared by the connector and its tasks.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub connection: ConnectionConfig,
    pub mode: Mode,
    pub target: Target,
    pub topic_prefix: String,
    pub poll_interval: Duration,
    pub batch_max_rows: usize,
    pub timestamp_delay: Duration,
    /// `None` = detect the table's auto-increment column.
    pub incrementing_column: Option<String>,
    pub timestamp_columns: Vec<String>,
}

/// Every key the source accepts, besides the framework's.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            MODE,
            ConfigType::String,
            Importance::High,
            "How new rows are found: bulk, incrementing, timestamp or timestamp+incrementing.",
        )
        .validate(Validator::OneOf(MODES.iter().map(|m| m.to_string()).collect()))
        .in_group("Mode")
        .optional(
            QUERY,
            ConfigType::String,
            None,
            Importance::Medium,
            "A custom query to run instead of reading tables; the incremental filter is applied around it.",
        )
        .in_group("Database")
        .optional(TABLE_WHITELIST, ConfigType::List, None, Importance::Medium, "Tables to read (table or schema.table); all others are left out.")
        .in_group("Database")
        .optional(TABLE_BLACKLIST, ConfigType::List, None, Importance::Medium, "Tables not to read (table or schema.table).")
        .in_group("Database")
        .optional(TABLE_INCLUDE_LIST, ConfigType::List, None, Importance::Medium, "Alias of table.whitelist.")
        .in_group("Database")
        .optional(TABLE_EXCLUDE_LIST, ConfigType::List, None, Importance::Medium, "Alias of table.blacklist.")
        .in_group("Database")
        .optional(
            TABLE_TYPES,
            ConfigType::List,
            Some("TABLE"),
            Importance::Low,
            "Kinds of relations to read: TABLE, VIEW, PARTITIONED TABLE, MATERIALIZED VIEW, FOREIGN TABLE.",
        )
        .validate(Validator::OneOf(TABLE_TYPE_KINDS.iter().map(|(t, _)| t.to_string()).collect()))
        .in_group("Database")
        .optional(
            SCHEMA_PATTERN,
            ConfigType::String,
            None,
            Importance::Medium,
            "Only tables in schemas matching this LIKE pattern; unset reads every non-system schema.",
        )
        .in_group("Database")
        .required(
            TOPIC_PREFIX,
            ConfigType::String,
            Importance::High,
            "Prefix of the topic names (prefix + table name); with query, the whole topic name.",
        )
        .in_group("Connector")
        .optional(POLL_INTERVAL_MS, ConfigType::Int, Some("5000"), Importance::High, "How often each table is queried for new rows, in milliseconds.")
        .validate(Validator::AtLeast(1))
        .in_group("Connector")
        .optional(BATCH_MAX_ROWS, ConfigType::Int, Some("100"), Importance::Low, "Most rows one query returns.")
        .validate(Validator::AtLeast(1))
        .in_group("Connector")
        .optional(
            TIMESTAMP_DELAY_INTERVAL_MS,
            ConfigType::Long,
            Some("0"),
            Importance::High,
            "How long after its timestamp a row is read, so that slow transactions land first.",
        )
        .validate(Validator::AtLeast(0))
        .in_group("Mode")
        .optional(
            INCREMENTING_COLUMN_NAME,
            ConfigType::String,
            Some(""),
            Importance::Medium,
            "The strictly increasing column; empty detects the auto-increment column.",
        )
        .in_group("Mode")
        .optional(
            TIMESTAMP_COLUMN_NAME,
            ConfigType::List,
            Some(""),
            Importance::Medium,
            "Timestamp columns; several are combined with COALESCE, the first non-null winning.",
        )
        .in_group("Mode")
        .optional(
            VALIDATE_NON_NULL,
            ConfigType::Boolean,
            Some("true"),
            Importance::Low,
            "Accepted for compatibility; nullable columns are read as they are.",
        )
        .in_group("Mode")
        .merge(connection::config_def())
}

impl SourceConfig {
    /// Parses `props`, reporting every problem at once, across keys too.
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let mut issues = IssueCollector::new();
        let Some(parsed) = config_def().parse_collecting(props, &mut issues) else {
            return Err(issues.into_errors());
        };
        let connection = issues.take(ConnectionConfig::from_parsed(&parsed));
        // The validator accepted the name, so this only fails on an unset key.
        let mode = Mode::parse(&parsed.string(MODE)).unwrap_or(Mode::Bulk);
        let target = target(&parsed, &mut issues);
        let incrementing_column = parsed.optional_string(INCREMENTING_COLUMN_NAME);
        let timestamp_columns = parsed.list(TIMESTAMP_COLUMN_NAME);
        if mode.uses_timestamp() && timestamp_columns.is_empty() {
            issues.push(
                TIMESTAMP_COLUMN_NAME,
                format!(
                    "mode {} needs at least one timestamp column",
                    parsed.string(MODE)
                ),
            );
        }
        if mode.uses_incrementing()
            && incrementing_column.is_none()
            && matches!(target, Target::Query(_))
        {
            issues.push(
                INCREMENTING_COLUMN_NAME,
                "with query, the incrementing column cannot be detected: name it",
            );
        }
        let topic_prefix = parsed.string(TOPIC_PREFIX);
        if topic_prefix.is_empty() && matches!(target, Target::Query(_)) {
            issues.push(
                TOPIC_PREFIX,
                "with query, topic.prefix is the topic name and must not be empty",
            );
        }
        let Some(connection) = connection else {
            return Err(collected(issues));
        };
        issues.finish(SourceConfig {
            connection,
            mode,
            target,
            topic_prefix,
            poll_interval: millis(&parsed, POLL_INTERVAL_MS),
            batch_max_rows: usize::try_from(parsed.int(BATCH_MAX_ROWS))
                .unwrap_or(1)
                .max(1),
            timestamp_delay: millis(&parsed, TIMESTAMP_DELAY_INTERVAL_MS),
            incrementing_column,
            timestamp_columns,
        })
    }
}

/// The problems collected so far, which the caller knows are not none.
fn collected(issues: IssueCollector) -> ConfigErrors {
    match issues.finish(()) {
        Err(errors) => errors,
        Ok(()) => ConfigErrors::one(connection::CONNECTION_URL, "invalid connection settings"),
    }
}

/// Tables or query, checking that the two ways of choosing tables are not both used.
fn target(parsed: &ParsedConfig, issues: &mut IssueCollector) -> Target {
    if let Some(query) = parsed.optional_string(QUERY) {
        for key in [
            TABLE_WHITELIST,
            TABLE_BLACKLIST,
            TABLE_INCLUDE_LIST,
            TABLE_EXCLUDE_LIST,
        ] {
            if !parsed.list(key).is_empty() {
                issues.push(key, format!("cannot be combined with {QUERY}"));
            }
        }
        return Target::Query(query);
    }
    let include = list_with_alias(parsed, TABLE_WHITELIST, TABLE_INCLUDE_LIST);
    let exclude = list_with_alias(parsed, TABLE_BLACKLIST, TABLE_EXCLUDE_LIST);
    let filter = match (include, exclude) {
        (Some((include_key, _)), Some((exclude_key, _))) => {
            issues.push(
                exclude_key,
                format!("{include_key} and {exclude_key} are mutually exclusive: set only one"),
            );
            TableFilter::All
        }
        (Some((_, entries)), None) => TableFilter::Include(entries),
        (None, Some((_, entries))) => TableFilter::Exclude(entries),
        (None, None) => TableFilter::All,
    };
    for key in [
        TABLE_WHITELIST,
        TABLE_BLACKLIST,
        TABLE_INCLUDE_LIST,
        TABLE_EXCLUDE_LIST,
    ] {
        for entry in parsed.list(key) {
            if let Err(reason) = TableId::parse(&entry) {
                issues.push(key, reason);
            }
        }
    }
    let kinds: BTreeSet<char> = parsed
        .list(TABLE_TYPES)
        .iter()
        .filter_map(|ty| {
            TABLE_TYPE_KINDS
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(ty))
                .map(|(_, kind)| *kind)
        })
        .collect();
    if kinds.is_empty() {
        issues.push(TABLE_TYPES, "must name at least one table type");
    }
    Target::Tables {
        filter,
        kinds: kinds.into_iter().collect(),
        schema_pattern: parsed.optional_string(SCHEMA_PATTERN),
    }
}

/// The entries of `key` or of its alias, with the key they came from; `None` when both are empty.
fn list_with_alias(
    parsed: &ParsedConfig,
    key: &'static str,
    alias: &'static str,
) -> Option<(&'static str, Vec<String>)> {
    let mut entries = parsed.list(key);
    let mut from = key;
    if entries.is_empty() {
        entries = parsed.list(alias);
        from = alias;
    }
    (!entries.is_empty()).then_some((from, entries))
}

fn millis(parsed: &ParsedConfig, key: &str) -> Duration {
    Duration::from_millis(u64::try_from(parsed.int(key)).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::config::props;

    const URL: (&str, &str) = (
        "connection.url",
        "jdbc:postgresql://localhost:5432/test?user=me",
    );

    fn keys(err: &ConfigErrors) -> Vec<&str> {
        err.issues().iter().map(|i| i.key.as_str()).collect()
    }

    #[test]
    fn defaults_match_confluent() {
        let config =
            SourceConfig::parse(&props(&[URL, (MODE, "bulk"), (TOPIC_PREFIX, "pg-")])).unwrap();
        assert_eq!(config.mode, Mode::Bulk);
        assert_eq!(config.poll_interval, Duration::from_millis(5000));
        assert_eq!(config.batch_max_rows, 100);
        assert_eq!(config.timestamp_delay, Duration::ZERO);
        assert_eq!(config.incrementing_column, None);
        assert_eq!(
            config.target,
            Target::Tables {
                filter: TableFilter::All,
                kinds: vec!['r'],
                schema_pattern: None
            }
        );
    }

    #[test]
    fn mode_and_topic_prefix_are_required() {
        let err = SourceConfig::parse(&props(&[URL])).unwrap_err();
        assert_eq!(keys(&err), [MODE, TOPIC_PREFIX]);
        let err =
            SourceConfig::parse(&props(&[URL, (MODE, "upsert"), (TOPIC_PREFIX, "p")])).unwrap_err();
        assert!(
            err.to_string().contains("mode: invalid value 'upsert'"),
            "{err}"
        );
    }

    #[test]
    fn every_cross_key_problem_is_reported_at_once() {
        let err = SourceConfig::parse(&props(&[
            URL,
            (MODE, "timestamp+incrementing"),
            (TOPIC_PREFIX, "p"),
            (TABLE_WHITELIST, "a"),
            (TABLE_BLACKLIST, "b"),
        ]))
        .unwrap_err();
        assert_eq!(keys(&err), [TABLE_BLACKLIST, TIMESTAMP_COLUMN_NAME]);
        assert!(err.to_string().contains("mutually exclusive"), "{err}");
    }

    #[test]
    fn newer_list_names_are_aliases() {
        let config = SourceConfig::parse(&props(&[
            URL,
            (MODE, "incrementing"),
            (TOPIC_PREFIX, "p"),
            (TABLE_INCLUDE_LIST, "public.a, b"),
            (TABLE_TYPES, "table,view"),
        ]))
        .unwrap();
        let Target::Tables { filter, kinds, .. } = config.target else {
            panic!("tables expected");
        };
        assert_eq!(
            filter,
            TableFilter::Include(vec!["public.a".into(), "b".into()])
        );
        assert_eq!(kinds, ['r', 'v']);
        let err = SourceConfig::parse(&props(&[
            URL,
            (MODE, "bulk"),
            (TOPIC_PREFIX, "p"),
            (TABLE_WHITELIST, "a"),
            (TABLE_EXCLUDE_LIST, "b"),
        ]))
        .unwrap_err();
        assert_eq!(keys(&err), [TABLE_EXCLUDE_LIST]);
    }

    #[test]
    fn query_needs_a_named_incrementing_column_and_a_topic() {
        let err = SourceConfig::parse(&props(&[
            URL,
            (MODE, "incrementing"),
            (TOPIC_PREFIX, ""),
            (QUERY, "SELECT * FROM t"),
            (TABLE_WHITELIST, "t"),
        ]))
        .unwrap_err();
        assert_eq!(
            keys(&err),
            [TABLE_WHITELIST, INCREMENTING_COLUMN_NAME, TOPIC_PREFIX]
        );
        let config = SourceConfig::parse(&props(&[
            URL,
            (MODE, "timestamp"),
            (TOPIC_PREFIX, "events"),
            (QUERY, "SELECT * FROM t"),
            (TIMESTAMP_COLUMN_NAME, "modified, created"),
        ]))
        .unwrap();
        assert_eq!(config.target, Target::Query("SELECT * FROM t".into()));
        assert_eq!(config.timestamp_columns, ["modified", "created"]);
    }

    #[test]
    fn connection_problems_join_the_others() {
        let err = SourceConfig::parse(&props(&[
            ("connection.url", "jdbc:mysql://h/db"),
            (MODE, "timestamp"),
            (TOPIC_PREFIX, "p"),
        ]))
        .unwrap_err();
        assert_eq!(keys(&err), ["connection.url", TIMESTAMP_COLUMN_NAME]);
    }

    #[test]
    fn filter_entries_match_bare_or_qualified_names() {
        let table = TableId::parse("sales.orders").unwrap();
        assert!(matches("orders", &table));
        assert!(matches("sales.orders", &table));
        assert!(!matches("public.orders", &table));
        assert!(!matches("order", &table));
    }
}
