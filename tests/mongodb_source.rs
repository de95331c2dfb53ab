//! The MongoDB change-stream source (`com.mongodb.kafka.connect.MongoSourceConnector`) against a
//! real MongoDB-wire server and Kafka: event shapes and topics, database streams, pipelines,
//! full-document-only output with tombstones, resume after SIGTERM and SIGKILL, copy_existing,
//! heartbeats, the JSON formatters and schema output. Needs the services of `scripts/services up`.
//!
//! The suite also runs against nx-27017, which differs from MongoDB in a few ways; where it
//! does, the test checks what that server does and says so (see `Server`), never pretending.

mod harness;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use harness::mongodb::run;
use harness::{Sluice, consume_all, unique, wait_for, worker_file, write_file};
use mongodb::bson::{Bson, Document, doc};
use rdkafka::Message;
use serde_json::{Value as Json, json};

const TIMEOUT: Duration = Duration::from_secs(60);

/// The MongoDB connection string under test.
fn mongodb_uri() -> String {
    harness::mongodb::uri()
}

/// Runs a driver action (an `IntoFuture`) on the harness's runtime.
fn block<F: std::future::IntoFuture>(action: F) -> F::Output {
    run(async move { action.await })
}

/// The test server, with one database per test (dropped at the end).
struct Mongo {
    client: mongodb::Client,
    db: String,
}

/// What kind of server the test runs on, for the few places where nx-27017 departs from MongoDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    MongoDb,
    /// nx-27017: reports a replace as an update, streams only collections (database and
    /// deployment streams stay silent), and records changes only once a stream watches them.
    Nx,
}

impl Mongo {
    fn new(name: &str) -> Mongo {
        Mongo {
            client: harness::mongodb::client(),
            db: harness::mongodb::unique_database(name),
        }
    }

    fn server(&self) -> Server {
        let info = block(
            self.client
                .database("admin")
                .run_command(doc! {"buildInfo": 1}),
        )
        .expect("buildInfo");
        match info.get_str("process") {
            Ok("nx_27017") => Server::Nx,
            _ => Server::MongoDb,
        }
    }

    fn coll(&self, name: &str) -> mongodb::Collection<Document> {
        self.client.database(&self.db).collection(name)
    }

    fn insert(&self, coll: &str, docs: Vec<Document>) {
        block(self.coll(coll).insert_many(docs)).expect("insert");
    }

    fn update(&self, coll: &str, id: &str, set: Document) {
        block(
            self.coll(coll)
                .update_one(doc! {"_id": id}, doc! {"$set": set}),
        )
        .expect("update");
    }

    fn replace(&self, coll: &str, id: &str, replacement: Document) {
        block(self.coll(coll).replace_one(doc! {"_id": id}, replacement)).expect("replace");
    }

    fn delete(&self, coll: &str, id: &str) {
        block(self.coll(coll).delete_one(doc! {"_id": id})).expect("delete");
    }

    /// Whether a database-level change stream sees a write to one of its collections, asked
    /// with plain commands on one session (as the connector reads streams).
    fn database_streams_work(&self) -> bool {
        block(async {
            let db = self.client.database(&self.db);
            let mut session = self.client.start_session().await.expect("session");
            let opened = db
                .run_command(
                    doc! {"aggregate": 1, "pipeline": [{"$changeStream": {}}], "cursor": {}},
                )
                .session(&mut session)
                .await
                .expect("database change stream");
            let cursor = opened.get_document("cursor").expect("cursor");
            let id = match cursor.get("id") {
                Some(Bson::Int64(id)) => *id,
                Some(Bson::Int32(id)) => i64::from(*id),
                other => panic!("cursor id {other:?}"),
            };
            let ns = cursor.get_str("ns").unwrap_or_default();
            let collection = ns.split_once('.').map_or(ns, |(_, c)| c).to_string();
            db.collection::<Document>("probe")
                .insert_one(doc! {"_id": "probe"})
                .await
                .expect("probe insert");
            for _ in 0..5 {
                let more = db
                    .run_command(
                        doc! {"getMore": id, "collection": collection.as_str(), "maxTimeMS": 300},
                    )
                    .session(&mut session)
                    .await
                    .expect("getMore");
                let seen = more
                    .get_document("cursor")
                    .and_then(|c| c.get_array("nextBatch"))
                    .is_ok_and(|batch| !batch.is_empty());
                if seen {
                    return true;
                }
            }
            false
        })
    }
}

