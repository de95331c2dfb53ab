//! Settings of the change-data-capture source, with Debezium's key names and defaults.

use std::time::Duration;

use regex::Regex;
use sluice_api::config::{IssueCollector, ParsedConfig, Validator};
use sluice_api::{ConfigDef, ConfigErrors, ConfigType, Importance, Props};

use crate::connection::parse_url;

pub const HOSTNAME: &str = "database.hostname";
pub const PORT: &str = "database.port";
pub const USER: &str = "database.user";
pub const PASSWORD: &str = "database.password";
pub const DBNAME: &str = "database.dbname";
pub const CONNECTION_URL: &str = "connection.url";
pub const TOPIC_PREFIX: &str = "topic.prefix";
pub const PLUGIN_NAME: &str = "plugin.name";
pub const SLOT_NAME: &str = "slot.name";
pub const SLOT_DROP_ON_STOP: &str = "slot.drop.on.stop";
pub const PUBLICATION_NAME: &str = "publication.name";
pub const PUBLICATION_AUTOCREATE_MODE: &str = "publication.autocreate.mode";
pub const TABLE_INCLUDE_LIST: &str = "table.include.list";
pub const TABLE_EXCLUDE_LIST: &str = "table.exclude.list";
pub const SNAPSHOT_MODE: &str = "snapshot.mode";
pub const SNAPSHOT_FETCH_SIZE: &str = "snapshot.fetch.size";
pub const TOMBSTONES_ON_DELETE: &str = "tombstones.on.delete";
pub const SKIPPED_OPERATIONS: &str = "skipped.operations";
pub const UNAVAILABLE_VALUE_PLACEHOLDER: &str = "unavailable.value.placeholder";
pub const HEARTBEAT_INTERVAL_MS: &str = "heartbeat.interval.ms";
pub const HEARTBEAT_TOPICS_PREFIX: &str = "topic.heartbeat.prefix";
pub const STATUS_UPDATE_INTERVAL_MS: &str = "status.update.interval.ms";
pub const MAX_BATCH_SIZE: &str = "max.batch.size";
pub const POLL_INTERVAL_MS: &str = "poll.interval.ms";
/// Debezium options whose other values Sluice does not implement: only the default is accepted,
/// so a config relying on another value fails loudly instead of producing different events.
const FIXED_OPTIONS: &[(&str, &str)] = &[
    ("decimal.handling.mode", "precise"),
    ("time.precision.mode", "adaptive"),
    ("binary.handling.mode", "bytes"),
    ("provide.transaction.metadata", "false"),
];

/// When existing rows are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMode {
    /// When no offset is stored (or the stored snapshot did not finish), then stream.
    Initial,
    /// On every start, then stream.
    Always,
    /// As `Initial`, but stop reading after the snapshot.
    InitialOnly,
    /// Never; stream from the stored LSN or the slot's start.
    NoData,
    /// As `Initial`, and also when the stored position is no longer in the slot.
    WhenNeeded,
}

impl SnapshotMode {
    fn parse(name: &str) -> Option<SnapshotMode> {
        Some(match name.to_ascii_lowercase().as_str() {
            "initial" => SnapshotMode::Initial,
            "always" => SnapshotMode::Always,
            "initial_only" => SnapshotMode::InitialOnly,
            "no_data" | "never" => SnapshotMode::NoData,
            "when_needed" => SnapshotMode::WhenNeeded,
            _ => return None,
        })
    }
}

/// How the publication is managed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicationMode {
    /// Created `FOR ALL TABLES` when missing.
    AllTables,
    /// Created or altered to hold exactly the captured tables.
    Filtered,
    /// Must exist already.
    Disabled,
}

/// Change kinds that can be left out (`skipped.operations`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SkippedOperations {
    pub create: bool,
    pub update: bool,
    pub delete: bool,
    pub truncate: bool,
}

/// Which tables are captured: `schema.table` matched in full against the regular expressions.
#[derive(Debug, Clone)]
pub struct TableFilter {
    include: Vec<Regex>,
    exclude: Vec<Regex>,
}

impl TableFilter {
    /// Whether `schema.table` is captured.
    pub fn keeps(&self, schema: &str, table: &str) -> bool {
        let name = format!("{schema}.{table}");
        let hit = |patterns: &[Regex]| patterns.iter().any(|p| p.is_match(&name));
        if !self.include.is_empty() {
            return hit(&self.include);
        }
        !hit(&self.exclude) && !is_system_schema(schema)
    }
}

