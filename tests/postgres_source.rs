//! The PostgreSQL source (`io.confluent.connect.jdbc.JdbcSourceConnector`) against a real
//! PostgreSQL and Kafka: every mode resumes after a clean stop with no gap and no duplicate,
//! tables spread over tasks, custom queries, bulk re-reads and the type mapping. Needs the
//! services of `scripts/services up`.

mod harness;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use harness::postgres::{jdbc_url, sql};
use harness::{Sluice, consume_all, unique, wait_for, worker_file, write_file};
use rdkafka::Message;
use serde_json::Value as Json;

const TIMEOUT: Duration = Duration::from_secs(60);

/// A worker with file offsets and the connector files of one test.
struct Pipeline {
    dir: tempfile::TempDir,
    worker: PathBuf,
    /// Unique per test: the table-name stem and the topic prefix.
    id: String,
    /// `connection.url`, in JDBC form as Confluent configs carry it.
    url: String,
}

impl Pipeline {
    fn new(name: &str) -> Pipeline {
        let dir = tempfile::tempdir().expect("tempdir");
        let worker = worker_file(
            dir.path(),
            "org.apache.kafka.connect.json.JsonConverter",
            "",
        );
        Pipeline {
            dir,
            worker,
            id: unique(name).replace('-', "_"),
            url: jdbc_url(),
        }
    }

    /// A table name of this test.
    fn table(&self, suffix: &str) -> String {
        format!("{}_{suffix}", self.id)
    }

    /// The topic of one of this test's tables.
    fn topic(&self, table: &str) -> String {
        format!("{}-{table}", self.id)
    }

    /// Starts the worker with a Confluent-style connector file holding `settings`.
    fn start(&self, settings: &str) -> Sluice {
        let prefix = if settings.contains("topic.prefix=") {
            String::new()
        } else {
            format!("topic.prefix={}-\n", self.id)
        };
        let connector = write_file(
            self.dir.path(),
            "source.properties",
            &format!(
                "name={id}-source\nconnector.class=io.confluent.connect.jdbc.JdbcSourceConnector\n\
                 connection.url={url}\n{prefix}poll.interval.ms=200\n{settings}\n",
                id = self.id,
                url = self.url,
            ),
        );
        Sluice::standalone(&self.worker, &[connector], &self.log())
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("sluice.log")
    }
}

/// The JSON payloads in `topic`, in the order of each partition.
fn payloads(topic: &str) -> Vec<Json> {
    consume_all(topic)
        .iter()
        .map(|m| {
            let bytes = m.payload().expect("record with a value");
            let envelope: Json = serde_json::from_slice(bytes).expect("JSON value");
            envelope["payload"].clone()
        })
        .collect()
}

/// Waits until `topic` holds at least `n` records and returns their payloads.
fn wait_for_records(topic: &str, n: usize, sluice: &mut Sluice, log: &Path) -> Vec<Json> {
    wait_for(&format!("{n} records in {topic}"), TIMEOUT, || {
        sluice.assert_running();
        let found = payloads(topic);
        (found.len() >= n).then_some(found)
    });
    // Polls after the last expected row must not add any.
    std::thread::sleep(Duration::from_millis(1000));
    let found = payloads(topic);
    assert!(
        found.len() == n,
        "{topic} holds {} records, expected {n}:\n{found:#?}\nlog:\n{}",
        found.len(),
        std::fs::read_to_string(log).unwrap_or_default()
    );
    found
}

/// How often each `field` value occurs.
fn counts(records: &[Json], field: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for record in records {
        *counts.entry(record[field].to_string()).or_default() += 1;
    }
    counts
}

/// Asserts that `records` hold each of `expected` exactly once.
fn assert_exactly_once(records: &[Json], field: &str, expected: &[&str]) {
    let counts = counts(records, field);
    let want: BTreeMap<String, usize> = expected.iter().map(|v| (v.to_string(), 1)).collect();
    assert_eq!(counts, want, "each row exactly once");
}

fn stop(sluice: Sluice) {
    assert_eq!(sluice.terminate(), Some(0), "clean exit on SIGTERM");
}

