//! Debezium change events: the envelope (`before`, `after`, `source`, `transaction`, `op`,
//! `ts_ms`/`ts_us`/`ts_ns`), its `source` block, tombstones and heartbeats, with the Connect
//! schemas Debezium gives them so that a schema-enabled JsonConverter writes the same JSON.

use std::sync::{Arc, LazyLock};

use sluice_api::{Field, Header, Record, Schema, SchemaRef, Struct, Value};

use super::lsn::Lsn;
use super::table::TableSchema;

/// The `connector` field of `source`.
pub const CONNECTOR: &str = "postgresql";
/// The `version` field of `source`.
pub const VERSION: &str = concat!("sluice-", env!("CARGO_PKG_VERSION"));

/// The change kinds, with Debezium's codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Create,
    Update,
    Delete,
    Read,
    Truncate,
}

impl Op {
    pub fn code(self) -> &'static str {
        match self {
            Op::Create => "c",
            Op::Update => "u",
            Op::Delete => "d",
            Op::Read => "r",
            Op::Truncate => "t",
        }
    }
}

/// Where an event comes from, for its `source` block.
#[derive(Debug, Clone, Copy)]
pub struct SourceInfo {
    /// `"true"`, `"last"` during a snapshot, `"false"` when streaming.
    pub snapshot: &'static str,
    /// Commit time of the transaction (snapshot: its start), microseconds since the epoch.
    pub ts_micros: i64,
    pub tx_id: Option<u32>,
    pub lsn: Lsn,
    /// The last commit before this event, for `sequence`.
    pub last_commit: Option<Lsn>,
}

/// What every event of one connector shares.
#[derive(Debug, Clone)]
pub struct EventContext {
    /// `topic.prefix`, also `source.name`.
    pub name: String,
    pub db: String,
}

static SNAPSHOT_ENUM: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(
        Schema::string()
            .optional()
            .named("io.debezium.data.Enum")
            .with_version(1)
            .with_parameter("allowed", "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental")
            .with_default(Value::String("false".into())),
    )
});

static SOURCE_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let optional_int64 = || Schema::int64().optional();
    Arc::new(
        Schema::structure(vec![
            Field::new("version", Schema::string()),
            Field::new("connector", Schema::string()),
            Field::new("name", Schema::string()),
            Field::new("ts_ms", Schema::int64()),
            Field::new("snapshot", SNAPSHOT_ENUM.clone()),
            Field::new("db", Schema::string()),
            Field::new("sequence", Schema::string().optional()),
            Field::new("ts_us", optional_int64()),
            Field::new("ts_ns", optional_int64()),
            Field::new("schema", Schema::string()),
            Field::new("table", Schema::string()),
            Field::new("txId", optional_int64()),
            Field::new("lsn", optional_int64()),
            Field::new("xmin", optional_int64()),
        ])
        .named("io.debezium.connector.postgresql.Source"),
    )
});

static TRANSACTION_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(
        Schema::structure(vec![
            Field::new("id", Schema::string()),
            Field::new("total_order", Schema::int64()),
            Field::new("data_collection_order", Schema::int64()),
        ])
        .optional()
        .named("event.block")
        .with_version(1),
    )
});

static HEARTBEAT_KEY_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(
        Schema::structure(vec![Field::new("serverName", Schema::string())])
            .named("io.debezium.connector.common.ServerNameKey"),
    )
});

static HEARTBEAT_VALUE_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(
        Schema::structure(vec![Field::new("ts_ms", Schema::int64())])
            .named("io.debezium.connector.common.Heartbeat"),
    )
});

/// `<topic>.Key`, the name of a table's key schema.
pub fn key_schema_name(topic: &str) -> String {
    format!("{topic}.Key")
}

/// The envelope schema of a table whose rows have `row` as schema.
pub fn envelope_schema(topic: &str, row: &SchemaRef) -> Schema {
    Schema::structure(vec![
        Field::new("before", row.clone()),
        Field::new("after", row.clone()),
        Field::new("source", SOURCE_SCHEMA.clone()),
        Field::new("transaction", TRANSACTION_SCHEMA.clone()),
        Field::new("op", Schema::string()),
        Field::new("ts_ms", Schema::int64().optional()),
        Field::new("ts_us", Schema::int64().optional()),
        Field::new("ts_ns", Schema::int64().optional()),
    ])
    .named(format!("{topic}.Envelope"))
    .with_version(2)
}