/// Schemas Debezium never captures.
fn is_system_schema(schema: &str) -> bool {
    schema == "pg_catalog" || schema == "information_schema" || schema.starts_with("pg_")
}

/// The validated settings.
#[derive(Debug, Clone)]
pub struct CdcConfig {
    pub pg: tokio_postgres::Config,
    /// `database.dbname` (or the URL's database), as events name it in `source.db`.
    pub dbname: String,
    pub topic_prefix: String,
    pub slot_name: String,
    pub slot_drop_on_stop: bool,
    pub publication_name: String,
    pub publication_mode: PublicationMode,
    pub tables: TableFilter,
    pub snapshot_mode: SnapshotMode,
    pub snapshot_fetch_size: usize,
    pub tombstones_on_delete: bool,
    pub skipped: SkippedOperations,
    pub unavailable_placeholder: String,
    /// `None` when heartbeats are off.
    pub heartbeat_interval: Option<Duration>,
    pub heartbeat_topic: String,
    pub status_update_interval: Duration,
    pub max_batch_size: usize,
    pub poll_interval: Duration,
}

/// Every key the source accepts, besides the framework's.
pub fn config_def() -> ConfigDef {
    let mut def = ConfigDef::new()
        .optional(HOSTNAME, ConfigType::String, None, Importance::High, "PostgreSQL host name or address.")
        .in_group("Connection")
        .optional(PORT, ConfigType::Int, Some("5432"), Importance::High, "PostgreSQL port.")
        .validate(Validator::Between(1, 65535))
        .in_group("Connection")
        .optional(USER, ConfigType::String, None, Importance::High, "PostgreSQL user; needs the REPLICATION attribute (and ownership of the tables for publication management).")
        .in_group("Connection")
        .optional(PASSWORD, ConfigType::Password, None, Importance::High, "Password of database.user.")
        .in_group("Connection")
        .optional(DBNAME, ConfigType::String, None, Importance::High, "The database to capture.")
        .in_group("Connection")
        .optional(
            CONNECTION_URL,
            ConfigType::String,
            None,
            Importance::Medium,
            "Alternative to the database.* keys: jdbc:postgresql://host:port/db?user=… or postgres://user@host:port/db.",
        )
        .in_group("Connection")
        .required(TOPIC_PREFIX, ConfigType::String, Importance::High, "Names this server in topics (<prefix>.<schema>.<table>), source.name and the offsets' partition.")
        .validate(Validator::Custom(check_topic_prefix))
        .in_group("Connector")
        .optional(PLUGIN_NAME, ConfigType::String, Some("pgoutput"), Importance::Medium, "Logical decoding plugin; only pgoutput, which ships with PostgreSQL 10+, is supported.")
        .validate(Validator::OneOf(vec!["pgoutput".into()]))
        .in_group("Replication")
        .optional(SLOT_NAME, ConfigType::String, Some("debezium"), Importance::Medium, "Logical replication slot the changes are read from.")
        .validate(Validator::Custom(check_slot_name))
        .in_group("Replication")
        .optional(SLOT_DROP_ON_STOP, ConfigType::Boolean, Some("false"), Importance::Low, "Drop the slot when the task stops (for tests; the next start cannot resume).")
        .in_group("Replication")
        .optional(PUBLICATION_NAME, ConfigType::String, Some("dbz_publication"), Importance::Medium, "Publication that selects the tables pgoutput sends.")
        .validate(Validator::NonEmpty)
        .in_group("Replication")
        .optional(PUBLICATION_AUTOCREATE_MODE, ConfigType::String, Some("all_tables"), Importance::Medium, "all_tables: create FOR ALL TABLES when missing; filtered: create or set it to the captured tables; disabled: it must exist.")
        .validate(Validator::OneOf(vec!["all_tables".into(), "filtered".into(), "disabled".into()]))
        .in_group("Replication")
        .optional(TABLE_INCLUDE_LIST, ConfigType::List, None, Importance::High, "Regular expressions matching schema.table of the tables to capture; all others are left out.")
        .in_group("Filters")
        .optional(TABLE_EXCLUDE_LIST, ConfigType::List, None, Importance::High, "Regular expressions matching schema.table of tables not to capture.")
        .in_group("Filters")
        .optional(SNAPSHOT_MODE, ConfigType::String, Some("initial"), Importance::High, "initial, always, initial_only, no_data (alias never) or when_needed.")
        .validate(Validator::OneOf(["initial", "always", "initial_only", "no_data", "never", "when_needed"].iter().map(|s| s.to_string()).collect()))
        .in_group("Snapshot")
        .optional(SNAPSHOT_FETCH_SIZE, ConfigType::Int, Some("10240"), Importance::Low, "Rows fetched per round trip while snapshotting.")
        .validate(Validator::AtLeast(1))
        .in_group("Snapshot")
        .optional(TOMBSTONES_ON_DELETE, ConfigType::Boolean, Some("true"), Importance::Medium, "Follow each delete event with a tombstone (same key, null value) for log compaction.")
        .in_group("Events")
        .optional(SKIPPED_OPERATIONS, ConfigType::List, Some("t"), Importance::Low, "Operations not emitted: c, u, d, t, or none.")
        .validate(Validator::OneOf(["c", "u", "d", "t", "none"].iter().map(|s| s.to_string()).collect()))
        .in_group("Events")
        .optional(UNAVAILABLE_VALUE_PLACEHOLDER, ConfigType::String, Some(crate::cdc::types::UNAVAILABLE_VALUE_PLACEHOLDER), Importance::Low, "Stands for TOASTed values that did not change and were not sent.")
        .in_group("Events")
        .optional(HEARTBEAT_INTERVAL_MS, ConfigType::Int, Some("0"), Importance::Medium, "How often a heartbeat record is emitted, which also lets the slot confirm WAL of idle databases; 0 turns heartbeats off.")
        .validate(Validator::AtLeast(0))
        .in_group("Replication")
        .optional(HEARTBEAT_TOPICS_PREFIX, ConfigType::String, Some("__debezium-heartbeat"), Importance::Low, "Heartbeats go to <prefix>.<topic.prefix>.")
        .validate(Validator::NonEmpty)
        .in_group("Replication")
        .optional(STATUS_UPDATE_INTERVAL_MS, ConfigType::Int, Some("10000"), Importance::Low, "How often the flushed position is reported to PostgreSQL, in milliseconds.")
        .validate(Validator::AtLeast(1))
        .in_group("Replication")
        .optional(MAX_BATCH_SIZE, ConfigType::Int, Some("2048"), Importance::Low, "Most events one poll returns.")
        .validate(Validator::AtLeast(1))
        .in_group("Connector")
        .optional(POLL_INTERVAL_MS, ConfigType::Int, Some("500"), Importance::Low, "How long a poll waits for new events, in milliseconds.")
        .validate(Validator::AtLeast(1))
        .in_group("Connector");
    for (key, only) in FIXED_OPTIONS {
        def = def
            .optional(
                key,
                ConfigType::String,
                Some(only),
                Importance::Low,
                &format!("Only '{only}' is supported."),
            )
            .validate(Validator::OneOf(vec![only.to_string()]))
            .in_group("Events");
    }
    def
}