#[test]
fn incrementing_resumes_after_a_clean_stop() {
    let p = Pipeline::new("pgsrc_inc");
    let table = p.table("orders");
    sql(&format!(
        "CREATE TABLE {table} (id serial PRIMARY KEY, item text NOT NULL);\
         INSERT INTO {table} (item) SELECT 'item-' || n FROM generate_series(1, 7) n;"
    ));
    let settings = format!("mode=incrementing\ntable.whitelist={table}\nbatch.max.rows=3");
    let mut first = p.start(&settings);
    wait_for_records(&p.topic(&table), 7, &mut first, &p.log());
    stop(first);

    sql(&format!(
        "INSERT INTO {table} (item) SELECT 'item-' || n FROM generate_series(8, 12) n;"
    ));
    let mut second = p.start(&settings);
    let records = wait_for_records(&p.topic(&table), 12, &mut second, &p.log());
    stop(second);
    let ids: Vec<String> = (1..=12).map(|n| n.to_string()).collect();
    assert_exactly_once(
        &records,
        "id",
        &ids.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let first_row = records.iter().find(|r| r["id"] == 1).expect("row 1");
    assert_eq!(first_row["item"], "item-1");
}

#[test]
fn timestamp_resumes_after_a_clean_stop() {
    let p = Pipeline::new("pgsrc_ts");
    let table = p.table("events");
    // Microsecond timestamps, several rows sharing one, and a batch smaller than a group.
    sql(&format!(
        "CREATE TABLE {table} (name text NOT NULL, updated timestamp NOT NULL);\
         INSERT INTO {table} VALUES \
           ('a', '2024-01-01 00:00:00.000001'), ('b', '2024-01-01 00:00:00.000002'), \
           ('c', '2024-01-01 00:00:00.000002'), ('d', '2024-01-01 00:00:00.000002'), \
           ('e', '2024-01-01 00:00:00.000003'), ('f', '2024-01-01 00:00:00.000004');"
    ));
    let settings = format!(
        "mode=timestamp\ntimestamp.column.name=updated\ntable.whitelist={table}\nbatch.max.rows=2"
    );
    let mut first = p.start(&settings);
    wait_for_records(&p.topic(&table), 6, &mut first, &p.log());
    stop(first);

    sql(&format!(
        "INSERT INTO {table} VALUES ('g', '2024-01-01 00:00:00.000005'), \
           ('h', '2024-01-01 00:00:00.000005'), ('i', '2024-01-02 00:00:00');"
    ));
    let mut second = p.start(&settings);
    let records = wait_for_records(&p.topic(&table), 9, &mut second, &p.log());
    stop(second);
    assert_exactly_once(
        &records,
        "name",
        &[
            "\"a\"", "\"b\"", "\"c\"", "\"d\"", "\"e\"", "\"f\"", "\"g\"", "\"h\"", "\"i\"",
        ],
    );
}

#[test]
fn timestamp_incrementing_resumes_after_a_clean_stop() {
    let p = Pipeline::new("pgsrc_tsinc");
    let table = p.table("items");
    sql(&format!(
        "CREATE TABLE {table} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
           modified timestamptz, created timestamptz NOT NULL);\
         INSERT INTO {table} (modified, created) VALUES \
           (NULL, '2024-01-01 00:00:00.000001+00'), ('2024-01-01 00:00:00.000007+00', '2024-01-01+00'), \
           (NULL, '2024-01-01 00:00:00.000007+00'), (NULL, '2024-01-01 00:00:00.000009+00');"
    ));
    let settings = format!(
        "mode=timestamp+incrementing\ntimestamp.column.name=modified,created\n\
         incrementing.column.name=id\ntable.whitelist={table}\nbatch.max.rows=1"
    );
    let mut first = p.start(&settings);
    wait_for_records(&p.topic(&table), 4, &mut first, &p.log());
    stop(first);

    // One row at the timestamp already emitted last (found by its higher id), and later ones.
    sql(&format!(
        "INSERT INTO {table} (modified, created) VALUES \
           (NULL, '2024-01-01 00:00:00.000009+00'), (NULL, '2024-01-01 00:00:01+00'), \
           ('2024-01-03+00', '2024-01-01+00');"
    ));
    let mut second = p.start(&settings);
    let records = wait_for_records(&p.topic(&table), 7, &mut second, &p.log());
    stop(second);
    assert_exactly_once(&records, "id", &["1", "2", "3", "4", "5", "6", "7"]);
}

#[test]
fn reconnects_after_losing_the_connection() {
    let mut p = Pipeline::new("pgsrc_lost");
    p.url = format!("{}&ApplicationName={}", jdbc_url(), p.id);
    let table = p.table("jobs");
    sql(&format!(
        "CREATE TABLE {table} (id bigserial PRIMARY KEY);INSERT INTO {table} DEFAULT VALUES;"
    ));
    let mut sluice = p.start(&format!("mode=incrementing\ntable.whitelist={table}"));
    wait_for_records(&p.topic(&table), 1, &mut sluice, &p.log());
    let killed = sql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{}'",
        p.id
    ));
    assert!(!killed.is_empty(), "the source's connection was found");
    sql(&format!(
        "INSERT INTO {table} DEFAULT VALUES;INSERT INTO {table} DEFAULT VALUES;"
    ));
    let records = wait_for_records(&p.topic(&table), 3, &mut sluice, &p.log());
    stop(sluice);
    assert_exactly_once(&records, "id", &["1", "2", "3"]);
    let log = std::fs::read_to_string(p.log()).unwrap_or_default();
    assert!(
        log.contains("connection lost"),
        "the poll failed and was retried:\n{log}"
    );
}

