//! Shared helpers for integration tests: endpoints from the environment, unique names, and a
//! handle on a running `sluice` process.

#![allow(dead_code)]

pub mod elasticsearch;
pub mod mongodb;
pub mod postgres;
pub mod relay;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The Kafka bootstrap servers under test (`KAFKA_BOOTSTRAP_SERVERS`, default the local broker).
pub fn kafka_bootstrap() -> String {
    std::env::var("KAFKA_BOOTSTRAP_SERVERS").unwrap_or_else(|_| "127.0.0.1:9092".to_string())
}

/// A name no other test run uses, so tests can run in parallel against shared services.
pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        nanos % 1_000_000_000_000
    )
}

/// Polls `check` until it returns `Some` or `timeout` passes.
pub fn wait_for<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write test config");
    path
}

/// A standalone worker file: `converter` for keys and values, offsets in `dir`, quick offset
/// flushes, a metrics endpoint on a free port, and `extra` settings (whole YAML lines).
pub fn worker_file(dir: &Path, converter: &str, extra: &str) -> PathBuf {
    write_file(
        dir,
        "worker.yaml",
        &format!(
            "bootstrap.servers: {}\nkey.converter: {converter}\nvalue.converter: {converter}\n\
             offset.storage.file.filename: {}\noffset.flush.interval.ms: 250\n\
             metrics.listener: http://127.0.0.1:0\n{extra}",
            kafka_bootstrap(),
            dir.join("offsets.json").display()
        ),
    )
}

/// A standalone worker file for sink tests: JSON converters and a consumer that joins its group
/// quickly.
pub fn json_sink_worker(dir: &Path) -> PathBuf {
    worker_file(
        dir,
        "org.apache.kafka.connect.json.JsonConverter",
        "consumer.session.timeout.ms: 6000\nconsumer.max.poll.interval.ms: 10000\n",
    )
}

/// Lines of a file, empty if it does not exist yet.
pub fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|text| text.lines().map(String::from).collect())
        .unwrap_or_default()
}

/// A `sluice` process; killed when dropped.
pub struct Sluice {
    child: Child,
    pub log: PathBuf,
}

impl Sluice {
    /// Starts `sluice standalone <worker> <connectors…>`, logging to `log`.
    pub fn standalone(worker: &Path, connectors: &[PathBuf], log: &Path) -> Sluice {
        Sluice::start(&["standalone"], worker, connectors, log)
    }

    /// Starts `sluice distributed <worker>`, logging to `log`.
    pub fn distributed(worker: &Path, log: &Path) -> Sluice {
        Sluice::start(&["distributed"], worker, &[], log)
    }

    fn start(mode: &[&str], worker: &Path, connectors: &[PathBuf], log: &Path) -> Sluice {
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("open log");
        // `SLUICE_TEST_LOG` sets the workers' log filter (`RUST_LOG`) to look into a failure, e.g.
        // `info,librdkafka=debug` with a `consumer.debug` setting.
        let filter = std::env::var("SLUICE_TEST_LOG").unwrap_or_else(|_| "info".to_string());
        // Tests run side by side: the REST API takes any free port unless a test says otherwise.
        let child = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(mode)
            .arg(worker)
            .args(connectors)
            .env("RUST_LOG", filter)
            .env("SLUICE_LISTENERS", "http://127.0.0.1:0")
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("start sluice");
        Sluice {
            child,
            log: log.to_path_buf(),
        }
    }

    /// SIGKILL: no flush, no commit, as in a crash.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for a graceful exit and returns its status code.
    pub fn terminate(mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        None
    }

    /// Fails the test with the log if the process has exited.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            panic!("sluice exited early with {status}:\n{log}");
        }
    }
}

impl Drop for Sluice {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates a topic with `partitions` partitions on the test broker.
pub fn create_topic(topic: &str, partitions: i32) {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    let admin: AdminClient<DefaultClientContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", kafka_bootstrap())
        .create()
        .expect("admin client");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let topic = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    let results = runtime
        .block_on(admin.create_topics([&topic], &AdminOptions::new()))
        .expect("create topic");
    for result in results {
        result.expect("topic created");
    }
}

/// A record's key and value bytes, either possibly null.
pub type RawRecord<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);

/// The pid of the `name` server that `scripts/services up` started: from this checkout's pid
/// file, else the one process whose command line matches `pattern` (services started from
/// another checkout, as under `.ci/run` on a clone).
pub fn service_pid(name: &str, pattern: &str) -> Option<u32> {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../.services/{name}.pid"));
    if let Some(pid) = std::fs::read_to_string(file)
        .ok()
        .and_then(|pid| pid.trim().parse().ok())
    {
        return Some(pid);
    }
    let found = Command::new("pgrep").arg("-f").arg(pattern).output().ok()?;
    let pids = String::from_utf8_lossy(&found.stdout);
    let mut pids = pids.lines().filter_map(|pid| pid.trim().parse().ok());
    // Two matches would mean the pattern is ambiguous; pausing the wrong process is worse than
    // skipping.
    match (pids.next(), pids.next()) {
        (Some(pid), None) => Some(pid),
        _ => None,
    }
}

