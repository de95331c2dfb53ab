//! Error handling end to end: poison records under `errors.tolerance` none and all, the
//! dead-letter queue for sinks and sources, a destination that is down for a while, and the
//! `/metrics` counters checked against what actually moved. Needs `scripts/services up`.

mod harness;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use harness::{
    RawRecord, Sluice, committed_offset, consume_all, create_topic, http_get, kafka_bootstrap,
    metric, metrics_url, produce, read_lines, unique, wait_for, write_file,
};
use rdkafka::Message;
use rdkafka::message::{Headers, OwnedMessage};
use serde_json::{Value as Json, json};

/// A worker file with a short commit interval and an ephemeral metrics port.
fn worker(dir: &Path) -> PathBuf {
    write_file(
        dir,
        "worker.yaml",
        &format!(
            "bootstrap.servers: {}\noffset.storage.file.filename: {}\noffset.flush.interval.ms: 300\n\
             metrics.listener: http://127.0.0.1:0\nprogress.interval.ms: 0\n\
             consumer.session.timeout.ms: 6000\nconsumer.max.poll.interval.ms: 10000\n",
            kafka_bootstrap(),
            dir.join("offsets.json").display()
        ),
    )
}

fn headers(message: &OwnedMessage) -> HashMap<String, String> {
    message
        .headers()
        .map(|hs| {
            hs.iter()
                .map(|h| {
                    (
                        h.key.to_string(),
                        String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn log_text(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}

#[test]
fn sink_poison_record_without_tolerance_fails_only_its_task() {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = unique("poison-none");
    let (poisoned, healthy) = (format!("{id}.poisoned"), format!("{id}.healthy"));
    create_topic(&poisoned, 1);
    create_topic(&healthy, 1);
    produce(
        &poisoned,
        &[
            (None, Some(b"{\"n\":1}")),
            (None, Some(b"{not json")),
            (None, Some(b"{\"n\":2}")),
        ],
    );
    produce(&healthy, &[(None, Some(b"{\"n\":1}"))]);
    let connector = |name: &str, topic: &str, out: &str| {
        write_file(
            dir.path(),
            &format!("{name}.yaml"),
            &format!(
                "name: {id}-{name}\nconnector.class: file-sink\ntopics: {topic}\nfile: {}\n\
                 value.converter: org.apache.kafka.connect.json.JsonConverter\n\
                 value.converter.schemas.enable: false\nerrors.tolerance: none\n",
                dir.path().join(out).display()
            ),
        )
    };
    let connectors = [
        connector("bad", &poisoned, "bad.jsonl"),
        connector("good", &healthy, "good.jsonl"),
    ];
    let log = dir.path().join("sluice.log");
    let mut sluice = Sluice::standalone(&worker(dir.path()), &connectors, &log);

    wait_for("the poisoned task to fail", Duration::from_secs(60), || {
        sluice.assert_running();
        log_text(&log).contains("task failed").then_some(())
    });
    let text = log_text(&log);
    assert!(
        text.contains(&format!("{id}-bad-0")),
        "the failing task is named:\n{text}"
    );
    assert!(
        text.contains("Tolerance exceeded in error handler: VALUE_CONVERTER"),
        "{text}"
    );
    assert!(
        !text.contains(&format!("task={id}-good-0 error")),
        "the healthy task kept running:\n{text}"
    );

    // The worker and the other connector keep going.
    produce(&healthy, &[(None, Some(b"{\"n\":2}"))]);
    let good = dir.path().join("good.jsonl");
    wait_for("both healthy records", Duration::from_secs(30), || {
        sluice.assert_running();
        (read_lines(&good).len() == 2).then_some(())
    });
    assert_eq!(read_lines(&good), ["{\"n\":1}", "{\"n\":2}"]);
    assert!(!read_lines(&dir.path().join("bad.jsonl")).contains(&"{\"n\":2}".to_string()));
    assert_eq!(sluice.terminate(), Some(0));
}

#[test]
fn sink_poison_records_go_to_the_dead_letter_queue_and_metrics_count_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = unique("poison-all");
    let (source, dlq) = (format!("{id}.in"), format!("{id}.dlq"));
    create_topic(&source, 1);
    let good: Vec<String> = (0..20).map(|i| format!("{{\"id\":{i}}}")).collect();
    let oversized = format!("{{\"id\":99,\"pad\":\"{}\"}}", "x".repeat(5000));
    let mut records: Vec<RawRecord<'_>> = good[..10]
        .iter()
        .map(|v| (None, Some(v.as_bytes())))
        .collect();
    records.push((Some(b"k-invalid"), Some(b"{\"id\": ")));
    records.push((Some(b"k-array"), Some(b"[1,2,3]")));
    records.push((Some(b"k-oversized"), Some(oversized.as_bytes())));
    records.extend(good[10..].iter().map(|v| (None, Some(v.as_bytes()))));
    produce(&source, &records);
    let poison_offsets = [10i64, 11, 12];

    let sink = write_file(
        dir.path(),
        "sink.yaml",
        &format!(
            "name: {id}-sink\nconnector.class: kafka-sink\ntopics: {source}\n\
             kafka.bootstrap.servers: {}\nkafka.producer.message.max.bytes: 2000\n\
             key.converter: org.apache.kafka.connect.storage.StringConverter\n\
             value.converter: org.apache.kafka.connect.json.JsonConverter\n\
             value.converter.schemas.enable: false\n\
             transforms: tag,route\n\
             transforms.tag.type: org.apache.kafka.connect.transforms.InsertField$Value\n\
             transforms.tag.static.field: via\ntransforms.tag.static.value: sluice\n\
             transforms.route.type: RegexRouter\ntransforms.route.regex: '(.*)\\.in'\n\
             transforms.route.replacement: '$1.out'\n\
             errors.tolerance: all\nerrors.log.enable: true\nerrors.log.include.messages: true\n\
             errors.deadletterqueue.topic.name: {dlq}\n\
             errors.deadletterqueue.topic.replication.factor: 1\n\
             errors.deadletterqueue.context.headers.enable: true\n",
            kafka_bootstrap()
        ),
    );
    let log = dir.path().join("sluice.log");
    let mut sluice = Sluice::standalone(&worker(dir.path()), &[sink], &log);
    let group = format!("connect-{id}-sink");
    wait_for(
        "offsets committed past every record",
        Duration::from_secs(60),
        || {
            sluice.assert_running();
            (committed_offset(&group, &source) == Some(records.len() as i64)).then_some(())
        },
    );

    // Metrics, scraped while the worker runs, match what moved.
    let scrape = http_get(&metrics_url(&log));
    let labels = [
        ("connector", format!("{id}-sink")),
        ("task", "0".to_string()),
    ];
    let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let value = |name: &str| {
        metric(&scrape, name, &labels).unwrap_or_else(|| panic!("{name} missing in\n{scrape}"))
    };
    assert_eq!(
        value("kafka_connect_sink_task_metrics_sink_record_read_total"),
        23.0
    );
    assert_eq!(
        value("kafka_connect_task_error_metrics_total_records_skipped"),
        3.0
    );
    assert_eq!(
        value("kafka_connect_task_error_metrics_total_record_errors"),
        3.0
    );
    assert_eq!(
        value("kafka_connect_task_error_metrics_deadletterqueue_produce_requests"),
        3.0
    );
    assert_eq!(
        value("kafka_connect_task_error_metrics_deadletterqueue_produce_failures"),
        0.0
    );
    assert!(value("kafka_connect_task_error_metrics_last_error_timestamp") > 0.0);
    assert_eq!(sluice.terminate(), Some(0));

    let delivered: HashSet<Json> = consume_all(&format!("{id}.out"))
        .iter()
        .filter_map(|m| serde_json::from_slice(m.payload()?).ok())
        .collect();
    let expected: HashSet<Json> = (0..20).map(|i| json!({"id": i, "via": "sluice"})).collect();
    assert_eq!(
        delivered, expected,
        "every good record arrived once transformed"
    );

    let dead = consume_all(&dlq);
    assert_eq!(dead.len(), 3, "every poison record is dead-lettered");
    let stages: Vec<(i64, String, String)> = dead
        .iter()
        .map(|m| {
            let h = headers(m);
            assert_eq!(h["__connect.errors.topic"], source);
            assert_eq!(h["__connect.errors.partition"], "0");
            assert_eq!(h["__connect.errors.connector.name"], format!("{id}-sink"));
            assert_eq!(h["__connect.errors.task.id"], "0");
            for key in [
                "class.name",
                "exception.class.name",
                "exception.message",
                "exception.stacktrace",
            ] {
                assert!(
                    !h[&format!("__connect.errors.{key}")].is_empty(),
                    "{key} set"
                );
            }
            let offset = h["__connect.errors.offset"].parse().expect("offset header");
            (
                offset,
                h["__connect.errors.stage"].clone(),
                h["__connect.errors.exception.class.name"].clone(),
            )
        })
        .collect();
    let mut stages = stages;
    stages.sort();
    assert_eq!(
        stages
            .iter()
            .map(|(o, s, _)| (*o, s.as_str()))
            .collect::<Vec<_>>(),
        [
            (poison_offsets[0], "VALUE_CONVERTER"),
            (poison_offsets[1], "TRANSFORMATION"),
            (poison_offsets[2], "TASK_PUT")
        ]
    );
    assert!(
        stages
            .iter()
            .all(|(_, _, class)| class == "org.apache.kafka.connect.errors.DataException")
    );
    // Converter and transform failures keep the original bytes.
    let original = |offset: i64| {
        dead.iter()
            .find(|m| headers(m)["__connect.errors.offset"] == offset.to_string())
            .and_then(|m| m.payload().map(<[u8]>::to_vec))
    };
    assert_eq!(original(10).as_deref(), Some(&b"{\"id\": "[..]));
    assert_eq!(original(11).as_deref(), Some(&b"[1,2,3]"[..]));
    assert!(
        log_text(&log).contains("k-invalid"),
        "errors.log.include.messages logs the key"
    );
}

#[test]
fn source_records_failing_a_transform_go_to_the_dead_letter_queue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = unique("source-dlq");
    let (topic, dlq) = (format!("{id}.events"), format!("{id}.dlq"));
    let source = write_file(
        dir.path(),
        "source.yaml",
        &format!(
            "name: {id}-source\nconnector.class: datagen\nkafka.topic: {topic}\niterations: 100\n\
             poison.every: 10\ntransforms: tag\n\
             transforms.tag.type: org.apache.kafka.connect.transforms.InsertField$Value\n\
             transforms.tag.static.field: via\ntransforms.tag.static.value: sluice\n\
             errors.tolerance: all\nerrors.deadletterqueue.topic.name: {dlq}\n\
             errors.deadletterqueue.topic.replication.factor: 1\n\
             errors.deadletterqueue.context.headers.enable: true\n"
        ),
    );
    let log = dir.path().join("sluice.log");
    let worker = worker(dir.path());
    let mut sluice = Sluice::standalone(&worker, &[source], &log);
    let offsets = dir.path().join("offsets.json");
    wait_for(
        "the last source offset committed",
        Duration::from_secs(60),
        || {
            sluice.assert_running();
            let text = std::fs::read_to_string(&offsets).ok()?;
            text.contains("\"seq\": 99").then_some(())
        },
    );
    assert_eq!(sluice.terminate(), Some(0));

    let good = consume_all(&topic);
    assert_eq!(good.len(), 90, "every good record was produced");
    let dead = consume_all(&dlq);
    assert_eq!(dead.len(), 10, "every poison record is dead-lettered");
    let mut seqs: Vec<u64> = dead
        .iter()
        .map(|m| {
            let h = headers(m);
            assert_eq!(h["__connect.errors.stage"], "TRANSFORMATION");
            assert_eq!(
                h["__connect.errors.class.name"],
                "org.apache.kafka.connect.transforms.InsertField$Value"
            );
            assert_eq!(h["__connect.errors.source.partition"], "{\"task\":0}");
            let offset: Json =
                serde_json::from_str(&h["__connect.errors.source.offset"]).expect("offset JSON");
            offset["seq"].as_u64().expect("seq")
        })
        .collect();
    seqs.sort();
    assert_eq!(seqs, (0..10).map(|n| n * 10 + 9).collect::<Vec<_>>());
}

#[test]
fn source_transform_failure_without_tolerance_fails_the_task_after_committing_what_went_before() {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = unique("source-none");
    let topic = format!("{id}.events");
    let source = write_file(
        dir.path(),
        "source.yaml",
        &format!(
            "name: {id}-source\nconnector.class: datagen\nkafka.topic: {topic}\niterations: 100\n\
             poison.every: 10\nbatch.size: 1\ntransforms: tag\n\
             transforms.tag.type: org.apache.kafka.connect.transforms.InsertField$Value\n\
             transforms.tag.static.field: via\ntransforms.tag.static.value: sluice\n"
        ),
    );
    let log = dir.path().join("sluice.log");
    let mut sluice = Sluice::standalone(&worker(dir.path()), &[source], &log);
    wait_for("the task to fail", Duration::from_secs(60), || {
        sluice.assert_running();
        log_text(&log).contains("task failed").then_some(())
    });
    let text = log_text(&log);
    assert!(
        text.contains("Tolerance exceeded in error handler: TRANSFORMATION"),
        "{text}"
    );
    assert_eq!(sluice.terminate(), Some(0));
    assert_eq!(
        consume_all(&topic).len(),
        9,
        "records before the poison one were produced"
    );
    let offsets = std::fs::read_to_string(dir.path().join("offsets.json")).expect("offsets file");
    assert!(
        offsets.contains("\"seq\": 8"),
        "offsets stop before the failed record: {offsets}"
    );
}

#[test]
fn destination_down_for_fifteen_seconds_loses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = unique("down");
    let topic = format!("{id}.events");
    let missing = dir.path().join("not-mounted-yet");
    let out = missing.join("out.jsonl");
    let source = write_file(
        dir.path(),
        "source.yaml",
        &format!(
            "name: {id}-source\nconnector.class: datagen\nkafka.topic: {topic}\niterations: 1000\n"
        ),
    );
    let sink = write_file(
        dir.path(),
        "sink.yaml",
        &format!(
            "name: {id}-sink\nconnector.class: file-sink\ntopics: {topic}\nfile: {}\n\
             errors.retry.timeout: 120000\nerrors.retry.delay.max.ms: 2000\n",
            out.display()
        ),
    );
    let log = dir.path().join("sluice.log");
    let mut sluice = Sluice::standalone(&worker(dir.path()), &[source, sink], &log);
    wait_for(
        "the sink to start retrying",
        Duration::from_secs(60),
        || {
            sluice.assert_running();
            log_text(&log)
                .contains("put failed, retrying")
                .then_some(())
        },
    );
    std::thread::sleep(Duration::from_secs(15));
    sluice.assert_running();
    std::fs::create_dir(&missing).expect("destination comes back");

    let events = wait_for("every record in the file", Duration::from_secs(60), || {
        sluice.assert_running();
        let ids: HashSet<String> = read_lines(&out)
            .iter()
            .filter_map(|l| {
                serde_json::from_str::<Json>(l).ok()?["eventId"]
                    .as_str()
                    .map(String::from)
            })
            .collect();
        (ids.len() == 1000).then_some(ids)
    });
    let scrape = http_get(&metrics_url(&log));
    let retries = metric(
        &scrape,
        "kafka_connect_task_error_metrics_total_retries",
        &[("connector", &format!("{id}-sink")), ("task", "0")],
    );
    assert!(
        retries.is_some_and(|n| n >= 3.0),
        "retries counted: {retries:?}"
    );
    assert_eq!(sluice.terminate(), Some(0));
    assert_eq!(events.len(), 1000);
}
