//! The PostgreSQL CDC source (`io.debezium.connector.postgresql.PostgresConnector`) against a
//! real PostgreSQL (wal_level=logical, turned on by the harness) and Kafka: Debezium events for
//! both replica identities, transactions, a snapshot taken while writes go on, a crash, slot
//! confirmation after acknowledgement, heartbeats on an idle database, a column added
//! mid-stream and the snapshot modes. Needs the services of `scripts/services up`.

mod harness;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use harness::postgres::{database_url, ensure_logical_wal, scalar, sql};
use harness::{Sluice, consume_all, create_topic, kafka_bootstrap, unique, wait_for, write_file};
use rdkafka::Message;
use serde_json::Value as Json;

const TIMEOUT: Duration = Duration::from_secs(60);

/// One test's worker, slot, publication and tables.
struct Pipeline {
    dir: tempfile::TempDir,
    worker: PathBuf,
    /// Unique per test: table-name stem, topic prefix, slot and publication name.
    id: String,
}

impl Pipeline {
    fn new(name: &str) -> Pipeline {
        ensure_logical_wal();
        let dir = tempfile::tempdir().expect("tempdir");
        let worker = write_file(
            dir.path(),
            "worker.yaml",
            &format!(
                "bootstrap.servers: {}\noffset.storage.file.filename: {}\noffset.flush.interval.ms: 200\n\
                 metrics.listener: http://127.0.0.1:0\n\
                 key.converter: org.apache.kafka.connect.json.JsonConverter\n\
                 value.converter: org.apache.kafka.connect.json.JsonConverter\n",
                kafka_bootstrap(),
                dir.path().join("offsets.json").display()
            ),
        );
        Pipeline {
            dir,
            worker,
            id: unique(name).replace('-', "_"),
        }
    }

    /// A table name of this test; its topic is made with one partition, so that the events of
    /// different rows keep their order (a keyed topic only orders each key's events).
    fn table(&self, suffix: &str) -> String {
        let table = format!("{}_{suffix}", self.id);
        create_topic(&self.topic(&table), 1);
        table
    }

    fn topic(&self, table: &str) -> String {
        format!("{}.public.{table}", self.id)
    }

    /// Starts the worker with a Debezium connector file: the database.* keys of DATABASE_URL,
    /// this test's slot and a publication filtered to its tables, plus `settings`.
    fn start(&self, settings: &str) -> Sluice {
        let url = tokio_postgres::Config::from_str(&database_url()).expect("DATABASE_URL");
        let host = match url.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
            _ => "127.0.0.1".to_string(),
        };
        let connector = write_file(
            self.dir.path(),
            "cdc.properties",
            &format!(
                "name={id}-cdc\nconnector.class=io.debezium.connector.postgresql.PostgresConnector\n\
                 database.hostname={host}\ndatabase.port={port}\ndatabase.user={user}\n\
                 database.dbname={db}\ntopic.prefix={id}\nslot.name={id}\n\
                 publication.name={id}_pub\npublication.autocreate.mode=filtered\n\
                 table.include.list=public\\\\.{id}_.*\npoll.interval.ms=100\n\
                 status.update.interval.ms=500\n{settings}\n",
                id = self.id,
                port = url.get_ports().first().copied().unwrap_or(5432),
                user = url.get_user().unwrap_or("postgres"),
                db = url.get_dbname().unwrap_or("test"),
            ),
        );
        Sluice::standalone(&self.worker, &[connector], &self.log())
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("sluice.log")
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(self.log()).unwrap_or_default()
    }

    /// Waits until the slot is being streamed from.
    fn wait_streaming(&self, sluice: &mut Sluice) {
        let query = format!(
            "SELECT active FROM pg_replication_slots WHERE slot_name = '{}'",
            self.id
        );
        wait_for("the slot to be streamed from", TIMEOUT, || {
            sluice.assert_running();
            (scalar(&query).as_deref() == Some("t")).then_some(())
        });
    }

    /// The slot's confirmed_flush_lsn is at or past `lsn`.
    fn confirmed_past(&self, lsn: &str) -> bool {
        scalar(&format!(
            "SELECT confirmed_flush_lsn >= '{lsn}'::pg_lsn FROM pg_replication_slots WHERE slot_name = '{}'",
            self.id
        ))
        .as_deref()
            == Some("t")
    }
}

