//! The internal topics of distributed mode against the real broker: creating and checking them,
//! the config store (connector, task and commit records, target states, deletion, incremental
//! reads), the status store (reports of two workers across generations) and the offset store
//! (commits and resets of one worker seen by another), and the records' JSON as Kafka Connect
//! writes it. Needs the Kafka service of `scripts/services up`.

mod harness;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use harness::{kafka_bootstrap, unique};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Message, OwnedMessage};
use serde_json::{Value, json};
use sluice_api::{OffsetMap, OffsetSnapshot, Props};
use sluice_runtime::config::WorkerConfig;
use sluice_runtime::distributed::config_log::{ConfigRecord, ConfigState};
use sluice_runtime::distributed::config_store::KafkaConfigStore;
use sluice_runtime::distributed::status_log::{Status, StatusRecord, StatusState};
use sluice_runtime::distributed::status_store::KafkaStatusStore;
use sluice_runtime::distributed::topics::{InternalTopics, TopicSpec, ensure_internal_topics};
use sluice_runtime::herder::{RestartRequest, TargetState};
use sluice_runtime::offsets::{KafkaOffsetStore, OffsetStore};
use sluice_runtime::worker::status::{State, TaskId};

const FLUSH: Duration = Duration::from_secs(30);

fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A worker config naming fresh internal topics, plus `extra` settings.
fn worker(extra: &[(&str, &str)]) -> WorkerConfig {
    let mut settings = props(&[
        ("bootstrap.servers", &kafka_bootstrap()),
        ("config.storage.topic", &unique("configs")),
        ("offset.storage.topic", &unique("offsets")),
        ("status.storage.topic", &unique("status")),
    ]);
    settings.extend(props(extra));
    WorkerConfig::parse(&settings).expect("valid worker config")
}

fn topics_of(worker: &WorkerConfig) -> InternalTopics {
    InternalTopics::from_worker(worker).expect("internal topics configured")
}

async fn partition_count(topic: &str) -> usize {
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", kafka_bootstrap())
            .create()
            .expect("metadata client");
        let metadata = consumer
            .fetch_metadata(Some(&topic), Duration::from_secs(10))
            .expect("metadata");
        metadata
            .topics()
            .iter()
            .find(|t| t.name() == topic)
            .map_or(0, |t| t.partitions().len())
    })
    .await
    .expect("metadata lookup")
}

/// Creates a topic as an operator might have, before any worker started.
async fn create_topic(name: &str, partitions: i32, settings: &[(&str, &str)]) {
    let admin: AdminClient<DefaultClientContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", kafka_bootstrap())
        .create()
        .expect("admin client");
    let mut topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
    for (key, value) in settings {
        topic = topic.set(key, value);
    }
    let results = admin
        .create_topics([&topic], &AdminOptions::new())
        .await
        .expect("create topic");
    for result in results {
        result.expect("topic created");
    }
}

async fn consume_all(topic: &str) -> Vec<OwnedMessage> {
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || harness::consume_all(&topic))
        .await
        .expect("consume")
}