impl Drop for Mongo {
    fn drop(&mut self) {
        let _ = block(self.client.database(&self.db).drop());
    }
}

/// `n` documents `{_id: "<prefix><i>", n: i}`.
fn docs(prefix: &str, range: std::ops::RangeInclusive<i32>) -> Vec<Document> {
    range
        .map(|i| doc! {"_id": format!("{prefix}{i}"), "n": i})
        .collect()
}

/// A worker with file offsets and one test's connector files.
struct Pipeline {
    dir: tempfile::TempDir,
    worker: PathBuf,
    prefix: String,
}

impl Pipeline {
    fn new(name: &str) -> Pipeline {
        let dir = tempfile::tempdir().expect("tempdir");
        let worker = worker_file(
            dir.path(),
            "org.apache.kafka.connect.storage.StringConverter",
            "",
        );
        Pipeline {
            dir,
            worker,
            prefix: unique(name),
        }
    }

    /// A connector file with the official connector's keys and `settings`.
    fn connector(&self, name: &str, settings: &str) -> PathBuf {
        write_file(
            self.dir.path(),
            &format!("{name}.properties"),
            &format!(
                "name={prefix}-{name}\nconnector.class=com.mongodb.kafka.connect.MongoSourceConnector\n\
                 connection.uri={uri}\npoll.await.time.ms=300\n{settings}\n",
                prefix = self.prefix,
                uri = mongodb_uri(),
            ),
        )
    }

    /// Starts the worker with one connector and waits until its change stream is open.
    fn start(&self, settings: &str) -> Sluice {
        self.start_all(&[self.connector("source", settings)])
    }

    /// Starts the worker with `connectors` and waits until each has opened its stream.
    fn start_all(&self, connectors: &[PathBuf]) -> Sluice {
        let before = self.opened_streams();
        let mut sluice = Sluice::standalone(&self.worker, connectors, &self.log());
        wait_for("the change streams to open", TIMEOUT, || {
            sluice.assert_running();
            (self.opened_streams() >= before + connectors.len()).then_some(())
        });
        sluice
    }

    fn opened_streams(&self) -> usize {
        std::fs::read_to_string(self.log())
            .unwrap_or_default()
            .matches("MongoDB change stream opened")
            .count()
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("sluice.log")
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(self.log()).unwrap_or_default()
    }

    /// The committed offset of the connector `name` whose partition has `ns`.
    fn stored_offset(&self, name: &str) -> Option<Json> {
        let text = std::fs::read_to_string(self.dir.path().join("offsets.json")).ok()?;
        let doc: Json = serde_json::from_str(&text).ok()?;
        let connector = format!("{}-{name}", self.prefix);
        doc["offsets"]
            .as_array()?
            .iter()
            .find(|e| e["key"][0] == connector.as_str())
            .map(|e| json!({"partition": e["key"][1].clone(), "offset": e["value"].clone()}))
    }
}

/// A record's key and value as JSON (null for a tombstone).
#[derive(Debug, Clone)]
struct Event {
    key: Json,
    value: Json,
}

fn events(topic: &str) -> Vec<Event> {
    consume_all(topic)
        .iter()
        .map(|m| {
            let parse = |bytes: Option<&[u8]>| {
                bytes.map_or(Json::Null, |b| {
                    serde_json::from_slice(b).expect("JSON text")
                })
            };
            Event {
                key: parse(m.key()),
                value: parse(m.payload()),
            }
        })
        .collect()
}

