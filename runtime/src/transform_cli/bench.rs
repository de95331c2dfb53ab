//! `sluice transform bench`: what a plugin costs per record on top of the host, measured against
//! the built-in identity plugin on the same records, batches and settings.
//!
//! Batches are built once; every iteration clones one (the host takes records by value) and
//! drops what comes out. That clone-and-drop is timed on its own as the baseline and subtracted
//! from both plugins' figures, so they show the host's and the plugin's work only.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use sluice_api::data::Value;
use sluice_api::{BatchOutput, ConnectResult, Record, Transform};

use sluice_wasm_host::{IDENTITY_WAT, LogSink, WasmSettings, WasmTransform, load_module_bytes};

use super::render::human_bytes;
use super::{HostArgs, input, io_error};

/// How the identity plugin is named in messages.
const IDENTITY_NAME: &str = "<builtin identity>";

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// The settings; `--batch` is also how many records each call to the host carries.
    #[command(flatten)]
    pub host: HostArgs,
    /// Records to use instead of generated ones (JSONL, as for `transform test`), repeated in
    /// turn up to --records.
    #[arg(long, value_name = "FILE", conflicts_with = "size")]
    pub input: Option<PathBuf>,
    /// How many distinct records to cycle through.
    #[arg(long, value_name = "N", default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub records: u64,
    /// Approximate size in bytes of each generated record's value (a JSON object).
    #[arg(long, value_name = "BYTES", default_value_t = 100, value_parser = clap::value_parser!(u64).range(0..=16_777_216))]
    pub size: u64,
    /// How long to measure each plugin, in seconds (after a warm-up).
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0, value_parser = parse_seconds)]
    pub seconds: f64,
}

fn parse_seconds(arg: &str) -> Result<f64, String> {
    match arg.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0 => Ok(seconds),
        _ => Err(format!(
            "expected a number of seconds above 0, at most 3600, got '{arg}'"
        )),
    }
}

/// A generated record: an order-like JSON value padded to about `size` bytes, with a varying
/// customer country and email, so routing and redacting plugins have something to do.
pub fn generated(i: usize, size: usize) -> Record {
    const COUNTRIES: [&str; 5] = ["DE", "FR", "US", "JP", "BR"];
    let head = format!(
        r#"{{"id":{i},"customer":{{"email":"customer{i}@example.com","country":"{}"}},"amount":{}.{:02},"pad":""#,
        COUNTRIES[i % COUNTRIES.len()],
        i % 1000,
        i % 100,
    );
    let tail = r#""}"#;
    let pad = size.saturating_sub(head.len() + tail.len());
    let mut value = String::with_capacity(head.len() + pad + tail.len());
    value.push_str(&head);
    value.extend(std::iter::repeat_n('x', pad));
    value.push_str(tail);
    let mut record = Record::new("orders")
        .with_key(None, Value::String(format!("order-{i}")))
        .with_value(None, Value::String(value))
        .with_timestamp(1_700_000_000_000 + i as i64);
    record.partition = Some((i % 8) as i32);
    record.kafka_offset = Some(i as i64);
    record
}

fn records(args: &BenchArgs) -> Result<Vec<Record>, String> {
    let count = usize::try_from(args.records).map_err(|_| "--records is too large")?;
    match &args.input {
        Some(path) => {
            let lines = input::read(path)?;
            Ok(lines.iter().cycle().take(count).cloned().collect())
        }
        None => {
            let size = usize::try_from(args.size).map_err(|_| "--size is too large")?;
            Ok((0..count).map(|i| generated(i, size)).collect())
        }
    }
}

/// One timed loop over the batches.
#[derive(Debug, Default)]
struct Measured {
    records_in: u64,
    records_out: u64,
    failed: u64,
    elapsed: Duration,
}

impl Measured {
    fn add(total: &mut Measured, more: Measured) {
        total.records_in += more.records_in;
        total.records_out += more.records_out;
        total.failed += more.failed;
        total.elapsed += more.elapsed;
    }

    fn ns_per_record(&self) -> f64 {
        self.elapsed.as_nanos() as f64 / self.records_in.max(1) as f64
    }
}

/// Runs `step` on clones of the batches, in turn, until `duration` has passed (at least once).
fn measure(
    batches: &[Vec<Record>],
    duration: Duration,
    mut step: impl FnMut(Vec<Record>, &mut BatchOutput) -> ConnectResult<()>,
) -> Result<Measured, String> {
    let mut out = BatchOutput::default();
    let mut measured = Measured::default();
    let started = Instant::now();
    for batch in batches.iter().cycle() {
        step(batch.clone(), &mut out).map_err(|e| e.trace())?;
        measured.records_in += batch.len() as u64;
        measured.records_out += out.records.len() as u64;
        measured.failed += out.failures.len() as u64;
        out.clear();
        if started.elapsed() >= duration {
            break;
        }
    }
    measured.elapsed = started.elapsed();
    Ok(measured)
}

