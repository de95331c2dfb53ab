//! `postgres-cdc`: inserts into a 10-column table captured from the WAL into Kafka. Before
//! either side runs, two logical slots are created at the same point and the table receives
//! every insert, one row per transaction (or `--rows-per-tx` rows), so both sides decode the
//! same retained WAL and only capture is timed. Sluice's postgres-cdc-source (pgoutput,
//! Debezium JSON envelopes) runs against `pg_recvlogical` with test_decoding, whose change
//! lines a bare rdkafka producer sends.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use rdkafka::producer::{BaseRecord, Producer};

use crate::common::{
    BenchResult, RunResult, Settings, Side, create_topics, measure_topic, self_command,
    sluice_command, unique, write,
};
use crate::postgres::{create_table_sql, database_url, psql, psql_with_options};
use crate::raw;

const PIPELINE: &str = "postgres-cdc";

/// The slots, publication and table of one run, dropped at the end whatever happened.
struct Capture {
    database: String,
    id: String,
    table: String,
}

impl Capture {
    fn sluice_slot(&self) -> String {
        format!("{}_sluice", self.id)
    }

    fn raw_slot(&self) -> String {
        format!("{}_raw", self.id)
    }

    fn publication(&self) -> String {
        format!("{}_pub", self.id)
    }
}

