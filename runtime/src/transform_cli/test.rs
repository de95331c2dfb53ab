//! `sluice transform test`: runs a plugin on records from a JSONL file under the real host (the
//! same batching, deadline, memory cap and failure bisection as a task) and shows what became of
//! each record.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::json;
use sluice_api::{BatchOutput, Record, Transform};

use sluice_wasm_host::{Level, LogSink, WasmTransform};

use super::render::{changes, human_bytes, json_string, level_name, record_json};
use super::{HostArgs, input, io_error};

#[derive(Debug, Clone, Args)]
pub struct TestArgs {
    #[command(flatten)]
    pub host: HostArgs,
    /// Records to run, one JSON object a line: {"topic": …, "partition": …, "offset": …,
    /// "timestamp": …, "key": …, "value": …, "headers": {"name": "value"}}, every field optional.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// Print one JSON object per input record, then a summary object, instead of text.
    #[arg(long)]
    pub json: bool,
    /// Exit with status 1 if the plugin failed any record.
    #[arg(long)]
    pub fail_on_error: bool,
}

/// What became of one input record.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Keep(Record),
    Drop,
    /// The plugin changed the record.
    Replace(Record),
    FanOut(Vec<Record>),
    Fail(String),
}

impl Outcome {
    fn name(&self) -> &'static str {
        match self {
            Outcome::Keep(_) => "keep",
            Outcome::Drop => "drop",
            Outcome::Replace(_) => "replace",
            Outcome::FanOut(_) => "fan-out",
            Outcome::Fail(_) => "fail",
        }
    }

    fn records(&self) -> &[Record] {
        match self {
            Outcome::Keep(r) | Outcome::Replace(r) => std::slice::from_ref(r),
            Outcome::FanOut(records) => records,
            Outcome::Drop | Outcome::Fail(_) => &[],
        }
    }
}

/// Sorts the host's output back to its inputs. The host hands back records, not the plugin's
/// verdicts, so a replacement equal to its input reads as keep, and a fan-out to one record as
/// keep or replace: the effect on the pipeline is the same.
pub fn outcomes(inputs: &[Record], out: BatchOutput) -> Vec<Outcome> {
    let mut produced: Vec<Vec<Record>> = inputs.iter().map(|_| Vec::new()).collect();
    let mut failed: Vec<Option<String>> = inputs.iter().map(|_| None).collect();
    for (index, record) in out.records {
        if let Some(slot) = produced.get_mut(index) {
            slot.push(record);
        }
    }
    for (index, err) in out.failures {
        if let Some(slot) = failed.get_mut(index) {
            *slot = Some(err.trace().replace('\n', "; "));
        }
    }
    inputs
        .iter()
        .zip(produced.into_iter().zip(failed))
        .map(
            |(input, (mut records, failure))| match (failure, records.len()) {
                (Some(reason), _) => Outcome::Fail(reason),
                (None, 0) => Outcome::Drop,
                (None, 1) => match records.pop() {
                    Some(record) if record == *input => Outcome::Keep(record),
                    Some(record) => Outcome::Replace(record),
                    None => Outcome::Drop,
                },
                (None, _) => Outcome::FanOut(records),
            },
        )
        .collect()
}

/// Everything one run produced.
pub struct Report {
    pub inputs: Vec<Record>,
    pub outcomes: Vec<Outcome>,
    pub logs: Vec<(Level, String)>,
    pub counters: Vec<(String, u64)>,
    pub load: Duration,
    pub wall: Duration,
    pub memory_bytes: usize,
}

impl Report {
    fn count(&self, name: &str) -> usize {
        self.outcomes.iter().filter(|o| o.name() == name).count()
    }

    fn records_out(&self) -> usize {
        self.outcomes.iter().map(|o| o.records().len()).sum()
    }

    fn ns_per_record(&self) -> u128 {
        self.wall.as_nanos() / self.inputs.len().max(1) as u128
    }

    fn failed(&self) -> bool {
        self.count("fail") > 0
    }
}

