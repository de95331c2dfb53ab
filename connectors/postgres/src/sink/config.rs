//! Settings of the PostgreSQL sink, with the Confluent JDBC sink's key names and defaults.

use std::time::Duration;

use sluice_api::config::{ConfigDef, ConfigType, Importance, IssueCollector, Validator};
use sluice_api::{ConfigErrors, Props};

use crate::connection::{self, ConnectionConfig};

pub const INSERT_MODE: &str = "insert.mode";
pub const PK_MODE: &str = "pk.mode";
pub const PK_FIELDS: &str = "pk.fields";
pub const FIELDS_WHITELIST: &str = "fields.whitelist";
pub const AUTO_CREATE: &str = "auto.create";
pub const AUTO_EVOLVE: &str = "auto.evolve";
pub const DELETE_ENABLED: &str = "delete.enabled";
pub const TABLE_NAME_FORMAT: &str = "table.name.format";
pub const BATCH_SIZE: &str = "batch.size";
pub const MAX_RETRIES: &str = "max.retries";
pub const RETRY_BACKOFF_MS: &str = "retry.backoff.ms";

/// How records become rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertMode {
    /// Plain INSERT (COPY): a row whose key exists already fails.
    Insert,
    /// INSERT … ON CONFLICT DO UPDATE: replays are harmless.
    Upsert,
    /// UPDATE of existing rows only.
    Update,
}

/// Where the primary key columns come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkMode {
    None,
    /// `__connect_topic`, `__connect_partition`, `__connect_offset` (or the three `pk.fields`).
    Kafka,
    RecordKey,
    RecordValue,
}

/// Keys of the sink (`topics` belongs to the framework).
pub fn config_def() -> ConfigDef {
    connection::config_def()
        .optional(
            INSERT_MODE,
            ConfigType::String,
            Some("insert"),
            Importance::High,
            "insert, upsert (INSERT … ON CONFLICT DO UPDATE) or update.",
        )
        .validate(one_of(&["insert", "upsert", "update"]))
        .in_group("Writes")
        .optional(
            BATCH_SIZE,
            ConfigType::Int,
            Some("3000"),
            Importance::Medium,
            "Rows written per statement; larger put batches are split into batches of this size.",
        )
        .validate(Validator::AtLeast(1))
        .in_group("Writes")
        .optional(
            DELETE_ENABLED,
            ConfigType::Boolean,
            Some("false"),
            Importance::Medium,
            "Whether a null record value (tombstone) deletes the row with the record's key. Requires pk.mode=record_key.",
        )
        .in_group("Writes")
        .optional(
            TABLE_NAME_FORMAT,
            ConfigType::String,
            Some("${topic}"),
            Importance::Medium,
            "Destination table name; ${topic} is replaced by the record's topic. May be schema-qualified.",
        )
        .validate(Validator::NonEmpty)
        .in_group("Data Mapping")
        .optional(
            PK_MODE,
            ConfigType::String,
            Some("none"),
            Importance::High,
            "none, kafka, record_key or record_value.",
        )
        .validate(one_of(&["none", "kafka", "record_key", "record_value"]))
        .in_group("Data Mapping")
        .optional(
            PK_FIELDS,
            ConfigType::List,
            Some(""),
            Importance::Medium,
            "Primary key column names; empty means all key fields (record_key) or all value fields (record_value).",
        )
        .in_group("Data Mapping")
        .optional(
            FIELDS_WHITELIST,
            ConfigType::List,
            Some(""),
            Importance::Medium,
            "Value fields to write; empty means all.",
        )
        .in_group("Data Mapping")
        .optional(
            AUTO_CREATE,
            ConfigType::Boolean,
            Some("false"),
            Importance::Medium,
            "Create a missing destination table from the record schema.",
        )
        .in_group("DDL Support")
        .optional(
            AUTO_EVOLVE,
            ConfigType::Boolean,
            Some("false"),
            Importance::Medium,
            "Add missing columns (nullable) when records carry new fields.",
        )
        .in_group("DDL Support")
        .optional(
            MAX_RETRIES,
            ConfigType::Int,
            Some("10"),
            Importance::Medium,
            "Retries of a batch on a transient failure (lost connection, serialization failure, deadlock) before the error goes to the task's retry policy.",
        )
        .validate(Validator::AtLeast(0))
        .in_group("Retries")
        .optional(
            RETRY_BACKOFF_MS,
            ConfigType::Int,
            Some("3000"),
            Importance::Medium,
            "Wait before each retry, in milliseconds.",
        )
        .validate(Validator::AtLeast(0))
        .in_group("Retries")
}

fn one_of(values: &[&str]) -> Validator {
    Validator::OneOf(values.iter().map(|v| v.to_string()).collect())
}

/// The validated sink settings.
#[derive(Debug, Clone)]
pub struct SinkConfig {
    pub connection: ConnectionConfig,
    pub insert_mode: InsertMode,
    pub pk_mode: PkMode,
    pub pk_fields: Vec<String>,
    pub fields_whitelist: Vec<String>,
    pub auto_create: bool,
    pub auto_evolve: bool,
    pub delete_enabled: bool,
    pub table_name_format: String,
    pub batch_size: usize,
    pub max_retries: u32,
    pub retry_backoff: Duration,
}

