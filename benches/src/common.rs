//! What every pipeline shares: unique names, topics, measured child processes, output
//! counters (file lines, topic records) and the result table.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};

/// Errors are messages for the user; the bench prints them and exits non-zero.
pub type BenchResult<T> = Result<T, String>;

/// Settings every pipeline takes.
#[derive(Debug, Clone)]
pub struct Settings {
    pub records: u64,
    pub bootstrap: String,
    pub sluice: PathBuf,
    pub partitions: i32,
    pub timeout: Duration,
    pub keep: bool,
}

/// A name no other run uses: topics, groups and connectors are fresh every time.
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

/// Creates fresh topics (replication factor 1: a single local broker).
pub fn create_topics(bootstrap: &str, names: &[&str], partitions: i32) -> BenchResult<()> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .map_err(|e| format!("cannot create an admin client for {bootstrap}: {e}"))?;
    let topics: Vec<NewTopic<'_>> = names
        .iter()
        .map(|name| NewTopic::new(name, partitions, TopicReplication::Fixed(1)))
        .collect();
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = futures::executor::block_on(admin.create_topics(&topics, &opts))
        .map_err(|e| format!("cannot create topics {names:?} on {bootstrap} (is the broker up? scripts/services up): {e}"))?;
    for result in results {
        if let Err((topic, code)) = result {
            return Err(format!("cannot create topic {topic}: {code}"));
        }
    }
    Ok(())
}

/// Client settings of every producer the bench and the raw baselines use: the same delivery
/// guarantees as Sluice's producers (acks=all, idempotence, linger.ms=5, no compression).
pub fn producer_config(bootstrap: &str) -> ClientConfig {
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", bootstrap)
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .set("compression.type", "none");
    cfg
}

/// Sends a pre-fill record, waiting while the producer's queue is full.
pub fn send_waiting<K, P>(
    producer: &rdkafka::producer::ThreadedProducer<rdkafka::producer::DefaultProducerContext>,
    mut record: rdkafka::producer::BaseRecord<'_, K, P>,
    topic: &str,
) -> BenchResult<()>
where
    K: rdkafka::message::ToBytes + ?Sized,
    P: rdkafka::message::ToBytes + ?Sized,
{
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((e, returned))
                if e.rdkafka_error_code() == Some(rdkafka::types::RDKafkaErrorCode::QueueFull) =>
            {
                record = returned;
                std::thread::sleep(Duration::from_millis(5));
            }
            Err((e, _)) => return Err(format!("cannot pre-fill {topic}: {e}")),
        }
    }
}

/// Peak resident set size (VmHWM) of a live process, in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// How a measured run went: when the first output appeared (and how much), when all had.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub first_output: Duration,
    pub first_count: u64,
    pub elapsed: Duration,
}

/// CPU time (user + system) a live process has used so far, in seconds.
pub fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux platform Sluice targets.
    Some(ticks as f64 / 100.0)
}

/// What a process used, read from /proc just before it is stopped.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// Peak resident set size (VmHWM), KiB.
    pub peak_rss_kib: Option<u64>,
    /// User + system CPU seconds.
    pub cpu_secs: Option<f64>,
}

/// A process under measurement: the clock starts right before it is spawned.
pub struct Measured {
    pub name: String,
    child: Child,
    /// Kept open: a raw baseline exits when its stdin closes, so it never outlives the bench.
    _stdin: Option<ChildStdin>,
    pub started: Instant,
    pub log: PathBuf,
}

