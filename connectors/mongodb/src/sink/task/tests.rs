use mongodb::bson::{Bson, doc};
use sluice_api::config::props;
use sluice_api::{Schema, Struct, Value};

use super::*;

fn settings(pairs: &[(&str, &str)]) -> TopicSettings {
    let mut all = vec![("database", "shop")];
    all.extend_from_slice(pairs);
    SinkConfig::parse(&props(&all)).unwrap().defaults
}

fn record(key: Value, value: Value) -> Record {
    let mut r = Record::new("orders")
        .with_key(None, key)
        .with_value(None, value);
    r.partition = Some(0);
    r.kafka_offset = Some(3);
    r
}

fn json(text: &str) -> Value {
    Value::String(text.to_string())
}

#[test]
fn json_values_become_upserts_by_their_id() {
    let s = settings(&[("document.id.strategy", "ProvidedInValueStrategy")]);
    let (ns, model) = prepare(
        &s,
        &record(
            Value::Null,
            json(r#"{"_id": 7, "a": {"$numberLong": "5"}}"#),
        ),
    )
    .unwrap()
    .unwrap();
    assert_eq!(ns.to_string(), "shop.orders");
    assert_eq!(
        model,
        WriteModel::Replace {
            filter: doc! {"_id": 7},
            replacement: doc! {"_id": 7, "a": 5_i64},
            upsert: true
        }
    );
}

#[test]
fn the_id_strategy_keeps_an_existing_id_unless_told_to_overwrite() {
    let value = json(r#"{"_id": "mine", "a": 1}"#);
    let keep = settings(&[("document.id.strategy", "KafkaMetaDataStrategy")]);
    let (_, model) = prepare(&keep, &record(Value::Null, value.clone()))
        .unwrap()
        .unwrap();
    assert!(
        matches!(model, WriteModel::Replace { ref filter, .. } if filter == &doc! {"_id": "mine"})
    );
    let overwrite = settings(&[
        ("document.id.strategy", "KafkaMetaDataStrategy"),
        ("document.id.strategy.overwrite.existing", "true"),
    ]);
    let (_, model) = prepare(&overwrite, &record(Value::Null, value))
        .unwrap()
        .unwrap();
    assert!(
        matches!(model, WriteModel::Replace { ref filter, .. } if filter == &doc! {"_id": "orders-0-3"})
    );
}

#[test]
fn tombstones_are_skipped_or_deleted_by_key() {
    let key = json(r#"{"_id": "k1"}"#);
    assert!(
        prepare(&settings(&[]), &record(key.clone(), Value::Null))
            .unwrap()
            .is_none()
    );
    let delete = settings(&[
        ("document.id.strategy", "ProvidedInKeyStrategy"),
        ("delete.on.null.values", "true"),
    ]);
    let (_, model) = prepare(&delete, &record(key, Value::Null))
        .unwrap()
        .unwrap();
    assert_eq!(
        model,
        WriteModel::Delete {
            filter: doc! {"_id": "k1"}
        }
    );
    let full_key = settings(&[
        ("document.id.strategy", "FullKeyStrategy"),
        ("delete.on.null.values", "true"),
    ]);
    let schema = Schema::structure(vec![sluice_api::Field::new("id", Schema::int64())]);
    let mut r = record(Value::Null, Value::Null);
    r.key_schema = Some(std::sync::Arc::new(schema));
    r.key = Value::Struct(Struct::new().with("id", Value::Int64(4)));
    let (_, model) = prepare(&full_key, &r).unwrap().unwrap();
    assert_eq!(
        model,
        WriteModel::Delete {
            filter: doc! {"_id": {"id": 4_i64}}
        }
    );
}

#[test]
fn projectors_run_after_the_id_is_set() {
    let s = settings(&[
        ("document.id.strategy", "PartialValueStrategy"),
        (
            "document.id.strategy.partial.value.projection.type",
            "AllowList",
        ),
        ("document.id.strategy.partial.value.projection.list", "sku"),
        ("post.processor.chain", "BlockListValueProjector"),
        ("value.projection.type", "BlockList"),
        ("value.projection.list", "secret"),
    ]);
    let (_, model) = prepare(
        &s,
        &record(Value::Null, json(r#"{"sku": "a1", "secret": "x", "n": 1}"#)),
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        model,
        WriteModel::Replace {
            filter: doc! {"_id": {"sku": "a1"}},
            replacement: doc! {"_id": {"sku": "a1"}, "sku": "a1", "n": 1},
            upsert: true
        }
    );
}

#[test]
fn record_errors_name_the_record_and_are_record_level() {
    let s = settings(&[("document.id.strategy", "ProvidedInKeyStrategy")]);
    let err = prepare(&s, &record(json("plain"), json(r#"{"a": 1}"#))).unwrap_err();
    assert!(err.is_record_level());
    assert!(err.to_string().starts_with("record orders/0@3:"), "{err}");
    let err = prepare(&settings(&[]), &record(Value::Null, Value::Int64(1))).unwrap_err();
    assert!(
        err.to_string().contains("value: a int64 is not a document"),
        "{err}"
    );
}

#[test]
fn cdc_events_skip_the_post_processors() {
    let s = settings(&[
        (
            "change.data.capture.handler",
            "com.mongodb.kafka.connect.sink.cdc.debezium.rdbms.RdbmsHandler",
        ),
        ("document.id.strategy", "UuidStrategy"),
    ]);
    let value = json(r#"{"op": "u", "before": {"id": 1}, "after": {"id": 1, "v": 2}}"#);
    let (_, model) = prepare(&s, &record(json(r#"{"id": 1}"#), value))
        .unwrap()
        .unwrap();
    assert_eq!(
        model,
        WriteModel::Replace {
            filter: doc! {"_id": {"id": 1}},
            replacement: doc! {"_id": {"id": 1}, "id": 1, "v": 2},
            upsert: true
        }
    );
    assert!(
        prepare(&s, &record(json(r#"{"id": 1}"#), Value::Null))
            .unwrap()
            .is_none()
    );
    assert!(matches!(doc! {"a": Bson::Null}.get("a"), Some(Bson::Null)));
}
