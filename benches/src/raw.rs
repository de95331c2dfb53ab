//! The raw baselines: bare rdkafka loops doing the pipelines' work with nothing in between.
//! Each runs as a child process of the bench (a hidden subcommand), so that it is started,
//! timed and measured (peak RSS) exactly as the Sluice process is.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Message};

use crate::common::{BenchResult, producer_config};

/// Records between two polls of a producer's delivery reports.
const POLL_EVERY: u64 = 1000;

/// A consumer of `topic` in a fresh group, from the beginning, committing nothing.
fn consumer(bootstrap: &str, group: &str, topic: &str) -> BenchResult<BaseConsumer> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "6000")
        .create()
        .map_err(|e| format!("raw: cannot create a consumer: {e}"))?;
    consumer
        .subscribe(&[topic])
        .map_err(|e| format!("raw: cannot subscribe to {topic}: {e}"))?;
    Ok(consumer)
}

pub(crate) fn producer(bootstrap: &str) -> BenchResult<BaseProducer> {
    producer_config(bootstrap)
        .create()
        .map_err(|e| format!("raw: cannot create a producer: {e}"))
}

/// Sends a record, serving delivery reports while the local queue is full.
pub(crate) fn send(
    producer: &BaseProducer,
    mut record: BaseRecord<'_, [u8], [u8]>,
) -> BenchResult<()> {
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), returned)) => {
                record = returned;
                producer.poll(Duration::from_millis(10));
            }
            Err((e, _)) => return Err(format!("raw: cannot produce: {e}")),
        }
    }
}

fn check_deadline(started: Instant, timeout: Duration, done: u64, target: u64) -> BenchResult<()> {
    if started.elapsed() > timeout {
        return Err(format!(
            "raw: timed out after {timeout:?} with {done} of {target} records"
        ));
    }
    Ok(())
}

/// Stays alive (so that the bench can read the peak RSS) until the bench closes stdin or
/// signals the process.
pub(crate) fn linger() {
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

/// A record to produce: key (if any) and value.
type Sample = (Option<Vec<u8>>, Vec<u8>);

/// Up to 1000 sample lines (datagen's JSON) to cycle through, keyed by their `vin`.
fn samples(path: &Path) -> BenchResult<Vec<Sample>> {
    let file = File::open(path)
        .map_err(|e| format!("raw: cannot open sample file {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for line in BufReader::new(file).lines().take(1000) {
        let line = line.map_err(|e| format!("raw: cannot read {}: {e}", path.display()))?;
        let key = serde_json::from_str::<serde_json::Value>(&line)
            .ok()
            .and_then(|v| {
                v.get("vin")
                    .and_then(|vin| vin.as_str())
                    .map(|s| s.as_bytes().to_vec())
            });
        out.push((key, line.into_bytes()));
    }
    if out.is_empty() {
        return Err(format!("raw: sample file {} is empty", path.display()));
    }
    Ok(out)
}

/// `datagen-file` baseline: one thread produces `records` datagen-sized JSON records to `topic`;
/// the main thread consumes them into `out` (BufWriter, one line per record, fsync at the end).
pub fn datagen_file(
    bootstrap: &str,
    topic: &str,
    group: &str,
    sample: &Path,
    out: &Path,
    records: u64,
    timeout: Duration,
) -> BenchResult<()> {
    let started = Instant::now();
    let samples = samples(sample)?;
    let producer = producer(bootstrap)?;
    let consumer = consumer(bootstrap, group, topic)?;
    let topic_name = topic.to_string();
    let producing = std::thread::spawn(move || -> BenchResult<()> {
        for n in 0..records {
            let (key, value) = &samples[(n % samples.len() as u64) as usize];
            let mut record = BaseRecord::to(&topic_name).payload(value.as_slice());
            if let Some(key) = key {
                record = record.key(key.as_slice());
            }
            send(&producer, record)?;
            if n % POLL_EVERY == 0 {
                producer.poll(Duration::ZERO);
                check_deadline(started, timeout, n, records)?;
            }
        }
        producer
            .flush(timeout.saturating_sub(started.elapsed()))
            .map_err(|e| format!("raw: flush failed: {e}"))
    });

    let file =
        File::create(out).map_err(|e| format!("raw: cannot create {}: {e}", out.display()))?;
    let mut writer = BufWriter::new(file);
    let mut written = 0;
    while written < records {
        check_deadline(started, timeout, written, records)?;
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => {
                let io = |e: std::io::Error| format!("raw: cannot write {}: {e}", out.display());
                writer
                    .write_all(message.payload().unwrap_or(b"null"))
                    .map_err(io)?;
                writer.write_all(b"\n").map_err(io)?;
                written += 1;
            }
            Some(Err(e)) => eprintln!("raw: consumer error: {e}"),
            None => {}
        }
    }
    writer
        .flush()
        .map_err(|e| format!("raw: cannot write {}: {e}", out.display()))?;
    writer
        .get_ref()
        .sync_data()
        .map_err(|e| format!("raw: cannot sync {}: {e}", out.display()))?;
    producing
        .join()
        .map_err(|_| "raw: producer thread panicked".to_string())??;
    eprintln!(
        "raw: {written} records written to {} in {:.2} s",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    linger();
    Ok(())
}

/// `kafka-passthrough` baseline: consume `source`, produce each record as it is (key, value,
/// headers, timestamp) to `dest`.
pub fn passthrough(
    bootstrap: &str,
    source: &str,
    dest: &str,
    group: &str,
    records: u64,
    timeout: Duration,
) -> BenchResult<()> {
    let started = Instant::now();
    let producer = producer(bootstrap)?;
    let consumer = consumer(bootstrap, group, source)?;
    let mut copied = 0;
    while copied < records {
        let message = match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => message,
            Some(Err(e)) => {
                eprintln!("raw: consumer error: {e}");
                continue;
            }
            None => {
                producer.poll(Duration::ZERO);
                check_deadline(started, timeout, copied, records)?;
                continue;
            }
        };
        let mut record = BaseRecord::to(dest);
        record.payload = message.payload();
        record.key = message.key();
        record.timestamp = message.timestamp().to_millis();
        record.headers = message.headers().map(|h| h.detach());
        send(&producer, record)?;
        copied += 1;
        if copied % POLL_EVERY == 0 {
            producer.poll(Duration::ZERO);
            check_deadline(started, timeout, copied, records)?;
        }
    }
    producer
        .flush(timeout.saturating_sub(started.elapsed()))
        .map_err(|e| format!("raw: flush failed: {e}"))?;
    eprintln!(
        "raw: {copied} records copied {source} → {dest} in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    linger();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_keyed_by_vin() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sample.jsonl");
        std::fs::write(&path, "{\"vin\":\"V1\",\"speed\":1.5}\nnot json\n").unwrap();
        let samples = samples(&path).unwrap();
        assert_eq!(samples.len(), 2);
        assert_eq!(samples[0].0.as_deref(), Some(&b"V1"[..]));
        assert_eq!(samples[1], (None, b"not json".to_vec()));
        std::fs::write(&path, "").unwrap();
        assert!(crate::raw::samples(&path).is_err());
    }
}