impl Measured {
    /// Spawns `command` with stderr (and stdout) appended to `log`.
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> BenchResult<Measured> {
        let out = File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        command.stdin(Stdio::piped()).stdout(out).stderr(err);
        let started = Instant::now();
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        let stdin = child.stdin.take();
        Ok(Measured {
            name: name.to_string(),
            child,
            _stdin: stdin,
            started,
            log: log.to_path_buf(),
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak RSS and CPU time so far; call it before [`Measured::terminate`].
    pub fn usage(&self) -> Usage {
        Usage {
            peak_rss_kib: peak_rss_kib(self.pid()),
            cpu_secs: cpu_secs(self.pid()),
        }
    }

    /// Polls `progress` (records done so far) until it reaches `target`; fails if the process
    /// exits first or `timeout` passes.
    pub fn wait_until(
        &mut self,
        target: u64,
        timeout: Duration,
        what: &str,
        mut progress: impl FnMut() -> u64,
    ) -> BenchResult<Progress> {
        let mut first = None;
        let mut last_report = Instant::now();
        loop {
            let done = progress();
            let elapsed = self.started.elapsed();
            if done > 0 && first.is_none() {
                first = Some((elapsed, done));
            }
            if done >= target {
                let (first_output, first_count) = first.unwrap_or((elapsed, done));
                return Ok(Progress {
                    first_output,
                    first_count,
                    elapsed,
                });
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "{} exited ({status}) after {done} of {target} {what}; last lines of {}:\n{}",
                    self.name,
                    self.log.display(),
                    tail(&self.log, 30)
                ));
            }
            if elapsed > timeout {
                return Err(format!(
                    "timed out after {timeout:?} with {done} of {target} {what} from {}; last lines of {}:\n{}",
                    self.name,
                    self.log.display(),
                    tail(&self.log, 30)
                ));
            }
            if last_report.elapsed() > Duration::from_secs(10) {
                eprintln!(
                    "  … {}: {done} of {target} {what} after {:.1} s",
                    self.name,
                    elapsed.as_secs_f64()
                );
                last_report = Instant::now();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGTERM, then waits up to 30 s (SIGKILL after that). Returns the exit status and how
    /// long the shutdown took.
    pub fn terminate(mut self) -> (Option<ExitStatus>, Duration) {
        let asked = Instant::now();
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        while asked.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return (Some(status), asked.elapsed());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        (None, asked.elapsed())
    }
}

impl Drop for Measured {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The last `n` lines of a log file.
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Counts the lines of a file that is being appended to, reading only what is new.
pub struct LineCounter {
    path: PathBuf,
    file: Option<File>,
    buf: Vec<u8>,
    pub lines: u64,
    pub bytes: u64,
}

impl LineCounter {
    pub fn new(path: &Path) -> Self {
        LineCounter {
            path: path.to_path_buf(),
            file: None,
            buf: vec![0; 1 << 16],
            lines: 0,
            bytes: 0,
        }
    }

    /// Reads what was appended since the last call; returns the line count.
    pub fn poll(&mut self) -> u64 {
        if self.file.is_none() {
            self.file = File::open(&self.path).ok();
        }
        if let Some(file) = self.file.as_mut() {
            while let Ok(n) = file.read(&mut self.buf) {
                if n == 0 {
                    break;
                }
                self.bytes += n as u64;
                self.lines += self.buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
            }
        }
        self.lines
    }
}

/// Counts the records of a topic by consuming it from the beginning on a background thread
/// (the broker's end offsets are not to be trusted here, see README).
pub struct TopicCounter {
    sample: Arc<Mutex<Option<String>>>,
    records: Arc<AtomicU64>,
    bytes: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<BenchResult<()>>>,
}

impl TopicCounter {
    /// Starts counting `topic` (which must exist) until `target` records were seen.
    pub fn start(
        bootstrap: &str,
        topic: &str,
        partitions: i32,
        target: u64,
    ) -> BenchResult<TopicCounter> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("group.id", unique("sluice-bench-counter"))
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false")
            .set("auto.offset.reset", "earliest")
            .create()
            .map_err(|e| format!("cannot create the counting consumer: {e}"))?;
        let mut list = TopicPartitionList::new();
        for partition in 0..partitions {
            list.add_partition_offset(topic, partition, Offset::Beginning)
                .map_err(|e| e.to_string())?;
        }
        consumer
            .assign(&list)
            .map_err(|e| format!("cannot assign {topic}: {e}"))?;
        let records = Arc::new(AtomicU64::new(0));
        let bytes = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let sample = Arc::new(Mutex::new(None));
        let (r, b, s, first) = (records.clone(), bytes.clone(), stop.clone(), sample.clone());
        let topic = topic.to_string();
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) && r.load(Ordering::Relaxed) < target {
                match consumer.poll(Duration::from_millis(100)) {
                    Some(Ok(message)) => {
                        let size = message.payload_len() + message.key().map_or(0, <[u8]>::len);
                        b.fetch_add(size as u64, Ordering::Relaxed);
                        if let Ok(mut first) = first.lock()
                            && first.is_none()
                        {
                            *first = Some(
                                String::from_utf8_lossy(message.payload().unwrap_or(b"null"))
                                    .into_owned(),
                            );
                        }
                        r.fetch_add(1, Ordering::Relaxed);
                    }
                    Some(Err(e)) => eprintln!("  counter on {topic}: {e}"),
                    None => {}
                }
            }
            Ok(())
        });
        Ok(TopicCounter {
            sample,
            records,
            bytes,
            stop,
            thread: Some(thread),
        })
    }

    /// The value of the first record counted.
    pub fn sample(&self) -> Option<String> {
        self.sample.lock().ok().and_then(|s| s.clone())
    }

    pub fn records(&self) -> u64 {
        self.records.load(Ordering::Relaxed)
    }

    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

impl Drop for TopicCounter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One measured run.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub pipeline: &'static str,
    pub implementation: &'static str,
    pub records: u64,
    /// Bytes at the destination: file bytes, or key + value bytes of the destination records.
    pub bytes: u64,
    /// From the process start until the destination held every record; `first_output` is when
    /// the first record was seen there (start-up, group join, first batch).
    pub progress: Progress,
    pub usage: Usage,
}

impl RunResult {
    /// End to end: records over the time from process start to the last record.
    pub fn records_per_sec(&self) -> f64 {
        self.records as f64 / self.progress.elapsed.as_secs_f64()
    }

