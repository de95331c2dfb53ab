//! Distributed mode with workers as separate `sluice distributed` processes sharing one group:
//! connectors created through any worker run cluster-wide and spread evenly; a SIGKILLed
//! worker's tasks move to the others within a measured bound and the sink ends with every
//! record; a joining worker takes over only the work that moves; a config change restarts only
//! that connector's tasks; a task restart sent to any worker restarts the task where it runs;
//! status shows the worker of every connector and task. The soak test kills and restarts
//! workers in a loop while data flows and checks that nothing is lost.
//!
//! The pipeline: datagen (3 tasks, each numbering its events) → a 6-partition topic → the
//! PostgreSQL sink (6 tasks) upserting by event id, so replays after a crash are absorbed and
//! a missing row is a lost record. Needs the services of `scripts/services up`.

mod harness;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use harness::postgres::{count, jdbc_url};
use harness::{Sluice, create_topic, kafka_bootstrap, rest_url, unique, wait_for, write_file};
use reqwest::blocking::Client;
use reqwest::{Method, StatusCode};
use serde_json::{Value as Json, json};

const SESSION_TIMEOUT_MS: u64 = 6000;
const SOURCE_TASKS: u64 = 3;
const SINK_TASKS: u64 = 6;
const SETTLE: Duration = Duration::from_secs(90);
/// The workers require HTTP Basic, so forwarded writes and the requests workers send each
/// other are authenticated too.
const USER: &str = "admin";
const PASSWORD: &str = "cluster-pw";

/// One cluster under test: its worker file, its directory, and the workers running.
struct Cluster {
    worker_file: PathBuf,
    workers: BTreeMap<usize, Worker>,
    client: Client,
    started: usize,
    /// Last, so that it is dropped after the workers have stopped.
    dir: KeptOnFailure,
}

struct Worker {
    process: Sluice,
    url: String,
    /// `host:port`, as statuses show it.
    id: String,
}

impl Cluster {
    fn new(max_delay_ms: u64) -> Cluster {
        let dir = KeptOnFailure(Some(tempfile::tempdir().expect("test directory")));
        let name = unique("cluster");
        let worker_file = write_file(
            dir.path(),
            "worker.yaml",
            &format!(
                "bootstrap.servers: {}\ngroup.id: {name}\n\
                 config.storage.topic: {name}-configs\noffset.storage.topic: {name}-offsets\n\
                 status.storage.topic: {name}-status\n\
                 session.timeout.ms: {SESSION_TIMEOUT_MS}\nheartbeat.interval.ms: 1000\n\
                 scheduled.rebalance.max.delay.ms: {max_delay_ms}\n\
                 offset.flush.interval.ms: 250\nmetrics.listener: ''\nprogress.interval.ms: 0\n\
                 consumer.session.timeout.ms: 6000\nconsumer.heartbeat.interval.ms: 1000\n\
                 consumer.max.poll.interval.ms: 20000\n\
                 task.shutdown.graceful.timeout.ms: 3000\n\
                 rest.auth.type: basic\nrest.auth.basic.username: {USER}\n\
                 rest.auth.basic.password: {PASSWORD}\n",
                kafka_bootstrap()
            ),
        );
        Cluster {
            dir,
            worker_file,
            workers: BTreeMap::new(),
            client: Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("http client"),
            started: 0,
        }
    }

    /// Starts a worker and waits until its REST API answers; returns its number.
    fn start(&mut self) -> usize {
        self.started += 1;
        let n = self.started;
        let log = self.dir.path().join(format!("worker-{n}.log"));
        let process = Sluice::distributed(&self.worker_file, &log);
        let url = rest_url(&log);
        let id = url.trim_start_matches("http://").to_string();
        wait_for("a worker to answer", Duration::from_secs(60), || {
            let root = self
                .client
                .get(format!("{url}/"))
                .basic_auth(USER, Some(PASSWORD))
                .send()
                .ok()?;
            root.status().is_success().then_some(())
        });
        self.workers.insert(n, Worker { process, url, id });
        n
    }