#[test]
fn two_tasks_share_three_tables() {
    let p = Pipeline::new("pgsrc_tasks");
    let tables: Vec<String> = ["a", "b", "c"].iter().map(|s| p.table(s)).collect();
    for (n, table) in tables.iter().enumerate() {
        sql(&format!(
            "CREATE TABLE {table} (id integer PRIMARY KEY, n integer);\
             INSERT INTO {table} SELECT g, g FROM generate_series(1, {}) g;",
            n + 2
        ));
    }
    let mut sluice = p.start(&format!(
        "mode=incrementing\ntasks.max=2\ntable.whitelist={}",
        tables.join(",")
    ));
    for (n, table) in tables.iter().enumerate() {
        let records = wait_for_records(&p.topic(table), n + 2, &mut sluice, &p.log());
        assert_eq!(records.len(), n + 2);
    }
    stop(sluice);
    let log = std::fs::read_to_string(p.log()).unwrap_or_default();
    assert!(
        log.contains("task=1}") && !log.contains("task=2}"),
        "two tasks ran:\n{log}"
    );
}

#[test]
fn a_custom_query_is_filtered_incrementally() {
    let p = Pipeline::new("pgsrc_query");
    let table = p.table("people");
    sql(&format!(
        "CREATE TABLE {table} (id integer PRIMARY KEY, name text, active boolean);\
         INSERT INTO {table} VALUES (1, 'ann', true), (2, 'bob', false), (3, 'cy', true);"
    ));
    let topic = format!("{}-people", p.id);
    let mut sluice = p.start(&format!(
        "mode=incrementing\nincrementing.column.name=id\n\
         query=SELECT id, upper(name) AS name FROM {table} WHERE active\ntopic.prefix={topic}"
    ));
    wait_for_records(&topic, 2, &mut sluice, &p.log());
    sql(&format!(
        "INSERT INTO {table} VALUES (4, 'dee', true), (5, 'ed', false);"
    ));
    let records = wait_for_records(&topic, 3, &mut sluice, &p.log());
    stop(sluice);
    assert_exactly_once(&records, "name", &["\"ANN\"", "\"CY\"", "\"DEE\""]);
}

#[test]
fn bulk_rereads_the_whole_table() {
    let p = Pipeline::new("pgsrc_bulk");
    let table = p.table("codes");
    sql(&format!(
        "CREATE TABLE {table} (code text);INSERT INTO {table} VALUES ('x'), ('y');"
    ));
    let mut sluice = p.start(&format!("mode=bulk\ntable.whitelist={table}"));
    let topic = p.topic(&table);
    let records = wait_for(&format!("two reads of {table}"), TIMEOUT, || {
        sluice.assert_running();
        let found = payloads(&topic);
        (found.len() >= 4).then_some(found)
    });
    stop(sluice);
    let counts = counts(&records, "code");
    assert!(counts["\"x\""] >= 2 && counts["\"y\""] >= 2, "{counts:?}");
}

