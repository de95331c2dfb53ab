//! The example and test plugins under the real host, without Kafka: each example's outcomes,
//! and every way a plugin can misbehave contained to the record that triggered it.
//! Builds the plugins with `scripts/wasm-plugins` on first use.

mod harness;

use std::path::Path;
use std::time::Duration;

use harness::wasm_plugin;
use serde_json::{Value as Json, json};
use sluice_api::config::props;
use sluice_api::data::Value;
use sluice_api::{BatchOutput, ConnectError, Record, Transform};
use sluice_wasm_host::{LogSink, PluginError, WasmSettings, WasmTransform};

fn start(module: &Path, settings: &[(&str, &str)]) -> Result<WasmTransform, PluginError> {
    let mut pairs = vec![("module", module.to_str().unwrap()), ("wasm.cache.dir", "")];
    pairs.extend_from_slice(settings);
    let settings = WasmSettings::parse(&props(&pairs)).expect("valid settings");
    WasmTransform::new(settings, LogSink::Capture(Default::default()))
}

fn plugin(name: &str, settings: &[(&str, &str)]) -> WasmTransform {
    start(&wasm_plugin(name), settings).unwrap_or_else(|e| panic!("{name} starts: {e}"))
}

fn record(value: &str) -> Record {
    let mut record = Record::new("events").with_value(None, Value::String(value.to_string()));
    record.key = Value::String("k".into());
    record
}

fn json_record(value: Json) -> Record {
    record(&value.to_string())
}

fn run(transform: &mut WasmTransform, records: Vec<Record>) -> BatchOutput {
    let mut out = BatchOutput::default();
    transform
        .apply_batch(records, &mut out)
        .expect("batch runs");
    out
}

fn value_json(record: &Record) -> Json {
    match &record.value {
        Value::String(text) => serde_json::from_str(text).expect("JSON value"),
        other => panic!("expected a string value, got {other:?}"),
    }
}

fn failure_text(out: &BatchOutput) -> Vec<(usize, String)> {
    out.failures
        .iter()
        .map(|(i, e): &(usize, ConnectError)| (*i, e.to_string()))
        .collect()
}

#[test]
fn pii_redact_masks_the_listed_paths_only() {
    let mut redact = plugin(
        "pii_redact",
        &[
            ("fields", "customer.email,card.number"),
            ("replacement", "###"),
        ],
    );
    let out = run(
        &mut redact,
        vec![
            json_record(
                json!({"id": 1, "customer": {"email": "a@b.c", "name": "Ann"}, "card": {"number": "4111"}}),
            ),
            json_record(json!({"id": 2, "other": true})),
            record("not json"),
        ],
    );
    assert_eq!(out.records.len(), 2);
    let first = value_json(&out.records[0].1);
    assert_eq!(first["customer"]["email"], "###");
    assert_eq!(first["customer"]["name"], "Ann");
    assert_eq!(first["card"]["number"], "###");
    assert_eq!(out.records[0].1.key, Value::String("k".into()));
    assert_eq!(
        value_json(&out.records[1].1),
        json!({"id": 2, "other": true})
    );
    let failures = failure_text(&out);
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, 2);
    assert!(failures[0].1.contains("not JSON"), "{failures:?}");
}

#[test]
fn geo_fence_drops_locations_outside_the_fence() {
    let mut fence = plugin("geo_fence", &[("fence", "48.0,2.0,49.0,3.0")]);
    let location = |lat: f64, lon: f64| {
        json_record(
            json!({"type": "vehicle.location.updated", "vin": "V1", "location": {"lat": lat, "lon": lon}}),
        )
    };
    let out = run(
        &mut fence,
        vec![
            location(48.85, 2.35),
            location(51.5, -0.12),
            json_record(json!({"type": "vehicle.registered", "vin": "V2"})),
            json_record(json!({"type": "vehicle.location.updated", "vin": "V3"})),
        ],
    );
    let kept: Vec<usize> = out.records.iter().map(|(i, _)| *i).collect();
    assert_eq!(kept, vec![0, 2]);
    assert_eq!(out.failures.len(), 1);
    assert_eq!(out.failures[0].0, 3);
    let mut counters = Vec::new();
    fence.drain_counters(&mut |name, delta| counters.push((name.to_string(), delta)));
    counters.sort();
    assert_eq!(
        counters,
        vec![
            ("geo_fence.inside".into(), 1),
            ("geo_fence.outside".into(), 1)
        ]
    );
}

#[test]
fn geo_fence_with_a_bad_fence_refuses_to_start() {
    let Err(PluginError::Config(reason)) =
        start(&wasm_plugin("geo_fence"), &[("fence", "49.0,2.0,48.0")])
    else {
        panic!("a malformed fence was accepted");
    };
    assert!(reason.contains("fence"), "{reason}");
}

#[test]
fn splitter_fans_one_record_out_into_many() {
    let mut splitter = plugin("splitter", &[]);
    let out = run(
        &mut splitter,
        vec![
            json_record(json!({"order": 7, "items": [{"sku": "a"}, {"sku": "b"}, {"sku": "c"}]})),
            json_record(json!({"order": 8, "items": []})),
            json_record(json!({"order": 9})),
        ],
    );
    let origins: Vec<usize> = out.records.iter().map(|(i, _)| *i).collect();
    assert_eq!(origins, vec![0, 0, 0, 2]);
    let skus: Vec<Json> = out.records[..3]
        .iter()
        .map(|(_, r)| value_json(r)["sku"].clone())
        .collect();
    assert_eq!(skus, vec![json!("a"), json!("b"), json!("c")]);
    let index = |r: &Record| {
        r.headers
            .iter()
            .find(|h| h.key == "split.index")
            .map(|h| h.value.clone())
    };
    assert_eq!(index(&out.records[2].1), Some(Value::String("2".into())));
    assert_eq!(out.records[1].1.key, Value::String("k".into()));
}