    fn kill(&mut self, n: usize) {
        self.workers
            .remove(&n)
            .expect("running worker")
            .process
            .kill();
    }

    /// The number of the running worker with REST id `id`.
    fn number(&self, id: &str) -> usize {
        *self
            .workers
            .iter()
            .find(|(_, w)| w.id == id)
            .expect("a running worker with that id")
            .0
    }

    fn any(&self) -> &Worker {
        self.workers.values().next().expect("a running worker")
    }

    fn call(
        &self,
        worker: &Worker,
        method: Method,
        path: &str,
        body: Option<Json>,
    ) -> (StatusCode, Json) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", worker.url))
            .basic_auth(USER, Some(PASSWORD));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().expect("REST request");
        let status = response.status();
        let text = response.text().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Json::Null);
        (status, body)
    }

    /// A write, retried while the cluster answers 409 (a rebalance in progress).
    fn write(&self, worker: &Worker, method: Method, path: &str, body: Json) -> (StatusCode, Json) {
        wait_for(&format!("{method} {path} to be accepted"), SETTLE, || {
            let (status, answer) = self.call(worker, method.clone(), path, Some(body.clone()));
            (status != StatusCode::CONFLICT).then_some((status, answer))
        })
    }

    fn status(&self, worker: &Worker, connector: &str) -> Json {
        self.call(
            worker,
            Method::GET,
            &format!("/connectors/{connector}/status"),
            None,
        )
        .1
    }

    /// Where each connector and task runs, as `worker` reports it, once every one of them is
    /// RUNNING on a live worker with the expected task counts.
    fn placement(&self, worker: &Worker, expected: &[(&str, u64)]) -> Option<Placement> {
        let live: BTreeSet<&str> = self.workers.values().map(|w| w.id.as_str()).collect();
        let mut placement = Placement::default();
        for (connector, tasks) in expected {
            let status = self.status(worker, connector);
            let running = |s: &Json| {
                s["state"] == "RUNNING" && s["worker_id"].as_str().is_some_and(|w| live.contains(w))
            };
            if !running(&status["connector"]) {
                return None;
            }
            let list = status["tasks"].as_array()?;
            if list.len() as u64 != *tasks || !list.iter().all(running) {
                return None;
            }
            placement.0.insert(
                connector.to_string(),
                status["connector"]["worker_id"].as_str()?.to_string(),
            );
            for task in list {
                placement.0.insert(
                    format!("{connector}-{}", task["id"]),
                    task["worker_id"].as_str()?.to_string(),
                );
            }
        }
        Some(placement)
    }

    /// Waits until every worker reports the same placement of everything, all RUNNING. On
    /// timeout, fails with what each worker reports and the end of its log.
    fn settled(&self, expected: &[(&str, u64)]) -> Placement {
        let deadline = Instant::now() + SETTLE;
        while Instant::now() < deadline {
            let mut seen = self.workers.values().map(|w| self.placement(w, expected));
            if let Some(Some(first)) = seen.next()
                && seen.all(|p| p.as_ref() == Some(&first))
            {
                return first;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let mut report = String::new();
        for (n, worker) in &self.workers {
            report.push_str(&format!("--- worker {n} ({})\n", worker.id));
            for (connector, _) in expected {
                report.push_str(&format!("{}\n", self.status(worker, connector)));
            }
            let log = self.log(*n);
            let lines: Vec<&str> = log.lines().collect();
            for line in &lines[lines.len().saturating_sub(40)..] {
                report.push_str(line);
                report.push('\n');
            }
        }
        panic!("the cluster did not settle within {SETTLE:?}:\n{report}");
    }

    fn log(&self, n: usize) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("worker-{n}.log"))).unwrap_or_default()
    }

    /// How many times each task started, by worker number, from the workers' logs.
    fn task_starts(&self) -> BTreeMap<(usize, String), usize> {
        let mut starts = BTreeMap::new();
        for n in 1..=self.started {
            for line in self.log(n).lines().filter(|l| l.contains("task started")) {
                if let Some(task) = line
                    .split("task=")
                    .nth(1)
                    .and_then(|t| t.split_whitespace().next())
                {
                    *starts.entry((n, task.to_string())).or_default() += 1;
                }
            }
        }
        starts
    }
}

