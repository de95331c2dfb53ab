use mongodb::bson::doc;
use sluice_api::Props;

use super::*;

fn builder(pairs: &[(&str, &str)]) -> RecordBuilder {
    let props: Props = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let config = SourceConfig::parse(&props).expect("valid config");
    let partition = offsets::partition(&config);
    RecordBuilder::new(&config, partition)
}

fn event(op: &str, full: Option<Document>) -> Document {
    let mut event = doc! {
        "_id": {"_data": "826501"},
        "operationType": op,
        "ns": {"db": "shop", "coll": "orders"},
        "documentKey": {"_id": "a"},
    };
    if let Some(full) = full {
        event.insert("fullDocument", full);
    }
    event
}

fn text(value: &Value) -> &str {
    value.as_str().expect("a string")
}

#[test]
fn events_become_json_strings_keyed_by_resume_token() {
    let b = builder(&[
        ("topic.prefix", "p"),
        ("database", "shop"),
        ("collection", "orders"),
    ]);
    let record = b
        .event(&event("insert", Some(doc! {"_id": "a", "n": 1})), false)
        .expect("fits the output")
        .unwrap();
    assert_eq!(record.topic, "p.shop.orders");
    assert_eq!(text(&record.key), r#"{"_id": {"_data": "826501"}}"#);
    assert!(
        text(&record.value)
            .starts_with(r#"{"_id": {"_data": "826501"}, "operationType": "insert""#)
    );
    assert_eq!(record.value_schema.as_deref(), Some(&Schema::string()));
    assert_eq!(
        record.source_offset.as_ref().unwrap()["_id"],
        r#"{"_data": "826501"}"#
    );
    assert_eq!(
        record.source_partition.as_ref().unwrap()["ns"],
        "mongodb://localhost:27017,localhost:27018,localhost:27019/shop.orders"
    );
}

#[test]
fn full_document_only_and_tombstones() {
    let b = builder(&[("publish.full.document.only", "true")]);
    let update = b
        .event(&event("update", Some(doc! {"_id": "a", "n": 2})), false)
        .expect("fits the output")
        .unwrap();
    assert_eq!(text(&update.value), r#"{"_id": "a", "n": 2}"#);
    // Without tombstones, a delete (even one a server sent with a document) is not published.
    assert!(
        b.event(&event("delete", None), false)
            .expect("fits the output")
            .is_none()
    );
    assert!(
        b.event(&event("delete", Some(doc! {"_id": "a"})), false)
            .expect("fits the output")
            .is_none()
    );
    let t = builder(&[
        ("publish.full.document.only", "true"),
        ("publish.full.document.only.tombstone.on.delete", "true"),
    ]);
    let tombstone = t
        .event(&event("delete", Some(doc! {"_id": "a"})), false)
        .expect("fits the output")
        .unwrap();
    assert!(tombstone.is_tombstone());
    assert_eq!(text(&tombstone.key), r#"{"_id": {"_data": "826501"}}"#);
    assert!(
        t.event(&event("delete", None), false)
            .expect("fits the output")
            .unwrap()
            .is_tombstone()
    );
}

#[test]
fn document_key_and_bson_output() {
    let b = builder(&[
        ("change.stream.document.key.as.key", "true"),
        ("output.format.value", "bson"),
    ]);
    let record = b
        .event(&event("insert", Some(doc! {"_id": "a"})), false)
        .expect("fits the output")
        .unwrap();
    assert_eq!(text(&record.key), r#"{"_id": "a"}"#);
    let Value::Bytes(bytes) = &record.value else {
        panic!("bson bytes: {:?}", record.value);
    };
    let back = Document::from_reader(bytes.as_slice()).unwrap();
    assert_eq!(back, event("insert", Some(doc! {"_id": "a"})));
}

#[test]
fn copy_events_look_like_the_official_copy_pipeline_output() {
    let copied = copy_event("shop", "orders", doc! {"_id": 7, "n": 1});
    assert_eq!(
        JsonFormatter::Default.document(&copied),
        r#"{"_id": {"_id": 7, "copyingData": true}, "operationType": "insert", "ns": {"db": "shop", "coll": "orders"}, "documentKey": {"_id": 7}, "fullDocument": {"_id": 7, "n": 1}}"#
    );
    let record = builder(&[])
        .event(&copied, true)
        .expect("fits the output")
        .unwrap();
    assert_eq!(record.source_offset.as_ref().unwrap()["copy"], "true");
    assert_eq!(record.topic, "shop.orders");
}

#[test]
fn heartbeats_carry_the_token() {
    let b = builder(&[("heartbeat.topic.name", "beats")]);
    let (json, record) = b.heartbeat(&doc! {"_data": "nx:4"});
    assert_eq!(json, r#"{"_data": "nx:4"}"#);
    assert_eq!(record.topic, "beats");
    assert!(record.is_tombstone());
    assert_eq!(text(&record.key), json);
    assert_eq!(record.source_offset.as_ref().unwrap()["HEARTBEAT"], "true");
}

#[test]
fn events_without_a_topic_or_token_are_skipped() {
    let b = builder(&[]);
    assert!(
        b.event(
            &doc! {"_id": {"_data": "1"}, "operationType": "dropDatabase"},
            false
        )
        .expect("fits the output")
        .is_none()
    );
    assert!(
        b.event(
            &doc! {"operationType": "insert", "ns": {"db": "a", "coll": "b"}},
            false
        )
        .expect("fits the output")
        .is_none()
    );
}

#[test]
fn schema_output_follows_the_official_default_schemas() {
    let b = builder(&[
        ("output.format.key", "schema"),
        ("output.format.value", "schema"),
    ]);
    let mut update = event("update", Some(doc! {"_id": "a", "n": 2}));
    update.insert(
        "updateDescription",
        doc! {"updatedFields": {"n": 2}, "removedFields": ["old"], "truncatedArrays": []},
    );
    update.insert("txnNumber", 7_i64);
    let record = b.event(&update, false).expect("fits").expect("published");
    let Value::Struct(key) = &record.key else {
        panic!("a struct key: {:?}", record.key);
    };
    assert_eq!(
        key.get("_id"),
        Some(&Value::String(r#"{"_data": "826501"}"#.into()))
    );
    let Value::Struct(value) = &record.value else {
        panic!("a struct value: {:?}", record.value);
    };
    assert_eq!(
        value.get("operationType"),
        Some(&Value::String("update".into()))
    );
    assert_eq!(
        value.get("fullDocument"),
        Some(&Value::String(r#"{"_id": "a", "n": 2}"#.into()))
    );
    assert_eq!(value.get("txnNumber"), Some(&Value::Int64(7)));
    assert_eq!(value.get("lsid"), Some(&Value::Null));
    let Some(Value::Struct(ns)) = value.get("ns") else {
        panic!("ns struct: {value:?}");
    };
    assert_eq!(ns.get("coll"), Some(&Value::String("orders".into())));
    let Some(Value::Struct(description)) = value.get("updateDescription") else {
        panic!("updateDescription struct: {value:?}");
    };
    assert_eq!(
        description.get("removedFields"),
        Some(&Value::Array(vec![Value::String("old".into())]))
    );
    assert_eq!(
        record.value_schema.as_ref().and_then(|s| s.name.as_deref()),
        Some("ChangeStream")
    );
}

#[test]
fn inferred_value_schemas_type_each_field() {
    let b = builder(&[
        ("publish.full.document.only", "true"),
        ("output.format.value", "schema"),
        ("output.schema.infer.value", "true"),
    ]);
    let full = doc! {"zeta": "z", "_id": 1, "n": 2.5, "tags": ["a", "b"], "at": {"city": "Oslo"}};
    let record = b
        .event(&event("insert", Some(full)), false)
        .expect("fits")
        .expect("published");
    let schema = record.value_schema.expect("a value schema");
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["_id", "at", "n", "tags", "zeta"]);
    let Value::Struct(value) = &record.value else {
        panic!("a struct value: {:?}", record.value);
    };
    assert_eq!(value.get("_id"), Some(&Value::Int32(1)));
    assert_eq!(value.get("n"), Some(&Value::Float64(2.5)));
    assert_eq!(
        schema.field("at").and_then(|f| f.schema.name.as_deref()),
        Some("inferred_name_at")
    );
}

#[test]
fn events_that_do_not_fit_the_schema_fail_or_are_skipped_by_tolerance() {
    let strict = r#"{"type": "record", "name": "v", "fields": [{"name": "n", "type": "int"}]}"#;
    let settings = [
        ("publish.full.document.only", "true"),
        ("output.format.value", "schema"),
        ("output.schema.value", strict),
    ];
    let misfit = event("insert", Some(doc! {"_id": "a", "n": "text"}));
    let err = builder(&settings).event(&misfit, false).unwrap_err();
    assert!(err.to_string().contains("field 'n'"), "{err}");
    assert!(!err.is_retriable());
    let mut tolerant = settings.to_vec();
    tolerant.push(("errors.tolerance", "all"));
    assert!(
        builder(&tolerant)
            .event(&misfit, false)
            .expect("tolerated")
            .is_none()
    );
    let fits = event("insert", Some(doc! {"_id": "a", "n": 5_i64}));
    let record = builder(&settings).event(&fits, false).unwrap().unwrap();
    assert_eq!(
        record.value,
        Value::Struct(sluice_api::Struct::new().with("n", Value::Int32(5)))
    );
}
