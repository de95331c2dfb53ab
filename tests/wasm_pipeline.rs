//! WASM plugins in standalone Kafka → Kafka pipelines: a WASM filter and a WASM router end to
//! end; poison records dead-lettered while the worker keeps serving; and a module swapped under
//! load without losing or duplicating a record. Needs `scripts/services up`; builds the plugins
//! with `scripts/wasm-plugins` on first use.

mod harness;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use harness::{
    RawRecord, Sluice, committed_offset, consume_all, create_topic, kafka_bootstrap, produce,
    unique, wait_for, wasm_plugin, write_file,
};
use rdkafka::Message;
use rdkafka::message::{Headers, OwnedMessage};
use serde_json::{Value as Json, json};

fn worker(dir: &Path) -> PathBuf {
    write_file(
        dir,
        "worker.yaml",
        &format!(
            "bootstrap.servers: {}\noffset.storage.file.filename: {}\noffset.flush.interval.ms: 300\n\
             metrics.listener: ''\nprogress.interval.ms: 0\n\
             consumer.session.timeout.ms: 6000\nconsumer.max.poll.interval.ms: 10000\n",
            kafka_bootstrap(),
            dir.join("offsets.json").display()
        ),
    )
}

/// A Kafka → Kafka connector on `source` with string keys and values and these extra lines.
fn sink(dir: &Path, id: &str, source: &str, extra: &str) -> PathBuf {
    write_file(
        dir,
        "sink.yaml",
        &format!(
            "name: {id}-sink\nconnector.class: kafka-sink\ntopics: {source}\n\
             kafka.bootstrap.servers: {}\n\
             key.converter: org.apache.kafka.connect.storage.StringConverter\n\
             value.converter: org.apache.kafka.connect.storage.StringConverter\n{extra}",
            kafka_bootstrap()
        ),
    )
}

/// Produces each value (with `key`) to partition 0 of `topic`.
fn produce_values(topic: &str, key: Option<&[u8]>, values: &[String]) {
    let records: Vec<RawRecord<'_>> = values.iter().map(|v| (key, Some(v.as_bytes()))).collect();
    produce(topic, &records);
}

fn values(topic: &str) -> Vec<Json> {
    consume_all(topic)
        .iter()
        .map(|m| serde_json::from_slice(m.payload().expect("value")).expect("JSON"))
        .collect()
}

fn header(message: &OwnedMessage, name: &str) -> Option<String> {
    let headers = message.headers()?;
    headers
        .iter()
        .filter(|h| h.key == name)
        .last()
        .and_then(|h| h.value.map(|v| String::from_utf8_lossy(v).into_owned()))
}