/// The cluster's directory (worker file and logs): removed after a passing test, kept after a
/// failing one so that the workers' logs can be read.
struct KeptOnFailure(Option<tempfile::TempDir>);

impl KeptOnFailure {
    fn path(&self) -> &Path {
        self.0.as_ref().expect("test directory").path()
    }
}

impl Drop for KeptOnFailure {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Some(dir) = self.0.take()
        {
            eprintln!("the workers' logs are kept in {}", dir.keep().display());
        }
    }
}

/// Connector or task (`name-n`) → worker id.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Placement(BTreeMap<String, String>);

impl Placement {
    /// How many connectors and tasks each worker runs.
    fn load(&self) -> BTreeMap<String, usize> {
        let mut load = BTreeMap::new();
        for worker in self.0.values() {
            *load.entry(worker.clone()).or_default() += 1;
        }
        load
    }

    fn assert_even(&self, workers: usize) {
        let load = self.load();
        assert_eq!(load.len(), workers, "every worker runs something: {self:?}");
        let (min, max) = (load.values().min().unwrap(), load.values().max().unwrap());
        assert!(max - min <= 1, "uneven spread {load:?}");
    }
}

fn datagen(topic: &str, per_task: u64, rate: u64) -> Json {
    json!({
        "connector.class": "datagen",
        "kafka.topic": topic,
        "iterations": per_task.to_string(),
        "rate": rate.to_string(),
        "tasks.max": SOURCE_TASKS.to_string(),
    })
}

/// The sink's config; its consumers join the anchor's group with the anchor's assignor.
fn sink(topic: &str, table: &str, anchor: &GroupAnchor) -> Json {
    let mut config = json!({
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "topics": topic,
        "connection.url": jdbc_url(),
        "table.name.format": table,
        "auto.create": "true",
        "insert.mode": "upsert",
        "pk.mode": "record_value",
        // Each event's id is derived from its task and sequence number.
        "pk.fields": "eventId",
        "tasks.max": SINK_TASKS.to_string(),
        "consumer.override.group.id": anchor.group,
    });
    if let Rebalancing::Cooperative = anchor.rebalancing {
        config["consumer.override.partition.assignment.strategy"] =
            json!("org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
    }
    config
}

/// How the sink's consumer group rebalances: librdkafka's default eager assignors, or Kafka's
/// CooperativeStickyAssignor, with which a rebalance revokes only the partitions that move.
#[derive(Clone, Copy)]
enum Rebalancing {
    Eager,
    Cooperative,
}

/// A consumer of the test's own that joins the sink's consumer group before any sink task and
/// stays in it, so that it remains the group's leader while sink tasks come and go.
///
/// The test broker (Tansu 0.6) keeps a departed leader as the leader of the next generations
/// when it leaves while the group rebalances or its session expires: the leader's SyncGroup
/// never comes, every other member's SyncGroup answers REBALANCE_IN_PROGRESS, and no sink task
/// holds a partition for one to four minutes (seen in the soak with librdkafka's `cgrp` debug
/// log; nothing is lost, the records wait in the topic). Kafka elects a new leader among the
/// members that rejoin. The anchor subscribes to a topic of its own and takes no partition of
/// the sink's topic; the sink tasks still join, leave and are fenced as before.
struct GroupAnchor {
    group: String,
    rebalancing: Rebalancing,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    poller: Option<std::thread::JoinHandle<()>>,
}

impl GroupAnchor {
    /// Joins a new group; its members must all offer the same assignor, so the anchor's is the
    /// sink's.
    fn join(rebalancing: Rebalancing) -> GroupAnchor {
        use rdkafka::consumer::{BaseConsumer, Consumer};
        use std::sync::atomic::{AtomicBool, Ordering};
        let group = unique("cluster-sink");
        let topic = unique("anchor");
        create_topic(&topic, 1);
        let assignor = match rebalancing {
            Rebalancing::Eager => "range,roundrobin",
            Rebalancing::Cooperative => "cooperative-sticky",
        };
        let consumer: BaseConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", kafka_bootstrap())
            .set("group.id", &group)
            .set("partition.assignment.strategy", assignor)
            .set("session.timeout.ms", "6000")
            .set("heartbeat.interval.ms", "1000")
            .create()
            .expect("anchor consumer");
        consumer.subscribe(&[&topic]).expect("anchor subscription");
        wait_for("the anchor to join the sink group", SETTLE, || {
            consumer.poll(Duration::from_millis(100));
            let assigned = consumer.assignment().map_or(0, |a| a.count());
            (assigned > 0).then_some(())
        });
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let poller = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                consumer.poll(Duration::from_millis(200));
            }
        });
        GroupAnchor {
            group,
            rebalancing,
            stop,
            poller: Some(poller),
        }
    }
}

