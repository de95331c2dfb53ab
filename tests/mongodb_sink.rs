//! The MongoDB sink against the real MongoDB-wire server and Kafka: every id strategy and write
//! model, change-stream events, deletes on tombstones, a replay that changes nothing, Debezium
//! envelopes, a rejected document dead-lettered while the rest is written, the task failing with
//! `errors.tolerance=none`, per-topic overrides, field-path namespaces and a server outage.
//! Needs the services of `scripts/services up`.

mod harness;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use harness::mongodb::{self as mongo, documents};
use harness::{
    Sluice, committed_offset, consume_all, http_get, kafka_bootstrap, produce, rest_url, unique,
    wait_for, write_file,
};
use mongodb::bson::{Bson, Document, doc, spec::BinarySubtype};
use serde_json::{Value as Json, json};

/// Keys and values are text (JSON and Extended JSON) unless a connector says otherwise.
fn worker(dir: &Path) -> PathBuf {
    write_file(
        dir,
        "worker.yaml",
        &format!(
            "bootstrap.servers: {}\nkey.converter: org.apache.kafka.connect.storage.StringConverter\n\
             value.converter: org.apache.kafka.connect.storage.StringConverter\n\
             offset.storage.file.filename: {}\noffset.flush.interval.ms: 250\n\
             metrics.listener: http://127.0.0.1:0\n\
             consumer.session.timeout.ms: 6000\nconsumer.max.poll.interval.ms: 10000\n",
            kafka_bootstrap(),
            dir.join("offsets.json").display()
        ),
    )
}

/// A sink connector file writing `topics` into `database`.
fn sink(dir: &Path, name: &str, topics: &str, database: &str, settings: &str) -> PathBuf {
    write_file(
        dir,
        &format!("{name}.yaml"),
        &format!(
            "name: {name}\nconnector.class: com.mongodb.kafka.connect.MongoSinkConnector\n\
             topics: '{topics}'\nconnection.uri: '{}'\ndatabase: {database}\n{settings}",
            mongo::uri()
        ),
    )
}

type Message = (Option<String>, Option<String>);

fn text(key: Option<&str>, value: Option<&str>) -> Message {
    (key.map(String::from), value.map(String::from))
}

fn send(topic: &str, records: &[Message]) {
    let raw: Vec<harness::RawRecord<'_>> = records
        .iter()
        .map(|(k, v)| {
            (
                k.as_deref().map(str::as_bytes),
                v.as_deref().map(str::as_bytes),
            )
        })
        .collect();
    produce(topic, &raw);
}

fn log_tail(sluice: &Sluice) -> String {
    let log = std::fs::read_to_string(&sluice.log).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(40).collect();
    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
}