impl Drop for Pipeline {
    /// Drops the slot (once no process holds it) and the publication, so that no WAL is kept
    /// for a finished test.
    fn drop(&mut self) {
        let drop = format!(
            "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots \
             WHERE slot_name = '{}' AND NOT active",
            self.id
        );
        for _ in 0..100 {
            let left = scalar(&format!(
                "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{}'",
                self.id
            ));
            if left.as_deref() == Some("0") {
                break;
            }
            scalar(&drop);
            std::thread::sleep(Duration::from_millis(100));
        }
        sql(&format!("DROP PUBLICATION IF EXISTS {}_pub", self.id));
    }
}

/// Key and value payloads of every record in `topic` (`Json::Null` for a tombstone).
fn events(topic: &str) -> Vec<(Json, Json)> {
    consume_all(topic)
        .iter()
        .map(|m| {
            let parse = |bytes: Option<&[u8]>| match bytes {
                Some(bytes) => {
                    let json: Json = serde_json::from_slice(bytes).expect("JSON");
                    json["payload"].clone()
                }
                None => Json::Null,
            };
            (parse(m.key()), parse(m.payload()))
        })
        .collect()
}

/// Waits until `topic` holds at least `n` records and returns them.
fn wait_for_events(p: &Pipeline, topic: &str, n: usize, sluice: &mut Sluice) -> Vec<(Json, Json)> {
    let found = wait_for(&format!("{n} records in {topic}"), TIMEOUT, || {
        sluice.assert_running();
        let found = events(topic);
        (found.len() >= n).then_some(found)
    });
    assert!(found.len() >= n, "log:\n{}", p.log_text());
    found
}

/// The `op` of each record, `-` for tombstones.
fn ops(events: &[(Json, Json)]) -> Vec<String> {
    events
        .iter()
        .map(|(_, v)| v["op"].as_str().unwrap_or("-").to_string())
        .collect()
}