fn check_topic_prefix(value: &sluice_api::config::ConfigValue) -> Result<(), String> {
    match value {
        sluice_api::config::ConfigValue::String(s)
            if s.is_empty()
                || !s
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) =>
        {
            Err("must be a non-empty topic name part (letters, digits, '.', '_', '-')".into())
        }
        _ => Ok(()),
    }
}

fn check_slot_name(value: &sluice_api::config::ConfigValue) -> Result<(), String> {
    match value {
        sluice_api::config::ConfigValue::String(s)
            if s.is_empty()
                || s.len() > 63
                || !s
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') =>
        {
            Err("slot names are 1-63 lower-case letters, digits and underscores".into())
        }
        _ => Ok(()),
    }
}

impl CdcConfig {
    /// Parses `props`, reporting every problem at once.
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let mut issues = IssueCollector::new();
        let Some(parsed) = config_def().parse_collecting(props, &mut issues) else {
            return Err(issues.into_errors());
        };
        let pg = connection(&parsed, &mut issues);
        let tables = TableFilter {
            include: patterns(&parsed, TABLE_INCLUDE_LIST, &mut issues),
            exclude: patterns(&parsed, TABLE_EXCLUDE_LIST, &mut issues),
        };
        if !parsed.list(TABLE_INCLUDE_LIST).is_empty()
            && !parsed.list(TABLE_EXCLUDE_LIST).is_empty()
        {
            issues.push(
                TABLE_EXCLUDE_LIST,
                format!("{TABLE_INCLUDE_LIST} and {TABLE_EXCLUDE_LIST} are mutually exclusive: set only one"),
            );
        }
        let skipped_list = parsed.list(SKIPPED_OPERATIONS);
        if skipped_list.len() > 1 && skipped_list.iter().any(|s| s == "none") {
            issues.push(
                SKIPPED_OPERATIONS,
                "'none' cannot be combined with operations",
            );
        }
        let has = |op: &str| skipped_list.iter().any(|s| s.eq_ignore_ascii_case(op));
        let skipped = SkippedOperations {
            create: has("c"),
            update: has("u"),
            delete: has("d"),
            truncate: has("t"),
        };
        let publication_mode = match parsed
            .string(PUBLICATION_AUTOCREATE_MODE)
            .to_ascii_lowercase()
            .as_str()
        {
            "filtered" => PublicationMode::Filtered,
            "disabled" => PublicationMode::Disabled,
            _ => PublicationMode::AllTables,
        };
        let topic_prefix = parsed.string(TOPIC_PREFIX);
        let heartbeat_ms = parsed.int(HEARTBEAT_INTERVAL_MS);
        let Some((pg, dbname)) = pg else {
            return Err(issues.into_errors());
        };
        issues.finish(CdcConfig {
            pg,
            dbname,
            heartbeat_topic: format!("{}.{topic_prefix}", parsed.string(HEARTBEAT_TOPICS_PREFIX)),
            topic_prefix,
            slot_name: parsed.string(SLOT_NAME),
            slot_drop_on_stop: parsed.bool(SLOT_DROP_ON_STOP),
            publication_name: parsed.string(PUBLICATION_NAME),
            publication_mode,
            tables,
            snapshot_mode: SnapshotMode::parse(&parsed.string(SNAPSHOT_MODE))
                .unwrap_or(SnapshotMode::Initial),
            snapshot_fetch_size: count(&parsed, SNAPSHOT_FETCH_SIZE),
            tombstones_on_delete: parsed.bool(TOMBSTONES_ON_DELETE),
            skipped,
            unavailable_placeholder: parsed.string(UNAVAILABLE_VALUE_PLACEHOLDER),
            heartbeat_interval: (heartbeat_ms > 0)
                .then(|| Duration::from_millis(heartbeat_ms.unsigned_abs())),
            status_update_interval: millis(&parsed, STATUS_UPDATE_INTERVAL_MS),
            max_batch_size: count(&parsed, MAX_BATCH_SIZE),
            poll_interval: millis(&parsed, POLL_INTERVAL_MS),
        })
    }
}