impl SinkConfig {
    /// Parses `props`, reporting every problem at once.
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let mut issues = IssueCollector::new();
        let Some(parsed) = config_def().parse_collecting(props, &mut issues) else {
            return Err(issues.into_errors());
        };
        let connection = issues.take(ConnectionConfig::from_parsed(&parsed));
        let insert_mode = match parsed.string(INSERT_MODE).to_ascii_lowercase().as_str() {
            "upsert" => InsertMode::Upsert,
            "update" => InsertMode::Update,
            _ => InsertMode::Insert,
        };
        let pk_mode = match parsed.string(PK_MODE).to_ascii_lowercase().as_str() {
            "kafka" => PkMode::Kafka,
            "record_key" => PkMode::RecordKey,
            "record_value" => PkMode::RecordValue,
            _ => PkMode::None,
        };
        let pk_fields = parsed.list(PK_FIELDS);
        let delete_enabled = parsed.bool(DELETE_ENABLED);
        if insert_mode != InsertMode::Insert && pk_mode == PkMode::None {
            issues.push(
                PK_MODE,
                format!(
                    "insert.mode={} needs a primary key to match rows: set pk.mode to kafka, record_key or record_value",
                    parsed.string(INSERT_MODE).to_ascii_lowercase()
                ),
            );
        }
        if delete_enabled && pk_mode != PkMode::RecordKey {
            issues.push(
                DELETE_ENABLED,
                "delete.enabled=true requires pk.mode=record_key (a tombstone carries only its key)",
            );
        }
        if pk_mode == PkMode::Kafka && !pk_fields.is_empty() && pk_fields.len() != 3 {
            issues.push(
                PK_FIELDS,
                format!(
                    "pk.mode=kafka takes exactly three names (topic, partition and offset columns), got {}",
                    pk_fields.len()
                ),
            );
        }
        if pk_mode == PkMode::None && !pk_fields.is_empty() {
            issues.push(PK_FIELDS, "pk.fields is set but pk.mode is none");
        }
        let table_name_format = parsed.string(TABLE_NAME_FORMAT);
        let sample = table_name_format.replace("${topic}", "topic");
        if let Err(reason) = crate::ident::TableId::parse(&sample) {
            issues.push(TABLE_NAME_FORMAT, reason);
        }
        issues.finish(())?;
        // A failed connection parse was collected above, so this only guards the invariant.
        let connection = connection.ok_or_else(|| {
            ConfigErrors::one(connection::CONNECTION_URL, "invalid connection settings")
        })?;
        Ok(SinkConfig {
            connection,
            insert_mode,
            pk_mode,
            pk_fields,
            fields_whitelist: parsed.list(FIELDS_WHITELIST),
            auto_create: parsed.bool(AUTO_CREATE),
            auto_evolve: parsed.bool(AUTO_EVOLVE),
            delete_enabled,
            table_name_format,
            batch_size: usize::try_from(parsed.int(BATCH_SIZE)).unwrap_or(1).max(1),
            max_retries: u32::try_from(parsed.int(MAX_RETRIES)).unwrap_or(0),
            retry_backoff: Duration::from_millis(
                u64::try_from(parsed.int(RETRY_BACKOFF_MS)).unwrap_or(0),
            ),
        })
    }

    /// The destination table of a topic.
    pub fn table_name(&self, topic: &str) -> String {
        self.table_name_format.replace("${topic}", topic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::config::props;

    const URL: (&str, &str) = (
        "connection.url",
        "jdbc:postgresql://localhost:5432/test?user=postgres",
    );

    fn keys(err: &ConfigErrors) -> Vec<&str> {
        err.issues().iter().map(|i| i.key.as_str()).collect()
    }

    #[test]
    fn defaults_match_the_jdbc_sink() {
        let config = SinkConfig::parse(&props(&[URL])).unwrap();
        assert_eq!(config.insert_mode, InsertMode::Insert);
        assert_eq!(config.pk_mode, PkMode::None);
        assert_eq!(config.batch_size, 3000);
        assert_eq!(config.max_retries, 10);
        assert_eq!(config.retry_backoff, Duration::from_millis(3000));
        assert_eq!(config.table_name("orders"), "orders");
        assert!(!config.auto_create && !config.auto_evolve && !config.delete_enabled);
    }

    #[test]
    fn inconsistent_settings_are_all_reported() {
        let err = SinkConfig::parse(&props(&[
            ("insert.mode", "upsert"),
            ("delete.enabled", "true"),
            ("pk.fields", "id"),
            ("table.name.format", "a..${topic}"),
        ]))
        .unwrap_err();
        assert_eq!(keys(&err), ["connection.url"]);
        let err = SinkConfig::parse(&props(&[
            URL,
            ("insert.mode", "upsert"),
            ("delete.enabled", "true"),
            ("pk.fields", "id"),
            ("table.name.format", "a..${topic}"),
        ]))
        .unwrap_err();
        assert_eq!(
            keys(&err),
            [PK_MODE, DELETE_ENABLED, PK_FIELDS, TABLE_NAME_FORMAT],
            "{err}"
        );
    }

    #[test]
    fn bad_values_do_not_hide_problems_between_keys() {
        let err = SinkConfig::parse(&props(&[
            URL,
            ("insert.mode", "upsert"),
            ("batch.size", "0"),
        ]))
        .unwrap_err();
        assert_eq!(keys(&err), [BATCH_SIZE, PK_MODE], "{err}");
    }

    #[test]
    fn kafka_pk_mode_takes_three_names() {
        let err = SinkConfig::parse(&props(&[URL, ("pk.mode", "kafka"), ("pk.fields", "a,b")]))
            .unwrap_err();
        assert_eq!(keys(&err), [PK_FIELDS]);
        let ok = SinkConfig::parse(&props(&[URL, ("pk.mode", "kafka"), ("pk.fields", "t,p,o")]));
        assert!(ok.is_ok());
    }

    #[test]
    fn unknown_modes_name_the_key() {
        let err = SinkConfig::parse(&props(&[URL, ("insert.mode", "merge")])).unwrap_err();
        assert_eq!(keys(&err), [INSERT_MODE]);
    }
}
