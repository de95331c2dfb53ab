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
        .unwrap();
    assert_eq!(text(&update.value), r#"{"_id": "a", "n": 2}"#);
    // Without tombstones, a delete (even one a server sent with a document) is not published.
    assert!(b.event(&event("delete", None), false).is_none());
    assert!(
        b.event(&event("delete", Some(doc! {"_id": "a"})), false)
            .is_none()
    );
    let t = builder(&[
        ("publish.full.document.only", "true"),
        ("publish.full.document.only.tombstone.on.delete", "true"),
    ]);
    let tombstone = t
        .event(&event("delete", Some(doc! {"_id": "a"})), false)
        .unwrap();
    assert!(tombstone.is_tombstone());
    assert_eq!(text(&tombstone.key), r#"{"_id": {"_data": "826501"}}"#);
    assert!(
        t.event(&event("delete", None), false)
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
    let record = builder(&[]).event(&copied, true).unwrap();
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
        .is_none()
    );
    assert!(
        b.event(
            &doc! {"operationType": "insert", "ns": {"db": "a", "coll": "b"}},
            false
        )
        .is_none()
    );
}
