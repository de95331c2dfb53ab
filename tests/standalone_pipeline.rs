//! A standalone worker moves 10 000 datagen records → Kafka → file sink through InsertField and
//! RegexRouter, survives SIGKILL mid-run, and resumes from its stored offset — with offsets in a
//! file and in a Kafka topic. Needs the services of `scripts/services up`.

mod harness;

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use harness::{Sluice, consume_all, kafka_bootstrap, read_lines, unique, wait_for, write_file};
use serde_json::{Value as Json, json};
use sluice_runtime::config::{WorkerConfig, read_worker_file};
use sluice_runtime::offsets;

const RECORDS: usize = 10_000;

#[derive(Clone, Copy)]
enum OffsetStorage {
    File,
    Topic,
}

#[test]
fn survives_sigkill_with_file_offsets() {
    kill_and_resume(OffsetStorage::File);
}

#[test]
fn survives_sigkill_with_topic_offsets() {
    kill_and_resume(OffsetStorage::Topic);
}

fn kill_and_resume(storage: OffsetStorage) {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = unique("sigkill");
    let (raw, routed) = (format!("{id}.raw"), format!("{id}.routed"));
    let out = dir.path().join("out.jsonl");
    let offsets_line = match storage {
        OffsetStorage::File => format!(
            "offset.storage.file.filename: {}",
            dir.path().join("offsets.json").display()
        ),
        OffsetStorage::Topic => {
            format!("offset.storage.topic: {id}.offsets\noffset.storage.partitions: 3")
        }
    };
    let worker = write_file(
        dir.path(),
        "worker.yaml",
        &format!(
            "bootstrap.servers: {}\n{offsets_line}\noffset.flush.interval.ms: 250\nmetrics.listener: http://127.0.0.1:0\n\
             consumer.session.timeout.ms: 6000\nconsumer.max.poll.interval.ms: 10000\n",
            kafka_bootstrap()
        ),
    );
    let source = write_file(
        dir.path(),
        "source.yaml",
        &format!(
            "name: {id}-source\nconnector.class: datagen\nkafka.topic: {raw}\niterations: {RECORDS}\n\
             rate: 2000\nbatch.size: 100\ntransforms: tag,route\n\
             transforms.tag.type: org.apache.kafka.connect.transforms.InsertField$Value\n\
             transforms.tag.static.field: pipeline\ntransforms.tag.static.value: sigkill-test\n\
             transforms.route.type: RegexRouter\ntransforms.route.regex: '(.*)\\.raw'\n\
             transforms.route.replacement: '$1.routed'\n"
        ),
    );
    let sink = write_file(
        dir.path(),
        "sink.properties",
        &format!(
            "name={id}-sink\nconnector.class=FileStreamSink\ntopics={routed}\nfile={}\n",
            out.display()
        ),
    );
    let connectors = [source, sink];
    let log = dir.path().join("sluice.log");

    let mut first = Sluice::standalone(&worker, &connectors, &log);
    wait_for(
        "3000 records in the sink file",
        Duration::from_secs(90),
        || {
            first.assert_running();
            (read_lines(&out).len() >= 3000).then_some(())
        },
    );
    first.kill();

    let stored_seq = stored_datagen_seq(&worker, &format!("{id}-source"));
    assert!(
        stored_seq > 0,
        "no source offset was committed before the kill"
    );

    let mut second = Sluice::standalone(&worker, &connectors, &log);
    let events = wait_for(
        "all records in the sink file",
        Duration::from_secs(120),
        || {
            second.assert_running();
            let events = event_ids(&out);
            (events.len() == RECORDS).then_some(events)
        },
    );
    assert_eq!(
        second.terminate(),
        Some(0),
        "graceful stop failed; log: {}",
        log.display()
    );

    assert_eq!(events.len(), RECORDS, "every record reached the file");
    for line in read_lines(&out) {
        let value: Json = serde_json::from_str(&line).expect("sink line is JSON");
        assert_eq!(
            value["pipeline"],
            json!("sigkill-test"),
            "InsertField applied: {line}"
        );
    }
    // Restarting from zero would have produced every record again: at least stored_seq + RECORDS.
    let produced = count_records(&routed);
    assert!(
        produced >= RECORDS,
        "topic {routed} holds {produced} records"
    );
    assert!(
        produced < stored_seq as usize + RECORDS,
        "source restarted from zero: {produced} records for {RECORDS} events (stored seq {stored_seq})"
    );
    assert_eq!(
        count_records(&raw),
        0,
        "RegexRouter renamed every record's topic"
    );
}

/// Distinct event ids in the sink file.
fn event_ids(path: &Path) -> HashSet<String> {
    read_lines(path)
        .iter()
        .filter_map(|line| serde_json::from_str::<Json>(line).ok())
        .filter_map(|v| v["eventId"].as_str().map(String::from))
        .collect()
}

/// The datagen task's committed sequence number, read back through Sluice's own offset store.
fn stored_datagen_seq(worker_file: &Path, connector: &str) -> u64 {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let props = read_worker_file(worker_file).expect("worker file");
        let worker = WorkerConfig::parse(&props).expect("worker config");
        let store = offsets::open(&worker).await.expect("offset store");
        let snapshot = store.load(connector).await.expect("load offsets");
        let partition = json!({"task": 0}).as_object().cloned().unwrap_or_default();
        snapshot
            .offset(&partition)
            .and_then(|o| o.get("seq"))
            .and_then(Json::as_u64)
            .unwrap_or(0)
    })
}

/// Counts every record in `topic` (0 if the topic is absent).
fn count_records(topic: &str) -> usize {
    consume_all(topic).len()
}