pub fn run(args: &TestArgs, out: &mut dyn Write) -> Result<ExitCode, String> {
    let settings = args.host.settings()?;
    let inputs = input::read(&args.input)?;
    let logs = Arc::new(Mutex::new(Vec::new()));
    let take_logs = || std::mem::take(&mut *logs.lock().unwrap_or_else(|e| e.into_inner()));

    let started = Instant::now();
    let mut transform = match WasmTransform::new(settings, LogSink::Capture(logs.clone())) {
        Ok(transform) => transform,
        Err(err) => return Err(with_logs(err.to_string(), &take_logs())),
    };
    let load = started.elapsed();

    let mut batch_out = BatchOutput::default();
    let started = Instant::now();
    let result = transform.apply_batch(inputs.clone(), &mut batch_out);
    let wall = started.elapsed();
    if let Err(err) = result {
        return Err(with_logs(err.trace(), &take_logs()));
    }
    let mut counters = Vec::new();
    transform.drain_counters(&mut |name, delta| counters.push((name.to_string(), delta)));

    let report = Report {
        outcomes: outcomes(&inputs, batch_out),
        inputs,
        logs: take_logs(),
        counters,
        load,
        wall,
        memory_bytes: transform.memory_bytes(),
    };
    if args.json {
        write_json(&report, out)
    } else {
        write_text(&report, out)
    }
    .map_err(io_error)?;
    Ok(if args.fail_on_error && report.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Appends what the plugin logged before failing to start: often the reason.
fn with_logs(message: String, logs: &[(Level, String)]) -> String {
    let mut message = message;
    if !logs.is_empty() {
        message.push_str("\nplugin log:");
        for (level, line) in logs {
            message.push_str(&format!("\n  [{}] {line}", level_name(*level)));
        }
    }
    message
}

pub fn write_text(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    for (index, (input, outcome)) in report.inputs.iter().zip(&report.outcomes).enumerate() {
        match outcome {
            Outcome::Keep(_) | Outcome::Drop => writeln!(out, "#{index} {}", outcome.name())?,
            Outcome::Replace(record) => writeln!(
                out,
                "#{index} replace → {}",
                changes(input, record).join(" ")
            )?,
            Outcome::FanOut(records) => {
                writeln!(out, "#{index} fan-out ({})", records.len())?;
                for record in records {
                    let changed = changes(input, record);
                    if changed.is_empty() {
                        writeln!(out, "    → unchanged")?;
                    } else {
                        writeln!(out, "    → {}", changed.join(" "))?;
                    }
                }
            }
            Outcome::Fail(reason) => writeln!(out, "#{index} fail: {reason}")?,
        }
    }
    if !report.logs.is_empty() {
        if report.failed() {
            writeln!(
                out,
                "\nplugin log (a failed call is retried in halves to find the records \
                 responsible, so lines may repeat):"
            )?;
        } else {
            writeln!(out, "\nplugin log:")?;
        }
        for (level, line) in &report.logs {
            let prefix = format!("  [{}] ", level_name(*level));
            let indent = format!("\n{}", " ".repeat(prefix.chars().count()));
            writeln!(out, "{prefix}{}", line.trim_end().replace('\n', &indent))?;
        }
    }
    if !report.counters.is_empty() {
        writeln!(out, "\ncounters:")?;
        for (name, value) in &report.counters {
            writeln!(out, "  {name} = {value}")?;
        }
    }
    writeln!(
        out,
        "\nrecords: {} in, {} out ({} keep, {} replace, {} fan-out, {} drop, {} fail)",
        report.inputs.len(),
        report.records_out(),
        report.count("keep"),
        report.count("replace"),
        report.count("fan-out"),
        report.count("drop"),
        report.count("fail"),
    )?;
    writeln!(
        out,
        "time: {:.3} ms for the run, {} ns/record (loading and init: {:.1} ms)",
        report.wall.as_secs_f64() * 1e3,
        report.ns_per_record(),
        report.load.as_secs_f64() * 1e3,
    )?;
    writeln!(
        out,
        "instance memory: {} ({} bytes)",
        human_bytes(report.memory_bytes),
        report.memory_bytes
    )
}

/// One line per input record, then a summary line. Timings are in the summary only, so the
/// lines before it are stable enough for golden files.
pub fn write_json(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    for (index, outcome) in report.outcomes.iter().enumerate() {
        let records: Vec<String> = outcome.records().iter().map(record_json).collect();
        let error = match outcome {
            Outcome::Fail(reason) => json_string(reason),
            _ => "null".into(),
        };
        writeln!(
            out,
            "{{\"index\":{index},\"outcome\":\"{}\",\"records\":[{}],\"error\":{error}}}",
            outcome.name(),
            records.join(","),
        )?;
    }
    let logs: Vec<_> = report
        .logs
        .iter()
        .map(|(level, message)| json!({"level": level_name(*level), "message": message}))
        .collect();
    let counters: serde_json::Map<String, serde_json::Value> = report
        .counters
        .iter()
        .map(|(name, value)| (name.clone(), json!(value)))
        .collect();
    let summary = json!({"summary": {
        "records_in": report.inputs.len(),
        "records_out": report.records_out(),
        "keep": report.count("keep"),
        "replace": report.count("replace"),
        "fan_out": report.count("fan-out"),
        "drop": report.count("drop"),
        "fail": report.count("fail"),
        "logs": logs,
        "counters": counters,
        "wall_ns": report.wall.as_nanos() as u64,
        "ns_per_record": report.ns_per_record() as u64,
        "load_ns": report.load.as_nanos() as u64,
        "memory_bytes": report.memory_bytes,
    }});
    writeln!(out, "{summary}")
}

#[cfg(test)]
mod tests {
    use sluice_api::ConnectError;
    use sluice_api::data::Value;

    use super::*;
    use sluice_wasm_host::IDENTITY_WAT;

    fn inputs() -> Vec<Record> {
        input::parse(
            r#"{"topic":"orders","key":"k0","value":{"id":0}}
{"topic":"orders","key":"k1","value":{"id":1}}
{"topic":"orders","key":"k2","value":{"id":2}}
{"topic":"orders","key":"k3","value":{"id":3}}
{"topic":"orders","key":"k4","value":{"id":4}}"#,
        )
        .unwrap()
    }

    /// One of each outcome: keep, replace, drop, fan-out, fail.
    fn report() -> Report {
        let inputs = inputs();
        let mut replaced = inputs[1].clone();
        replaced.value = Value::String(r#"{"id":1,"email":"***"}"#.into());
        let mut routed = inputs[3].clone();
        routed.topic = "orders-eu".into();
        let out = BatchOutput {
            records: vec![
                (0, inputs[0].clone()),
                (1, replaced),
                (3, inputs[3].clone()),
                (3, routed),
            ],
            failures: vec![(
                4,
                ConnectError::data("the WASM plugin failed the record: bad id"),
            )],
        };
        Report {
            outcomes: outcomes(&inputs, out),
            inputs,
            logs: vec![
                (Level::Info, "started".into()),
                (
                    Level::Error,
                    "panicked at lib.rs:1:1:\npoison record\n".into(),
                ),
            ],
            counters: vec![("redacted".into(), 1)],
            load: Duration::from_millis(3),
            wall: Duration::from_micros(50),
            memory_bytes: 1_114_112,
        }
    }

    fn text(report: &Report) -> String {
        let mut out = Vec::new();
        write_text(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn json_lines(report: &Report) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        write_json(report, &mut out).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    #[test]
    fn each_outcome_is_told_apart() {
        let names: Vec<_> = report().outcomes.iter().map(Outcome::name).collect();
        assert_eq!(names, ["keep", "replace", "drop", "fan-out", "fail"]);
    }

    #[test]
    fn text_shows_what_changed() {
        let text = text(&report());
        let expected = "\
#0 keep
#1 replace → value={\"id\":1,\"email\":\"***\"}
#2 drop
#3 fan-out (2)
    → unchanged
    → topic=orders-eu
#4 fail: the WASM plugin failed the record: bad id

plugin log (a failed call is retried in halves to find the records responsible, so lines may repeat):
  [info] started
  [error] panicked at lib.rs:1:1:
          poison record

counters:
  redacted = 1

records: 5 in, 4 out (1 keep, 1 replace, 1 fan-out, 1 drop, 1 fail)
time: 0.050 ms for the run, 10000 ns/record (loading and init: 3.0 ms)
instance memory: 1.06 MiB (1114112 bytes)
";
        assert_eq!(text, expected);
    }

    #[test]
    fn json_has_a_line_per_input_and_a_summary() {
        let lines = json_lines(&report());
        assert_eq!(lines.len(), 6);
        assert_eq!(
            lines[1],
            json!({"index": 1, "outcome": "replace", "error": null, "records": [{
                "topic": "orders", "partition": null, "offset": 2, "timestamp": null,
                "key": "k1", "value": {"id": 1, "email": "***"}, "headers": {}
            }]})
        );
        assert_eq!(lines[2]["records"], json!([]));
        assert_eq!(lines[3]["records"][1]["topic"], "orders-eu");
        assert_eq!(
            lines[4]["error"],
            "the WASM plugin failed the record: bad id"
        );
        let summary = &lines[5]["summary"];
        assert_eq!(summary["records_in"], 5);
        assert_eq!(summary["records_out"], 4);
        assert_eq!(summary["fail"], 1);
        assert_eq!(
            summary["logs"][0],
            json!({"level": "info", "message": "started"})
        );
        assert_eq!(summary["counters"], json!({"redacted": 1}));
        assert_eq!(summary["memory_bytes"], 1_114_112);
    }

    fn identity_args(dir: &std::path::Path, records: &str) -> TestArgs {
        let module = dir.join("identity.wat");
        std::fs::write(&module, IDENTITY_WAT).unwrap();
        let input = dir.join("records.jsonl");
        std::fs::write(&input, records).unwrap();
        TestArgs {
            host: HostArgs {
                module,
                set: vec![("wasm.cache.dir".into(), String::new())],
                batch: Some(2),
                timeout_ms: None,
                memory_max_bytes: None,
            },
            input,
            json: false,
            fail_on_error: true,
        }
    }

    #[test]
    fn the_identity_plugin_keeps_every_record() {
        let dir = tempfile::tempdir().unwrap();
        let mut args = identity_args(dir.path(), "{\"value\":\"a\"}\n{\"value\":{\"b\":1}}\n{}\n");
        let mut out = Vec::new();
        let code = run(&args, &mut out).unwrap();
        assert_eq!(code, ExitCode::SUCCESS);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("#0 keep\n#1 keep\n#2 keep\n\nrecords: 3 in, 3 out"),
            "{text}"
        );
        assert!(text.contains("instance memory: "), "{text}");

        args.json = true;
        let mut out = Vec::new();
        run(&args, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let first = text.lines().next().unwrap();
        assert_eq!(
            first,
            r#"{"index":0,"outcome":"keep","records":[{"topic":"test","partition":null,"offset":1,"timestamp":null,"key":null,"value":"a","headers":{}}],"error":null}"#
        );
    }

    #[test]
    fn problems_before_the_run_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let args = identity_args(dir.path(), "{}\n{\"vlaue\":1}\n");
        let err = run(&args, &mut Vec::new()).unwrap_err();
        assert!(
            err.contains("records.jsonl': line 2: unknown field 'vlaue'"),
            "{err}"
        );

        let mut args = identity_args(dir.path(), "{}\n");
        args.host.module = dir.path().join("missing.wasm");
        let err = run(&args, &mut Vec::new()).unwrap_err();
        assert!(err.contains("missing.wasm"), "{err}");
    }
}