#[test]
fn maps_every_supported_type() {
    let p = Pipeline::new("pgsrc_types");
    let table = p.table("typed");
    sql(&format!(
        "CREATE TABLE {table} (id serial PRIMARY KEY, i2 smallint NOT NULL, i4 integer, i8 bigint, \
           f4 real, f8 double precision, b boolean, t text, v varchar(10), c char(3), \
           bin bytea, price numeric(9, 2), neg numeric(3, 0), loose numeric, d date, tm time, \
           ts timestamp, tstz timestamptz, doc jsonb, u uuid);\
         INSERT INTO {table} (i2, i4, i8, f4, f8, b, t, v, c, bin, price, neg, loose, d, tm, ts, tstz, doc, u) \
         VALUES (-2, 40000, 5000000000, 1.5, 2.25, true, 'text', 'var', 'ab', '\\xdeadbeef', \
           12345.67, -5, 1.23456789, '2024-03-01', '12:34:56.789', '2024-03-01 12:34:56.789123', \
           '2024-03-01 12:34:56.789+02', '{{\"k\": [1, 2]}}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');\
         INSERT INTO {table} (i2) VALUES (0);"
    ));
    let mut sluice = p.start(&format!("mode=incrementing\ntable.whitelist={table}"));
    let topic = p.topic(&table);
    wait_for_records(&topic, 2, &mut sluice, &p.log());
    stop(sluice);

    // Keyless records may land on any partition: find the first row by its id.
    let messages = consume_all(&topic);
    assert!(
        messages.iter().all(|m| m.key().is_none()),
        "no key, as Confluent's JDBC source"
    );
    let envelope: Json = messages
        .iter()
        .map(|m| serde_json::from_slice::<Json>(m.payload().expect("value")).expect("JSON"))
        .find(|e| e["payload"]["id"] == 1)
        .expect("the row with id 1");
    let schema = &envelope["schema"];
    assert_eq!(schema["type"], "struct");
    assert_eq!(schema["name"], table.as_str());
    let fields: BTreeMap<String, &Json> = schema["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| (f["field"].as_str().unwrap_or_default().to_string(), f))
        .collect();
    let expect = |field: &str, ty: &str, name: Option<&str>, optional: bool| {
        let f = fields[field];
        assert_eq!(f["type"], ty, "{field}: {f}");
        assert_eq!(f["name"].as_str(), name, "{field}: {f}");
        assert_eq!(f["optional"], optional, "{field}: {f}");
    };
    const DECIMAL: Option<&str> = Some("org.apache.kafka.connect.data.Decimal");
    expect("id", "int32", None, false);
    expect("i2", "int16", None, false);
    expect("i4", "int32", None, true);
    expect("i8", "int64", None, true);
    expect("f4", "float", None, true);
    expect("f8", "double", None, true);
    expect("b", "boolean", None, true);
    for text in ["t", "v", "c", "loose", "doc", "u"] {
        expect(text, "string", None, true);
    }
    expect("bin", "bytes", None, true);
    expect("price", "bytes", DECIMAL, true);
    assert_eq!(fields["price"]["parameters"]["scale"], "2");
    expect("neg", "bytes", DECIMAL, true);
    expect(
        "d",
        "int32",
        Some("org.apache.kafka.connect.data.Date"),
        true,
    );
    expect(
        "tm",
        "int32",
        Some("org.apache.kafka.connect.data.Time"),
        true,
    );
    expect(
        "ts",
        "int64",
        Some("org.apache.kafka.connect.data.Timestamp"),
        true,
    );
    expect(
        "tstz",
        "int64",
        Some("org.apache.kafka.connect.data.Timestamp"),
        true,
    );

    let v = &envelope["payload"];
    assert_eq!(v["i2"], -2);
    assert_eq!(v["i4"], 40000);
    assert_eq!(v["i8"], 5_000_000_000i64);
    assert_eq!(v["f4"], 1.5);
    assert_eq!(v["f8"], 2.25);
    assert_eq!(v["b"], true);
    assert_eq!(v["t"], "text");
    assert_eq!(v["v"], "var");
    assert_eq!(v["c"], "ab ");
    assert_eq!(v["bin"], "3q2+7w==");
    assert_eq!(v["price"], "EtaH", "12345.67 as Connect's base64 decimal");
    assert_eq!(v["neg"], "+w==", "-5");
    assert_eq!(v["loose"], "1.23456789");
    assert_eq!(v["d"], 19783);
    assert_eq!(v["tm"], 45_296_789);
    assert_eq!(v["ts"], 1_709_296_496_789i64);
    assert_eq!(v["tstz"], 1_709_289_296_789i64);
    assert_eq!(
        serde_json::from_str::<Json>(v["doc"].as_str().expect("jsonb as text")).expect("JSON"),
        serde_json::json!({"k": [1, 2]})
    );
    assert_eq!(v["u"], "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");

    let nulls = payloads(&topic)
        .into_iter()
        .find(|p| p["id"] == 2)
        .expect("the row with id 2");
    assert_eq!(nulls["i2"], 0);
    for field in ["i4", "price", "d", "ts", "doc", "bin"] {
        assert!(nulls[field].is_null(), "{field} is null: {nulls}");
    }
}

#[test]
fn config_errors_name_their_keys() {
    let p = Pipeline::new("pgsrc_config");
    let connector = write_file(
        p.dir.path(),
        "bad.properties",
        &format!(
            "name=bad\nconnector.class=JdbcSourceConnector\nconnection.url={}\ntopic.prefix=x\n",
            jdbc_url()
        ),
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .arg("validate")
        .arg(&p.worker)
        .arg(&connector)
        .output()
        .expect("run sluice validate");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("mode"), "{stderr}");
}