#[test]
fn changes_carry_before_and_after_for_both_replica_identities() {
    let p = Pipeline::new("cdc_ident");
    let plain = p.table("plain");
    let full = p.table("full");
    sql(&format!(
        "CREATE TABLE {plain} (id int PRIMARY KEY, body text, n int NOT NULL);\
         CREATE TABLE {full} (id int PRIMARY KEY, body text, n int NOT NULL);\
         ALTER TABLE {full} REPLICA IDENTITY FULL;"
    ));
    let mut sluice = p.start("skipped.operations=none");
    p.wait_streaming(&mut sluice);
    for table in [&plain, &full] {
        // A large incompressible value is stored out of line (TOASTed); the update leaves it.
        sql(&format!(
            "INSERT INTO {table} VALUES (1, 'one', 1);\
             UPDATE {table} SET body = 'uno', n = 2 WHERE id = 1;\
             INSERT INTO {table} SELECT 2, string_agg(md5(i::text), '') , 0 FROM generate_series(1, 400) i;\
             UPDATE {table} SET n = 5 WHERE id = 2;\
             DELETE FROM {table} WHERE id = 1;\
             TRUNCATE {table};"
        ));
    }
    let plain_events = wait_for_events(&p, &p.topic(&plain), 7, &mut sluice);
    let full_events = wait_for_events(&p, &p.topic(&full), 7, &mut sluice);
    assert_eq!(ops(&plain_events), ["c", "u", "c", "u", "d", "-", "t"]);
    assert_eq!(ops(&full_events), ops(&plain_events));

    let (key, create) = &plain_events[0];
    assert_eq!(key, &serde_json::json!({"id": 1}));
    assert_eq!(create["before"], Json::Null);
    assert_eq!(
        create["after"],
        serde_json::json!({"id": 1, "body": "one", "n": 1})
    );
    let source = &create["source"];
    assert_eq!(source["connector"], "postgresql");
    assert_eq!(source["name"], p.id.as_str());
    assert_eq!(source["db"], "test");
    assert_eq!(source["schema"], "public");
    assert_eq!(source["table"], plain.as_str());
    assert_eq!(source["snapshot"], "false");
    assert!(source["txId"].as_i64().unwrap() > 0 && source["lsn"].as_i64().unwrap() > 0);
    assert!(create["ts_ms"].as_i64().unwrap() > 0);

    // DEFAULT identity: no old row on update, key-only old row on delete.
    assert_eq!(plain_events[1].1["before"], Json::Null);
    assert_eq!(plain_events[1].1["after"]["body"], "uno");
    assert_eq!(
        plain_events[3].1["after"]["body"],
        "__debezium_unavailable_value"
    );
    assert_eq!(
        plain_events[4].1["before"],
        serde_json::json!({"id": 1, "body": null, "n": null})
    );
    assert_eq!(plain_events[5].0, serde_json::json!({"id": 1}));
    assert_eq!(plain_events[5].1, Json::Null, "tombstone after the delete");
    assert_eq!(plain_events[6].0, Json::Null, "truncates have no key");

    // FULL identity: the whole old row on update and delete.
    assert_eq!(
        full_events[1].1["before"],
        serde_json::json!({"id": 1, "body": "one", "n": 1})
    );
    assert_eq!(
        full_events[4].1["before"],
        serde_json::json!({"id": 1, "body": "uno", "n": 2})
    );

    // The value schema is Debezium's envelope.
    let raw = consume_all(&p.topic(&plain));
    let envelope: Json = serde_json::from_slice(raw[0].payload().unwrap()).unwrap();
    assert_eq!(
        envelope["schema"]["name"],
        format!("{}.public.{plain}.Envelope", p.id)
    );
    drop(sluice);
}

#[test]
fn transactions_keep_their_id_and_order() {
    let p = Pipeline::new("cdc_tx");
    let table = p.table("items");
    sql(&format!(
        "CREATE TABLE {table} (id int PRIMARY KEY, v text)"
    ));
    let mut sluice = p.start("");
    p.wait_streaming(&mut sluice);
    sql(&format!(
        "BEGIN; INSERT INTO {table} VALUES (1, 'a'); INSERT INTO {table} VALUES (2, 'b');\
         UPDATE {table} SET v = 'c' WHERE id = 1; COMMIT;\
         INSERT INTO {table} VALUES (3, 'd');"
    ));
    let found = wait_for_events(&p, &p.topic(&table), 4, &mut sluice);
    assert_eq!(ops(&found), ["c", "c", "u", "c"]);
    let tx = |i: usize| found[i].1["source"]["txId"].as_i64().unwrap();
    assert_eq!(tx(0), tx(1));
    assert_eq!(tx(1), tx(2));
    assert_ne!(tx(2), tx(3));
    let lsn = |i: usize| found[i].1["source"]["lsn"].as_i64().unwrap();
    assert!(lsn(0) < lsn(1) && lsn(1) < lsn(2) && lsn(2) < lsn(3));
}