/// Microseconds since the epoch, now.
pub fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl EventContext {
    fn source(&self, table: &TableSchema, info: &SourceInfo) -> Value {
        let sequence = serde_json::json!([
            info.last_commit.map(|l| l.0.to_string()),
            info.lsn.0.to_string()
        ])
        .to_string();
        Value::Struct(
            Struct::new()
                .with("version", Value::String(VERSION.into()))
                .with("connector", Value::String(CONNECTOR.into()))
                .with("name", Value::String(self.name.clone()))
                .with("ts_ms", Value::Int64(info.ts_micros.div_euclid(1000)))
                .with("snapshot", Value::String(info.snapshot.into()))
                .with("db", Value::String(self.db.clone()))
                .with("sequence", Value::String(sequence))
                .with("ts_us", Value::Int64(info.ts_micros))
                .with("ts_ns", Value::Int64(info.ts_micros.saturating_mul(1000)))
                .with("schema", Value::String(table.schema.clone()))
                .with("table", Value::String(table.table.clone()))
                .with(
                    "txId",
                    info.tx_id
                        .map_or(Value::Null, |x| Value::Int64(i64::from(x))),
                )
                .with(
                    "lsn",
                    Value::Int64(i64::try_from(info.lsn.0).unwrap_or(i64::MAX)),
                )
                .with("xmin", Value::Null),
        )
    }

    /// One change event on the table's topic.
    pub fn change(
        &self,
        table: &TableSchema,
        op: Op,
        before: Option<Struct>,
        after: Option<Struct>,
        key: Option<Struct>,
        info: &SourceInfo,
    ) -> Record {
        let now = now_micros();
        let struct_or_null = |row: Option<Struct>| row.map_or(Value::Null, Value::Struct);
        let value = Struct::new()
            .with("before", struct_or_null(before))
            .with("after", struct_or_null(after))
            .with("source", self.source(table, info))
            .with("transaction", Value::Null)
            .with("op", Value::String(op.code().into()))
            .with("ts_ms", Value::Int64(now.div_euclid(1000)))
            .with("ts_us", Value::Int64(now))
            .with("ts_ns", Value::Int64(now.saturating_mul(1000)));
        let record = Record::new(&table.topic)
            .with_value(Some(table.envelope_schema.clone()), Value::Struct(value))
            .with_timestamp(now.div_euclid(1000));
        match (key, &table.key_schema) {
            (Some(key), Some(schema)) => record.with_key(Some(schema.clone()), Value::Struct(key)),
            _ => record,
        }
    }

    /// The tombstone that follows a delete: same key, null value.
    pub fn tombstone(&self, table: &TableSchema, key: Struct) -> Record {
        Record::new(&table.topic)
            .with_key(table.key_schema.clone(), Value::Struct(key))
            .with_timestamp(now_micros().div_euclid(1000))
    }

    /// A heartbeat record on `topic`.
    pub fn heartbeat(&self, topic: &str) -> Record {
        let now = now_micros().div_euclid(1000);
        Record::new(topic)
            .with_key(
                Some(HEARTBEAT_KEY_SCHEMA.clone()),
                Value::Struct(Struct::new().with("serverName", Value::String(self.name.clone()))),
            )
            .with_value(
                Some(HEARTBEAT_VALUE_SCHEMA.clone()),
                Value::Struct(Struct::new().with("ts_ms", Value::Int64(now))),
            )
            .with_timestamp(now)
    }
}

/// The header a primary-key change puts on the delete of the old key (`__debezium.newkey`)
/// or on the create of the new one (`__debezium.oldkey`).
pub fn key_header(name: &str, table: &TableSchema, key: Struct) -> Header {
    Header {
        key: name.to_string(),
        schema: table.key_schema.clone(),
        value: Value::Struct(key),
    }
}

#[cfg(test)]
mod tests;
