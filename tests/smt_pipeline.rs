//! Four single-message transforms, one applied under a predicate, in a standalone pipeline
//! through Kafka: two datagen sources → two topics → one file sink that transforms on the way.
//! Needs `scripts/services up`.

mod harness;

use std::time::Duration;

use harness::{Sluice, kafka_bootstrap, read_lines, unique, wait_for, write_file};
use serde_json::Value as Json;

const PER_TOPIC: usize = 50;

#[test]
fn chained_transforms_with_a_predicate_through_kafka() {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = unique("smt");
    let out = dir.path().join("out.jsonl");
    let worker = write_file(
        dir.path(),
        "worker.yaml",
        &format!(
            "bootstrap.servers: {}\noffset.storage.file.filename: {}\noffset.flush.interval.ms: 300\n\
             metrics.listener: ''\nconsumer.session.timeout.ms: 6000\nconsumer.max.poll.interval.ms: 10000\n",
            kafka_bootstrap(),
            dir.path().join("offsets.json").display()
        ),
    );
    let source = |kind: &str| {
        write_file(
            dir.path(),
            &format!("{kind}.yaml"),
            &format!(
                "name: {id}-{kind}\nconnector.class: datagen\nkafka.topic: {id}.{kind}\n\
                 iterations: {PER_TOPIC}\nseed: 7\n"
            ),
        )
    };
    let sink = write_file(
        dir.path(),
        "sink.yaml",
        &format!(
            "name: {id}-sink\nconnector.class: file-sink\ntopics.regex: '{id}\\.(cars|trucks)'\nfile: {}\n\
             transforms: drop,cast,topic,mask\n\
             transforms.drop.type: org.apache.kafka.connect.transforms.ReplaceField$Value\n\
             transforms.drop.exclude: latitude,longitude\n\
             transforms.cast.type: org.apache.kafka.connect.transforms.Cast$Value\n\
             transforms.cast.spec: speed:int32\n\
             transforms.topic.type: org.apache.kafka.connect.transforms.InsertField$Value\n\
             transforms.topic.topic.field: fromTopic\n\
             transforms.mask.type: org.apache.kafka.connect.transforms.MaskField$Value\n\
             transforms.mask.fields: vin\n\
             transforms.mask.predicate: trucks\n\
             predicates: trucks\n\
             predicates.trucks.type: org.apache.kafka.connect.transforms.predicates.TopicNameMatches\n\
             predicates.trucks.pattern: '.*\\.trucks'\n",
            out.display()
        ),
    );
    let log = dir.path().join("sluice.log");
    let mut sluice = Sluice::standalone(&worker, &[source("cars"), source("trucks"), sink], &log);
    let lines = wait_for("every record in the file", Duration::from_secs(90), || {
        sluice.assert_running();
        let lines = read_lines(&out);
        (lines.len() >= 2 * PER_TOPIC).then_some(lines)
    });
    assert_eq!(sluice.terminate(), Some(0));

    assert_eq!(lines.len(), 2 * PER_TOPIC);
    let (mut cars, mut trucks) = (0, 0);
    for line in &lines {
        let value: Json = serde_json::from_str(line).expect("JSON line");
        let fields: Vec<&str> = value
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert!(
            !fields.contains(&"latitude") && !fields.contains(&"longitude"),
            "ReplaceField: {line}"
        );
        assert!(value["speed"].is_i64(), "Cast to int32: {line}");
        let topic = value["fromTopic"]
            .as_str()
            .expect("InsertField topic.field");
        let vin = value["vin"].as_str().expect("vin");
        if topic.ends_with(".trucks") {
            trucks += 1;
            assert_eq!(vin, "", "MaskField applies to trucks: {line}");
        } else {
            cars += 1;
            assert_eq!(vin.len(), 17, "MaskField skips cars: {line}");
        }
    }
    assert_eq!((cars, trucks), (PER_TOPIC, PER_TOPIC));
}