#[test]
fn snapshot_while_writes_continue_has_every_row_exactly_once() {
    let p = Pipeline::new("cdc_snap");
    let table = p.table("rows");
    sql(&format!(
        "CREATE TABLE {table} (id int PRIMARY KEY, v text);\
         INSERT INTO {table} SELECT n, 'old' FROM generate_series(1, 20000) n;"
    ));
    let writer_table = table.clone();
    let writer = std::thread::spawn(move || {
        for batch in 0..40 {
            let from = 20001 + batch * 50;
            sql(&format!(
                "INSERT INTO {writer_table} SELECT n, 'new' FROM generate_series({from}, {}) n",
                from + 49
            ));
            std::thread::sleep(Duration::from_millis(25));
        }
    });
    let mut sluice = p.start("snapshot.fetch.size=1000");
    writer.join().expect("writer");
    let found = wait_for_events(&p, &p.topic(&table), 22000, &mut sluice);
    std::thread::sleep(Duration::from_millis(1000));
    let found = if events(&p.topic(&table)).len() > found.len() {
        events(&p.topic(&table))
    } else {
        found
    };
    let mut seen: BTreeMap<i64, usize> = BTreeMap::new();
    for (_, value) in &found {
        *seen
            .entry(value["after"]["id"].as_i64().unwrap())
            .or_default() += 1;
    }
    assert_eq!(seen.len(), 22000, "every row");
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "rows seen more than once: {twice:?}");
    let reads = found.iter().filter(|(_, v)| v["op"] == "r").count();
    assert!(reads >= 20000, "{reads} snapshot reads");
    assert_eq!(
        found
            .iter()
            .filter(|(_, v)| v["source"]["snapshot"] == "last")
            .count(),
        1
    );
}

#[test]
fn a_killed_worker_loses_no_change() {
    let p = Pipeline::new("cdc_kill");
    let table = p.table("log");
    sql(&format!("CREATE TABLE {table} (id int PRIMARY KEY)"));
    let mut first = p.start("");
    p.wait_streaming(&mut first);
    for n in 0..20 {
        sql(&format!(
            "INSERT INTO {table} SELECT g FROM generate_series({}, {}) g",
            n * 100 + 1,
            n * 100 + 100
        ));
    }
    wait_for_events(&p, &p.topic(&table), 500, &mut first);
    first.kill();
    sql(&format!(
        "INSERT INTO {table} SELECT g FROM generate_series(2001, 2500) g"
    ));
    let mut second = p.start("");
    let found = wait_for(&format!("every id in {}", p.topic(&table)), TIMEOUT, || {
        second.assert_running();
        let ids: std::collections::BTreeSet<i64> = events(&p.topic(&table))
            .iter()
            .filter_map(|(_, v)| v["after"]["id"].as_i64())
            .collect();
        (ids.len() == 2500).then_some(ids)
    });
    assert_eq!(found.first(), Some(&1));
    assert_eq!(found.last(), Some(&2500));
}

#[test]
fn the_slot_advances_after_acks_and_with_heartbeats_when_idle() {
    let p = Pipeline::new("cdc_slot");
    let table = p.table("orders");
    let other = format!("{}_unpublished", p.id.replace("cdc", "nocdc"));
    sql(&format!(
        "CREATE TABLE {table} (id int PRIMARY KEY); CREATE TABLE {other} (id int)"
    ));
    let mut sluice = p.start("heartbeat.interval.ms=300");
    p.wait_streaming(&mut sluice);
    sql(&format!(
        "INSERT INTO {table} SELECT generate_series(1, 100)"
    ));
    let after_insert = scalar("SELECT pg_current_wal_lsn()").unwrap();
    wait_for_events(&p, &p.topic(&table), 100, &mut sluice);
    wait_for("the slot to confirm the inserts", TIMEOUT, || {
        sluice.assert_running();
        p.confirmed_past(&after_insert).then_some(())
    });

    // Writes to a table outside the publication: no event, but WAL the slot must let go of.
    let mut last = String::new();
    for round in 0..3 {
        sql(&format!(
            "INSERT INTO {other} SELECT generate_series(1, 100)"
        ));
        last = scalar("SELECT pg_current_wal_lsn()").unwrap();
        wait_for(&format!("idle round {round} confirmed"), TIMEOUT, || {
            sluice.assert_running();
            p.confirmed_past(&last).then_some(())
        });
    }
    assert!(p.confirmed_past(&last));
    assert_eq!(
        events(&p.topic(&table)).len(),
        100,
        "no events for the other table"
    );
    // Heartbeats keep coming while the worker runs: stop it to read the topic to its end.
    assert_eq!(sluice.terminate(), Some(0), "clean exit on SIGTERM");
    let heartbeats = events(&format!("__debezium-heartbeat.{}", p.id));
    assert!(!heartbeats.is_empty(), "heartbeat records");
    assert_eq!(heartbeats[0].0["serverName"], p.id.as_str());
    sql(&format!("DROP TABLE {other}"));
}

