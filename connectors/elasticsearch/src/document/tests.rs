use std::sync::Arc;

use super::*;
use sluice_api::config::props;
use sluice_api::{Schema, Struct};

fn config(pairs: &[(&str, &str)]) -> SinkConfig {
    let mut all = vec![("connection.url", "http://localhost:9200")];
    all.extend_from_slice(pairs);
    SinkConfig::parse(&props(&all)).unwrap()
}

fn record(key: Value, value: Value) -> Record {
    let mut record = Record::new("Orders")
        .with_key(None, key)
        .with_value(None, value);
    record.partition = Some(2);
    record.kafka_offset = Some(41);
    record
}

fn doc() -> Value {
    Value::Map(vec![(Value::from("a"), Value::Int64(1))])
}

fn lines(op: &Operation) -> Vec<serde_json::Value> {
    std::str::from_utf8(&op.lines)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn id_is_the_key_or_the_kafka_coordinates() {
    let r = record(Value::from("k1"), doc());
    assert_eq!(document_id(&r, true, "Orders").unwrap(), "k1");
    assert_eq!(document_id(&r, false, "Orders").unwrap(), "Orders+2+41");
    let r = record(Value::Int32(7), doc());
    assert_eq!(document_id(&r, true, "Orders").unwrap(), "7");
    let key = Value::Struct(Struct::new().with("id", Value::Int64(3)));
    let schema = Arc::new(Schema::structure(vec![sluice_api::Field::new(
        "id",
        Schema::int64(),
    )]));
    let r = record(Value::Null, doc()).with_key(Some(schema), key);
    assert_eq!(document_id(&r, true, "Orders").unwrap(), r#"{"id":3}"#);
    let err = document_id(&record(Value::Null, doc()), true, "Orders").unwrap_err();
    assert!(
        err.is_record_level() && err.to_string().contains("null key"),
        "{err}"
    );
}

#[test]
fn keyed_inserts_carry_the_offset_as_external_version() {
    let op = operation(&config(&[]), &record(Value::from("k1"), doc()))
        .unwrap()
        .unwrap();
    assert_eq!(op.action, Action::Index);
    assert!(op.versioned);
    assert_eq!(
        lines(&op),
        [
            serde_json::json!({"index": {"_index": "orders", "_id": "k1", "version": 41, "version_type": "external"}}),
            serde_json::json!({"a": 1}),
        ]
    );
    let op = operation(
        &config(&[("key.ignore", "true")]),
        &record(Value::Null, doc()),
    )
    .unwrap()
    .unwrap();
    assert!(!op.versioned);
    assert_eq!(
        lines(&op)[0],
        serde_json::json!({"index": {"_index": "orders", "_id": "Orders+2+41"}})
    );
}

#[test]
fn upserts_and_tombstones() {
    let upsert = config(&[("write.method", "upsert")]);
    let op = operation(&upsert, &record(Value::from("k"), doc()))
        .unwrap()
        .unwrap();
    assert_eq!(op.action, Action::Update);
    assert_eq!(
        lines(&op)[1],
        serde_json::json!({"doc": {"a": 1}, "doc_as_upsert": true})
    );

    let tombstone = record(Value::from("k"), Value::Null);
    let delete = config(&[("behavior.on.null.values", "delete")]);
    let op = operation(&delete, &tombstone).unwrap().unwrap();
    assert_eq!(op.action, Action::Delete);
    assert_eq!(lines(&op).len(), 1);
    assert!(op.versioned);
    let ignore = config(&[("behavior.on.null.values", "ignore")]);
    assert_eq!(operation(&ignore, &tombstone).unwrap(), None);
    let err = operation(&config(&[]), &tombstone).unwrap_err();
    assert!(err.is_record_level());
}

#[test]
fn data_streams_create_with_a_timestamp() {
    let stream = config(&[("data.stream.type", "logs"), ("data.stream.dataset", "app")]);
    let op = operation(
        &stream,
        &record(Value::from("k"), doc()).with_timestamp(1_700_000_000_000),
    )
    .unwrap()
    .unwrap();
    assert_eq!(op.action, Action::Create);
    assert_eq!(op.index, "logs-app-orders");
    assert_eq!(
        lines(&op)[1],
        serde_json::json!({"a": 1, "@timestamp": 1_700_000_000_000i64})
    );
}

#[test]
fn non_object_values_are_record_errors() {
    let err = operation(&config(&[]), &record(Value::from("k"), Value::Int32(3))).unwrap_err();
    assert!(err.is_record_level(), "{err}");
}