/// Waits until `topic` holds at least `n` records, then checks that no more arrive.
fn wait_for_events(topic: &str, n: usize, sluice: &mut Sluice, p: &Pipeline) -> Vec<Event> {
    wait_for(&format!("{n} records in {topic}"), TIMEOUT, || {
        sluice.assert_running();
        let found = events(topic);
        (found.len() >= n).then_some(())
    });
    std::thread::sleep(Duration::from_millis(800));
    let found = events(topic);
    assert_eq!(
        found.len(),
        n,
        "{topic} holds {} records, expected {n}:\n{found:#?}\nlog:\n{}",
        found.len(),
        p.log_text()
    );
    found
}

/// Sorts events into stream order. Records are keyed by resume token, so they spread over
/// partitions; tokens sort in stream order (by length first, for nx-27017's `nx:<n>`).
fn stream_order(events: &mut [Event]) {
    events.sort_by_key(|e| {
        let token = e.key["_id"]["_data"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        (token.len(), token)
    });
}

/// How often each `fullDocument._id` of an insert occurs.
fn insert_counts(events: &[Event]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for e in events {
        if e.value["operationType"] == "insert" {
            let id = e.value["fullDocument"]["_id"]
                .as_str()
                .expect("string _id")
                .to_string();
            *counts.entry(id).or_default() += 1;
        }
    }
    counts
}

fn ids(prefix: &str, range: std::ops::RangeInclusive<i32>) -> Vec<String> {
    range.map(|i| format!("{prefix}{i}")).collect()
}

fn stop(sluice: Sluice) {
    assert_eq!(sluice.terminate(), Some(0), "clean exit on SIGTERM");
}

#[test]
fn collection_events_land_on_prefix_db_coll_with_the_official_shape() {
    let m = Mongo::new("msrc_shape");
    let p = Pipeline::new("msrc-shape");
    let mut sluice = p.start(&format!(
        "database={}\ncollection=orders\ntopic.prefix={}",
        m.db, p.prefix
    ));
    m.insert("orders", vec![doc! {"_id": "a", "n": 1}]);
    m.update("orders", "a", doc! {"n": 2});
    m.replace("orders", "a", doc! {"n": 3});
    m.delete("orders", "a");

    let topic = format!("{}.{}.orders", p.prefix, m.db);
    let mut found = wait_for_events(&topic, 4, &mut sluice, &p);
    stop(sluice);
    // Records are keyed by resume token, so they spread over partitions; tokens sort in
    // stream order (by length first, for nx-27017's `nx:<n>`).
    found.sort_by_key(|e| {
        let token = e.value["_id"]["_data"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        (token.len(), token)
    });
    let ops: Vec<&str> = found
        .iter()
        .map(|e| e.value["operationType"].as_str().expect("operationType"))
        .collect();
    match m.server() {
        Server::MongoDb => assert_eq!(ops, ["insert", "update", "replace", "delete"]),
        // nx-27017 reports a replacement as an update carrying the new document.
        Server::Nx => assert_eq!(ops, ["insert", "update", "update", "delete"]),
    }
    for event in &found {
        assert_eq!(event.value["ns"], json!({"db": m.db, "coll": "orders"}));
        assert_eq!(event.value["documentKey"], json!({"_id": "a"}));
        // The key is the event's resume token, as the official connector writes it.
        assert_eq!(event.key, json!({"_id": event.value["_id"].clone()}));
        assert!(event.value["_id"]["_data"].is_string(), "{event:?}");
    }
    assert_eq!(found[0].value["fullDocument"], json!({"_id": "a", "n": 1}));
    assert_eq!(found[2].value["fullDocument"]["n"], 3);

    // The stored offset resumes after the last event, under the official partition.
    let stored = p.stored_offset("source").expect("stored offset");
    let host = mongodb_uri()
        .trim_start_matches("mongodb://")
        .split(['/', '?'])
        .next()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        stored["partition"],
        json!({"ns": format!("mongodb://{host}/{}.orders", m.db)})
    );
    let token: Json =
        serde_json::from_str(stored["offset"]["_id"].as_str().expect("_id")).expect("token JSON");
    assert_eq!(token, found[3].value["_id"]);
}

#[test]
fn pipeline_filters_the_stream() {
    let m = Mongo::new("msrc_pipe");
    let p = Pipeline::new("msrc-pipe");
    let mut sluice = p.start(&format!(
        "database={}\ncollection=items\ntopic.prefix={}\n\
         pipeline=[{{\"$match\": {{\"operationType\": \"insert\"}}}}]",
        m.db, p.prefix
    ));
    m.insert("items", docs("i", 1..=3));
    m.update("items", "i1", doc! {"n": 10});
    m.delete("items", "i2");
    m.insert("items", docs("i", 4..=4));
    let topic = format!("{}.{}.items", p.prefix, m.db);
    let found = wait_for_events(&topic, 4, &mut sluice, &p);
    stop(sluice);
    let want: BTreeMap<String, usize> = ids("i", 1..=4).into_iter().map(|id| (id, 1)).collect();
    assert_eq!(
        insert_counts(&found),
        want,
        "only the inserts pass the pipeline"
    );
}

#[test]
fn full_document_only_publishes_documents_and_tombstones_deletes() {
    let m = Mongo::new("msrc_full");
    let p = Pipeline::new("msrc-full");
    let mut sluice = p.start(&format!(
        "database={}\ncollection=users\ntopic.namespace.map={{\"{}.users\": \"{}-users\"}}\n\
         publish.full.document.only=true\npublish.full.document.only.tombstone.on.delete=true",
        m.db, m.db, p.prefix
    ));
    m.insert("users", vec![doc! {"_id": "u1", "name": "ada"}]);
    m.update("users", "u1", doc! {"name": "grace"});
    m.delete("users", "u1");
    let topic = format!("{}-users", p.prefix);
    let mut found = wait_for_events(&topic, 3, &mut sluice, &p);
    stop(sluice);
    stream_order(&mut found);
    assert_eq!(found[0].value, json!({"_id": "u1", "name": "ada"}));
    assert_eq!(
        found[1].value,
        json!({"_id": "u1", "name": "grace"}),
        "updateLookup is forced"
    );
    assert_eq!(found[2].value, Json::Null, "a delete becomes a tombstone");
    for event in &found {
        assert!(event.key["_id"]["_data"].is_string(), "{event:?}");
    }
}

#[test]
fn restart_resumes_after_sigterm_and_sigkill_without_a_gap() {
    let m = Mongo::new("msrc_resume");
    let p = Pipeline::new("msrc-resume");
    let settings = format!(
        "database={}\ncollection=log\ntopic.prefix={}\npoll.max.batch.size=3",
        m.db, p.prefix
    );
    let topic = format!("{}.{}.log", p.prefix, m.db);
    let mut first = p.start(&settings);
    m.insert("log", docs("e", 1..=5));
    wait_for_events(&topic, 5, &mut first, &p);
    stop(first);

    // Written while the connector is down: picked up from the stored resume token.
    m.insert("log", docs("e", 6..=10));
    let mut second = p.start(&settings);
    let found = wait_for_events(&topic, 10, &mut second, &p);
    let want: BTreeMap<String, usize> = ids("e", 1..=10).into_iter().map(|id| (id, 1)).collect();
    assert_eq!(
        insert_counts(&found),
        want,
        "every change exactly once after SIGTERM"
    );

    m.insert("log", docs("e", 11..=15));
    wait_for("events 11-15", TIMEOUT, || {
        second.assert_running();
        (insert_counts(&events(&topic)).len() == 15).then_some(())
    });
    second.kill();
    m.insert("log", docs("e", 16..=20));
    let mut third = p.start(&settings);
    let counts = wait_for("events 16-20 after SIGKILL", TIMEOUT, || {
        third.assert_running();
        let counts = insert_counts(&events(&topic));
        (counts.len() == 20).then_some(counts)
    });
    stop(third);
    for id in ids("e", 1..=20) {
        assert!(
            counts.get(&id).is_some_and(|n| *n >= 1),
            "{id} missing: {counts:?}"
        );
    }
    for id in ids("e", 1..=10) {
        assert_eq!(counts[&id], 1, "{id} was committed before the kill");
    }
}

#[test]
fn copy_existing_copies_then_streams_without_loss() {
    let m = Mongo::new("msrc_copy");
    let p = Pipeline::new("msrc-copy");
    m.insert("stock", docs("pre", 1..=40));
    let mut sluice = p.start(&format!(
        "database={}\ncollection=stock\ntopic.prefix={}\nstartup.mode=copy_existing\npoll.max.batch.size=7",
        m.db, p.prefix
    ));
    // Written while the copy may still run, and after it.
    m.insert("stock", docs("during", 1..=10));
    m.update("stock", "pre1", doc! {"n": 100});
    wait_for("the copy to finish", TIMEOUT, || {
        sluice.assert_running();
        p.log_text()
            .contains("finished copying existing data")
            .then_some(())
    });
    m.insert("stock", docs("after", 1..=5));
    let topic = format!("{}.{}.stock", p.prefix, m.db);
    let found = wait_for("every document", TIMEOUT, || {
        sluice.assert_running();
        let found = events(&topic);
        let counts = insert_counts(&found);
        let all = ids("pre", 1..=40)
            .into_iter()
            .chain(ids("during", 1..=10))
            .chain(ids("after", 1..=5))
            .all(|id| counts.contains_key(&id));
        let updated = found.iter().any(|e| e.value["operationType"] == "update");
        (all && updated).then_some(found)
    });
    stop(sluice);
    let copied: Vec<&Event> = found
        .iter()
        .filter(|e| e.value["_id"]["copyingData"] == true)
        .collect();
    assert!(copied.len() >= 40, "40 documents copied: {}", copied.len());
    for event in &copied {
        assert_eq!(event.value["operationType"], "insert");
        assert_eq!(event.value["ns"], json!({"db": m.db, "coll": "stock"}));
        assert_eq!(
            event.value["documentKey"]["_id"],
            event.value["fullDocument"]["_id"]
        );
        assert_eq!(event.key, json!({"_id": event.value["_id"].clone()}));
    }
    // The stored offset no longer carries the copy marker once streamed events were committed.
    let stored = p.stored_offset("source").expect("stored offset");
    assert!(stored["offset"].get("copy").is_none(), "{stored}");
}

#[test]
fn database_stream_and_copy_cover_every_collection() {
    let m = Mongo::new("msrc_db");
    let p = Pipeline::new("msrc-db");
    let server = m.server();
    for coll in ["alpha", "beta"] {
        m.insert(coll, docs(&format!("{coll}-"), 1..=3));
    }
    let streams_work = m.database_streams_work();
    let mut sluice = p.start(&format!(
        "database={}\ntopic.prefix={}\nstartup.mode=copy_existing\n\
         startup.mode.copy.existing.namespace.regex={}\\.(alpha|beta)",
        m.db, p.prefix, m.db
    ));
    wait_for("the copy to finish", TIMEOUT, || {
        sluice.assert_running();
        p.log_text()
            .contains("finished copying existing data")
            .then_some(())
    });
    m.insert("alpha", docs("alpha-", 4..=4));
    m.insert("beta", docs("beta-", 4..=4));
    let expected = if streams_work { 4 } else { 3 };
    let alpha = format!("{}.{}.alpha", p.prefix, m.db);
    let beta = format!("{}.{}.beta", p.prefix, m.db);
    let alpha_events = wait_for_events(&alpha, expected, &mut sluice, &p);
    let beta_events = wait_for_events(&beta, expected, &mut sluice, &p);
    stop(sluice);
    assert_eq!(
        insert_counts(&alpha_events).into_keys().collect::<Vec<_>>(),
        ids("alpha-", 1..=expected as i32)
    );
    assert_eq!(
        insert_counts(&beta_events).into_keys().collect::<Vec<_>>(),
        ids("beta-", 1..=expected as i32)
    );
    if !streams_work {
        // A departure of the server, not of the connector: nx-27017 delivers no events on a
        // database-level stream (checked above with the driver alone), so only the copy lands.
        assert_eq!(
            server,
            Server::Nx,
            "a MongoDB server without database change streams"
        );
        eprintln!("nx-27017: database-level change streams deliver nothing; checked the copy only");
    }
}

#[test]
fn heartbeats_advance_the_stored_offset_of_a_quiet_stream() {
    let m = Mongo::new("msrc_beat");
    let p = Pipeline::new("msrc-beat");
    let heartbeats = format!("{}-heartbeats", p.prefix);
    // Only deletes pass the pipeline: the inserts below advance the stream without an event.
    let settings = format!(
        "database={}\ncollection=quiet\ntopic.prefix={}\nheartbeat.interval.ms=200\nheartbeat.topic.name={heartbeats}\n\
         pipeline=[{{\"$match\": {{\"operationType\": \"delete\"}}}}]",
        m.db, p.prefix
    );
    let mut sluice = p.start(&settings);
    let first = wait_for("a first heartbeat", TIMEOUT, || {
        sluice.assert_running();
        events(&heartbeats).pop()
    });
    m.insert("quiet", docs("q", 1..=3));
    let later = wait_for("a heartbeat with a newer token", TIMEOUT, || {
        sluice.assert_running();
        events(&heartbeats).pop().filter(|e| e.key != first.key)
    });
    assert_eq!(later.value, Json::Null, "heartbeats have no value");
    assert!(later.key["_data"].is_string(), "{later:?}");
    let stored = wait_for("the heartbeat offset to be stored", TIMEOUT, || {
        let stored = p.stored_offset("source")?;
        let token: Json = serde_json::from_str(stored["offset"]["_id"].as_str()?).ok()?;
        (token == later.key).then_some(stored)
    });
    assert_eq!(stored["offset"]["HEARTBEAT"], "true");
    stop(sluice);

    // The heartbeat token resumes: a delete made while stopped is the next event.
    m.delete("quiet", "q2");
    let mut again = p.start(&settings);
    let topic = format!("{}.{}.quiet", p.prefix, m.db);
    let found = wait_for_events(&topic, 1, &mut again, &p);
    stop(again);
    assert_eq!(found[0].value["operationType"], "delete");
    assert_eq!(found[0].value["documentKey"], json!({"_id": "q2"}));
}

#[test]
fn json_formatters_write_canonical_relaxed_and_simplified_json() {
    let m = Mongo::new("msrc_fmt");
    let p = Pipeline::new("msrc-fmt");
    let connectors: Vec<PathBuf> = [
        ("default", "DefaultJson"),
        ("extended", "ExtendedJson"),
        ("simplified", "SimplifiedJson"),
    ]
    .iter()
    .map(|(name, class)| {
        p.connector(
            name,
            &format!(
                "database={}\ncollection=types\ntopic.prefix={}-{name}\n\
                 output.json.formatter=com.mongodb.kafka.connect.source.json.formatter.{class}",
                m.db, p.prefix
            ),
        )
    })
    .collect();
    let mut sluice = p.start_all(&connectors);
    m.insert(
        "types",
        vec![doc! {"_id": "t", "i": 7, "big": Bson::Int64(1 << 40), "d": 1.5, "w": 2.0}],
    );
    let mut value = |name: &str| -> Json {
        let topic = format!("{}-{name}.{}.types", p.prefix, m.db);
        wait_for_events(&topic, 1, &mut sluice, &p).remove(0).value
    };
    let (default, extended, simplified) =
        (value("default"), value("extended"), value("simplified"));
    stop(sluice);

    assert_eq!(
        extended["fullDocument"],
        json!({"_id": "t", "i": {"$numberInt": "7"}, "big": {"$numberLong": "1099511627776"},
               "d": {"$numberDouble": "1.5"}, "w": {"$numberDouble": "2.0"}})
    );
    assert_eq!(
        default["fullDocument"],
        json!({"_id": "t", "i": 7, "big": {"$numberLong": "1099511627776"}, "d": 1.5, "w": 2.0})
    );
    assert_eq!(
        simplified["fullDocument"],
        json!({"_id": "t", "i": 7, "big": 1099511627776_i64, "d": 1.5, "w": 2.0})
    );
    // Dates: wallTime is set by MongoDB 6.0+ and by nx-27017.
    if let Some(millis) = extended["wallTime"]["$date"]["$numberLong"].as_str() {
        // Each connector has its own stream, whose wallTime nx-27017 stamps separately.
        assert!(millis.parse::<i64>().is_ok(), "{millis}");
        assert!(default["wallTime"]["$date"].is_i64(), "{default}");
        let iso = simplified["wallTime"].as_str().expect("ISO-8601 string");
        assert!(iso.ends_with('Z') && iso.contains('T'), "{iso}");
    }
}

#[test]
fn schema_output_writes_structs_under_the_default_and_inferred_schemas() {
    let m = Mongo::new("msrc_schema");
    let p = Pipeline::new("msrc-schema");
    let json = "key.converter=org.apache.kafka.connect.json.JsonConverter\n\
                value.converter=org.apache.kafka.connect.json.JsonConverter";
    let connectors = [
        p.connector(
            "events",
            &format!(
                "database={}\ncollection=things\ntopic.prefix={}-events\n\
                 output.format.key=schema\noutput.format.value=schema\n{json}",
                m.db, p.prefix
            ),
        ),
        p.connector(
            "inferred",
            &format!(
                "database={}\ncollection=things\ntopic.prefix={}-inferred\n\
                 publish.full.document.only=true\noutput.format.value=schema\n\
                 output.schema.infer.value=true\n{json}",
                m.db, p.prefix
            ),
        ),
    ];
    let mut sluice = p.start_all(&connectors);
    let document = doc! {"_id": "a", "n": 7, "tags": ["x", "y"], "at": {"city": "Oslo"}};
    m.insert("things", vec![document]);
    let topic = |name: &str| format!("{}-{name}.{}.things", p.prefix, m.db);
    let event = wait_for_events(&topic("events"), 1, &mut sluice, &p).remove(0);
    let inferred = wait_for_events(&topic("inferred"), 1, &mut sluice, &p).remove(0);
    stop(sluice);

    // The official change-event schema: nested documents as JSON strings.
    assert_eq!(event.key["schema"]["name"], "keySchema");
    let token = event.key["payload"]["_id"].as_str().expect("token JSON");
    assert!(token.contains("_data"), "{token}");
    assert_eq!(event.value["schema"]["name"], "ChangeStream");
    let payload = &event.value["payload"];
    assert_eq!(payload["operationType"], "insert");
    assert_eq!(payload["ns"], json!({"db": m.db, "coll": "things"}));
    let full: Json =
        serde_json::from_str(payload["fullDocument"].as_str().expect("fullDocument JSON"))
            .expect("JSON text");
    assert_eq!(
        full,
        json!({"_id": "a", "n": 7, "tags": ["x", "y"], "at": {"city": "Oslo"}})
    );

    // An inferred schema: typed fields, `_id` first and the rest by name.
    assert_eq!(
        inferred.value["payload"],
        json!({"_id": "a", "at": {"city": "Oslo"}, "n": 7, "tags": ["x", "y"]})
    );
    let fields: Vec<(String, String)> = inferred.value["schema"]["fields"]
        .as_array()
        .expect("struct fields")
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_string(),
                f["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("_id", "string"),
        ("at", "struct"),
        ("n", "int32"),
        ("tags", "array"),
    ];
    assert_eq!(
        fields,
        expected.map(|(f, t)| (f.to_string(), t.to_string()))
    );
}