/// Waits until the connector's group has committed `end` on partition 0 of `topic`.
fn wait_committed(sluice: &mut Sluice, connector: &str, topic: &str, end: i64, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        sluice.assert_running();
        let committed = committed_offset(&format!("connect-{connector}"), topic);
        if committed == Some(end) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{connector} committed {committed:?} of {topic}, not {end}, within {within:?}; log tail:\n{}",
            log_tail(sluice)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether the server under test is nx-27017 (it cannot match embedded-document ids).
fn nx_27017() -> bool {
    !mongo::matches_document_ids()
}

const STRATEGY: &str = "com.mongodb.kafka.connect.sink.processor.id.strategy";
const MODEL: &str = "com.mongodb.kafka.connect.sink.writemodel.strategy";

/// One connector of the table-driven test: its settings, what it is sent, documents that exist
/// before it starts, and what the collection holds afterwards.
struct Case {
    name: &'static str,
    settings: String,
    records: Vec<Message>,
    seed: Vec<Document>,
    check: fn(&str, &[Document]),
}

fn case(
    name: &'static str,
    settings: String,
    records: Vec<Message>,
    check: fn(&str, &[Document]),
) -> Case {
    Case {
        name,
        settings,
        records,
        seed: Vec::new(),
        check,
    }
}

fn strategy(name: &str) -> String {
    format!("document.id.strategy: {STRATEGY}.{name}\n")
}

fn model(name: &str) -> String {
    format!("writemodel.strategy: {MODEL}.{name}\n")
}

fn values(values: &[&str]) -> Vec<Message> {
    values.iter().map(|v| text(None, Some(v))).collect()
}

fn ids(docs: &[Document]) -> Vec<Bson> {
    docs.iter()
        .map(|d| d.get("_id").cloned().unwrap_or(Bson::Null))
        .collect()
}

fn cases() -> Vec<Case> {
    let partial_value = |fields: &str| {
        format!(
            "{}document.id.strategy.partial.value.projection.type: AllowList\n\
             document.id.strategy.partial.value.projection.list: '{fields}'\n",
            strategy("PartialValueStrategy")
        )
    };
    vec![
        case("bson_oid", String::new(), values(&[r#"{"a": 1}"#, r#"{"a": 2}"#]), |_, docs| {
            assert_eq!(docs.len(), 2);
            assert!(docs.iter().all(|d| matches!(d.get("_id"), Some(Bson::ObjectId(_)))), "{docs:?}");
        }),
        case(
            "full_key",
            strategy("FullKeyStrategy"),
            vec![text(Some(r#"{"k": 1, "r": "eu"}"#), Some(r#"{"a": 1}"#))],
            |_, docs| assert_eq!(ids(docs), [Bson::Document(doc! {"k": 1, "r": "eu"})]),
        ),
        case(
            "partial_key",
            format!(
                "{}document.id.strategy.partial.key.projection.type: AllowList\n\
                 document.id.strategy.partial.key.projection.list: k\n",
                strategy("PartialKeyStrategy")
            ),
            vec![text(Some(r#"{"k": 1, "r": "eu"}"#), Some(r#"{"a": 1}"#))],
            |_, docs| assert_eq!(ids(docs), [Bson::Document(doc! {"k": 1})]),
        ),
        case(
            "partial_value",
            partial_value("sku"),
            values(&[r#"{"sku": "a1", "n": 1}"#]),
            |_, docs| assert_eq!(docs, [doc! {"_id": {"sku": "a1"}, "sku": "a1", "n": 1}]),
        ),
        case(
            "provided_in_key",
            strategy("ProvidedInKeyStrategy"),
            vec![text(Some(r#"{"_id": "k1"}"#), Some(r#"{"a": 1}"#))],
            |_, docs| assert_eq!(docs, [doc! {"_id": "k1", "a": 1}]),
        ),
        case(
            "provided_in_value",
            strategy("ProvidedInValueStrategy"),
            values(&[
                r#"{"_id": {"$oid": "64b7f0c2a1b2c3d4e5f60718"}, "at": {"$date": "2024-01-02T03:04:05Z"}, "big": {"$numberLong": "9000000000"}}"#,
            ]),
            |_, docs| {
                let d = &docs[0];
                assert_eq!(d.get_object_id("_id").map(|o| o.to_hex()), Ok("64b7f0c2a1b2c3d4e5f60718".into()));
                assert_eq!(d.get_datetime("at").map(|t| t.timestamp_millis()), Ok(1_704_164_645_000));
                assert_eq!(d.get("big"), Some(&Bson::Int64(9_000_000_000)));
            },
        ),
        case("uuid_string", strategy("UuidStrategy"), values(&[r#"{"a": 1}"#]), |_, docs| {
            assert!(matches!(docs[0].get("_id"), Some(Bson::String(s)) if s.len() == 36), "{docs:?}");
        }),
        case(
            "uuid_binary",
            format!("{}document.id.strategy.uuid.format: binary\n", strategy("UuidStrategy")),
            values(&[r#"{"a": 1}"#]),
            |_, docs| {
                // MongoDB keeps the UUID subtype (4); nx-27017 hands binaries back as subtype 0.
                let uuid = |b: &mongodb::bson::Binary| {
                    b.bytes.len() == 16
                        && (b.subtype == BinarySubtype::Uuid
                            || (nx_27017() && b.subtype == BinarySubtype::Generic))
                };
                assert!(matches!(docs[0].get("_id"), Some(Bson::Binary(b)) if uuid(b)), "{docs:?}");
            },
        ),
        case(
            "kafka_meta",
            strategy("KafkaMetaDataStrategy"),
            values(&[r#"{"a": 1}"#, r#"{"a": 2}"#]),
            |topic, docs| {
                assert_eq!(
                    ids(docs),
                    [Bson::String(format!("{topic}-0-0")), Bson::String(format!("{topic}-0-1"))]
                );
            },
        ),
        case(
            "replace_business_key",
            format!("{}{}", partial_value("name,last"), model("ReplaceOneBusinessKeyStrategy")),
            values(&[
                r#"{"name": "a", "last": "b", "n": 1}"#,
                r#"{"name": "a", "last": "b", "n": 2}"#,
                r#"{"name": "c", "last": "d", "n": 3}"#,
            ]),
            |_, docs| {
                assert_eq!(docs.len(), 2, "{docs:?}");
                let ab = docs.iter().find(|d| d.get_str("name") == Ok("a")).expect("a/b");
                assert_eq!(ab.get_i32("n"), Ok(2));
                assert!(!matches!(ab.get("_id"), Some(Bson::Document(_))), "the business key is not the _id");
            },
        ),
        case(
            "update_timestamps",
            format!("{}{}", strategy("ProvidedInValueStrategy"), model("UpdateOneTimestampsStrategy")),
            values(&[r#"{"_id": "u1", "a": 1, "b": 1}"#, r#"{"_id": "u1", "a": 2}"#]),
            |_, docs| {
                let d = &docs[0];
                assert_eq!((docs.len(), d.get_i32("a"), d.get_i32("b")), (1, Ok(2), Ok(1)), "{d}");
                assert!(d.get_datetime("_insertedTS").is_ok(), "{d}");
                // nx-27017 stores dates given to $set as text; MongoDB keeps them as dates.
                assert!(d.contains_key("_modifiedTS"), "{d}");
            },
        ),
        case(
            "update_business_key_timestamps",
            format!("{}{}", partial_value("sku"), model("UpdateOneBusinessKeyTimestampStrategy")),
            values(&[r#"{"sku": "s", "n": 1}"#, r#"{"sku": "s", "m": 2}"#]),
            |_, docs| {
                let d = &docs[0];
                assert_eq!((docs.len(), d.get_i32("n"), d.get_i32("m")), (1, Ok(1), Ok(2)), "{d}");
                assert!(d.contains_key("_insertedTS") && d.contains_key("_modifiedTS"), "{d}");
            },
        ),
        case(
            "update_default",
            format!("{}{}", strategy("ProvidedInValueStrategy"), model("UpdateOneDefaultStrategy")),
            values(&[r#"{"_id": "x", "a": 1}"#, r#"{"_id": "x", "b": 2}"#]),
            |_, docs| assert_eq!(docs, [doc! {"_id": "x", "a": 1, "b": 2}]),
        ),
        case(
            "insert_one",
            format!("{}{}", strategy("ProvidedInValueStrategy"), model("InsertOneDefaultStrategy")),
            values(&[r#"{"_id": 1}"#, r#"{"_id": 2}"#]),
            |_, docs| assert_eq!(ids(docs), [Bson::Int32(1), Bson::Int32(2)]),
        ),
        Case {
            seed: vec![doc! {"_id": "d1"}, doc! {"_id": "d2"}],
            ..case(
                "delete_one_default",
                model("DeleteOneDefaultStrategy"),
                vec![text(Some(r#"{"_id": "d1"}"#), Some(r#"{"x": 1}"#))],
                |_, docs| assert_eq!(docs, [doc! {"_id": "d2"}]),
            )
        },
        Case {
            seed: vec![doc! {"_id": 1, "sku": "gone"}, doc! {"_id": 2, "sku": "stay"}],
            ..case(
                "delete_business_key",
                format!("{}{}", partial_value("sku"), model("DeleteOneBusinessKeyStrategy")),
                values(&[r#"{"sku": "gone"}"#]),
                |_, docs| assert_eq!(docs, [doc! {"_id": 2, "sku": "stay"}]),
            )
        },
        case(
            "value_projection",
            format!(
                "{}post.processor.chain: com.mongodb.kafka.connect.sink.processor.AllowListValueProjector\n\
                 value.projection.type: AllowList\nvalue.projection.list: keep\n",
                strategy("ProvidedInValueStrategy")
            ),
            values(&[r#"{"_id": 1, "keep": "k", "drop": "d"}"#]),
            |_, docs| assert_eq!(docs, [doc! {"_id": 1, "keep": "k"}]),
        ),
        case(
            "change_stream",
            "change.data.capture.handler: com.mongodb.kafka.connect.sink.cdc.mongodb.ChangeStreamHandler\n".into(),
            values(&[
                r#"{"operationType": "insert", "documentKey": {"_id": 1}, "fullDocument": {"_id": 1, "a": 1, "b": 1}}"#,
                r#"{"operationType": "insert", "documentKey": {"_id": 2}, "fullDocument": {"_id": 2}}"#,
                r#"{"operationType": "update", "documentKey": {"_id": 1}, "updateDescription": {"updatedFields": {"a": 5}, "removedFields": ["b"]}}"#,
                r#"{"operationType": "delete", "documentKey": {"_id": 2}}"#,
                r#"{"operationType": "drop"}"#,
            ]),
            |_, docs| assert_eq!(docs, [doc! {"_id": 1, "a": 5}]),
        ),
    ]
}

/// Every id strategy and write model, each through its own connector of one worker.
#[test]
fn every_id_strategy_and_write_model() {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = mongo::unique_database("models");
    let cases = cases();
    let mut connectors = Vec::new();
    let mut topics = Vec::new();
    for case in &cases {
        let topic = unique(&format!("mongo-{}", case.name));
        if !case.seed.is_empty() {
            mongo::insert(&database, case.name, case.seed.clone());
        }
        send(&topic, &case.records);
        let settings = format!("collection: {}\n{}", case.name, case.settings);
        connectors.push(sink(dir.path(), case.name, &topic, &database, &settings));
        topics.push(topic);
    }
    let log = dir.path().join("sluice.log");
    let mut sluice = Sluice::standalone(&worker(dir.path()), &connectors, &log);
    for (case, topic) in cases.iter().zip(&topics) {
        let end = case.records.len() as i64;
        wait_committed(&mut sluice, case.name, topic, end, Duration::from_secs(90));
    }
    assert_eq!(sluice.terminate(), Some(0));
    for (case, topic) in cases.iter().zip(&topics) {
        let docs = documents(&database, case.name);
        eprintln!("{}: {docs:?}", case.name);
        (case.check)(topic, &docs);
    }
    mongo::drop_database(&database);
}

/// Tombstones delete by key; a second connector (its own consumer group) delivering the whole
/// topic again leaves every document as it was.
#[test]
fn tombstones_delete_and_replays_change_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = mongo::unique_database("replay");
    let topic = unique("mongo-replay");
    // 300 records over 100 keys, then tombstones for three of them.
    let mut records: Vec<Message> = (0..300)
        .map(|i| {
            let key = format!(r#"{{"_id": "r{}"}}"#, i % 100);
            let value = format!(r#"{{"n": {}, "v": "v{i}"}}"#, i % 100);
            (Some(key), Some(value))
        })
        .collect();
    for gone in ["r3", "r50", "r99"] {
        records.push((Some(format!(r#"{{"_id": "{gone}"}}"#)), None));
    }
    send(&topic, &records);
    let settings = format!(
        "collection: docs\n{}delete.on.null.values: true\nmax.batch.size: 40\n",
        strategy("ProvidedInKeyStrategy")
    );
    let log = dir.path().join("sluice.log");
    let first = sink(dir.path(), "first", &topic, &database, &settings);
    let mut sluice = Sluice::standalone(&worker(dir.path()), &[first], &log);
    wait_committed(&mut sluice, "first", &topic, 303, Duration::from_secs(90));
    assert_eq!(sluice.terminate(), Some(0));
    let written = documents(&database, "docs");
    assert_eq!(written.len(), 97, "100 keys less three deleted");
    assert_eq!(
        mongo::document(&database, "docs", "r7"),
        Some(doc! {"_id": "r7", "n": 7, "v": "v207"})
    );
    assert!(mongo::document(&database, "docs", "r50").is_none());

    let second = sink(dir.path(), "second", &topic, &database, &settings);
    let mut sluice = Sluice::standalone(&worker(dir.path()), &[second], &log);
    wait_committed(&mut sluice, "second", &topic, 303, Duration::from_secs(90));
    assert_eq!(sluice.terminate(), Some(0));
    assert_eq!(
        documents(&database, "docs"),
        written,
        "the replay changed nothing"
    );
    mongo::drop_database(&database);
}

fn envelope(schema: &Json, payload: Json) -> String {
    json!({"schema": schema, "payload": payload}).to_string()
}

fn row_schema() -> Json {
    json!({"type": "struct", "optional": true, "name": "db.public.items.Value", "fields": [
        {"field": "id", "type": "int32", "optional": false},
        {"field": "name", "type": "string", "optional": true},
    ]})
}

fn change_event(op: &str, before: Json, after: Json) -> String {
    let schema = json!({"type": "struct", "optional": false, "name": "db.public.items.Envelope", "fields": [
        {"field": "before", "type": "struct", "optional": true, "fields": row_schema()["fields"]},
        {"field": "after", "type": "struct", "optional": true, "fields": row_schema()["fields"]},
        {"field": "op", "type": "string", "optional": false},
        {"field": "ts_ms", "type": "int64", "optional": true},
    ]});
    envelope(
        &schema,
        json!({"before": before, "after": after, "op": op, "ts_ms": 1}),
    )
}

fn pk(id: i32) -> String {
    let schema = json!({"type": "struct", "optional": false, "fields": [
        {"field": "id", "type": "int32", "optional": false},
    ]});
    envelope(&schema, json!({"id": id}))
}

/// Debezium relational envelopes (JsonConverter with schemas), for a table with a primary key
/// and for one without.
#[test]
fn debezium_envelopes_are_applied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = mongo::unique_database("debezium");
    let keyed = unique("mongo-dbz-keyed");
    let keyless = unique("mongo-dbz-keyless");
    let row = |id: i32, name: &str| json!({"id": id, "name": name});
    // Every write of a keyed row filters on an embedded-document _id ({_id: {id: 1}}), which
    // nx-27017 cannot match once its collection holds a document; there the keyed table gets
    // one snapshot row and a tombstone, against MongoDB the whole story.
    let full = mongo::matches_document_ids();
    let keyed_records = if full {
        vec![
            (
                Some(pk(1)),
                Some(change_event("r", Json::Null, row(1, "a"))),
            ),
            (
                Some(pk(2)),
                Some(change_event("c", Json::Null, row(2, "b"))),
            ),
            (
                Some(pk(3)),
                Some(change_event("c", Json::Null, row(3, "c"))),
            ),
            (
                Some(pk(2)),
                Some(change_event("u", row(2, "b"), row(2, "b2"))),
            ),
            (
                Some(pk(3)),
                Some(change_event("d", row(3, "c"), Json::Null)),
            ),
            (Some(pk(3)), None),
        ]
    } else {
        eprintln!("the server cannot match document _ids: keyed updates and deletes not covered");
        vec![
            (
                Some(pk(1)),
                Some(change_event("r", Json::Null, row(1, "a"))),
            ),
            (Some(pk(1)), None),
        ]
    };
    send(&keyed, &keyed_records);
    send(
        &keyless,
        &[
            (None, Some(change_event("c", Json::Null, row(10, "x")))),
            (None, Some(change_event("u", row(10, "x"), row(10, "y")))),
            (None, Some(change_event("c", Json::Null, row(11, "z")))),
            (None, Some(change_event("d", row(11, "z"), Json::Null))),
        ],
    );
    let settings = |collection: &str| {
        format!(
            "collection: {collection}\nchange.data.capture.handler: com.mongodb.kafka.connect.sink.cdc.debezium.rdbms.postgres.PostgresHandler\n\
             key.converter: org.apache.kafka.connect.json.JsonConverter\n\
             value.converter: org.apache.kafka.connect.json.JsonConverter\n"
        )
    };
    let connectors = [
        sink(dir.path(), "keyed", &keyed, &database, &settings("keyed")),
        sink(
            dir.path(),
            "keyless",
            &keyless,
            &database,
            &settings("keyless"),
        ),
    ];
    let log = dir.path().join("sluice.log");
    let mut sluice = Sluice::standalone(&worker(dir.path()), &connectors, &log);
    wait_committed(
        &mut sluice,
        "keyed",
        &keyed,
        keyed_records.len() as i64,
        Duration::from_secs(90),
    );
    wait_committed(&mut sluice, "keyless", &keyless, 4, Duration::from_secs(90));
    assert_eq!(sluice.terminate(), Some(0));

    let keyed_docs = documents(&database, "keyed");
    let expected = if full {
        vec![
            doc! {"_id": {"id": 1}, "id": 1, "name": "a"},
            doc! {"_id": {"id": 2}, "id": 2, "name": "b2"},
        ]
    } else {
        vec![doc! {"_id": {"id": 1}, "id": 1, "name": "a"}]
    };
    assert_eq!(keyed_docs, expected);
    let keyless_docs = documents(&database, "keyless");
    assert_eq!(keyless_docs.len(), 1, "{keyless_docs:?}");
    let mut only = keyless_docs[0].clone();
    assert!(
        matches!(only.remove("_id"), Some(Bson::ObjectId(_))),
        "a new ObjectId"
    );
    assert_eq!(only, doc! {"id": 10, "name": "y"});
    mongo::drop_database(&database);
}

/// Twenty inserts where the tenth repeats an earlier _id.
fn inserts_with_a_duplicate() -> Vec<Message> {
    (0..20)
        .map(|i| {
            let id = if i == 10 { 5 } else { i };
            text(None, Some(&format!(r#"{{"_id": {id}, "i": {i}}}"#)))
        })
        .collect()
}

fn insert_settings() -> String {
    format!(
        "collection: docs\n{}{}",
        strategy("ProvidedInValueStrategy"),
        model("InsertOneDefaultStrategy")
    )
}

#[test]
fn a_rejected_document_goes_to_the_dead_letter_queue_and_the_rest_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = mongo::unique_database("dlq");
    let topic = unique("mongo-dlq");
    let dlq = format!("{topic}-dlq");
    send(&topic, &inserts_with_a_duplicate());
    let settings = format!(
        "{}errors.tolerance: all\nerrors.deadletterqueue.topic.name: {dlq}\n\
         errors.deadletterqueue.topic.replication.factor: 1\n\
         errors.deadletterqueue.context.headers.enable: true\n",
        insert_settings()
    );
    let connector = sink(dir.path(), "dlq", &topic, &database, &settings);
    let log = dir.path().join("sluice.log");
    let mut sluice = Sluice::standalone(&worker(dir.path()), &[connector], &log);
    wait_committed(&mut sluice, "dlq", &topic, 20, Duration::from_secs(90));
    // The pipeline goes on after the rejected record.
    send(&topic, &[text(None, Some(r#"{"_id": 100}"#))]);
    wait_committed(&mut sluice, "dlq", &topic, 21, Duration::from_secs(60));
    assert_eq!(sluice.terminate(), Some(0));

    let docs = documents(&database, "docs");
    let mut written: Vec<i32> = docs.iter().filter_map(|d| d.get_i32("_id").ok()).collect();
    written.sort();
    let mut expected: Vec<i32> = (0..20).filter(|i| *i != 10).collect();
    expected.push(100);
    assert_eq!(written, expected, "everything but the duplicate is written");
    assert_eq!(
        mongo::document(&database, "docs", 5).and_then(|d| d.get_i32("i").ok()),
        Some(5)
    );

    use rdkafka::message::{Headers, Message as _};
    let header = |message: &rdkafka::message::OwnedMessage, key: &str| {
        message
            .headers()
            .and_then(|h| h.iter().find(|h| h.key == key).and_then(|h| h.value))
            .map(|v| String::from_utf8_lossy(v).to_string())
            .unwrap_or_default()
    };
    let dead = consume_all(&dlq);
    let mut offsets: Vec<String> = dead
        .iter()
        .map(|m| header(m, "__connect.errors.offset"))
        .collect();
    offsets.dedup();
    assert_eq!(offsets, ["10"], "the duplicate is dead-lettered");
    let message = header(&dead[0], "__connect.errors.exception.message");
    assert!(message.contains("code 11000"), "{message}");
    assert_eq!(dead[0].payload(), Some(r#"{"_id": 5, "i": 10}"#.as_bytes()));
    mongo::drop_database(&database);
}

#[test]
fn without_tolerance_a_rejected_document_fails_the_task() {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = mongo::unique_database("fail");
    let topic = unique("mongo-fail");
    send(&topic, &inserts_with_a_duplicate());
    let connector = sink(dir.path(), "strict", &topic, &database, &insert_settings());
    let log = dir.path().join("sluice.log");
    let mut sluice = Sluice::standalone(&worker(dir.path()), &[connector], &log);
    let status_url = format!("{}/connectors/strict/status", rest_url(&log));
    let status: Json = wait_for("the task to fail", Duration::from_secs(90), || {
        sluice.assert_running();
        let status: Json = serde_json::from_str(&http_get(&status_url)).ok()?;
        (status["tasks"][0]["state"] == "FAILED").then_some(status)
    });
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains("rejected") && trace.contains("code 11000"),
        "{trace}"
    );
    assert!(
        trace.contains(&format!("{topic}/0@10")),
        "the trace names the record: {trace}"
    );
    let committed = committed_offset("connect-strict", &topic);
    assert!(
        committed.is_none_or(|c| c <= 10),
        "nothing from the failed record on is committed: {committed:?}"
    );
    drop(sluice);
    let mut written: Vec<i32> = documents(&database, "docs")
        .iter()
        .filter_map(|d| d.get_i32("_id").ok())
        .collect();
    written.sort();
    assert_eq!(
        written,
        (0..10).collect::<Vec<_>>(),
        "ordered writes stop at the rejected document"
    );
    mongo::drop_database(&database);
}

/// One connector, three topics: the first with the connector's settings, the second with its
/// own collection and id strategy, the third routed by a value field.
#[test]
fn per_topic_overrides_and_field_path_namespaces() {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = mongo::unique_database("routes");
    let plain = unique("mongo-plain");
    let custom = unique("mongo-custom");
    let routed = unique("mongo-routed");
    send(&plain, &values(&[r#"{"_id": "p1", "n": 1}"#]));
    send(&custom, &values(&[r#"{"_id": "c1", "n": 2}"#]));
    send(
        &routed,
        &values(&[
            r#"{"_id": "e1", "route": {"to": "east"}}"#,
            r#"{"_id": "w1", "route": {"to": "west"}}"#,
            r#"{"_id": "f1", "route": {"to": 7}}"#,
        ]),
    );
    let settings = format!(
        "collection: base\n{}\
         topic.override.{custom}.collection: special\n\
         topic.override.{custom}.document.id.strategy: {STRATEGY}.KafkaMetaDataStrategy\n\
         topic.override.{custom}.document.id.strategy.overwrite.existing: true\n\
         topic.override.{routed}.namespace.mapper: com.mongodb.kafka.connect.sink.namespace.mapping.FieldPathNamespaceMapper\n\
         topic.override.{routed}.namespace.mapper.value.collection.field: route.to\n\
         topic.override.{routed}.collection: fallback\n",
        strategy("ProvidedInValueStrategy")
    );
    let topics = format!("{plain},{custom},{routed}");
    let connector = sink(dir.path(), "routes", &topics, &database, &settings);
    let log = dir.path().join("sluice.log");
    let mut sluice = Sluice::standalone(&worker(dir.path()), &[connector], &log);
    wait_committed(&mut sluice, "routes", &plain, 1, Duration::from_secs(90));
    wait_committed(&mut sluice, "routes", &custom, 1, Duration::from_secs(60));
    wait_committed(&mut sluice, "routes", &routed, 3, Duration::from_secs(60));
    assert_eq!(sluice.terminate(), Some(0));

    assert_eq!(documents(&database, "base"), [doc! {"_id": "p1", "n": 1}]);
    assert_eq!(
        documents(&database, "special"),
        [doc! {"_id": format!("{custom}-0-0"), "n": 2}]
    );
    assert_eq!(
        ids(&documents(&database, "east")),
        [Bson::String("e1".into())]
    );
    assert_eq!(
        ids(&documents(&database, "west")),
        [Bson::String("w1".into())]
    );
    assert_eq!(
        ids(&documents(&database, "fallback")),
        [Bson::String("f1".into())],
        "a non-string name falls back to the collection setting"
    );
    mongo::drop_database(&database);
}

/// The connection to the server is cut for 15 s mid-stream (through a relay, so that the shared
/// server and its data stay as they are), then restored. With a short server-selection timeout
/// the writes fail during the cut and the sink retries them; afterwards every record is written
/// exactly once, those before the outage included.
#[test]
fn a_connection_outage_mid_stream_loses_nothing() {
    const FIRST: i64 = 500;
    const TOTAL: i64 = 2_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let database = mongo::unique_database("outage");
    let topic = unique("mongo-outage");
    let batch = |range: std::ops::Range<i64>| -> Vec<Message> {
        range
            .map(|i| text(None, Some(&format!(r#"{{"_id": "d{i}", "n": {i}}}"#))))
            .collect()
    };
    send(&topic, &batch(0..FIRST));
    let relay = harness::relay::Relay::start(&mongo::host_port());
    let connector = write_file(
        dir.path(),
        "outage.yaml",
        &format!(
            "name: {topic}\nconnector.class: com.mongodb.kafka.connect.MongoSinkConnector\n\
             topics: '{topic}'\n\
             connection.uri: 'mongodb://{}/?directConnection=true&serverSelectionTimeoutMS=2000'\n\
             database: {database}\ncollection: docs\nmax.batch.size: 100\n\
             max.num.retries: 2\nretries.defer.timeout: 500\n{}",
            relay.addr(),
            strategy("ProvidedInValueStrategy")
        ),
    );
    let log = dir.path().join("sluice.log");
    let mut sluice = Sluice::standalone(&worker(dir.path()), &[connector], &log);
    wait_committed(&mut sluice, &topic, &topic, FIRST, Duration::from_secs(90));

    relay.cut();
    let cut = Instant::now();
    send(&topic, &batch(FIRST..TOTAL));
    while cut.elapsed() < Duration::from_secs(15) {
        sluice.assert_running();
        std::thread::sleep(Duration::from_millis(200));
    }
    let during = committed_offset(&format!("connect-{topic}"), &topic);
    relay.restore();
    assert_eq!(
        during,
        Some(FIRST),
        "nothing is committed while the server is unreachable"
    );

    wait_committed(&mut sluice, &topic, &topic, TOTAL, Duration::from_secs(120));
    assert_eq!(sluice.terminate(), Some(0));
    let docs = documents(&database, "docs");
    assert_eq!(docs.len() as i64, TOTAL, "every record written, none twice");
    for doc in &docs {
        let id = doc.get_str("_id").expect("string _id");
        let n: i64 = id.trim_start_matches('d').parse().expect("numeric id");
        let stored = doc
            .get_i64("n")
            .or_else(|_| doc.get_i32("n").map(i64::from));
        assert_eq!(stored, Ok(n), "{doc}");
    }
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        text.contains("bulk write failed; retrying"),
        "writes were retried during the outage"
    );
    mongo::drop_database(&database);
}