/// A server process paused with SIGSTOP; dropping it sends SIGCONT, also when a test fails.
pub struct PausedServer(u32);

impl PausedServer {
    pub fn pause(pid: u32) -> PausedServer {
        let status = Command::new("kill")
            .arg("-STOP")
            .arg(pid.to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -STOP {pid}");
        PausedServer(pid)
    }
}

impl Drop for PausedServer {
    fn drop(&mut self) {
        // No assertion here: a panic while unwinding would abort the test binary.
        let _ = Command::new("kill")
            .arg("-CONT")
            .arg(self.0.to_string())
            .status();
    }
}

/// Produces raw records (key, value) to partition 0 of `topic` and waits for every ack.
pub fn produce(topic: &str, records: &[RawRecord<'_>]) {
    use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
    let producer: ThreadedProducer<DefaultProducerContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", kafka_bootstrap())
        .set("message.max.bytes", "10000000")
        // A retried request must not append its records twice: tests count what arrives.
        .set("enable.idempotence", "true")
        .create()
        .expect("producer");
    for (key, value) in records {
        let mut record: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(topic).partition(0);
        record.key = *key;
        record.payload = *value;
        producer.send(record).map_err(|(e, _)| e).expect("send");
    }
    producer.flush(Duration::from_secs(30)).expect("flush");
}

/// Every record in `topic`, read from the beginning to the end of each partition.
pub fn consume_all(topic: &str) -> Vec<rdkafka::message::OwnedMessage> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::error::KafkaError;
    use rdkafka::{Offset, TopicPartitionList};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", kafka_bootstrap())
        .set("group.id", unique("reader"))
        .set("enable.partition.eof", "true")
        .create()
        .expect("consumer");
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata");
    let partitions: Vec<i32> = metadata
        .topics()
        .iter()
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    if partitions.is_empty() {
        return Vec::new();
    }
    let mut list = TopicPartitionList::new();
    for p in &partitions {
        list.add_partition_offset(topic, *p, Offset::Beginning)
            .expect("assign");
    }
    consumer.assign(&list).expect("assign");
    let (mut messages, mut done) = (Vec::new(), HashSet::new());
    let deadline = Instant::now() + Duration::from_secs(60);
    while done.len() < partitions.len() {
        assert!(
            Instant::now() < deadline,
            "timed out reading {topic} to its end"
        );
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => messages.push(message.detach()),
            Some(Err(KafkaError::PartitionEOF(p))) => {
                done.insert(p);
            }
            _ => {}
        }
    }
    messages
}

/// The committed offset of a consumer group on partition 0 of `topic`, if any.
pub fn committed_offset(group: &str, topic: &str) -> Option<i64> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::{Offset, TopicPartitionList};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", kafka_bootstrap())
        .set("group.id", group)
        .create()
        .expect("consumer");
    let mut list = TopicPartitionList::new();
    list.add_partition(topic, 0);
    let committed = consumer
        .committed_offsets(list, Duration::from_secs(10))
        .expect("committed offsets");
    committed.elements().first().and_then(|e| match e.offset() {
        Offset::Offset(n) => Some(n),
        _ => None,
    })
}

/// The address of the worker's /metrics endpoint, from its log.
pub fn metrics_url(log: &Path) -> String {
    logged_url(log, "metrics listening on ")
}

/// The base URL of the worker's REST API, from its log.
pub fn rest_url(log: &Path) -> String {
    logged_url(log, "REST API listening on ")
}

/// The last URL the log shows after `marker` (a restarted worker appends to the same log).
fn logged_url(log: &Path, marker: &str) -> String {
    wait_for(marker.trim(), Duration::from_secs(30), || {
        let text = std::fs::read_to_string(log).ok()?;
        let start = text.rfind(marker)? + marker.len();
        let url: String = text[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        Some(url)
    })
}

/// The value of the metric `name` whose labels include every `labels` pair (`k="v"`), from a scrape.
pub fn metric(scrape: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            let matches = metric == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")));
            matches.then(|| value.parse().ok()).flatten()
        })
}

/// GET over plain HTTP/1.1 on loopback, returning the body.
pub fn http_get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut stream = std::net::TcpStream::connect(host).expect("connect to metrics");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default()
}

/// The built WASM plugin `name` (e.g. `pii_redact`). Builds the example and test plugins once
/// with `scripts/wasm-plugins` unless `SLUICE_WASM_PLUGINS_DIR` points at built ones.
pub fn wasm_plugin(name: &str) -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let dir = DIR.get_or_init(|| {
        if let Some(dir) = std::env::var_os("SLUICE_WASM_PLUGINS_DIR") {
            return PathBuf::from(dir);
        }
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let output = Command::new(repo.join("scripts/wasm-plugins"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run scripts/wasm-plugins");
        assert!(output.status.success(), "scripts/wasm-plugins failed");
        let stdout = String::from_utf8_lossy(&output.stdout);
        PathBuf::from(stdout.lines().last().expect("plugin directory").trim())
    });
    let path = dir.join(format!("{name}.wasm"));
    assert!(path.exists(), "{} was not built", path.display());
    path
}
