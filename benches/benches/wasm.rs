//! WASM transform plugins against their native equivalents, through the same `apply_batch`
//! call a task makes: identity, a header filter (half the records dropped) and JSON field
//! redaction, on 100 B and 1 KiB records, in batches of 1, 64 and 1024.
//!
//! - identity: a no-op native transform vs the SDK-built identity plugin, on string values (as
//!   a pipeline with StringConverter or ByteArrayConverter sees them).
//! - filter: a native transform dropping records with a `drop` header vs `bench_filter`.
//! - redact: MaskField$Value on a struct value with a schema vs the `pii_redact` plugin on the
//!   same struct (crossing as JSON both ways), and on the JSON string itself.
//!
//! The batch is cloned outside the timing (`iter_batched`); each iteration times one
//! `apply_batch` and reports records per second. `instantiate/*` times a fresh instance. Plugins come from `scripts/wasm-plugins`
//! (or `SLUICE_WASM_PLUGINS_DIR`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sluice_api::config::props;
use sluice_api::json::{JsonOptions, from_json_bytes};
use sluice_api::{BatchOutput, ConnectResult, Field, Header, Record, Schema, Transform, Value};
use sluice_runtime::registry::Registry;
use sluice_wasm_host::{Instance, LogSink, WasmSettings, WasmTransform, load_module};

const BATCHES: [usize; 3] = [1, 64, 1024];

/// A telemetry event of about `size` bytes of JSON, with an e-mail address to redact.
fn event_json(i: usize, size: usize) -> String {
    let head = format!(
        r#"{{"id":{i},"email":"driver{i}@fleet.example","vin":"WVWZZZ1JZXW{i:06}","speed":87,"pad":""#
    );
    let pad = size.saturating_sub(head.len() + 2);
    format!("{head}{}\"}}", "x".repeat(pad))
}

fn event_schema() -> Arc<Schema> {
    Arc::new(Schema::structure(vec![
        Field::new("id", Schema::int64()),
        Field::new("email", Schema::string()),
        Field::new("vin", Schema::string()),
        Field::new("speed", Schema::int32()),
        Field::new("pad", Schema::string()),
    ]))
}

fn record(i: usize, size: usize, structured: bool) -> Record {
    let json = event_json(i, size);
    let mut record = Record::new("fleet.telemetry").with_key(None, Value::from(format!("V{i}")));
    record = if structured {
        let schema = event_schema();
        let value = from_json_bytes(Some(&schema), json.as_bytes(), &JsonOptions::default())
            .expect("valid event");
        record.with_value(Some(schema), value)
    } else {
        record.with_value(None, Value::String(json))
    };
    record.partition = Some(0);
    record.kafka_offset = Some(i as i64);
    record.timestamp = Some(1_704_067_200_000 + i as i64);
    record.headers = vec![Header::string(
        "trace-id",
        "4bf92f3577b34da6a3ce929d0e0e4736",
    )];
    if i % 2 == 1 {
        record.headers.push(Header::string("drop", "yes"));
    }
    record
}

fn plugins_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SLUICE_WASM_PLUGINS_DIR") {
        return PathBuf::from(dir);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/wasm-plugins");
    let output = Command::new(script)
        .output()
        .expect("run scripts/wasm-plugins");
    assert!(output.status.success(), "scripts/wasm-plugins failed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    PathBuf::from(stdout.lines().last().expect("plugin directory").trim())
}

fn plugin(dir: &Path, name: &str, settings: &[(&str, &str)]) -> Box<dyn Transform> {
    let module = dir.join(format!("{name}.wasm"));
    let mut pairs = vec![
        ("module", module.to_str().expect("UTF-8 path")),
        ("wasm.reload.check.ms", "0"),
    ];
    pairs.extend_from_slice(settings);
    let settings = WasmSettings::parse(&props(&pairs)).expect("settings");
    let log = LogSink::Capture(Default::default());
    Box::new(WasmTransform::new(settings, log).unwrap_or_else(|e| panic!("{name}: {e}")))
}

/// Keeps every record.
struct Identity;

impl Transform for Identity {
    fn apply(&mut self, record: Record) -> ConnectResult<Option<Record>> {
        Ok(Some(record))
    }
}

/// Drops records carrying a `drop` header, as `bench_filter` does.
struct DropHeader;

impl Transform for DropHeader {
    fn apply(&mut self, record: Record) -> ConnectResult<Option<Record>> {
        Ok((!record.headers.iter().any(|h| h.key == "drop")).then_some(record))
    }
}

fn mask_field() -> Box<dyn Transform> {
    let plugin = Registry::builtin()
        .transform("mask-field-value")
        .expect("MaskField")
        .factory;
    (plugin.create)(&props(&[("fields", "email"), ("replacement", "****")])).expect("MaskField")
}

fn bench_case(
    c: &mut Criterion,
    group: &str,
    name: &str,
    structured: bool,
    mut make: impl FnMut() -> Box<dyn Transform>,
) {
    let mut group = c.benchmark_group(group);
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    for size in [100, 1024] {
        for batch in BATCHES {
            let records: Vec<Record> = (0..batch).map(|i| record(i, size, structured)).collect();
            let mut transform = make();
            group.throughput(Throughput::Elements(batch as u64));
            group.bench_function(BenchmarkId::new(format!("{name}/{size}B"), batch), |b| {
                // Inputs are cloned, and outputs dropped, outside the timing.
                b.iter_batched(
                    || (records.clone(), BatchOutput::default()),
                    |(records, mut out)| {
                        transform.apply_batch(records, &mut out).expect("batch");
                        out
                    },
                    BatchSize::LargeInput,
                )
            });
        }
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    let dir = plugins_dir();
    bench_case(c, "identity", "native", false, || Box::new(Identity));
    bench_case(c, "identity", "wasm", false, || {
        plugin(&dir, "identity", &[])
    });
    bench_case(c, "filter", "native", false, || Box::new(DropHeader));
    bench_case(c, "filter", "wasm", false, || {
        plugin(&dir, "bench_filter", &[])
    });
    bench_case(c, "redact", "native MaskField (struct)", true, mask_field);
    bench_case(c, "redact", "wasm (struct)", true, || {
        plugin(&dir, "pii_redact", &[("fields", "email")])
    });
    bench_case(c, "redact", "wasm (json string)", false, || {
        plugin(&dir, "pii_redact", &[("fields", "email")])
    });
}

/// What a fresh instance costs (after a failure, or per task at start): instantiation and
/// `init`, with the module already compiled.
fn instantiate(c: &mut Criterion) {
    let dir = plugins_dir();
    for name in ["identity", "pii_redact"] {
        let path = dir.join(format!("{name}.wasm"));
        let settings = WasmSettings::parse(&props(&[
            ("module", path.to_str().expect("UTF-8 path")),
            ("fields", "email"),
        ]))
        .expect("settings");
        let module = load_module(&settings.module, settings.cache_dir.as_deref()).expect("module");
        c.bench_function(&format!("instantiate/{name}"), |b| {
            b.iter(|| {
                Instance::start(&module, &settings, LogSink::Capture(Default::default()))
                    .expect("instance")
            })
        });
    }
}

criterion_group!(wasm, benches, instantiate);
criterion_main!(wasm);
