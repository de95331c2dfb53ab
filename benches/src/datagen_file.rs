//! `datagen-file`: Sluice standalone datagen → Kafka → file-sink over N records, against a raw
//! rdkafka producer → Kafka → consumer → file loop moving the same records.

use std::path::Path;

use crate::common::{
    BenchResult, LineCounter, Measured, RunResult, Settings, create_topics, self_command,
    sluice_command, stop, unique, worker_yaml, write,
};

const PIPELINE: &str = "datagen-file";

pub fn run(settings: &Settings, dir: &Path) -> BenchResult<(RunResult, RunResult)> {
    let id = unique("bench-datagen");
    let sluice = run_sluice(settings, dir, &id)?;
    // The raw baseline moves the same JSON lines: it cycles through the first ones Sluice wrote.
    let raw = run_raw(settings, dir, &id, &dir.join("sluice.jsonl"))?;
    Ok((sluice, raw))
}

fn run_sluice(settings: &Settings, dir: &Path, id: &str) -> BenchResult<RunResult> {
    let topic = format!("{id}.sluice");
    create_topics(&settings.bootstrap, &[&topic], settings.partitions)?;
    let out = dir.join("sluice.jsonl");
    let worker = write(dir, "worker.yaml", &worker_yaml(settings, dir))?;
    let source = write(
        dir,
        "datagen.yaml",
        &format!(
            "name: {id}-datagen\nconnector.class: datagen\nkafka.topic: {topic}\n\
             iterations: {}\nrate: 0\n",
            settings.records
        ),
    )?;
    let sink = write(
        dir,
        "file-sink.yaml",
        &format!(
            "name: {id}-file-sink\nconnector.class: file-sink\ntopics: {topic}\nfile: {}\n",
            out.display()
        ),
    )?;
    eprintln!(
        "{PIPELINE}: sluice, {} records via topic {topic}",
        settings.records
    );
    let mut process = Measured::spawn(
        "sluice",
        sluice_command(settings, &worker, &[source, sink]),
        &dir.join("sluice-datagen-file.log"),
    )?;
    let mut lines = LineCounter::new(&out);
    let progress =
        process.wait_until(settings.records, settings.timeout, "lines", || lines.poll())?;
    let usage = process.usage();
    stop(process);
    Ok(RunResult {
        pipeline: PIPELINE,
        implementation: "sluice",
        records: settings.records,
        bytes: lines.bytes,
        progress,
        usage,
    })
}

fn run_raw(settings: &Settings, dir: &Path, id: &str, sample: &Path) -> BenchResult<RunResult> {
    let topic = format!("{id}.raw");
    create_topics(&settings.bootstrap, &[&topic], settings.partitions)?;
    let out = dir.join("raw.jsonl");
    let mut command = self_command()?;
    command
        .arg("raw-datagen-file")
        .args([
            "--bootstrap",
            &settings.bootstrap,
            "--topic",
            &topic,
            "--group",
            &format!("{id}-raw"),
        ])
        .arg("--sample")
        .arg(sample)
        .arg("--out")
        .arg(&out)
        .args(["--records", &settings.records.to_string()])
        .args(["--timeout-secs", &settings.timeout.as_secs().to_string()]);
    eprintln!(
        "{PIPELINE}: raw rdkafka, {} records via topic {topic}",
        settings.records
    );
    let mut process = Measured::spawn("raw", command, &dir.join("raw-datagen-file.log"))?;
    let mut lines = LineCounter::new(&out);
    let progress =
        process.wait_until(settings.records, settings.timeout, "lines", || lines.poll())?;
    let usage = process.usage();
    stop(process);
    Ok(RunResult {
        pipeline: PIPELINE,
        implementation: "raw",
        records: settings.records,
        bytes: lines.bytes,
        progress,
        usage,
    })
}