impl Drop for Capture {
    /// Drops the slots once their readers let go, so that no WAL stays retained.
    fn drop(&mut self) {
        let drop_slots = format!(
            "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots \
             WHERE slot_name IN ('{}', '{}') AND NOT active",
            self.sluice_slot(),
            self.raw_slot()
        );
        let left = format!(
            "SELECT count(*) FROM pg_replication_slots WHERE slot_name IN ('{}', '{}')",
            self.sluice_slot(),
            self.raw_slot()
        );
        for _ in 0..100 {
            let _ = psql(&self.database, &drop_slots);
            if psql(&self.database, &left).is_ok_and(|n| n.trim() == "0") {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = psql(
            &self.database,
            &format!(
                "DROP PUBLICATION IF EXISTS {}; DROP TABLE IF EXISTS \"{}\"",
                self.publication(),
                self.table
            ),
        );
    }
}

pub fn run(
    settings: &Settings,
    dir: &Path,
    rows_per_tx: u64,
    schemas: bool,
) -> BenchResult<(RunResult, RunResult)> {
    let id = unique("bench-cdc").replace('-', "_");
    let capture = Capture {
        database: database_url(),
        table: format!("{id}_rows"),
        id,
    };
    let wal_level = psql(&capture.database, "SHOW wal_level")?;
    if wal_level.trim() != "logical" {
        return Err(format!(
            "{PIPELINE} needs wal_level=logical (it is {}): ALTER SYSTEM SET wal_level = logical and restart PostgreSQL",
            wal_level.trim()
        ));
    }
    let (sluice_topic, raw_topic) = (
        format!("{}.public.{}", capture.id, capture.table),
        format!("{}_raw", capture.id),
    );
    create_topics(
        &settings.bootstrap,
        &[&sluice_topic, &raw_topic],
        settings.partitions,
    )?;
    prepare(&capture, settings.records, rows_per_tx)?;
    let sluice = run_sluice(settings, dir, &capture, &sluice_topic, schemas)?;
    let raw = run_raw(settings, dir, &capture, &raw_topic)?;
    Ok((sluice, raw))
}

/// Creates the table, its publication and both slots, then writes every row.
fn prepare(capture: &Capture, records: u64, rows_per_tx: u64) -> BenchResult<()> {
    let started = Instant::now();
    let table = &capture.table;
    psql(&capture.database, &create_table_sql(table))?;
    psql(
        &capture.database,
        &format!(
            "CREATE PUBLICATION {} FOR TABLE \"{table}\"",
            capture.publication()
        ),
    )?;
    // One statement each: a slot cannot be created in a transaction that wrote.
    for (slot, plugin) in [
        (capture.sluice_slot(), "pgoutput"),
        (capture.raw_slot(), "test_decoding"),
    ] {
        psql(
            &capture.database,
            &format!("SELECT pg_create_logical_replication_slot('{slot}', '{plugin}')"),
        )?;
    }
    // The rows of the other PostgreSQL benches, one transaction per `per_tx` of them.
    let fill = format!("{}_fill", capture.id);
    psql(
        &capture.database,
        &format!(
            "CREATE PROCEDURE {fill}(total bigint, per_tx bigint) LANGUAGE plpgsql AS $$ \
             DECLARE i bigint := 0; \
             BEGIN \
               WHILE i < total LOOP \
                 INSERT INTO \"{table}\" SELECT g, 'device-' || lpad((g % 10000)::text, 5, '0'), \
                   'plant-' || (g % 7), 15.0 + (g % 1500) / 100.0, 30.0 + (g % 400) / 10.0, 'ok', \
                   to_timestamp((1704067200000 + g) / 1000.0), g * 3, g % 2 = 0, 'note-' || (g % 100) \
                 FROM generate_series(i, least(i + per_tx, total) - 1) g; \
                 COMMIT; \
                 i := i + per_tx; \
               END LOOP; \
             END $$"
        ),
    )?;
    // A CALL that commits must be a statement of its own; without waiting for each commit to
    // reach the disk, a million transactions take seconds rather than minutes.
    psql_with_options(
        &capture.database,
        &format!("CALL {fill}({records}, {rows_per_tx})"),
        "-c synchronous_commit=off",
    )?;
    psql(&capture.database, &format!("DROP PROCEDURE {fill}"))?;
    let wal = psql(
        &capture.database,
        &format!(
            "SELECT pg_size_pretty(pg_current_wal_lsn() - restart_lsn) FROM pg_replication_slots \
             WHERE slot_name = '{}'",
            capture.raw_slot()
        ),
    )?;
    eprintln!(
        "{PIPELINE}: {records} rows inserted, {rows_per_tx} per transaction, in {:.1} s; {} of WAL retained",
        started.elapsed().as_secs_f64(),
        wal.trim()
    );
    Ok(())
}

fn run_sluice(
    settings: &Settings,
    dir: &Path,
    capture: &Capture,
    topic: &str,
    schemas: bool,
) -> BenchResult<RunResult> {
    let url = tokio_postgres::Config::from_str(&capture.database)
        .map_err(|e| format!("DATABASE_URL: {e}"))?;
    let host = match url.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        _ => "127.0.0.1".to_string(),
    };
    let worker = write(
        dir,
        "worker.yaml",
        &format!(
            "bootstrap.servers: {}\nkey.converter: org.apache.kafka.connect.json.JsonConverter\n\
             value.converter: org.apache.kafka.connect.json.JsonConverter\n\
             key.converter.schemas.enable: {schemas}\nvalue.converter.schemas.enable: {schemas}\n\
             offset.storage.file.filename: {}\noffset.flush.interval.ms: 1000\n",
            settings.bootstrap,
            dir.join("connect.offsets.json").display()
        ),
    )?;
    let password = url
        .get_password()
        .map(|p| format!("database.password: '{}'\n", String::from_utf8_lossy(p)))
        .unwrap_or_default();
    let connector = write(
        dir,
        "postgres-cdc.yaml",
        &format!(
            "name: {id}_cdc\nconnector.class: io.debezium.connector.postgresql.PostgresConnector\n\
             database.hostname: {host}\ndatabase.port: {port}\ndatabase.user: {user}\n{password}\
             database.dbname: {db}\ntopic.prefix: {id}\nslot.name: {slot}\n\
             publication.name: {publication}\npublication.autocreate.mode: disabled\n\
             snapshot.mode: no_data\ntable.include.list: public\\.{table}\n",
            id = capture.id,
            port = url.get_ports().first().copied().unwrap_or(5432),
            user = url.get_user().unwrap_or("postgres"),
            db = url.get_dbname().unwrap_or("test"),
            slot = capture.sluice_slot(),
            publication = capture.publication(),
            table = capture.table,
        ),
    )?;
    eprintln!(
        "{PIPELINE}: sluice postgres-cdc-source (pgoutput), {} → {topic}",
        capture.table
    );
    measure_topic(
        settings,
        Side {
            pipeline: PIPELINE,
            implementation: "sluice",
        },
        sluice_command(settings, &worker, &[connector]),
        &dir.join("sluice-postgres-cdc.log"),
        topic,
        "change events in the topic",
    )
}

fn run_raw(
    settings: &Settings,
    dir: &Path,
    capture: &Capture,
    topic: &str,
) -> BenchResult<RunResult> {
    let mut command = self_command()?;
    command.arg("raw-recvlogical").args([
        "--database",
        &capture.database,
        "--slot",
        &capture.raw_slot(),
        "--bootstrap",
        &settings.bootstrap,
        "--topic",
        topic,
        "--records",
        &settings.records.to_string(),
    ]);
    eprintln!(
        "{PIPELINE}: raw pg_recvlogical (test_decoding) → rdkafka, {} → {topic}",
        capture.table
    );
    measure_topic(
        settings,
        Side {
            pipeline: PIPELINE,
            implementation: "raw pg_recvlogical",
        },
        command,
        &dir.join("raw-recvlogical.log"),
        topic,
        "change lines in the topic",
    )
}

/// The raw baseline: `pg_recvlogical` streams the slot as test_decoding text; each change line
/// (`table public.t: INSERT: …`) becomes one Kafka record. Stops reading after `records`.
pub fn raw_recvlogical(
    database: &str,
    slot: &str,
    bootstrap: &str,
    topic: &str,
    records: u64,
) -> BenchResult<()> {
    let producer = raw::producer(bootstrap)?;
    let mut child = Command::new("pg_recvlogical")
        .args([
            "-d",
            database,
            "--slot",
            slot,
            "--start",
            "--no-loop",
            "-f",
            "-",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("raw: cannot run pg_recvlogical: {e}"))?;
    let stdout = child
        .stdout
        .take()
        .ok_or("raw: pg_recvlogical has no stdout")?;
    let mut sent = 0u64;
    for line in BufReader::new(stdout).split(b'\n') {
        let line = line.map_err(|e| format!("raw: reading pg_recvlogical: {e}"))?;
        if !line.starts_with(b"table ") {
            continue;
        }
        raw::send(&producer, BaseRecord::to(topic).payload(&line))?;
        sent += 1;
        if sent.is_multiple_of(1000) {
            producer.poll(Duration::ZERO);
        }
        if sent >= records {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    producer
        .flush(Duration::from_secs(60))
        .map_err(|e| format!("raw: flush failed: {e}"))?;
    eprintln!("raw: sent {sent} change lines");
    raw::linger();
    Ok(())
}
