use super::*;
use crate::cdc::table::{Column, TableSchema};
use crate::cdc::types::ColumnKind;

fn table() -> TableSchema {
    TableSchema::new(
        "server1",
        "public",
        "orders",
        vec![
            Column {
                name: "id".into(),
                kind: ColumnKind::Int32,
                key: true,
            },
            Column {
                name: "note".into(),
                kind: ColumnKind::Text,
                key: false,
            },
        ],
        false,
    )
}

fn info() -> SourceInfo {
    SourceInfo {
        snapshot: "false",
        ts_micros: 1_700_000_000_123_456,
        tx_id: Some(42),
        lsn: Lsn(0x1234),
        last_commit: Some(Lsn(0x1000)),
    }
}

#[test]
fn envelopes_have_debeziums_fields_and_names() {
    let table = table();
    let schema = &table.envelope_schema;
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "before",
            "after",
            "source",
            "transaction",
            "op",
            "ts_ms",
            "ts_us",
            "ts_ns"
        ]
    );
    assert_eq!(
        schema.name.as_deref(),
        Some("server1.public.orders.Envelope")
    );
    let source = &schema.field("source").unwrap().schema;
    assert_eq!(
        source.name.as_deref(),
        Some("io.debezium.connector.postgresql.Source")
    );
    assert_eq!(
        table.key_schema.as_ref().unwrap().name.as_deref(),
        Some("server1.public.orders.Key")
    );
    assert!(schema.field("before").unwrap().schema.optional);
}

#[test]
fn change_events_carry_source_and_key() {
    let table = table();
    let ctx = EventContext {
        name: "server1".into(),
        db: "test".into(),
    };
    let row = Struct::new()
        .with("id", Value::Int32(7))
        .with("note", Value::String("x".into()));
    let key = table.key(&row);
    let record = ctx.change(&table, Op::Create, None, Some(row), key, &info());
    assert_eq!(record.topic, "server1.public.orders");
    assert_eq!(
        record.key,
        Value::Struct(Struct::new().with("id", Value::Int32(7)))
    );
    let Value::Struct(value) = &record.value else {
        panic!("struct expected")
    };
    assert_eq!(value.get("op"), Some(&Value::String("c".into())));
    assert_eq!(value.get("before"), Some(&Value::Null));
    let Some(Value::Struct(source)) = value.get("source") else {
        panic!("source expected")
    };
    assert_eq!(
        source.get("connector"),
        Some(&Value::String("postgresql".into()))
    );
    assert_eq!(source.get("name"), Some(&Value::String("server1".into())));
    assert_eq!(source.get("db"), Some(&Value::String("test".into())));
    assert_eq!(source.get("table"), Some(&Value::String("orders".into())));
    assert_eq!(source.get("ts_ms"), Some(&Value::Int64(1_700_000_000_123)));
    assert_eq!(source.get("txId"), Some(&Value::Int64(42)));
    assert_eq!(source.get("lsn"), Some(&Value::Int64(0x1234)));
    assert_eq!(
        source.get("sequence"),
        Some(&Value::String(format!("[\"{}\",\"{}\"]", 0x1000, 0x1234)))
    );
    let tombstone = ctx.tombstone(&table, Struct::new().with("id", Value::Int32(7)));
    assert!(tombstone.is_tombstone());
    assert_eq!(tombstone.key_schema, table.key_schema);
}

#[test]
fn heartbeats_name_the_server() {
    let ctx = EventContext {
        name: "server1".into(),
        db: "test".into(),
    };
    let record = ctx.heartbeat("__debezium-heartbeat.server1");
    assert_eq!(record.topic, "__debezium-heartbeat.server1");
    assert_eq!(
        record.key,
        Value::Struct(Struct::new().with("serverName", Value::String("server1".into())))
    );
}