    /// Once running: records after the first output over the time after it (start-up excluded).
    pub fn steady_records_per_sec(&self) -> f64 {
        let span = self
            .progress
            .elapsed
            .saturating_sub(self.progress.first_output)
            .as_secs_f64();
        let records = self.records.saturating_sub(self.progress.first_count);
        if span > 0.0 {
            records as f64 / span
        } else {
            f64::NAN
        }
    }

    pub fn mb_per_sec(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.progress.elapsed.as_secs_f64()
    }
}

pub const TABLE_HEADER: &str = "| pipeline | impl | records | seconds | records/s | MB/s | peak RSS (MiB) | CPU (s) | first output (s) | records/s after first output |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|";

fn or_unknown<T>(value: Option<T>, show: impl Fn(T) -> String) -> String {
    value.map_or_else(|| "?".to_string(), show)
}

/// A table row in Markdown, so that results paste into docs/benchmarks.md as they are.
pub fn table_row(r: &RunResult) -> String {
    format!(
        "| {} | {} | {} | {:.2} | {:.0} | {:.2} | {} | {} | {:.2} | {:.0} |",
        r.pipeline,
        r.implementation,
        r.records,
        r.progress.elapsed.as_secs_f64(),
        r.records_per_sec(),
        r.mb_per_sec(),
        or_unknown(r.usage.peak_rss_kib, |kib| format!(
            "{:.1}",
            kib as f64 / 1024.0
        )),
        or_unknown(r.usage.cpu_secs, |secs| format!("{secs:.2}")),
        r.progress.first_output.as_secs_f64(),
        r.steady_records_per_sec()
    )
}

/// Prints both runs of a pipeline and the Sluice/raw ratios.
pub fn report(sluice: &RunResult, raw: &RunResult) {
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}x", a / b),
        _ => "?".to_string(),
    };
    let rss = |r: &RunResult| r.usage.peak_rss_kib.map(|kib| kib as f64);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "\n{TABLE_HEADER}");
    let _ = writeln!(out, "{}", table_row(sluice));
    let _ = writeln!(out, "{}", table_row(raw));
    let _ = writeln!(
        out,
        "\n{}: sluice/raw throughput {:.2}x end to end, {:.2}x after first output; peak RSS {}; CPU time {}\n",
        sluice.pipeline,
        sluice.records_per_sec() / raw.records_per_sec(),
        sluice.steady_records_per_sec() / raw.steady_records_per_sec(),
        ratio(rss(sluice), rss(raw)),
        ratio(sluice.usage.cpu_secs, raw.usage.cpu_secs),
    );
}

/// The worker file of a measured Sluice run: offsets in `dir`, schemaless JSON values.
pub fn worker_yaml(settings: &Settings, dir: &Path) -> String {
    format!(
        "bootstrap.servers: {}\n\
         key.converter: org.apache.kafka.connect.storage.StringConverter\n\
         value.converter: org.apache.kafka.connect.json.JsonConverter\n\
         value.converter.schemas.enable: false\n\
         offset.storage.file.filename: {}\n\
         offset.flush.interval.ms: 1000\n\
         consumer.session.timeout.ms: 6000\n\
         consumer.max.poll.interval.ms: 10000\n\
         listeners: http://127.0.0.1:0\n",
        settings.bootstrap,
        dir.join("connect.offsets.json").display()
    )
}

/// Writes a file in the run directory.
pub fn write(dir: &Path, name: &str, text: &str) -> BenchResult<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// `sluice standalone <worker> <connectors…>`, logging at info.
pub fn sluice_command(settings: &Settings, worker: &Path, connectors: &[PathBuf]) -> Command {
    let mut command = Command::new(&settings.sluice);
    command
        .arg("standalone")
        .arg(worker)
        .args(connectors)
        .env("RUST_LOG", "info");
    command
}

/// This very binary, to run a raw baseline as a child measured like Sluice.
pub fn self_command() -> BenchResult<Command> {
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot find the sluice-bench binary: {e}"))?;
    Ok(Command::new(exe))
}