/// The measurements alternate in this many rounds, so a machine getting busier or quieter
/// during the run (other processes, CPU frequency) weighs on all of them alike.
const ROUNDS: u32 = 4;

/// One batch through `transform`.
fn transform_step<'a>(
    transform: &'a mut WasmTransform,
    logs: &'a Mutex<Vec<(sluice_wasm_host::Level, String)>>,
) -> impl FnMut(Vec<Record>, &mut BatchOutput) -> ConnectResult<()> + 'a {
    // Log lines are discarded as they come so a plugin that logs per record does not grow
    // memory without bound; their cost stays in the figures, as in a task.
    move |batch, out| {
        let result = transform.apply_batch(batch, out);
        logs.lock().unwrap_or_else(|e| e.into_inner()).clear();
        result
    }
}

pub fn run(args: &BenchArgs, out: &mut dyn Write) -> Result<ExitCode, String> {
    let settings = args.host.settings()?;
    let records = records(args)?;
    let batches: Vec<Vec<Record>> = records
        .chunks(settings.batch_max_records)
        .map(<[Record]>::to_vec)
        .collect();
    drop(records);
    let duration = Duration::from_secs_f64(args.seconds);
    let warm_up = (duration / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));

    let logs = Arc::new(Mutex::new(Vec::new()));
    let mut plugin = WasmTransform::new(settings.clone(), LogSink::Capture(logs.clone()))
        .map_err(|e| e.to_string())?;
    let mut identity = identity(&settings, logs.clone())?;

    let (mut baseline, mut measured_plugin, mut measured_identity) = Default::default();
    {
        let mut run_plugin = transform_step(&mut plugin, &logs);
        let mut run_identity = transform_step(&mut identity, &logs);
        measure(&batches, warm_up, keep_all)?;
        measure(&batches, warm_up, &mut run_plugin)?;
        measure(&batches, warm_up, &mut run_identity)?;
        let slice = duration / ROUNDS;
        for _ in 0..ROUNDS {
            Measured::add(&mut baseline, measure(&batches, slice / 2, keep_all)?);
            Measured::add(
                &mut measured_plugin,
                measure(&batches, slice, &mut run_plugin)?,
            );
            Measured::add(
                &mut measured_identity,
                measure(&batches, slice, &mut run_identity)?,
            );
        }
    }
    let mut counters = Vec::new();
    plugin.drain_counters(&mut |name, delta| counters.push((name.to_string(), delta)));

    let report = Report {
        module: &settings.module,
        records: batches.iter().map(Vec::len).sum(),
        value_bytes: average_value_bytes(&batches),
        batch: batches.first().map_or(0, Vec::len),
        warm_up,
        duration,
        baseline,
        plugin: measured_plugin,
        identity: measured_identity,
        counters,
        memory_bytes: plugin.memory_bytes(),
    };
    report.write(out).map_err(io_error)?;
    Ok(ExitCode::SUCCESS)
}

/// What the host does with the output of a plugin that keeps everything, minus the plugin.
fn keep_all(batch: Vec<Record>, out: &mut BatchOutput) -> ConnectResult<()> {
    out.records.extend(batch.into_iter().enumerate());
    Ok(())
}

/// The built-in identity plugin under the same host settings as the plugin.
fn identity(
    settings: &WasmSettings,
    logs: Arc<Mutex<Vec<(sluice_wasm_host::Level, String)>>>,
) -> Result<WasmTransform, String> {
    let path = Path::new(IDENTITY_NAME);
    let module = load_module_bytes(path, IDENTITY_WAT.as_bytes(), settings.cache_dir.as_deref())
        .map_err(|e| e.to_string())?;
    let settings = WasmSettings {
        module: path.to_path_buf(),
        plugin_config: Vec::new(),
        reload_check: None,
        ..settings.clone()
    };
    WasmTransform::with_module(module, settings, LogSink::Capture(logs)).map_err(|e| e.to_string())
}

fn average_value_bytes(batches: &[Vec<Record>]) -> usize {
    let (count, total) =
        batches
            .iter()
            .flatten()
            .fold((0usize, 0usize), |(count, total), record| {
                let len = match &record.value {
                    Value::String(text) => text.len(),
                    Value::Bytes(bytes) => bytes.len(),
                    _ => 0,
                };
                (count + 1, total + len)
            });
    total / count.max(1)
}