#[test]
fn a_column_added_mid_stream_appears_in_later_events() {
    let p = Pipeline::new("cdc_ddl");
    let table = p.table("people");
    sql(&format!(
        "CREATE TABLE {table} (id int PRIMARY KEY, name text); INSERT INTO {table} VALUES (1, 'snap')"
    ));
    let mut sluice = p.start("");
    p.wait_streaming(&mut sluice);
    sql(&format!("INSERT INTO {table} VALUES (2, 'before')"));
    wait_for_events(&p, &p.topic(&table), 2, &mut sluice);
    sql(&format!(
        "ALTER TABLE {table} ADD COLUMN email text; INSERT INTO {table} VALUES (3, 'after', 'a@b.c')"
    ));
    let found = wait_for_events(&p, &p.topic(&table), 3, &mut sluice);
    assert_eq!(ops(&found), ["r", "c", "c"]);
    assert_eq!(found[0].1["source"]["snapshot"], "last");
    assert!(found[1].1["after"].get("email").is_none());
    assert_eq!(
        found[2].1["after"],
        serde_json::json!({"id": 3, "name": "after", "email": "a@b.c"})
    );
    let raw = consume_all(&p.topic(&table));
    let last: Json = serde_json::from_slice(raw[2].payload().unwrap()).unwrap();
    let after_fields = last["schema"]["fields"][1]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert_eq!(after_fields, ["id", "name", "email"]);
}

#[test]
fn snapshot_modes_decide_what_is_read_at_start() {
    let p = Pipeline::new("cdc_modes");
    let table = p.table("items");
    let topic = p.topic(&table);
    sql(&format!(
        "CREATE TABLE {table} (id int PRIMARY KEY); INSERT INTO {table} VALUES (1), (2)"
    ));
    // initial_only: the existing rows, and nothing after them.
    let mut sluice = p.start("snapshot.mode=initial_only");
    wait_for_events(&p, &topic, 2, &mut sluice);
    sql(&format!("INSERT INTO {table} VALUES (3)"));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        ops(&events(&topic)),
        ["r", "r"],
        "initial_only streams nothing"
    );
    assert_eq!(sluice.terminate(), Some(0));

    // always: every row again, then the changes.
    let mut sluice = p.start("snapshot.mode=always");
    wait_for_events(&p, &topic, 5, &mut sluice);
    p.wait_streaming(&mut sluice);
    sql(&format!("INSERT INTO {table} VALUES (4)"));
    wait_for_events(&p, &topic, 6, &mut sluice);
    assert_eq!(sluice.terminate(), Some(0));

    // no_data: no snapshot; a change made while stopped is streamed from the stored position.
    sql(&format!("INSERT INTO {table} VALUES (5)"));
    let mut sluice = p.start("snapshot.mode=no_data");
    let found = wait_for_events(&p, &topic, 7, &mut sluice);
    assert_eq!(sluice.terminate(), Some(0));
    assert_eq!(ops(&found), ["r", "r", "r", "r", "r", "c", "c"]);
    let ids: Vec<i64> = found
        .iter()
        .map(|(_, v)| v["after"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 1, 2, 3, 4, 5]);
}