#[test]
fn router_sends_records_to_topics_by_content() {
    let mut router = plugin(
        "router",
        &[
            ("field", "region"),
            ("routes", "eu=orders-eu,us=orders-us"),
            ("default.topic", "orders-other"),
        ],
    );
    let out = run(
        &mut router,
        ["eu", "us", "apac"]
            .iter()
            .map(|region| json_record(json!({"region": region})))
            .collect(),
    );
    let topics: Vec<&str> = out.records.iter().map(|(_, r)| r.topic.as_str()).collect();
    assert_eq!(topics, vec!["orders-eu", "orders-us", "orders-other"]);
    // Only the topic changed: the value was not parsed back into anything else.
    assert_eq!(
        out.records[0].1.value,
        Value::String(json!({"region": "eu"}).to_string())
    );
}

#[test]
fn a_structured_value_crosses_as_json_and_keeps_its_schema() {
    use sluice_api::data::{Field, Schema, Struct};
    use std::sync::Arc;
    let schema = Arc::new(Schema::structure(vec![
        Field::new("email", Schema::string()),
        Field::new("age", Schema::int32()),
    ]));
    let value = Value::Struct(
        Struct::new()
            .with("email", Value::String("a@b.c".into()))
            .with("age", Value::Int32(41)),
    );
    let mut redact = plugin("pii_redact", &[("fields", "email")]);
    let out = run(
        &mut redact,
        vec![Record::new("people").with_value(Some(schema.clone()), value)],
    );
    let record = &out.records[0].1;
    assert_eq!(record.value_schema.as_ref(), Some(&schema));
    let Value::Struct(fields) = &record.value else {
        panic!("{:?}", record.value)
    };
    assert_eq!(fields.get("email"), Some(&Value::String("****".into())));
    assert_eq!(fields.get("age"), Some(&Value::Int32(41)));
}

/// One poison record among good ones: only it fails, with an error saying what happened.
fn assert_poison_isolated(poison: &str, expected: &str) {
    let mut plugin = plugin(
        "misbehave",
        &[
            ("wasm.timeout.ms", "200"),
            ("wasm.memory.max.bytes", "33554432"),
        ],
    );
    let mut records: Vec<Record> = (0..40).map(|i| record(&format!("ok-{i}"))).collect();
    records[23] = record(poison);
    let out = run(&mut plugin, records);
    let failures = failure_text(&out);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].0, 23);
    assert!(failures[0].1.contains(expected), "{failures:?}");
    assert_eq!(out.records.len(), 39);
    // The plugin keeps serving afterwards on a fresh instance.
    let after = run(
        &mut plugin,
        (0..5).map(|i| record(&format!("again-{i}"))).collect(),
    );
    assert_eq!(after.records.len(), 5);
}

#[test]
fn an_infinite_loop_fails_only_its_record() {
    assert_poison_isolated("loop", "missed its deadline");
}

#[test]
fn a_memory_blow_up_fails_only_its_record() {
    assert_poison_isolated("oom", "ran out of memory");
}

#[test]
fn a_panic_fails_only_its_record_with_the_panic_message() {
    assert_poison_isolated("panic", "poison record");
}

#[test]
fn a_trap_fails_only_its_record() {
    assert_poison_isolated("trap", "trapped");
}

#[test]
fn a_failed_outcome_fails_only_its_record() {
    assert_poison_isolated("fail", "refused");
}

#[test]
fn a_plugin_refusing_its_settings_is_a_config_error() {
    let Err(PluginError::Config(reason)) =
        start(&wasm_plugin("misbehave"), &[("fail.init", "true")])
    else {
        panic!("init failure ignored");
    };
    assert!(reason.contains("fail.init is set"), "{reason}");
}

#[test]
fn a_plugin_for_another_interface_version_is_refused() {
    let Err(PluginError::Config(reason)) = start(&wasm_plugin("wrong_version"), &[]) else {
        panic!("wrong version accepted");
    };
    assert!(reason.contains("sluice:transform/plugin@2.0.0"), "{reason}");
    assert!(reason.contains("sluice:transform/plugin@1.0.0"), "{reason}");
}

#[test]
fn plugin_logs_and_counters_reach_the_host() {
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let settings = WasmSettings::parse(&props(&[
        ("module", wasm_plugin("misbehave").to_str().unwrap()),
        ("wasm.timeout.ms", "1000"),
    ]))
    .unwrap();
    let mut plugin = WasmTransform::new(settings, LogSink::Capture(lines.clone())).unwrap();
    run(&mut plugin, vec![record("hello"), record("world")]);
    let logged: Vec<String> = lines
        .lock()
        .unwrap()
        .iter()
        .map(|(_, m)| m.clone())
        .collect();
    assert_eq!(logged, vec!["seen hello", "seen world"]);
    let mut counters = Vec::new();
    plugin.drain_counters(&mut |name, delta| counters.push((name.to_string(), delta)));
    assert_eq!(counters, vec![("misbehave.seen".to_string(), 2)]);
    let _ = Duration::ZERO;
}