struct Report<'a> {
    module: &'a Path,
    records: usize,
    value_bytes: usize,
    batch: usize,
    warm_up: Duration,
    duration: Duration,
    baseline: Measured,
    plugin: Measured,
    identity: Measured,
    counters: Vec<(String, u64)>,
    memory_bytes: usize,
}

impl Report<'_> {
    /// ns/record without the clone-and-drop baseline.
    fn net(&self, measured: &Measured) -> f64 {
        (measured.ns_per_record() - self.baseline.ns_per_record()).max(0.0)
    }

    fn write(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "{} records (values ~{} bytes) in batches of {}; {:.1} s per plugin in {ROUNDS} \
             alternating rounds, after {:.2} s warm-up",
            self.records,
            self.value_bytes,
            self.batch,
            self.duration.as_secs_f64(),
            self.warm_up.as_secs_f64(),
        )?;
        writeln!(
            out,
            "baseline  {:>10.1} ns/record  cloning the input and dropping the output (subtracted below)",
            self.baseline.ns_per_record()
        )?;
        let plugin = self.net(&self.plugin);
        let identity = self.net(&self.identity);
        for (name, ns, measured) in [
            ("plugin", plugin, &self.plugin),
            ("identity", identity, &self.identity),
        ] {
            writeln!(
                out,
                "{name:<9} {ns:>10.1} ns/record  {:>12} records/s  ({} records in {:.2} s)",
                per_second(ns),
                measured.records_in,
                measured.elapsed.as_secs_f64(),
            )?;
        }
        let ratio = if identity > 0.0 {
            format!("{:.2}x", plugin / identity)
        } else {
            "n/a".into()
        };
        writeln!(
            out,
            "overhead  {:>+10.1} ns/record over identity ({ratio} identity's cost)",
            plugin - identity
        )?;
        writeln!(
            out,
            "plugin: {}; {:.3} records out per record in; {} failed; instance memory {} ({} bytes)",
            self.module.display(),
            self.plugin.records_out as f64 / self.plugin.records_in.max(1) as f64,
            self.plugin.failed,
            human_bytes(self.memory_bytes),
            self.memory_bytes,
        )?;
        if self.plugin.failed > 0 {
            writeln!(
                out,
                "warning: the plugin failed records; each failure costs a bisection of its batch, \
                 so these figures are not its normal speed (see `sluice transform test`)"
            )?;
        }
        for (name, value) in &self.counters {
            writeln!(out, "counter {name} = {value} (all runs, warm-up included)")?;
        }
        Ok(())
    }
}

fn per_second(ns: f64) -> String {
    if ns <= 0.0 {
        return "n/a".into();
    }
    let rate = (1e9 / ns).round() as u64;
    // Thousands separators: rates span many orders of magnitude.
    let digits = rate.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_values_are_json_of_about_the_size_asked() {
        for (i, size) in [(0, 100), (123_456, 300), (7, 10)] {
            let record = generated(i, size);
            let Value::String(value) = &record.value else {
                panic!("a string value");
            };
            let json: serde_json::Value = serde_json::from_str(value).unwrap();
            assert_eq!(json["id"], i);
            if size >= 100 {
                assert_eq!(value.len(), size);
            }
        }
    }

    #[test]
    fn rates_are_grouped_by_thousands() {
        assert_eq!(per_second(1.0), "1,000,000,000");
        assert_eq!(per_second(1000.0), "1,000,000");
        assert_eq!(per_second(3000.0), "333,333");
        assert_eq!(per_second(0.0), "n/a");
    }

    #[test]
    fn the_identity_plugin_benches_against_itself() {
        let dir = tempfile::tempdir().unwrap();
        let module = dir.path().join("identity.wat");
        std::fs::write(&module, IDENTITY_WAT).unwrap();
        let args = BenchArgs {
            host: HostArgs {
                module,
                set: vec![("wasm.cache.dir".into(), String::new())],
                batch: Some(64),
                timeout_ms: None,
                memory_max_bytes: None,
            },
            input: None,
            records: 1000,
            size: 100,
            seconds: 0.05,
        };
        let mut out = Vec::new();
        assert_eq!(run(&args, &mut out).unwrap(), ExitCode::SUCCESS);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("1000 records (values ~100 bytes) in batches of 64;"),
            "{text}"
        );
        for line in [
            "baseline ",
            "plugin ",
            "identity ",
            "overhead ",
            "1.000 records out per record in; 0 failed",
        ] {
            assert!(text.contains(line), "no '{line}' in:\n{text}");
        }
    }
}
