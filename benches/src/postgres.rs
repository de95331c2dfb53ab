//! `postgres-sink`: a pre-filled topic of schema'd JSON records (10 columns) upserted into a
//! PostgreSQL table by Sluice's postgres-sink, against a raw `COPY` of the same rows into a table
//! of the same definition — the fastest way PostgreSQL takes rows, and so the ceiling.

use std::path::Path;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use sluice_api::data::calendar::civil_from_days;

use crate::common::{
    BenchResult, RunResult, Settings, create_topics, measure, producer_config, self_command,
    send_waiting, sluice_command, unique, write,
};

const PIPELINE: &str = "postgres-sink";
/// Rows per COPY statement of the raw baseline, and Sluice's `batch.size`.
pub const BATCH: u64 = 5_000;

/// The table both sides write (the raw side's without a schema change, the same primary key).
pub fn create_table_sql(table: &str) -> String {
    format!(
        "DROP TABLE IF EXISTS \"{table}\"; CREATE TABLE \"{table}\" (id bigint PRIMARY KEY, device text, \
         site text, temperature double precision, humidity double precision, status text, \
         ts timestamptz, counter bigint, flag boolean, note text)"
    )
}

const SCHEMA: &str = r#"{"type":"struct","optional":false,"name":"bench.Reading","fields":[{"field":"id","type":"int64","optional":false},{"field":"device","type":"string","optional":true},{"field":"site","type":"string","optional":true},{"field":"temperature","type":"double","optional":true},{"field":"humidity","type":"double","optional":true},{"field":"status","type":"string","optional":true},{"field":"ts","type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1},{"field":"counter","type":"int64","optional":true},{"field":"flag","type":"boolean","optional":true},{"field":"note","type":"string","optional":true}]}"#;

/// The values of row `n`, shared by the topic and the raw COPY.
struct Reading {
    id: u64,
    device: String,
    site: String,
    temperature: f64,
    humidity: f64,
    ts: u64,
    counter: u64,
    flag: bool,
    note: String,
}

fn reading(n: u64) -> Reading {
    Reading {
        id: n,
        device: format!("device-{:05}", n % 10_000),
        site: format!("plant-{}", n % 7),
        temperature: 15.0 + (n % 1500) as f64 / 100.0,
        humidity: 30.0 + (n % 400) as f64 / 10.0,
        ts: 1_704_067_200_000 + n,
        counter: n * 3,
        flag: n.is_multiple_of(2),
        note: format!("note-{}", n % 100),
    }
}

/// The JsonConverter envelope of row `n`.
pub fn record_json(n: u64) -> String {
    let r = reading(n);
    format!(
        "{{\"schema\":{SCHEMA},\"payload\":{{\"id\":{},\"device\":\"{}\",\"site\":\"{}\",\"temperature\":{},\
         \"humidity\":{},\"status\":\"ok\",\"ts\":{},\"counter\":{},\"flag\":{},\"note\":\"{}\"}}}}",
        r.id, r.device, r.site, r.temperature, r.humidity, r.ts, r.counter, r.flag, r.note
    )
}

/// The COPY text line of row `n`.
pub fn copy_line(n: u64, out: &mut String) {
    use std::fmt::Write as _;
    let r = reading(n);
    let secs = r.ts / 1000;
    let _ = writeln!(
        out,
        "{}\t{}\t{}\t{}\t{}\tok\t{}.{:03}+00\t{}\t{}\t{}",
        r.id,
        r.device,
        r.site,
        r.temperature,
        r.humidity,
        iso_seconds(secs),
        r.ts % 1000,
        r.counter,
        if r.flag { 't' } else { 'f' },
        r.note
    );
}