/// The connection from `connection.url` or from the `database.*` keys, and the database name.
fn connection(
    parsed: &ParsedConfig,
    issues: &mut IssueCollector,
) -> Option<(tokio_postgres::Config, String)> {
    let mut pg = match parsed.optional_string(CONNECTION_URL) {
        Some(url) => {
            if parsed.optional_string(HOSTNAME).is_some() {
                issues.push(
                    HOSTNAME,
                    format!("cannot be combined with {CONNECTION_URL}"),
                );
            }
            match parse_url(&url) {
                Ok(pg) => pg,
                Err(reason) => {
                    issues.push(CONNECTION_URL, reason);
                    return None;
                }
            }
        }
        None => {
            let Some(host) = parsed.optional_string(HOSTNAME) else {
                issues.push(HOSTNAME, format!("required (or set {CONNECTION_URL})"));
                return None;
            };
            let mut pg = tokio_postgres::Config::new();
            pg.host(&host);
            pg.port(u16::try_from(parsed.int(PORT)).unwrap_or(5432));
            pg
        }
    };
    if let Some(db) = parsed.optional_string(DBNAME) {
        pg.dbname(&db);
    }
    if let Some(user) = parsed.optional_string(USER) {
        pg.user(&user);
    }
    if let Some(password) = parsed.optional_string(PASSWORD) {
        pg.password(password);
    }
    let Some(dbname) = pg.get_dbname().map(str::to_string) else {
        issues.push(DBNAME, "required: the database to capture");
        return None;
    };
    if pg.get_user().is_none() {
        issues.push(USER, "required: a user with the REPLICATION attribute");
        return None;
    }
    Some((pg, dbname))
}

fn patterns(parsed: &ParsedConfig, key: &str, issues: &mut IssueCollector) -> Vec<Regex> {
    parsed
        .list(key)
        .into_iter()
        .filter_map(|p| match Regex::new(&format!("^(?:{p})$")) {
            Ok(regex) => Some(regex),
            Err(e) => {
                issues.push(key, format!("'{p}' is not a regular expression: {e}"));
                None
            }
        })
        .collect()
}

fn count(parsed: &ParsedConfig, key: &str) -> usize {
    usize::try_from(parsed.int(key)).unwrap_or(1).max(1)
}

fn millis(parsed: &ParsedConfig, key: &str) -> Duration {
    Duration::from_millis(u64::try_from(parsed.int(key)).unwrap_or(0))
}

#[cfg(test)]
mod tests;
