//! `kafka-passthrough`: a pre-filled topic of schemaless JSON records, copied to a new topic by
//! Sluice's kafka-sink (JsonConverter in, InsertField$Value + RegexRouter, JSON out), against a
//! raw rdkafka consume → produce loop copying the same topic.

use std::path::Path;
use std::time::Instant;

use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

use crate::common::{
    BenchResult, RunResult, Settings, TopicCounter, create_topics, measure, producer_config,
    self_command, send_waiting, sluice_command, unique, worker_yaml, write,
};

const PIPELINE: &str = "kafka-passthrough";
/// Size of each pre-filled value.
const VALUE_BYTES: usize = 200;

pub fn run(settings: &Settings, dir: &Path) -> BenchResult<(RunResult, RunResult)> {
    let id = unique("bench-pass");
    let source = format!("{id}.src");
    let (sluice_dest, raw_dest) = (format!("{id}.dst"), format!("{id}.rawdst"));
    create_topics(
        &settings.bootstrap,
        &[&source, &sluice_dest, &raw_dest],
        settings.partitions,
    )?;
    prefill(settings, &source)?;
    let sluice = run_sluice(settings, dir, &id, &source, &sluice_dest)?;
    let raw = run_raw(settings, dir, &id, &source, &raw_dest)?;
    Ok((sluice, raw))
}

/// A schemaless JSON map of exactly [`VALUE_BYTES`] bytes.
pub fn value(n: u64) -> String {
    let head = format!(
        "{{\"id\":{n},\"device\":\"device-{:05}\",\"site\":\"plant-{}\",\"reading\":{{\"temperature\":{:.2},\
         \"humidity\":{:.1}}},\"status\":\"ok\",\"ts\":{},\"note\":\"",
        n % 10_000,
        n % 7,
        15.0 + (n % 1500) as f64 / 100.0,
        30.0 + (n % 400) as f64 / 10.0,
        1_704_067_200_000 + n
    );
    let pad = VALUE_BYTES.saturating_sub(head.len() + 2);
    format!("{head}{}\"}}", "x".repeat(pad))
}

fn prefill(settings: &Settings, topic: &str) -> BenchResult<()> {
    let started = Instant::now();
    let producer: ThreadedProducer<DefaultProducerContext> = producer_config(&settings.bootstrap)
        .create()
        .map_err(|e| format!("cannot create a producer: {e}"))?;
    for n in 0..settings.records {
        let (key, value) = (format!("device-{:05}", n % 10_000), value(n));
        let record = BaseRecord::to(topic)
            .key(key.as_str())
            .payload(value.as_str());
        send_waiting(&producer, record, topic)?;
        if started.elapsed() > settings.timeout {
            return Err(format!("timed out pre-filling {topic}"));
        }
    }
    producer
        .flush(settings.timeout)
        .map_err(|e| format!("cannot pre-fill {topic}: {e}"))?;
    eprintln!(
        "{PIPELINE}: pre-filled {topic} with {} records of {VALUE_BYTES} B in {:.1} s",
        settings.records,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn run_sluice(
    settings: &Settings,
    dir: &Path,
    id: &str,
    source: &str,
    dest: &str,
) -> BenchResult<RunResult> {
    let worker = write(dir, "worker.yaml", &worker_yaml(settings, dir))?;
    let connector = write(
        dir,
        "kafka-sink.yaml",
        &format!(
            "name: {id}-kafka-sink\n\
             connector.class: kafka-sink\n\
             topics: {source}\n\
             kafka.bootstrap.servers: {bootstrap}\n\
             key.converter: org.apache.kafka.connect.storage.StringConverter\n\
             value.converter: org.apache.kafka.connect.json.JsonConverter\n\
             value.converter.schemas.enable: false\n\
             transforms: tag,route\n\
             transforms.tag.type: org.apache.kafka.connect.transforms.InsertField$Value\n\
             transforms.tag.static.field: pipeline\n\
             transforms.tag.static.value: sluice-bench\n\
             transforms.route.type: org.apache.kafka.connect.transforms.RegexRouter\n\
             transforms.route.regex: '(.*)\\.src'\n\
             transforms.route.replacement: '$1.dst'\n",
            bootstrap = settings.bootstrap
        ),
    )?;
    let counter = TopicCounter::start(
        &settings.bootstrap,
        dest,
        settings.partitions,
        settings.records,
    )?;
    eprintln!("{PIPELINE}: sluice kafka-sink, {source} → {dest}");
    let (progress, usage) = measure(
        settings,
        "sluice",
        sluice_command(settings, &worker, &[connector]),
        &dir.join("sluice-passthrough.log"),
        "records in the destination",
        || counter.records(),
    )?;
    // The destination must hold transformed records, not copies.
    let sample = counter.sample().unwrap_or_default();
    eprintln!("  first destination record: {sample}");
    if !sample.contains("\"pipeline\":\"sluice-bench\"") {
        return Err(format!(
            "{dest} holds records without the field InsertField adds: {sample}"
        ));
    }
    Ok(RunResult {
        pipeline: PIPELINE,
        implementation: "sluice",
        records: settings.records,
        bytes: counter.bytes(),
        progress,
        usage,
    })
}

fn run_raw(
    settings: &Settings,
    dir: &Path,
    id: &str,
    source: &str,
    dest: &str,
) -> BenchResult<RunResult> {
    let counter = TopicCounter::start(
        &settings.bootstrap,
        dest,
        settings.partitions,
        settings.records,
    )?;
    let mut command = self_command()?;
    command
        .arg("raw-passthrough")
        .args([
            "--bootstrap",
            &settings.bootstrap,
            "--source",
            source,
            "--dest",
            dest,
        ])
        .args([
            "--group",
            &format!("{id}-raw"),
            "--records",
            &settings.records.to_string(),
        ])
        .args(["--timeout-secs", &settings.timeout.as_secs().to_string()]);
    eprintln!("{PIPELINE}: raw rdkafka, {source} → {dest}");
    let (progress, usage) = measure(
        settings,
        "raw",
        command,
        &dir.join("raw-passthrough.log"),
        "records in the destination",
        || counter.records(),
    )?;
    Ok(RunResult {
        pipeline: PIPELINE,
        implementation: "raw",
        records: settings.records,
        bytes: counter.bytes(),
        progress,
        usage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_200_byte_json_maps() {
        for n in [0, 7, 123_456, 9_999_999] {
            let text = value(n);
            assert_eq!(text.len(), VALUE_BYTES, "{text}");
            let json: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(json["id"], n);
        }
    }
}