/// `YYYY-MM-DD HH:MM:SS` of epoch seconds (UTC).
fn iso_seconds(secs: u64) -> String {
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

pub fn run(settings: &Settings, dir: &Path) -> BenchResult<(RunResult, RunResult)> {
    let id = unique("bench-pg").replace('-', "_");
    let database = database_url();
    let topic = format!("{id}_src");
    create_topics(&settings.bootstrap, &[&topic], settings.partitions)?;
    let (sluice_table, raw_table) = (format!("{id}_sluice"), format!("{id}_raw"));
    psql(&database, &create_table_sql(&sluice_table))?;
    psql(&database, &create_table_sql(&raw_table))?;
    prefill(settings, &topic)?;
    let sluice = run_sluice(settings, dir, &id, &topic, &sluice_table, &database)?;
    let raw = run_raw(settings, dir, &raw_table, &database)?;
    for (table, result) in [(&sluice_table, &sluice), (&raw_table, &raw)] {
        let rows = psql(&database, &format!("SELECT count(*) FROM \"{table}\""))?;
        if rows.trim() != result.records.to_string() {
            return Err(format!(
                "{table} holds {} rows, expected {}",
                rows.trim(),
                result.records
            ));
        }
    }
    Ok((sluice, raw))
}

/// The database under test: `DATABASE_URL`, else the local PostgreSQL's `test` database.
pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Runs SQL with psql and returns its unaligned output.
pub fn psql(database: &str, sql: &str) -> BenchResult<String> {
    psql_with_options(database, sql, "")
}

/// `psql` with session settings (`PGOPTIONS`, e.g. `-c synchronous_commit=off`).
pub fn psql_with_options(database: &str, sql: &str, options: &str) -> BenchResult<String> {
    let mut command = std::process::Command::new("psql");
    if !options.is_empty() {
        command.env("PGOPTIONS", options);
    }
    let output = command
        .args([database, "-v", "ON_ERROR_STOP=1", "-Atqc", sql])
        .output()
        .map_err(|e| format!("cannot run psql: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "psql failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn prefill(settings: &Settings, topic: &str) -> BenchResult<()> {
    let started = Instant::now();
    let producer: ThreadedProducer<DefaultProducerContext> = producer_config(&settings.bootstrap)
        .set("queue.buffering.max.kbytes", "1048576")
        .create()
        .map_err(|e| format!("cannot create a producer: {e}"))?;
    for n in 0..settings.records {
        let value = record_json(n);
        let record: BaseRecord<'_, (), str> = BaseRecord::to(topic).payload(value.as_str());
        send_waiting(&producer, record, topic)?;
    }
    producer
        .flush(settings.timeout)
        .map_err(|e| format!("cannot pre-fill {topic}: {e}"))?;
    eprintln!(
        "{PIPELINE}: pre-filled {topic} with {} records ({} B each) in {:.1} s",
        settings.records,
        record_json(0).len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Sums the committed offsets of `group` on `topic`, asking the broker at most every 100 ms.
struct Committed {
    consumer: BaseConsumer,
    list: TopicPartitionList,
    last: (Instant, u64),
}

impl Committed {
    fn new(bootstrap: &str, group: &str, topic: &str, partitions: i32) -> BenchResult<Self> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("group.id", group)
            .create()
            .map_err(|e| format!("cannot create the offset reader: {e}"))?;
        let mut list = TopicPartitionList::new();
        for p in 0..partitions {
            list.add_partition(topic, p);
        }
        Ok(Committed {
            consumer,
            list,
            last: (Instant::now(), 0),
        })
    }

    fn total(&mut self) -> u64 {
        if self.last.0.elapsed() < Duration::from_millis(100) {
            return self.last.1;
        }
        let total = self
            .consumer
            .committed_offsets(self.list.clone(), Duration::from_secs(5))
            .map(|list| {
                list.elements()
                    .iter()
                    .map(|e| match e.offset() {
                        Offset::Offset(n) => n.max(0) as u64,
                        _ => 0,
                    })
                    .sum()
            })
            .unwrap_or(self.last.1);
        self.last = (Instant::now(), total);
        total
    }
}

fn run_sluice(
    settings: &Settings,
    dir: &Path,
    id: &str,
    topic: &str,
    table: &str,
    database: &str,
) -> BenchResult<RunResult> {
    let worker = write(
        dir,
        "worker.yaml",
        &format!(
            "bootstrap.servers: {}\nkey.converter: org.apache.kafka.connect.storage.StringConverter\n\
             value.converter: org.apache.kafka.connect.json.JsonConverter\n\
             offset.storage.file.filename: {}\noffset.flush.interval.ms: 100\n\
             consumer.session.timeout.ms: 6000\nconsumer.max.poll.interval.ms: 10000\n\
             consumer.max.poll.records: {BATCH}\n",
            settings.bootstrap,
            dir.join("connect.offsets.json").display()
        ),
    )?;
    let name = format!("{id}_sink");
    let connector = write(
        dir,
        "postgres-sink.yaml",
        &format!(
            "name: {name}\nconnector.class: io.confluent.connect.jdbc.JdbcSinkConnector\ntopics: {topic}\n\
             connection.url: '{database}'\ntable.name.format: {table}\n\
             insert.mode: upsert\npk.mode: record_value\npk.fields: id\nbatch.size: {BATCH}\ntasks.max: {tasks}\n",
            tasks = settings.partitions
        ),
    )?;
    let mut committed = Committed::new(
        &settings.bootstrap,
        &format!("connect-{name}"),
        topic,
        settings.partitions,
    )?;
    eprintln!("{PIPELINE}: sluice postgres-sink (upsert), {topic} → {table}");
    let (progress, usage) = measure(
        settings,
        "sluice",
        sluice_command(settings, &worker, &[connector]),
        &dir.join("sluice-postgres.log"),
        "records committed",
        || committed.total(),
    )?;
    Ok(RunResult {
        pipeline: PIPELINE,
        implementation: "sluice",
        records: settings.records,
        bytes: 0,
        progress,
        usage,
    })
}

fn run_raw(settings: &Settings, dir: &Path, table: &str, database: &str) -> BenchResult<RunResult> {
    let done = dir.join("raw-copy.done");
    let mut command = self_command()?;
    command
        .arg("raw-copy")
        .args(["--database", database, "--table", table])
        .args(["--records", &settings.records.to_string()])
        .arg("--done")
        .arg(&done);
    eprintln!("{PIPELINE}: raw COPY of the same rows into {table} ({BATCH} rows per COPY)");
    let records = settings.records;
    let copied = || if done.exists() { records } else { 0 };
    let (progress, usage) = measure(
        settings,
        "raw",
        command,
        &dir.join("raw-copy.log"),
        "rows copied",
        copied,
    )?;
    Ok(RunResult {
        pipeline: PIPELINE,
        implementation: "raw COPY",
        records: settings.records,
        bytes: 0,
        progress,
        usage,
    })
}

/// The raw baseline: COPY every row, `BATCH` rows per statement, then mark it done and wait for
/// the bench to close stdin.
pub fn raw_copy(database: &str, table: &str, records: u64, done: &Path) -> BenchResult<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        use futures::SinkExt;
        let (client, connection) = tokio_postgres::connect(database, tokio_postgres::NoTls)
            .await
            .map_err(|e| format!("raw: cannot connect: {e}"))?;
        tokio::spawn(connection);
        let sql = format!("COPY \"{table}\" FROM STDIN");
        let mut text = String::new();
        let mut n = 0;
        while n < records {
            text.clear();
            let end = (n + BATCH).min(records);
            for i in n..end {
                copy_line(i, &mut text);
            }
            let sink = client
                .copy_in::<_, bytes::Bytes>(&sql)
                .await
                .map_err(|e| format!("raw: COPY failed: {e}"))?;
            futures::pin_mut!(sink);
            sink.send(bytes::Bytes::from(text.clone().into_bytes()))
                .await
                .map_err(|e| format!("raw: COPY failed: {e}"))?;
            sink.finish()
                .await
                .map_err(|e| format!("raw: COPY failed: {e}"))?;
            n = end;
        }
        Ok::<(), String>(())
    })?;
    std::fs::write(done, b"done").map_err(|e| e.to_string())?;
    // Stay alive until the bench has read the clock and the usage.
    let _ = std::io::Read::read(&mut std::io::stdin(), &mut [0u8; 1]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_copy_lines_carry_the_same_row() {
        let json: serde_json::Value = serde_json::from_str(&record_json(12)).unwrap();
        assert_eq!(json["payload"]["id"], 12);
        assert_eq!(json["payload"]["ts"], 1_704_067_200_012u64);
        let mut line = String::new();
        copy_line(12, &mut line);
        assert_eq!(
            line,
            "12\tdevice-00012\tplant-5\t15.12\t31.2\tok\t2024-01-01 00:00:00.012+00\t36\tt\tnote-12\n"
        );
    }
}
