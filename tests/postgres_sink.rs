//! The PostgreSQL sink against the real PostgreSQL and Kafka: every insert and pk mode,
//! auto.create/auto.evolve, tombstone deletes, Debezium envelopes, the type mapping, upsert
//! replays, a poison record dead-lettered, and connections killed mid-stream. Needs the services
//! of `scripts/services up`.

mod harness;

use std::path::{Path, PathBuf};
use std::time::Duration;

use harness::postgres::{count, jdbc_url, scalar, sql};
use harness::{
    Sluice, committed_offset, consume_all, json_sink_worker, produce, unique, write_file,
};
use serde_json::{Value as Json, json};

/// A sink connector file writing `topic` into the table of the same name.
fn sink(dir: &Path, name: &str, topic: &str, settings: &str) -> PathBuf {
    write_file(
        dir,
        &format!("{name}.yaml"),
        &format!(
            "name: {name}\nconnector.class: io.confluent.connect.jdbc.JdbcSinkConnector\n\
             topics: {topic}\nconnection.url: '{}'\n{settings}",
            jdbc_url()
        ),
    )
}

/// A JsonConverter envelope.
fn envelope(schema: &Json, payload: Json) -> Vec<u8> {
    json!({"schema": schema, "payload": payload})
        .to_string()
        .into_bytes()
}

fn field(name: &str, ty: &str, optional: bool) -> Json {
    json!({"field": name, "type": ty, "optional": optional})
}

fn struct_schema(fields: Vec<Json>, optional: bool) -> Json {
    json!({"type": "struct", "fields": fields, "optional": optional})
}

fn order_schema() -> Json {
    struct_schema(
        vec![
            field("id", "int64", false),
            field("name", "string", true),
            field("amount", "double", true),
        ],
        false,
    )
}

fn order(id: i64, name: &str, amount: f64) -> Vec<u8> {
    envelope(
        &order_schema(),
        json!({"id": id, "name": name, "amount": amount}),
    )
}

fn key_schema() -> Json {
    struct_schema(vec![field("id", "int64", false)], false)
}

fn key(id: i64) -> Vec<u8> {
    envelope(&key_schema(), json!({"id": id}))
}

/// Produces (key, value) byte pairs.
/// An owned (key, value) pair, either possibly null.
type Message = (Option<Vec<u8>>, Option<Vec<u8>>);

fn send(topic: &str, records: &[Message]) {
    let raw: Vec<harness::RawRecord<'_>> = records
        .iter()
        .map(|(k, v)| (k.as_deref(), v.as_deref()))
        .collect();
    produce(topic, &raw);
}

/// The table's rows as text, ordered by its first column.
fn rows(table: &str, columns: &str) -> Vec<Vec<Option<String>>> {
    sql(&format!("SELECT {columns} FROM \"{table}\" ORDER BY 1"))
}

fn table_exists(table: &str) -> bool {
    scalar(&format!("SELECT to_regclass('\"{table}\"') IS NOT NULL")).as_deref() == Some("t")
}

fn row_count(table: &str) -> i64 {
    if table_exists(table) {
        count(&format!("SELECT count(*) FROM \"{table}\""))
    } else {
        -1
    }
}

fn s(text: &str) -> Option<String> {
    Some(text.to_string())
}