impl Drop for GroupAnchor {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(poller) = self.poller.take() {
            let _ = poller.join();
        }
    }
}

fn rows(table: &str) -> i64 {
    let exists = count(&format!(
        "SELECT count(*) FROM pg_tables WHERE tablename = '{table}'"
    ));
    if exists == 0 {
        return 0;
    }
    count(&format!("SELECT count(*) FROM \"{table}\""))
}

/// Waits until the table holds exactly `expected` distinct rows (upserts absorb replays). On
/// timeout, fails with where records are missing: not in the topic (the source) or not in the
/// table (the sink), and what the cluster reports.
fn wait_rows(cluster: &Cluster, topic: &str, table: &str, expected: i64, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let mut last = 0;
    while Instant::now() < deadline {
        last = rows(table);
        assert!(
            last <= expected,
            "more rows than records: {last} > {expected}"
        );
        if last == expected {
            return;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    // Where each event is in the topic, to tell a stalled partition (missing events above the
    // committed offset) from a lost write (below it).
    let placed: BTreeMap<String, (i32, i64)> = harness::consume_all(topic)
        .iter()
        .filter_map(|m| {
            use rdkafka::Message;
            let value: Json = serde_json::from_slice(m.payload()?).ok()?;
            let event = value.get("payload").unwrap_or(&value);
            Some((
                event["eventId"].as_str()?.to_string(),
                (m.partition(), m.offset()),
            ))
        })
        .collect();
    let in_topic: BTreeSet<&String> = placed.keys().collect();
    let in_table: BTreeSet<String> =
        harness::postgres::sql(&format!("SELECT \"eventId\" FROM \"{table}\""))
            .into_iter()
            .filter_map(|row| row.into_iter().next().flatten())
            .collect();
    let missing: Vec<(&String, &(i32, i64))> = placed
        .iter()
        .filter(|(id, _)| !in_table.contains(*id))
        .take(10)
        .collect();
    let statuses: Vec<Json> = ["sink", "source"]
        .iter()
        .map(|c| cluster.status(cluster.any(), c))
        .collect();
    // Sessions of the sinks and what they wait for: a writer blocked on a lock held by an
    // abandoned transaction would show here.
    let sessions = harness::postgres::sql(
        "SELECT state, wait_event_type, wait_event, (now() - xact_start)::text, left(query, 80) \
         FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    let (_, config) = cluster.call(cluster.any(), Method::GET, "/connectors/sink/config", None);
    let group = config["consumer.override.group.id"]
        .as_str()
        .unwrap_or("connect-sink");
    panic!(
        "{last} of {expected} rows in {table} after {timeout:?}; {} distinct events in the \
         topic; missing from the table (id, (partition, offset)): {missing:?}; committed by \
         the sink group: {:?}; statuses: {statuses:?}; database sessions: {sessions:?}; sink \
         group: {}",
        in_topic.len(),
        committed_offsets(group, topic),
        group_state(group)
    );
}

/// The group's committed offset of each partition of `topic`.
fn committed_offsets(group: &str, topic: &str) -> Vec<(i32, Option<i64>)> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", harness::kafka_bootstrap())
        .set("group.id", group)
        .create()
        .expect("consumer");
    let Ok(metadata) = consumer.fetch_metadata(Some(topic), Duration::from_secs(10)) else {
        return Vec::new();
    };
    let mut list = rdkafka::TopicPartitionList::new();
    for t in metadata.topics() {
        for p in t.partitions() {
            list.add_partition(topic, p.id());
        }
    }
    let Ok(committed) = consumer.committed_offsets(list, Duration::from_secs(10)) else {
        return Vec::new();
    };
    committed
        .elements()
        .iter()
        .map(|e| (e.partition(), e.offset().to_raw()))
        .collect()
}

/// The broker's view of a consumer group: its state and each member's assignment size.
fn group_state(group: &str) -> String {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", harness::kafka_bootstrap())
        .create()
        .expect("consumer");
    let groups = match consumer.fetch_group_list(Some(group), Duration::from_secs(10)) {
        Ok(groups) => groups,
        Err(err) => return format!("cannot describe {group}: {err}"),
    };
    groups
        .groups()
        .iter()
        .map(|g| {
            let members: Vec<String> = g
                .members()
                .iter()
                .map(|m| {
                    let assigned = m.assignment().map_or(0, <[u8]>::len);
                    format!("{} ({} assignment bytes)", m.client_host(), assigned)
                })
                .collect();
            format!("{} state {} members {members:?}", g.name(), g.state())
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Tests in this file run one at a time: each runs a cluster of its own, and two at once would
/// overload a small machine and blur the figures they print.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[test]
fn a_cluster_shares_work_survives_a_killed_worker_and_spreads_to_a_newcomer() {
    let _serial = serial();
    let topic = unique("cluster-events");
    let table = unique("cluster_rows").replace('-', "_");
    create_topic(&topic, 6);
    // Cooperative here, eager in the soak test: both ways of rebalancing the sink's consumers.
    let anchor = GroupAnchor::join(Rebalancing::Cooperative);
    let mut cluster = Cluster::new(0);
    let workers: Vec<usize> = (0..3).map(|_| cluster.start()).collect();

    // Connectors are created through different workers; at least one of them is a follower,
    // whose write is forwarded to the leader.
    let per_task = 12_000;
    let (first, second) = (&cluster.workers[&workers[0]], &cluster.workers[&workers[1]]);
    let (status, body) = cluster.write(
        first,
        Method::PUT,
        "/connectors/sink/config",
        sink(&topic, &table, &anchor),
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = cluster.write(
        second,
        Method::POST,
        "/connectors",
        json!({"name": "source", "config": datagen(&topic, per_task, 1000)}),
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let third = &cluster.workers[&workers[2]];
    let (status, body) = cluster.call(
        third,
        Method::POST,
        "/connectors",
        Some(json!({"name": "source", "config": datagen(&topic, 1, 1)})),
    );
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a duplicate is refused wherever it arrives: {body}"
    );
    for worker in cluster.workers.values() {
        wait_for("every worker to list every connector", SETTLE, || {
            let (_, list) = cluster.call(worker, Method::GET, "/connectors", None);
            (list == json!(["sink", "source"])).then_some(())
        });
    }

    let expected = [("sink", SINK_TASKS), ("source", SOURCE_TASKS)];
    let placement = cluster.settled(&expected);
    placement.assert_even(3);
    let ids: BTreeSet<String> = cluster.workers.values().map(|w| w.id.clone()).collect();
    assert_eq!(
        placement.load().keys().cloned().collect::<BTreeSet<_>>(),
        ids,
        "status names the workers by their REST host:port"
    );

    // SIGKILL the busiest worker while records flow.
    wait_for("records flowing", SETTLE, || {
        (rows(&table) > 1000).then_some(())
    });
    let load = placement.load();
    let busiest = load
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(id, _)| id.clone())
        .unwrap();
    let victim = cluster.number(&busiest);
    let killed = Instant::now();
    cluster.kill(victim);
    let after_kill = cluster.settled(&expected);
    let failover = killed.elapsed();
    println!(
        "failover: every task of the killed worker RUNNING elsewhere after {failover:?} (session timeout {SESSION_TIMEOUT_MS} ms)"
    );
    assert!(!after_kill.load().contains_key(&busiest));
    after_kill.assert_even(2);
    let moved_only: Vec<&String> = placement
        .0
        .iter()
        .filter(|(work, worker)| **worker != busiest && after_kill.0[*work] != **worker)
        .map(|(work, _)| work)
        .collect();
    assert!(
        moved_only.is_empty(),
        "work of surviving workers stayed put: {moved_only:?}"
    );
    wait_rows(
        &cluster,
        &topic,
        &table,
        (per_task * SOURCE_TASKS) as i64,
        Duration::from_secs(120),
    );

    // A newcomer takes over a fair share; only the work that moves restarts.
    let starts_before = cluster.task_starts();
    let newcomer = cluster.start();
    let after_join = wait_for("the newcomer to get work", SETTLE, || {
        let p = cluster.settled(&expected);
        (p.load().len() == 3).then_some(p)
    });
    after_join.assert_even(3);
    let newcomer_id = cluster.workers[&newcomer].id.clone();
    let starts_after = cluster.task_starts();
    for (task, worker) in &after_kill.0 {
        if after_join.0[task] == *worker && task.contains('-') {
            let key = (cluster.number(worker), task.clone());
            assert_eq!(
                starts_before.get(&key),
                starts_after.get(&key),
                "{task} stayed on {worker} and must not restart"
            );
        }
    }
    assert!(after_join.load()[&newcomer_id] >= 3);

    // A config change restarts only that connector's tasks.
    let starts_before = cluster.task_starts();
    let (status, body) = cluster.write(
        cluster.any(),
        Method::PATCH,
        "/connectors/source/config",
        json!({"rate": "2000"}),
    );
    assert_eq!(status, StatusCode::OK, "{body}");
    wait_for("the source tasks to restart", SETTLE, || {
        let starts = cluster.task_starts();
        let restarted = (0..SOURCE_TASKS).all(|t| {
            let task = format!("source-{t}");
            let total = |s: &BTreeMap<(usize, String), usize>| {
                s.iter()
                    .filter(|((_, k), _)| *k == task)
                    .map(|(_, n)| n)
                    .sum::<usize>()
            };
            total(&starts) > total(&starts_before)
        });
        restarted.then_some(())
    });
    let after_change = cluster.settled(&expected);
    let starts_after = cluster.task_starts();
    for t in 0..SINK_TASKS {
        let task = format!("sink-{t}");
        let total = |s: &BTreeMap<(usize, String), usize>| {
            s.iter()
                .filter(|((_, k), _)| *k == task)
                .map(|(_, n)| n)
                .sum::<usize>()
        };
        assert_eq!(
            total(&starts_before),
            total(&starts_after),
            "{task} must not restart for a source config change"
        );
    }
    assert_eq!(after_change.0.len(), after_join.0.len());
    // Reads are served from each worker's copy of the config topic, which may trail the
    // write by a moment on a worker that runs none of the connector's tasks.
    wait_for("every worker to serve the new config", SETTLE, || {
        cluster
            .workers
            .values()
            .all(|worker| {
                let (_, config) =
                    cluster.call(worker, Method::GET, "/connectors/source/config", None);
                config["rate"] == "2000"
            })
            .then_some(())
    });

    // A task restart that reaches a worker not running the task is carried out where it runs.
    let (task, owner_id) = after_change
        .0
        .iter()
        .find(|(work, _)| work.starts_with("sink-"))
        .map(|(task, worker)| (task.clone(), worker.clone()))
        .unwrap();
    let owner = cluster.number(&owner_id);
    let elsewhere = cluster.workers.values().find(|w| w.id != owner_id).unwrap();
    let starts_before = cluster.task_starts();
    let (status, body) = cluster.write(
        elsewhere,
        Method::POST,
        &format!("/connectors/sink/tasks/{}/restart", &task["sink-".len()..]),
        Json::Null,
    );
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let key = (owner, task.clone());
    wait_for(&format!("{task} to restart on {owner_id}"), SETTLE, || {
        (cluster.task_starts().get(&key) > starts_before.get(&key)).then_some(())
    });
    assert_eq!(
        cluster.settled(&expected).0[&task],
        owner_id,
        "{task} restarted where it ran"
    );

    // Deleting through any worker removes the connector everywhere.
    let (status, body) = cluster.write(
        cluster.any(),
        Method::DELETE,
        "/connectors/source",
        Json::Null,
    );
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for worker in cluster.workers.values() {
        wait_for("the deletion to reach every worker", SETTLE, || {
            (cluster.call(worker, Method::GET, "/connectors", None).1 == json!(["sink"]))
                .then_some(())
        });
    }
    let workers: Vec<usize> = cluster.workers.keys().copied().collect();
    for n in workers {
        let worker = cluster.workers.remove(&n).unwrap();
        assert_eq!(
            worker.process.terminate(),
            Some(0),
            "worker {n} stops cleanly:\n{}",
            cluster.log(n)
        );
    }
}

/// Kills (SIGKILL or SIGTERM, in turn) and restarts workers in a loop while the source produces
/// and the sink writes; ends when every record is in the table, once, and reports the figures.
/// Should rows stop arriving, the failure reports what the topic, the statuses, the database
/// sessions and the sink's consumer group looked like, and the workers log every consumer
/// partition assignment and revocation.
#[test]
fn a_cluster_loses_nothing_while_workers_are_killed_and_restarted() {
    let _serial = serial();
    const ROUNDS: usize = 6;
    const ROUND: Duration = Duration::from_secs(15);
    let topic = unique("soak-events");
    let table = unique("soak_rows").replace('-', "_");
    create_topic(&topic, 6);
    let anchor = GroupAnchor::join(Rebalancing::Eager);
    let mut cluster = Cluster::new(3000);
    for _ in 0..3 {
        cluster.start();
    }
    // Production outlasts the churn (each round also waits for the work to move), so records
    // flow through every stop.
    let per_task = 250 * (ROUNDS as u64) * (ROUND.as_secs() + 12);
    let expected = [("sink", SINK_TASKS), ("source", SOURCE_TASKS)];
    let (status, body) = cluster.write(
        cluster.any(),
        Method::PUT,
        "/connectors/sink/config",
        sink(&topic, &table, &anchor),
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = cluster.write(
        cluster.any(),
        Method::PUT,
        "/connectors/source/config",
        datagen(&topic, per_task, 250),
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");
    cluster.settled(&expected);

    let began = Instant::now();
    let mut recoveries = Vec::new();
    for round in 0..ROUNDS {
        std::thread::sleep(ROUND / 2);
        let victim = *cluster
            .workers
            .keys()
            .nth(round % cluster.workers.len())
            .unwrap();
        let stopped = Instant::now();
        if round % 2 == 0 {
            cluster.kill(victim);
        } else {
            let worker = cluster.workers.remove(&victim).unwrap();
            assert_eq!(
                worker.process.terminate(),
                Some(0),
                "{}",
                cluster.log(victim)
            );
        }
        cluster.settled(&expected);
        recoveries.push(stopped.elapsed());
        cluster.start();
        std::thread::sleep(ROUND / 2);
    }
    let churn = began.elapsed();
    let total = (per_task * SOURCE_TASKS) as i64;
    let rows_at_end_of_churn = rows(&table);
    wait_rows(&cluster, &topic, &table, total, Duration::from_secs(150));
    let placement = cluster.settled(&expected);
    placement.assert_even(3);
    println!(
        "soak: {ROUNDS} workers stopped ({} SIGKILL, {} SIGTERM) and replaced over {churn:?}; \
         {rows_at_end_of_churn} of {total} records in the table when the churn ended, all \
         {total} after {:?}, none lost; time until all work ran again after each stop: \
         {recoveries:?}",
        ROUNDS.div_ceil(2),
        ROUNDS / 2,
        began.elapsed(),
    );
}