/// Waits until `connector` committed `count` records; on a timeout the worker's log is shown.
fn wait_committed(sluice: &mut Sluice, log: &Path, connector: &str, source: &str, count: usize) {
    let group = format!("connect-{connector}");
    let deadline = Instant::now() + Duration::from_secs(120);
    while committed_offset(&group, source) != Some(count as i64) {
        sluice.assert_running();
        if Instant::now() > deadline {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(40).collect();
            panic!(
                "{count} records not committed in time; log tail:\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_wasm_filter_and_a_wasm_router_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let id = unique("wasm-e2e");
    let source = format!("{id}.telemetry");
    create_topic(&source, 1);
    let mut events = Vec::new();
    for i in 0..60 {
        let inside = i % 3 != 0;
        let (lat, lon) = if inside { (48.5, 2.5) } else { (10.0, 10.0) };
        let region = ["eu", "us", "apac"][i % 2 + usize::from(i % 5 == 0)];
        events.push(
            json!({"type": "vehicle.location.updated", "seq": i, "region": region,
                            "location": {"lat": lat, "lon": lon}}),
        );
    }
    let encoded: Vec<String> = events.iter().map(Json::to_string).collect();
    produce_values(&source, Some(b"k"), &encoded);

    let connector = sink(
        dir.path(),
        &id,
        &source,
        &format!(
            "transforms: fence,route\n\
             transforms.fence.type: wasm\ntransforms.fence.module: {}\n\
             transforms.fence.fence: 48.0,2.0,49.0,3.0\n\
             transforms.route.type: wasm\ntransforms.route.module: {}\n\
             transforms.route.field: region\n\
             transforms.route.routes: eu={id}.eu,us={id}.us\n\
             transforms.route.default.topic: {id}.other\n",
            wasm_plugin("geo_fence").display(),
            wasm_plugin("router").display()
        ),
    );
    let log = dir.path().join("log");
    let mut sluice = Sluice::standalone(&worker(dir.path()), &[connector], &log);
    wait_committed(
        &mut sluice,
        &log,
        &format!("{id}-sink"),
        &source,
        events.len(),
    );
    assert_eq!(sluice.terminate(), Some(0));

    for (region, topic) in [("eu", "eu"), ("us", "us"), ("apac", "other")] {
        let expected: Vec<&Json> = events
            .iter()
            .filter(|e| e["region"] == region && e["location"]["lat"] == 48.5)
            .collect();
        let got = values(&format!("{id}.{topic}"));
        assert_eq!(got.iter().collect::<Vec<_>>(), expected, "topic {topic}");
        assert!(!expected.is_empty());
    }
}

#[test]
fn poison_records_are_dead_lettered_and_the_worker_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let id = unique("wasm-dlq");
    let source = format!("{id}.in");
    let dlq = format!("{id}.dlq");
    create_topic(&source, 1);
    let mut values_in: Vec<String> = (0..30).map(|i| json!({"n": i}).to_string()).collect();
    for (at, poison) in [
        (3, "panic"),
        (9, "loop"),
        (15, "trap"),
        (21, "oom"),
        (27, "fail"),
    ] {
        values_in[at] = poison.to_string();
    }
    produce_values(&source, None, &values_in);

    let connector = sink(
        dir.path(),
        &id,
        &source,
        &format!(
            "transforms: bad,route\n\
             transforms.bad.type: wasm\ntransforms.bad.module: {}\n\
             transforms.bad.wasm.timeout.ms: 300\ntransforms.bad.wasm.memory.max.bytes: 33554432\n\
             transforms.route.type: RegexRouter\ntransforms.route.regex: '(.*)\\.in'\n\
             transforms.route.replacement: '$1.out'\n\
             errors.tolerance: all\n\
             errors.deadletterqueue.topic.name: {dlq}\n\
             errors.deadletterqueue.topic.replication.factor: 1\n\
             errors.deadletterqueue.context.headers.enable: true\n",
            wasm_plugin("misbehave").display()
        ),
    );
    let log = dir.path().join("log");
    let mut sluice = Sluice::standalone(&worker(dir.path()), &[connector], &log);
    wait_committed(&mut sluice, &log, &format!("{id}-sink"), &source, 30);

    // Still serving: later records flow through the same task.
    let later: Vec<String> = (30..35).map(|i| json!({"n": i}).to_string()).collect();
    produce_values(&source, None, &later);
    wait_committed(&mut sluice, &log, &format!("{id}-sink"), &source, 35);
    assert_eq!(sluice.terminate(), Some(0));

    // Keyless records spread over the output topic's partitions: compare as sets.
    let delivered: Vec<i64> = values(&format!("{id}.out"))
        .iter()
        .map(|v| v["n"].as_i64().expect("n"))
        .collect();
    let unique: HashSet<i64> = delivered.iter().copied().collect();
    assert_eq!(
        unique.len(),
        delivered.len(),
        "a record was delivered twice"
    );
    let expected: HashSet<i64> = (0..35)
        .filter(|i| ![3, 9, 15, 21, 27].contains(i))
        .collect();
    assert_eq!(unique, expected);

    let dead = consume_all(&dlq);
    let reasons: HashMap<String, String> = dead
        .iter()
        .map(|m| {
            (
                String::from_utf8_lossy(m.payload().unwrap()).into_owned(),
                header(m, "__connect.errors.exception.message").unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    for (poison, expected) in [
        ("panic", "poison record"),
        ("loop", "missed its deadline"),
        ("trap", "trapped"),
        ("oom", "ran out of memory"),
        ("fail", "refused"),
    ] {
        let reason = &reasons[poison];
        assert!(reason.contains(expected), "{poison}: {reason}");
    }
    assert!(
        dead.iter()
            .all(|m| header(m, "__connect.errors.stage").as_deref() == Some("TRANSFORMATION"))
    );
}

#[test]
fn hot_reload_under_load_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let id = unique("wasm-reload");
    let source = format!("{id}.in");
    let out_topic = format!("{id}.out");
    create_topic(&source, 1);
    let module = dir.path().join("plugin.wasm");
    std::fs::copy(wasm_plugin("identity"), &module).unwrap();

    let connector = sink(
        dir.path(),
        &id,
        &source,
        &format!(
            "transforms: plugin,route\n\
             transforms.plugin.type: wasm\ntransforms.plugin.module: {}\n\
             transforms.plugin.wasm.reload.check.ms: 20\ntransforms.plugin.tag: v2\n\
             transforms.route.type: RegexRouter\ntransforms.route.regex: '(.*)\\.in'\n\
             transforms.route.replacement: '$1.out'\n",
            module.display()
        ),
    );
    let log = dir.path().join("log");
    let mut sluice = Sluice::standalone(&worker(dir.path()), &[connector], &log);

    // Produce steadily for the whole test, while the module is replaced.
    let stop = Arc::new(AtomicBool::new(false));
    let producer = {
        let (source, stop) = (source.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut next = 0;
            while !stop.load(Ordering::Relaxed) {
                let values: Vec<String> = (next..next + 50)
                    .map(|i| json!({"n": i}).to_string())
                    .collect();
                produce_values(&source, None, &values);
                next += 50;
                std::thread::sleep(Duration::from_millis(50));
            }
            next
        })
    };
    wait_for(
        "records through the first module",
        Duration::from_secs(60),
        || {
            sluice.assert_running();
            (committed_offset(&format!("connect-{id}-sink"), &source).unwrap_or(0) > 200)
                .then_some(())
        },
    );
    // Replace the file as a deployment would: write aside, rename over.
    let next = dir.path().join("next.wasm");
    std::fs::copy(wasm_plugin("misbehave"), &next).unwrap();
    std::fs::rename(&next, &module).unwrap();
    wait_for("the new module swapped in", Duration::from_secs(60), || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.contains("WASM plugin reloaded").then_some(())
    });
    std::thread::sleep(Duration::from_millis(1000));
    stop.store(true, Ordering::Relaxed);
    let count = producer.join().unwrap();
    wait_committed(&mut sluice, &log, &format!("{id}-sink"), &source, count);
    assert_eq!(sluice.terminate(), Some(0));

    let out = consume_all(&out_topic);
    let mut seen = HashSet::new();
    let mut by_partition: HashMap<i32, Vec<(i64, bool)>> = HashMap::new();
    for message in &out {
        let value: Json = serde_json::from_slice(message.payload().unwrap()).unwrap();
        let n = value["n"].as_i64().unwrap();
        assert!(seen.insert(n), "record {n} delivered twice");
        let tagged = header(message, "tag").as_deref() == Some("v2");
        by_partition
            .entry(message.partition())
            .or_default()
            .push((n, tagged));
    }
    assert_eq!(seen.len(), count, "every record delivered once");
    let (mut before, mut after) = (0, 0);
    for records in by_partition.values() {
        // Within a partition order holds: once the new module ran, the old one never did again.
        let first_tagged = records
            .iter()
            .position(|(_, t)| *t)
            .unwrap_or(records.len());
        assert!(
            records[first_tagged..].iter().all(|(_, t)| *t),
            "old module ran after the swap"
        );
        before += first_tagged;
        after += records.len() - first_tagged;
    }
    assert!(
        before > 0 && after > 0,
        "the swap happened under load ({before} before, {after} after)"
    );
}

#[test]
fn a_plugin_refusing_its_settings_fails_its_task_not_the_worker() {
    let dir = tempfile::tempdir().unwrap();
    let id = unique("wasm-init");
    let (good, bad) = (format!("{id}.good"), format!("{id}.bad"));
    create_topic(&good, 1);
    create_topic(&bad, 1);
    let connector = |name: &str, topic: &str, extra: &str| {
        write_file(
            dir.path(),
            &format!("{name}.yaml"),
            &format!(
                "name: {id}-{name}\nconnector.class: kafka-sink\ntopics: {topic}\n\
                 kafka.bootstrap.servers: {}\n\
                 key.converter: org.apache.kafka.connect.storage.StringConverter\n\
                 value.converter: org.apache.kafka.connect.storage.StringConverter\n\
                 transforms: plugin,route\n\
                 transforms.plugin.type: wasm\ntransforms.plugin.module: {}\n{extra}\
                 transforms.route.type: RegexRouter\ntransforms.route.regex: '(.*)'\n\
                 transforms.route.replacement: '$1.out'\n",
                kafka_bootstrap(),
                wasm_plugin("misbehave").display()
            ),
        )
    };
    let refusing = connector("bad", &bad, "transforms.plugin.fail.init: 'true'\n");
    let working = connector("good", &good, "");
    let log = dir.path().join("log");
    let mut sluice = Sluice::standalone(&worker(dir.path()), &[refusing, working], &log);
    let values: Vec<String> = (0..10).map(|i| json!({"n": i}).to_string()).collect();
    produce_values(&good, None, &values);
    produce_values(&bad, None, &values);
    wait_committed(&mut sluice, &log, &format!("{id}-good"), &good, 10);
    wait_for("the refusal in the log", Duration::from_secs(30), || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.contains("fail.init is set: refusing to start")
            .then_some(())
    });
    sluice.assert_running();
    assert_eq!(consume_all(&format!("{good}.out")).len(), 10);
    assert!(consume_all(&format!("{bad}.out")).is_empty());
    sluice.terminate();
}