/// Waits until every topic's records are consumed and committed by the connector's group.
fn wait_committed(sluice: &mut Sluice, connector: &str, topic: &str, end: i64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    loop {
        sluice.assert_running();
        let committed = committed_offset(&format!("connect-{connector}"), topic);
        if committed == Some(end) {
            return;
        }
        if std::time::Instant::now() > deadline {
            let log = std::fs::read_to_string(&sluice.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            panic!(
                "{connector} committed {committed:?} of {topic}, not {end}, within 90 s; log tail:\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn insert_and_pk_modes_auto_create_evolve_deletes_and_debezium() {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = unique("pgsink").replace('-', "_");
    let topic = |suffix: &str| format!("{id}_{suffix}");
    let mut connectors = Vec::new();

    // insert, pk.mode=none: every record is a row.
    let plain = topic("plain");
    send(
        &plain,
        &[
            (None, Some(order(1, "a", 1.0))),
            (None, Some(order(1, "a", 1.0))),
            (None, Some(order(2, "b", 2.0))),
        ],
    );
    connectors.push(sink(dir.path(), &plain, &plain, "auto.create: true\n"));

    // insert, pk.mode=kafka: the coordinates are the key.
    let kafka = topic("kafka");
    send(
        &kafka,
        &[
            (None, Some(order(1, "a", 1.0))),
            (None, Some(order(2, "b", 2.0))),
        ],
    );
    connectors.push(sink(
        dir.path(),
        &kafka,
        &kafka,
        "auto.create: true\npk.mode: kafka\n",
    ));

    // upsert, pk.mode=record_key with deletes: the last change per key wins, tombstones delete.
    let keyed = topic("keyed");
    send(
        &keyed,
        &[
            (Some(key(1)), Some(order(1, "first", 1.0))),
            (Some(key(2)), Some(order(2, "two", 2.0))),
            (Some(key(1)), Some(order(1, "second", 1.5))),
            (Some(key(3)), Some(order(3, "three", 3.0))),
            (Some(key(2)), None),
        ],
    );
    connectors.push(sink(
        dir.path(),
        &keyed,
        &keyed,
        "auto.create: true\ninsert.mode: upsert\npk.mode: record_key\ndelete.enabled: true\n",
    ));

    // upsert, pk.mode=record_value with pk.fields.
    let by_value = topic("value");
    send(
        &by_value,
        &[
            (None, Some(order(5, "x", 1.0))),
            (None, Some(order(5, "y", 2.0))),
            (None, Some(order(6, "z", 3.0))),
        ],
    );
    connectors.push(sink(
        dir.path(),
        &by_value,
        &by_value,
        "auto.create: true\ninsert.mode: upsert\npk.mode: record_value\npk.fields: id\n",
    ));

    // update: only rows that exist change.
    let update = topic("update");
    sql(&format!(
        "CREATE TABLE \"{update}\" (id bigint PRIMARY KEY, name text, amount double precision); \
         INSERT INTO \"{update}\" VALUES (1, 'old', 0), (2, 'old', 0)"
    ));
    send(
        &update,
        &[
            (None, Some(order(1, "new", 9.0))),
            (None, Some(order(3, "absent", 9.0))),
        ],
    );
    connectors.push(sink(
        dir.path(),
        &update,
        &update,
        "insert.mode: update\npk.mode: record_value\npk.fields: id\n",
    ));

    // auto.evolve: a later schema with a new optional field adds a nullable column.
    let evolve = topic("evolve");
    let v2 = struct_schema(
        vec![
            field("id", "int64", false),
            field("name", "string", true),
            field("amount", "double", true),
            field("note", "string", true),
        ],
        false,
    );
    send(
        &evolve,
        &[
            (None, Some(order(1, "v1", 1.0))),
            (
                None,
                Some(envelope(
                    &v2,
                    json!({"id": 2, "name": "v2", "amount": 2.0, "note": "added"}),
                )),
            ),
        ],
    );
    connectors.push(sink(
        dir.path(),
        &evolve,
        &evolve,
        "auto.create: true\nauto.evolve: true\ninsert.mode: upsert\npk.mode: record_value\npk.fields: id\n",
    ));

    // Debezium envelopes, applied without the unwrap SMT.
    let cdc = topic("cdc");
    let row = struct_schema(
        vec![field("id", "int64", false), field("name", "string", true)],
        true,
    );
    let mut dbz_fields = vec![
        json!({"field": "before", "type": "struct", "fields": row["fields"], "optional": true}),
    ];
    dbz_fields.push(
        json!({"field": "after", "type": "struct", "fields": row["fields"], "optional": true}),
    );
    dbz_fields.push(field("op", "string", false));
    dbz_fields.push(field("ts_ms", "int64", true));
    let dbz = json!({"type": "struct", "fields": dbz_fields, "optional": false, "name": "server.public.items.Envelope"});
    let change = |op: &str, before: Json, after: Json| {
        envelope(
            &dbz,
            json!({"before": before, "after": after, "op": op, "ts_ms": 1}),
        )
    };
    send(
        &cdc,
        &[
            (
                Some(key(1)),
                Some(change("r", Json::Null, json!({"id": 1, "name": "snap"}))),
            ),
            (
                Some(key(2)),
                Some(change("c", Json::Null, json!({"id": 2, "name": "new"}))),
            ),
            (
                Some(key(1)),
                Some(change(
                    "u",
                    json!({"id": 1, "name": "snap"}),
                    json!({"id": 1, "name": "updated"}),
                )),
            ),
            (
                Some(key(2)),
                Some(change("d", json!({"id": 2, "name": "new"}), Json::Null)),
            ),
            (Some(key(2)), None),
        ],
    );
    connectors.push(sink(
        dir.path(),
        &cdc,
        &cdc,
        "auto.create: true\ninsert.mode: upsert\npk.mode: record_key\ndelete.enabled: true\n",
    ));

    // Schemaless JSON: columns from the object's fields.
    let schemaless = topic("schemaless");
    let doc = |id: i64, site: &str| {
        Some(
            json!({"id": id, "site": site, "reading": {"t": 21.5}})
                .to_string()
                .into_bytes(),
        )
    };
    send(
        &schemaless,
        &[
            (None, doc(1, "a")),
            (None, doc(2, "b")),
            (None, doc(1, "c")),
        ],
    );
    connectors.push(sink(
        dir.path(),
        &schemaless,
        &schemaless,
        "auto.create: true\ninsert.mode: upsert\npk.mode: record_value\npk.fields: id\n\
         value.converter: org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable: false\n",
    ));

    // A poison record (NOT NULL violated) goes to the dead-letter queue; the rest is written.
    let poison = topic("poison");
    let dlq = format!("{poison}_dlq");
    sql(&format!(
        "CREATE TABLE \"{poison}\" (id bigint PRIMARY KEY, name text NOT NULL, amount double precision)"
    ));
    let mut poisoned: Vec<Message> = (1..=20)
        .map(|i| (None, Some(order(i, "ok", 1.0))))
        .collect();
    poisoned[12].1 = Some(envelope(
        &order_schema(),
        json!({"id": 13, "name": null, "amount": 1.0}),
    ));
    send(&poison, &poisoned);
    connectors.push(sink(
        dir.path(),
        &poison,
        &poison,
        &format!(
            "insert.mode: upsert\npk.mode: record_value\npk.fields: id\nerrors.tolerance: all\n\
             errors.deadletterqueue.topic.name: {dlq}\nerrors.deadletterqueue.topic.replication.factor: 1\n\
             errors.deadletterqueue.context.headers.enable: true\n"
        ),
    ));

    let log = dir.path().join("sluice.log");
    let mut sluice = Sluice::standalone(&json_sink_worker(dir.path()), &connectors, &log);
    for (name, topic, end) in [
        (&plain, &plain, 3),
        (&kafka, &kafka, 2),
        (&keyed, &keyed, 5),
        (&by_value, &by_value, 3),
        (&update, &update, 2),
        (&evolve, &evolve, 2),
        (&cdc, &cdc, 5),
        (&schemaless, &schemaless, 3),
        (&poison, &poison, 20),
    ] {
        wait_committed(&mut sluice, name, topic, end);
    }
    assert_eq!(
        sluice.terminate(),
        Some(0),
        "graceful stop; log {}",
        log.display()
    );

    assert_eq!(
        row_count(&plain),
        3,
        "insert without a key writes every record"
    );
    assert_eq!(
        rows(
            &kafka,
            "__connect_offset, __connect_topic, __connect_partition, name"
        ),
        [
            [s("0"), s(&kafka), s("0"), s("a")],
            [s("1"), s(&kafka), s("0"), s("b")]
        ]
    );
    assert_eq!(
        rows(&keyed, "id, name, amount"),
        [
            [s("1"), s("second"), s("1.5")],
            [s("3"), s("three"), s("3")]
        ],
        "upsert by record key, tombstone deleted id 2"
    );
    assert_eq!(
        rows(&by_value, "id, name"),
        [[s("5"), s("y")], [s("6"), s("z")]]
    );
    assert_eq!(
        rows(&update, "id, name, amount"),
        [[s("1"), s("new"), s("9")], [s("2"), s("old"), s("0")]],
        "update changes existing rows only"
    );
    assert_eq!(
        rows(&evolve, "id, name, note"),
        [[s("1"), s("v1"), None], [s("2"), s("v2"), s("added")]]
    );
    assert_eq!(
        scalar(&format!(
            "SELECT is_nullable FROM information_schema.columns WHERE table_name = '{evolve}' AND column_name = 'note'"
        )),
        s("YES")
    );
    assert_eq!(
        rows(&cdc, "id, name"),
        [[s("1"), s("updated")]],
        "Debezium r/c/u/d applied"
    );
    assert_eq!(
        rows(&schemaless, "id, site, reading"),
        [
            [s("1"), s("c"), s("{\"t\": 21.5}")],
            [s("2"), s("b"), s("{\"t\": 21.5}")]
        ]
    );
    assert_eq!(
        scalar(&format!(
            "SELECT data_type FROM information_schema.columns WHERE table_name = '{schemaless}' AND column_name = 'reading'"
        )),
        s("jsonb")
    );
    assert_eq!(
        row_count(&poison),
        19,
        "every good record of the poisoned batch is written"
    );
    let dead = consume_all(&dlq);
    assert_eq!(dead.len(), 1, "the poison record is dead-lettered");
    let dead_value: Json =
        serde_json::from_slice(rdkafka::Message::payload(&dead[0]).expect("payload"))
            .expect("json");
    assert_eq!(dead_value["payload"]["id"], json!(13));
}

#[test]
fn every_connect_type_maps_to_its_column_type() {
    let dir = tempfile::tempdir().expect("tempdir");
    let table = unique("pgtypes").replace('-', "_");
    let logical = |name: &str, ty: &str| json!({"field": name, "type": ty, "optional": false, "name": match ty { "bytes" => "org.apache.kafka.connect.data.Decimal", "int64" => "org.apache.kafka.connect.data.Timestamp", _ => "" }});
    let mut fields = vec![
        field("i8", "int8", false),
        field("i16", "int16", false),
        field("i32", "int32", false),
        field("i64", "int64", false),
        field("f32", "float", false),
        field("f64", "double", false),
        field("flag", "boolean", false),
        field("text", "string", false),
        field("raw", "bytes", false),
        field("maybe", "string", true),
    ];
    let mut decimal = logical("price", "bytes");
    decimal["parameters"] = json!({"scale": "2"});
    fields.push(decimal);
    fields.push(json!({"field": "day", "type": "int32", "optional": false, "name": "org.apache.kafka.connect.data.Date"}));
    fields.push(json!({"field": "at", "type": "int32", "optional": false, "name": "org.apache.kafka.connect.data.Time"}));
    fields.push(logical("ts", "int64"));
    fields.push(json!({"field": "tags", "type": "array", "items": {"type": "string", "optional": false}, "optional": false}));
    fields.push(json!({"field": "attrs", "type": "map", "keys": {"type": "string", "optional": false}, "values": {"type": "int32", "optional": false}, "optional": false}));
    fields.push(json!({"field": "nested", "type": "struct", "fields": [field("x", "int32", false)], "optional": false}));
    let schema = struct_schema(fields, false);
    // 12345 as Decimal(2) is 123.45; its unscaled bytes 0x3039 are "MDk=" in base64.
    let payload = json!({
        "i8": -8, "i16": 1600, "i32": 320000, "i64": 6_400_000_000i64, "f32": 1.5, "f64": 2.25,
        "flag": true, "text": "tab\tand \\ quote'", "raw": "AAEC/w==", "maybe": null,
        "price": "MDk=", "day": 19787, "at": 3723004, "ts": 1709596800123i64,
        "tags": ["a", "b"], "attrs": {"k": 1}, "nested": {"x": 7}
    });
    send(&table, &[(None, Some(envelope(&schema, payload)))]);
    let connector = sink(dir.path(), &table, &table, "auto.create: true\n");
    let log = dir.path().join("sluice.log");
    let mut sluice = Sluice::standalone(&json_sink_worker(dir.path()), &[connector], &log);
    wait_committed(&mut sluice, &table, &table, 1);
    assert_eq!(sluice.terminate(), Some(0));

    let types: Vec<(String, String)> = sql(&format!(
        "SELECT column_name::text, data_type::text FROM information_schema.columns WHERE table_name = '{table}' ORDER BY ordinal_position"
    ))
    .into_iter()
    .map(|r| (r[0].clone().unwrap_or_default(), r[1].clone().unwrap_or_default()))
    .collect();
    let expected = [
        ("i8", "smallint"),
        ("i16", "smallint"),
        ("i32", "integer"),
        ("i64", "bigint"),
        ("f32", "real"),
        ("f64", "double precision"),
        ("flag", "boolean"),
        ("text", "text"),
        ("raw", "bytea"),
        ("maybe", "text"),
        ("price", "numeric"),
        ("day", "date"),
        ("at", "time without time zone"),
        ("ts", "timestamp with time zone"),
        ("tags", "jsonb"),
        ("attrs", "jsonb"),
        ("nested", "jsonb"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(types, expected);
    let values = sql(&format!(
        "SET TIME ZONE 'UTC'; SELECT i8, i16, i32, i64, f32, f64, flag, text, encode(raw, 'hex'), maybe, price, day, at, ts, tags, attrs, nested FROM \"{table}\""
    ));
    assert_eq!(
        values,
        [[
            s("-8"),
            s("1600"),
            s("320000"),
            s("6400000000"),
            s("1.5"),
            s("2.25"),
            s("t"),
            s("tab\tand \\ quote'"),
            s("000102ff"),
            None,
            s("123.45"),
            s("2024-03-05"),
            s("01:02:03.004"),
            s("2024-03-05 00:00:00.123+00"),
            s("[\"a\", \"b\"]"),
            s("{\"k\": 1}"),
            s("{\"x\": 7}"),
        ]]
    );
    // NOT NULL follows the schema's optional flag.
    assert_eq!(
        count(&format!(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = '{table}' AND is_nullable = 'YES'"
        )),
        1
    );
}

#[test]
fn replaying_an_upsert_stream_leaves_the_table_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let table = unique("pgreplay").replace('-', "_");
    // 300 records over 100 keys: the same keys are written three times within the stream.
    let records: Vec<_> = (0..300)
        .map(|i| {
            (
                Some(key(i % 100)),
                Some(order(i % 100, &format!("v{i}"), i as f64)),
            )
        })
        .collect();
    send(&table, &records);
    let settings = format!(
        "table.name.format: {table}\nauto.create: true\ninsert.mode: upsert\npk.mode: record_key\n"
    );
    let log = dir.path().join("sluice.log");
    let first = sink(dir.path(), &format!("{table}_a"), &table, &settings);
    let mut sluice = Sluice::standalone(&json_sink_worker(dir.path()), &[first], &log);
    wait_committed(&mut sluice, &format!("{table}_a"), &table, 300);
    assert_eq!(sluice.terminate(), Some(0));
    let written = rows(&table, "*");
    assert_eq!(written.len(), 100);
    assert_eq!(
        written[7],
        [s("7"), s("v207"), s("207")],
        "the last change per key wins"
    );

    // A second connector (its own consumer group) delivers the whole stream again.
    let second = sink(dir.path(), &format!("{table}_b"), &table, &settings);
    let mut sluice = Sluice::standalone(&json_sink_worker(dir.path()), &[second], &log);
    wait_committed(&mut sluice, &format!("{table}_b"), &table, 300);
    assert_eq!(sluice.terminate(), Some(0));
    assert_eq!(
        rows(&table, "*"),
        written,
        "a replay is a no-op in upsert mode"
    );
}

#[test]
fn connections_killed_mid_stream_lose_nothing() {
    const RECORDS: i64 = 10_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let table = unique("pgoutage").replace('-', "_");
    // Every statement on the table takes at least 100 ms, so a kill lands inside a write.
    sql(&format!(
        "CREATE TABLE \"{table}\" (id bigint PRIMARY KEY, name text, amount double precision); \
         CREATE FUNCTION \"{table}_slow\"() RETURNS trigger LANGUAGE plpgsql AS \
           $$ BEGIN PERFORM pg_sleep(0.1); RETURN NULL; END $$; \
         CREATE TRIGGER slow BEFORE INSERT OR UPDATE ON \"{table}\" \
           FOR EACH STATEMENT EXECUTE FUNCTION \"{table}_slow\"()"
    ));
    let records: Vec<_> = (0..RECORDS)
        .map(|i| (Some(key(i)), Some(order(i, "x", i as f64))))
        .collect();
    send(&table, &records);
    let log = dir.path().join("sluice.log");
    let connector = sink(
        dir.path(),
        &table,
        &table,
        "insert.mode: upsert\npk.mode: record_key\nbatch.size: 250\nretry.backoff.ms: 100\n",
    );
    let mut sluice = Sluice::standalone(&json_sink_worker(dir.path()), &[connector], &log);
    // Terminate the sink's session whenever it is running a statement, until all is committed.
    let group = format!("connect-{table}");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut killed = 0;
    while committed_offset(&group, &table) != Some(RECORDS) {
        sluice.assert_running();
        if std::time::Instant::now() > deadline {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("not all committed within 120 s; log:\n{text}");
        }
        if killed < 8 {
            killed += count(&format!(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE application_name = 'sluice-{table}-0' AND state = 'active') t"
            ));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(sluice.terminate(), Some(0));
    assert!(
        killed >= 3,
        "the sink was killed mid-statement {killed} times"
    );
    assert_eq!(
        consume_all(&table).len() as i64,
        RECORDS,
        "the topic holds each record once"
    );
    assert_eq!(
        count(&format!("SELECT count(DISTINCT id) FROM \"{table}\"")),
        RECORDS,
        "every record written"
    );
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        text.contains("write failed; retrying"),
        "writes were retried after the kills"
    );
}