fn task(connector: &str, n: u32) -> TaskId {
    TaskId {
        connector: connector.to_string(),
        task: n,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_topics_are_created_compacted_with_their_partition_counts() {
    let worker = worker(&[("offset.storage.partitions", "7")]);
    let topics = topics_of(&worker);
    let started = Instant::now();
    ensure_internal_topics(&worker, &topics.specs())
        .await
        .expect("topics created");
    eprintln!("created three internal topics in {:?}", started.elapsed());
    assert_eq!(partition_count(&topics.config.name).await, 1);
    assert_eq!(partition_count(&topics.offsets.name).await, 7);
    assert_eq!(partition_count(&topics.status.name).await, 5);

    // A second worker finds them and accepts them.
    let started = Instant::now();
    ensure_internal_topics(&worker, &topics.specs())
        .await
        .expect("existing topics accepted");
    eprintln!("checked three existing topics in {:?}", started.elapsed());

    // The default offsets partition count is Kafka Connect's.
    let defaults = self::worker(&[]);
    let offsets = topics_of(&defaults).offsets;
    ensure_internal_topics(&defaults, &[&offsets])
        .await
        .expect("offsets topic created");
    assert_eq!(partition_count(&offsets.name).await, 25);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_topic_with_several_partitions_is_refused() {
    let worker = worker(&[]);
    let spec = topics_of(&worker).config;
    create_topic(&spec.name, 3, &[("cleanup.policy", "compact")]).await;
    let error = ensure_internal_topics(&worker, &[&spec])
        .await
        .expect_err("three partitions refused");
    assert!(!error.is_retriable(), "{error}");
    assert_eq!(
        error.to_string(),
        format!(
            "Topic '{}' supplied via the 'config.storage.topic' property is required to have a \
             single partition in order to guarantee consistency of connector configurations, \
             but found 3 partitions.",
            spec.name
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_internal_topic_that_is_not_compacted_is_refused() {
    let worker = worker(&[]);
    let spec = topics_of(&worker).status;
    create_topic(&spec.name, 5, &[("cleanup.policy", "delete")]).await;
    let error = ensure_internal_topics(&worker, &[&spec])
        .await
        .expect_err("cleanup.policy=delete refused");
    assert!(!error.is_retriable(), "{error}");
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "Topic '{}' supplied via the 'status.storage.topic' property is required to have \
             'cleanup.policy=compact' to guarantee consistency and durability of connector and \
             task statuses, but found the topic currently has 'cleanup.policy=delete'.",
            spec.name
        )),
        "{message}"
    );

    // A topic whose cleanup policy the broker does not report (this broker reports only the
    // settings a topic was created with) cannot be checked: it is accepted with a warning.
    let unreported = TopicSpec::status(&unique("status-plain"), 5, -1);
    create_topic(&unreported.name, 5, &[]).await;
    ensure_internal_topics(&worker, &[&unreported])
        .await
        .expect("an unverifiable topic is accepted");
}

/// What a config state holds about one connector, to compare states read by different stores.
fn view(state: &ConfigState, connector: &str) -> (Option<Props>, Option<Vec<Props>>, TargetState) {
    (
        state.connector(connector).cloned(),
        state.task_configs(connector).map(<[Props]>::to_vec),
        state.target_state(connector),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_records_written_by_one_store_are_read_by_another() {
    let worker = worker(&[]);
    let spec = topics_of(&worker).config;
    ensure_internal_topics(&worker, &[&spec])
        .await
        .expect("config topic");
    let writer = KafkaConfigStore::open(&worker, &spec.name).expect("writer");
    let reader = KafkaConfigStore::open(&worker, &spec.name).expect("reader");
    let connector = "orders-sink";
    let config = props(&[
        ("name", connector),
        ("connector.class", "FileStreamSink"),
        ("tasks.max", "2"),
    ]);
    let task_configs = vec![
        props(&[("task.class", "FileStreamSinkTask"), ("file", "/tmp/a")]),
        props(&[("task.class", "FileStreamSinkTask"), ("file", "/tmp/b")]),
    ];

    let started = Instant::now();
    writer
        .put_connector_config(connector, &config, Some(TargetState::Paused))
        .await
        .expect("connector config");
    writer
        .put_task_configs(connector, &task_configs)
        .await
        .expect("task configs");
    eprintln!(
        "wrote a connector, 2 task configs and a commit in {:?}",
        started.elapsed()
    );

    let started = Instant::now();
    let mut state = ConfigState::new();
    let read = reader.read_to_end(&mut state).await.expect("read");
    eprintln!("read {read} config records in {:?}", started.elapsed());
    // Target state, connector, two tasks, commit.
    assert_eq!(read, 5);
    assert_eq!(state.offset(), 4);
    assert_eq!(
        view(&state, connector),
        (
            Some(config.clone()),
            Some(task_configs.clone()),
            TargetState::Paused
        )
    );
    assert!(!state.has_pending_tasks(connector));
    // The writer's own reader sees the same.
    let mut own = ConfigState::new();
    writer.read_to_end(&mut own).await.expect("read own writes");
    assert_eq!(own.offset(), state.offset());
    assert_eq!(view(&own, connector), view(&state, connector));

    // Nothing new: nothing read, the offset stays.
    assert_eq!(reader.read_to_end(&mut state).await.expect("read"), 0);
    assert_eq!(state.offset(), 4);

    // Task configs without their commit are not visible; only the new records are read.
    writer
        .write(&[ConfigRecord::Task {
            id: task(connector, 0),
            props: Some(props(&[("file", "/tmp/new")])),
        }])
        .await
        .expect("uncommitted task config");
    assert_eq!(reader.read_to_end(&mut state).await.expect("read"), 1);
    assert_eq!(state.offset(), 5);
    assert_eq!(state.task_configs(connector), Some(&task_configs[..]));
    assert!(state.has_pending_tasks(connector));

    // Resumed, restarted, then a second connector: three more records.
    writer
        .put_target_state(connector, TargetState::Started)
        .await
        .expect("resume");
    writer
        .put_restart_request(
            connector,
            RestartRequest {
                include_tasks: true,
                only_failed: false,
            },
        )
        .await
        .expect("restart");
    let other = props(&[("name", "other"), ("connector.class", "FileStreamSource")]);
    writer
        .put_connector_config("other", &other, None)
        .await
        .expect("second connector");
    assert_eq!(reader.read_to_end(&mut state).await.expect("read"), 3);
    assert_eq!(state.offset(), 8);
    assert_eq!(state.target_state(connector), TargetState::Started);
    assert_eq!(
        state.take_restart_requests(),
        [(
            connector.to_string(),
            RestartRequest {
                include_tasks: true,
                only_failed: false,
            }
        )]
    );
    assert_eq!(state.connector("other"), Some(&other));

    // Deleted: gone, the other connector untouched.
    writer.remove_connector(connector).await.expect("delete");
    assert_eq!(reader.read_to_end(&mut state).await.expect("read"), 2);
    assert_eq!(state.offset(), 10);
    assert_eq!(view(&state, connector), (None, None, TargetState::Started));
    assert_eq!(
        state.connectors().keys().collect::<Vec<_>>(),
        ["other"],
        "only the other connector is left"
    );

    // A third store folding the whole topic from the start reaches the same state.
    let late = KafkaConfigStore::open(&worker, &spec.name).expect("late reader");
    let mut from_start = ConfigState::new();
    assert_eq!(late.read_to_end(&mut from_start).await.expect("read"), 11);
    assert_eq!(from_start.offset(), state.offset());
    assert_eq!(from_start.connectors(), state.connectors());
    assert_eq!(view(&from_start, connector), view(&state, connector));

    // So does a fresh state given to a store that has read everything already.
    let mut again = ConfigState::new();
    assert_eq!(reader.read_to_end(&mut again).await.expect("read"), 11);
    assert_eq!(again.offset(), state.offset());
    assert_eq!(again.connectors(), state.connectors());
}

fn status(state: State, worker_id: &str, generation: i32) -> Status {
    Status {
        state,
        trace: None,
        worker_id: worker_id.to_string(),
        generation,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_of_two_workers_are_read_by_a_third() {
    let worker = worker(&[]);
    let spec = topics_of(&worker).status;
    ensure_internal_topics(&worker, &[&spec])
        .await
        .expect("status topic");
    let a = KafkaStatusStore::open(&worker, &spec.name).expect("worker a");
    let b = KafkaStatusStore::open(&worker, &spec.name).expect("worker b");
    let (wa, wb) = ("10.0.0.1:8083", "10.0.0.2:8083");

    let started = Instant::now();
    // Generation 1: worker a runs the connector and both tasks.
    a.put(StatusRecord::Connector {
        name: "c".into(),
        status: Some(status(State::Running, wa, 1)),
    });
    for n in 0..2 {
        a.put(StatusRecord::Task {
            id: task("c", n),
            status: Some(status(State::Running, wa, 1)),
        });
    }
    a.put(StatusRecord::Topic {
        connector: "c".into(),
        topic: "orders".into(),
        task: 0,
        discover_timestamp: 1_700_000_000_000,
    });
    a.flush(FLUSH).await.expect("worker a flushed");
    // Generation 2: worker b took task 1 over.
    b.put(StatusRecord::Task {
        id: task("c", 1),
        status: Some(status(State::Running, wb, 2)),
    });
    b.flush(FLUSH).await.expect("worker b flushed");
    // Worker a has not noticed yet and reports task 1 failed: stale, it must be dropped.
    a.put(StatusRecord::Task {
        id: task("c", 1),
        status: Some(Status {
            trace: Some("boom".into()),
            ..status(State::Failed, wa, 1)
        }),
    });
    // Its own task 0 failing is news, generation or not.
    a.put(StatusRecord::Task {
        id: task("c", 0),
        status: Some(Status {
            trace: Some("disk full".into()),
            ..status(State::Failed, wa, 1)
        }),
    });
    a.flush(FLUSH).await.expect("worker a flushed");
    eprintln!(
        "wrote 7 statuses from two workers in {:?}",
        started.elapsed()
    );

    let observer = KafkaStatusStore::open(&worker, &spec.name).expect("observer");
    let mut state = StatusState::new();
    let started = Instant::now();
    let read = observer.read_to_end(&mut state).await.expect("read");
    eprintln!("read {read} status records in {:?}", started.elapsed());
    assert_eq!(read, 7);
    assert_eq!(state.connector("c"), Some(&status(State::Running, wa, 1)));
    assert_eq!(
        state.task(&task("c", 0)),
        Some(&Status {
            trace: Some("disk full".into()),
            ..status(State::Failed, wa, 1)
        })
    );
    assert_eq!(
        state.task(&task("c", 1)),
        Some(&status(State::Running, wb, 2))
    );
    assert_eq!(state.active_topics("c"), ["orders"]);
    let positions = observer.positions().expect("positions");
    assert_eq!(
        positions.len(),
        5,
        "every partition was read: {positions:?}"
    );
    assert_eq!(positions.iter().map(|(_, o)| o).sum::<i64>(), 7);

    // Only what is written afterwards is read next time.
    assert_eq!(observer.read_to_end(&mut state).await.expect("read"), 0);
    b.put(StatusRecord::Connector {
        name: "c".into(),
        status: Some(status(State::Running, wb, 3)),
    });
    b.put(StatusRecord::Task {
        id: task("c", 0),
        status: None,
    });
    b.flush(FLUSH).await.expect("worker b flushed");
    assert_eq!(observer.read_to_end(&mut state).await.expect("read"), 2);
    assert_eq!(state.connector("c"), Some(&status(State::Running, wb, 3)));
    assert_eq!(state.task(&task("c", 0)), None);
    assert_eq!(state.tasks_of("c").len(), 1);
    let after: i64 = observer
        .positions()
        .expect("positions")
        .iter()
        .map(|(_, o)| o)
        .sum();
    assert_eq!(after, 9);
}

fn offset_map(value: Value) -> OffsetMap {
    match value {
        Value::Object(map) => map,
        other => panic!("{other} is not an object"),
    }
}

/// A snapshot's entries as (partition, offset) JSON, in a fixed order for comparing.
fn offsets_of(snapshot: &OffsetSnapshot) -> Vec<(Value, Value)> {
    let mut entries: Vec<(Value, Value)> = snapshot
        .entries()
        .map(|(p, o)| (Value::Object(p.clone()), Value::Object(o.clone())))
        .collect();
    entries.sort_by_key(|(p, _)| p.to_string());
    entries
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_committed_by_one_store_are_loaded_by_another_opened_before() {
    // Several partitions, so the connector's keys are spread over more than one.
    let worker = worker(&[("offset.storage.partitions", "3")]);
    // Worker a runs the task first; worker b's store is open before a commits anything, as
    // when a task moves from a to b.
    let a = KafkaOffsetStore::open(&worker).await.expect("store a");
    let b = KafkaOffsetStore::open(&worker).await.expect("store b");
    let connector = "orders-source";
    assert!(offsets_of(&b.load(connector).await.expect("load")).is_empty());

    let part = |n: u32| offset_map(json!({"table": format!("orders_{n}")}));
    let at = |n: u64| offset_map(json!({"position": n}));
    let started = Instant::now();
    a.commit(
        connector,
        &[(part(0), at(10)), (part(1), at(20)), (part(2), at(30))],
    )
    .await
    .expect("commit");
    a.commit("other", &[(part(0), at(99))])
        .await
        .expect("another connector's commit");
    eprintln!("committed 4 offsets in {:?}", started.elapsed());
    let started = Instant::now();
    let loaded = b.load(connector).await.expect("load");
    eprintln!("loaded the new offsets in {:?}", started.elapsed());
    let expected = |positions: &[(u32, u64)]| -> Vec<(Value, Value)> {
        let mut entries: Vec<(Value, Value)> = positions
            .iter()
            .map(|(p, o)| (Value::Object(part(*p)), Value::Object(at(*o))))
            .collect();
        entries.sort_by_key(|(p, _)| p.to_string());
        entries
    };
    assert_eq!(offsets_of(&loaded), expected(&[(0, 10), (1, 20), (2, 30)]));
    assert_eq!(
        offsets_of(&b.load("other").await.expect("load")),
        expected(&[(0, 99)])
    );

    // A newer commit replaces the older one in the other store too, and the writer's own
    // table, which also reads its writes back, keeps the newest.
    a.commit(connector, &[(part(0), at(11))])
        .await
        .expect("commit");
    a.commit(connector, &[(part(0), at(12))])
        .await
        .expect("commit");
    let newest = expected(&[(0, 12), (1, 20), (2, 30)]);
    assert_eq!(offsets_of(&b.load(connector).await.expect("load")), newest);
    assert_eq!(offsets_of(&a.load(connector).await.expect("load")), newest);

    // A reset through a (a tombstone) removes the partition's offset in b as well.
    a.alter(connector, &[(part(1), None)]).await.expect("reset");
    let after_reset = expected(&[(0, 12), (2, 30)]);
    assert_eq!(
        offsets_of(&b.load(connector).await.expect("load")),
        after_reset
    );
    assert_eq!(
        offsets_of(&a.load(connector).await.expect("load")),
        after_reset
    );

    // Now b runs the task and commits: a sees it, and nothing a read earlier comes back.
    b.commit(connector, &[(part(2), at(31))])
        .await
        .expect("commit by b");
    let moved = expected(&[(0, 12), (2, 31)]);
    assert_eq!(offsets_of(&a.load(connector).await.expect("load")), moved);
    assert_eq!(offsets_of(&b.load(connector).await.expect("load")), moved);

    // A store opened now, reading the whole topic, reaches the same state.
    let late = KafkaOffsetStore::open(&worker).await.expect("late store");
    assert_eq!(
        offsets_of(&late.load(connector).await.expect("load")),
        moved
    );
    assert_eq!(
        offsets_of(&late.load("other").await.expect("load")),
        expected(&[(0, 99)])
    );
}

fn key_of(message: &OwnedMessage) -> String {
    String::from_utf8(message.key().expect("a key").to_vec()).expect("UTF-8 key")
}

fn json_of(message: &OwnedMessage) -> Option<Value> {
    message
        .payload()
        .map(|p| serde_json::from_slice(p).expect("JSON value"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_are_in_kafka_connect_json() {
    let worker = worker(&[]);
    let topics = topics_of(&worker);
    ensure_internal_topics(&worker, &[&topics.config, &topics.status])
        .await
        .expect("topics");
    let configs = KafkaConfigStore::open(&worker, &topics.config.name).expect("config store");
    let statuses = KafkaStatusStore::open(&worker, &topics.status.name).expect("status store");
    let config = props(&[("name", "c"), ("tasks.max", "2")]);
    configs
        .put_connector_config("c", &config, Some(TargetState::Stopped))
        .await
        .expect("connector");
    configs
        .put_task_configs("c", &[props(&[("t", "0")]), props(&[("t", "1")])])
        .await
        .expect("tasks");
    configs
        .put_restart_request("c", RestartRequest::default())
        .await
        .expect("restart");
    configs.remove_connector("c").await.expect("delete");

    let records: Vec<(String, Option<Value>)> = consume_all(&topics.config.name)
        .await
        .iter()
        .map(|m| (key_of(m), json_of(m)))
        .collect();
    let expected = vec![
        (
            "target-state-c".to_string(),
            Some(json!({"state": "PAUSED", "state.v2": "STOPPED"})),
        ),
        (
            "connector-c".into(),
            Some(json!({"properties": {"name": "c", "tasks.max": "2"}})),
        ),
        ("task-c-0".into(), Some(json!({"properties": {"t": "0"}}))),
        ("task-c-1".into(), Some(json!({"properties": {"t": "1"}}))),
        ("commit-c".into(), Some(json!({"tasks": 2}))),
        (
            "restart-connector-c".into(),
            Some(json!({"include-tasks": false, "only-failed": false})),
        ),
        ("connector-c".into(), None),
        ("target-state-c".into(), None),
    ];
    assert_eq!(records, expected);

    statuses.put(StatusRecord::Connector {
        name: "c".into(),
        status: Some(status(State::Running, "w1:8083", 4)),
    });
    statuses.put(StatusRecord::Task {
        id: task("c", 1),
        status: Some(Status {
            trace: Some("trace".into()),
            ..status(State::Failed, "w1:8083", 4)
        }),
    });
    statuses.flush(FLUSH).await.expect("statuses flushed");
    let written: BTreeMap<String, String> = consume_all(&topics.status.name)
        .await
        .iter()
        .map(|m| {
            let value = m.payload().expect("a value");
            (key_of(m), String::from_utf8(value.to_vec()).expect("UTF-8"))
        })
        .collect();
    // Byte for byte: JsonConverter writes a status struct's fields in this order.
    assert_eq!(
        written,
        BTreeMap::from([
            (
                "status-connector-c".to_string(),
                r#"{"state":"RUNNING","trace":null,"worker_id":"w1:8083","generation":4}"#
                    .to_string()
            ),
            (
                "status-task-c-1".to_string(),
                r#"{"state":"FAILED","trace":"trace","worker_id":"w1:8083","generation":4}"#
                    .to_string()
            ),
        ])
    );
}