/// Spawns `command` as a measured child, waits until `progress` (the `what` done so far)
/// reaches the run's record count, reads what the child used and stops it.
pub fn measure(
    settings: &Settings,
    name: &str,
    command: Command,
    log: &Path,
    what: &str,
    progress: impl FnMut() -> u64,
) -> BenchResult<(Progress, Usage)> {
    let mut process = Measured::spawn(name, command, log)?;
    let progress = process.wait_until(settings.records, settings.timeout, what, progress)?;
    let usage = process.usage();
    stop(process);
    Ok((progress, usage))
}

/// Which side of a pipeline a run is, and the pipeline it belongs to.
pub struct Side {
    pub pipeline: &'static str,
    /// `sluice`, or the raw baseline's name in the report (`raw COPY`, …).
    pub implementation: &'static str,
}

/// Runs one side of a pipeline that ends in `topic`: counting starts before `command`, which
/// runs until the topic holds every record.
pub fn measure_topic(
    settings: &Settings,
    side: Side,
    command: Command,
    log: &Path,
    topic: &str,
    what: &str,
) -> BenchResult<RunResult> {
    let counter = TopicCounter::start(
        &settings.bootstrap,
        topic,
        settings.partitions,
        settings.records,
    )?;
    let name = if side.implementation == "sluice" {
        "sluice"
    } else {
        "raw"
    };
    let (progress, usage) = measure(settings, name, command, log, what, || counter.records())?;
    Ok(RunResult {
        pipeline: side.pipeline,
        implementation: side.implementation,
        records: settings.records,
        bytes: counter.bytes(),
        progress,
        usage,
    })
}

/// Stops a measured process and prints how its shutdown went.
pub fn stop(process: Measured) {
    let name = process.name.clone();
    match process.terminate() {
        (Some(status), took) => eprintln!(
            "  {name}: stopped with {status} {:.1} s after SIGTERM",
            took.as_secs_f64()
        ),
        (None, took) => eprintln!(
            "  {name}: did not stop within {:.0} s of SIGTERM; killed",
            took.as_secs_f64()
        ),
    }
}

/// Bytes of the `records` documents a keyed-document bench moves.
pub fn documents_bytes(records: u64, document: fn(u64) -> String) -> u64 {
    (0..records).map(|n| document(n).len() as u64).sum()
}

/// Pre-fills `topic` with `settings.records` documents keyed by their number, before either run
/// starts, so both read the same topic from the beginning.
pub fn prefill_documents(
    settings: &Settings,
    pipeline: &str,
    topic: &str,
    document: fn(u64) -> String,
) -> BenchResult<()> {
    let started = Instant::now();
    let producer: ThreadedProducer<DefaultProducerContext> = producer_config(&settings.bootstrap)
        .set("queue.buffering.max.kbytes", "1048576")
        .create()
        .map_err(|e| format!("cannot create a producer: {e}"))?;
    for n in 0..settings.records {
        let (key, value) = (n.to_string(), document(n));
        let record: BaseRecord<'_, str, str> = BaseRecord::to(topic)
            .key(key.as_str())
            .payload(value.as_str());
        send_waiting(&producer, record, topic)?;
    }
    producer
        .flush(settings.timeout)
        .map_err(|e| format!("cannot pre-fill {topic}: {e}"))?;
    eprintln!(
        "{pipeline}: pre-filled {topic} with {} documents ({} B each) in {:.1} s",
        settings.records,
        document(0).len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_usage_of_a_live_process() {
        let pid = std::process::id();
        assert!(peak_rss_kib(pid).is_some_and(|kib| kib > 0));
        assert!(cpu_secs(pid).is_some_and(|secs| secs >= 0.0));
        assert_eq!(peak_rss_kib(u32::MAX), None);
    }

    #[test]
    fn counts_lines_as_they_are_appended() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut counter = LineCounter::new(&path);
        assert_eq!(counter.poll(), 0);
        std::fs::write(&path, "a\nb").unwrap();
        assert_eq!(counter.poll(), 1);
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(b"\nc\n").unwrap();
        assert_eq!(counter.poll(), 3);
        assert_eq!(counter.bytes, 6);
    }

    #[test]
    fn steady_rate_excludes_start_up() {
        let run = RunResult {
            pipeline: "p",
            implementation: "i",
            records: 1000,
            bytes: 2_000_000,
            progress: Progress {
                first_output: Duration::from_secs(3),
                first_count: 100,
                elapsed: Duration::from_secs(4),
            },
            usage: Usage::default(),
        };
        assert_eq!(run.records_per_sec(), 250.0);
        assert_eq!(run.steady_records_per_sec(), 900.0);
        assert_eq!(run.mb_per_sec(), 0.5);
        assert!(
            table_row(&run)
                .starts_with("| p | i | 1000 | 4.00 | 250 | 0.50 | ? | ? | 3.00 | 900 |")
        );
    }
}
