//! `postgres-source`: a table of 10-column rows read into Kafka by Sluice's postgres-source in
//! incrementing mode, against a raw `COPY (SELECT …) TO STDOUT` whose lines a bare rdkafka
//! producer sends.

use std::path::Path;
use std::time::{Duration, Instant};

use futures::StreamExt;
use rdkafka::producer::{BaseRecord, Producer};

use crate::common::{
    BenchResult, RunResult, Settings, Side, create_topics, measure_topic, self_command,
    sluice_command, unique, write,
};
use crate::postgres::{BATCH, copy_line, create_table_sql, database_url, psql};
use crate::raw;

const PIPELINE: &str = "postgres-source";

pub fn run(settings: &Settings, dir: &Path) -> BenchResult<(RunResult, RunResult)> {
    let id = unique("bench-pgsrc").replace('-', "_");
    let database = database_url();
    let table = format!("{id}_rows");
    let (sluice_topic, raw_topic) = (format!("{id}.sluice.{table}"), format!("{id}_raw"));
    create_topics(
        &settings.bootstrap,
        &[&sluice_topic, &raw_topic],
        settings.partitions,
    )?;
    fill(&database, &table, settings.records)?;
    let sluice = run_sluice(settings, dir, &id, &table, &sluice_topic, &database)?;
    let raw = run_raw(settings, dir, &table, &raw_topic, &database)?;
    Ok((sluice, raw))
}

/// Creates the table and COPYs `records` rows into it.
fn fill(database: &str, table: &str, records: u64) -> BenchResult<()> {
    let started = Instant::now();
    psql(database, &create_table_sql(table))?;
    let path = std::env::temp_dir().join(format!("{table}.tsv"));
    let mut text = String::new();
    for n in 0..records {
        copy_line(n, &mut text);
    }
    std::fs::write(&path, text).map_err(|e| e.to_string())?;
    psql(
        database,
        &format!("\\copy \"{table}\" FROM '{}'", path.display()),
    )?;
    let _ = std::fs::remove_file(&path);
    psql(database, &format!("VACUUM ANALYZE \"{table}\""))?;
    eprintln!(
        "{PIPELINE}: filled {table} with {records} rows in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn run_sluice(
    settings: &Settings,
    dir: &Path,
    id: &str,
    table: &str,
    topic: &str,
    database: &str,
) -> BenchResult<RunResult> {
    let worker = write(
        dir,
        "worker.yaml",
        &format!(
            "bootstrap.servers: {}\nkey.converter: org.apache.kafka.connect.storage.StringConverter\n\
             value.converter: org.apache.kafka.connect.json.JsonConverter\n\
             offset.storage.file.filename: {}\noffset.flush.interval.ms: 1000\n",
            settings.bootstrap,
            dir.join("connect.offsets.json").display()
        ),
    )?;
    let connector = write(
        dir,
        "postgres-source.yaml",
        &format!(
            "name: {id}_source\nconnector.class: io.confluent.connect.jdbc.JdbcSourceConnector\n\
             connection.url: '{database}'\nmode: incrementing\nincrementing.column.name: id\n\
             table.whitelist: {table}\ntopic.prefix: {id}.sluice.\nbatch.max.rows: {BATCH}\n\
             poll.interval.ms: 100\n"
        ),
    )?;
    eprintln!("{PIPELINE}: sluice postgres-source (incrementing), {table} → {topic}");
    measure_topic(
        settings,
        Side {
            pipeline: PIPELINE,
            implementation: "sluice",
        },
        sluice_command(settings, &worker, &[connector]),
        &dir.join("sluice-postgres-source.log"),
        topic,
        "records in the topic",
    )
}

fn run_raw(
    settings: &Settings,
    dir: &Path,
    table: &str,
    topic: &str,
    database: &str,
) -> BenchResult<RunResult> {
    let mut command = self_command()?;
    command.arg("raw-copy-out").args([
        "--database",
        database,
        "--table",
        table,
        "--bootstrap",
        &settings.bootstrap,
        "--topic",
        topic,
    ]);
    eprintln!("{PIPELINE}: raw COPY TO STDOUT → rdkafka, {table} → {topic}");
    measure_topic(
        settings,
        Side {
            pipeline: PIPELINE,
            implementation: "raw COPY",
        },
        command,
        &dir.join("raw-copy-out.log"),
        topic,
        "records in the topic",
    )
}

/// The raw baseline: every row as COPY text, one Kafka record per line.
pub fn raw_copy_out(database: &str, table: &str, bootstrap: &str, topic: &str) -> BenchResult<()> {
    let producer = raw::producer(bootstrap)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let sent = runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(database, tokio_postgres::NoTls)
            .await
            .map_err(|e| format!("raw: cannot connect: {e}"))?;
        tokio::spawn(connection);
        let stream = client
            .copy_out(&format!(
                "COPY (SELECT * FROM \"{table}\" ORDER BY id) TO STDOUT"
            ))
            .await
            .map_err(|e| format!("raw: COPY failed: {e}"))?;
        futures::pin_mut!(stream);
        let mut sent = 0u64;
        let mut pending: Vec<u8> = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| format!("raw: COPY failed: {e}"))?;
            pending.extend_from_slice(&chunk);
            let mut start = 0;
            while let Some(end) = pending[start..].iter().position(|b| *b == b'\n') {
                let line = &pending[start..start + end];
                raw::send(&producer, BaseRecord::to(topic).payload(line))?;
                sent += 1;
                start += end + 1;
            }
            pending.drain(..start);
            producer.poll(Duration::ZERO);
        }
        Ok::<u64, String>(sent)
    })?;
    producer
        .flush(Duration::from_secs(60))
        .map_err(|e| format!("raw: flush failed: {e}"))?;
    eprintln!("raw: sent {sent} rows");
    raw::linger();
    Ok(())
}
