//! Host behaviour on plugins written in the component text format, so these run without a
//! WebAssembly toolchain. The example plugins are exercised end to end in tests/wasm_*.rs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sluice_api::data::Value;
use sluice_api::{BatchOutput, Record, Transform};

use super::*;

const SPIN: &str = "(loop $spin (br $spin))";
const TRAP: &str = "unreachable";
const GROW: &str =
    "(loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1)))) unreachable";

/// The identity plugin with `body` run first in `transform`.
fn misbehaving(body: &str) -> String {
    IDENTITY_WAT.replacen(
        "(local.set $count (i32.load (local.get $ptr)))",
        &format!("{body}\n(local.set $count (i32.load (local.get $ptr)))"),
        1,
    )
}

fn settings(module: &Path) -> WasmSettings {
    WasmSettings {
        module: module.to_path_buf(),
        timeout: Duration::from_millis(50),
        memory_max_bytes: 4 << 20,
        batch_max_records: 1024,
        clock_enabled: false,
        fs_dir: None,
        cache_dir: None,
        reload_check: None,
        plugin_config: vec![("greeting".into(), "hello".into())],
    }
}

/// A transform running `wat`, written to a file in `dir`.
fn transform(dir: &Path, name: &str, wat: &str) -> Result<WasmTransform, PluginError> {
    let path = dir.join(name);
    std::fs::write(&path, wat).unwrap();
    WasmTransform::new(settings(&path), LogSink::Capture(Default::default()))
}

fn records(n: usize) -> Vec<Record> {
    (0..n)
        .map(|i| {
            let mut record = Record::new("orders").with_value(None, Value::String(format!("r{i}")));
            record.kafka_offset = Some(i as i64);
            record
        })
        .collect()
}

fn run(transform: &mut WasmTransform, n: usize) -> BatchOutput {
    let mut out = BatchOutput::default();
    transform.apply_batch(records(n), &mut out).unwrap();
    out
}

#[test]
fn identity_keeps_every_record_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut transform = transform(dir.path(), "identity.wat", IDENTITY_WAT).unwrap();
    for _ in 0..3 {
        let out = run(&mut transform, 2500);
        assert!(out.failures.is_empty());
        let offsets: Vec<_> = out
            .records
            .iter()
            .map(|(i, r)| (*i, r.kafka_offset))
            .collect();
        let expected: Vec<_> = (0..2500).map(|i| (i, Some(i as i64))).collect();
        assert_eq!(offsets, expected);
        assert_eq!(out.records[7].1.value, Value::String("r7".into()));
    }
}

#[test]
fn wrong_interface_version_is_refused_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let wat = IDENTITY_WAT.replace("plugin@1.0.0", "plugin@2.0.0");
    let Err(PluginError::Config(reason)) = transform(dir.path(), "v2.wat", &wat) else {
        panic!("a 2.0.0 plugin was accepted");
    };
    assert!(reason.contains("sluice:transform/plugin@2.0.0"), "{reason}");
    assert!(
        reason.contains("runs sluice:transform/plugin@1.0.0"),
        "{reason}"
    );
}

#[test]
fn a_file_that_is_not_a_component_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let Err(PluginError::Config(reason)) = transform(dir.path(), "junk.wasm", "not wasm") else {
        panic!("junk was accepted");
    };
    assert!(reason.contains("junk.wasm"), "{reason}");
    let missing = WasmTransform::new(
        settings(&dir.path().join("missing.wasm")),
        LogSink::Capture(Default::default()),
    );
    assert!(matches!(missing, Err(PluginError::Config(r)) if r.contains("cannot read")));
}

/// Every record of a batch that always fails ends up failed on its own, named by its index.
fn assert_each_record_fails(wat: &str, expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut transform = transform(dir.path(), "bad.wat", wat).unwrap();
    let out = run(&mut transform, 4);
    assert!(out.records.is_empty());
    let indexes: Vec<_> = out.failures.iter().map(|(i, _)| *i).collect();
    assert_eq!(indexes, vec![0, 1, 2, 3]);
    for (_, err) in &out.failures {
        assert!(err.to_string().contains(expected), "{err}");
        assert!(!err.is_retriable());
    }
}

#[test]
fn an_endless_plugin_misses_its_deadline() {
    assert_each_record_fails(&misbehaving(SPIN), "missed its deadline");
}

#[test]
fn a_trap_fails_the_records_not_the_host() {
    assert_each_record_fails(&misbehaving(TRAP), "trapped");
}

#[test]
fn memory_past_the_cap_reads_as_out_of_memory() {
    assert_each_record_fails(&misbehaving(GROW), "ran out of memory");
}

#[test]
fn compiled_code_is_cached_on_disk_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = engine::runtime().unwrap();
    let wat = IDENTITY_WAT.replace("i32.const 1024", "i32.const 2048");
    cache::compile(
        &runtime.engine,
        wat.as_bytes(),
        "test-digest",
        Some(dir.path()),
    )
    .unwrap();
    let cached: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(cached.len(), 1);
    assert!(cached[0].to_string_lossy().contains("test-digest-"));
    // A damaged cache file is ignored and replaced, not trusted.
    std::fs::write(&cached[0], b"garbage").unwrap();
    cache::compile(
        &runtime.engine,
        wat.as_bytes(),
        "test-digest",
        Some(dir.path()),
    )
    .unwrap();
    assert_ne!(std::fs::read(&cached[0]).unwrap(), b"garbage");
}

#[test]
fn a_changed_module_is_swapped_in_between_batches() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plugin.wat");
    std::fs::write(&path, IDENTITY_WAT).unwrap();
    let mut settings = settings(&path);
    settings.reload_check = Some(Duration::from_millis(1));
    let mut transform = WasmTransform::new(settings, LogSink::Capture(Default::default())).unwrap();
    let before = transform.module().digest.clone();
    assert_eq!(run(&mut transform, 3).records.len(), 3);

    // Replace the file the way a deployment would: write aside, rename over.
    let next = dir.path().join("next.wat");
    std::fs::write(&next, misbehaving(TRAP)).unwrap();
    std::fs::rename(&next, &path).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while transform.module().digest == before {
        assert!(
            Instant::now() < deadline,
            "the new module was never swapped in"
        );
        let out = run(&mut transform, 3);
        // Each batch ran wholly on one version: all kept, or (after the swap) all failed.
        assert!(out.records.len() == 3 || out.failures.len() == 3);
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(run(&mut transform, 3).failures.len(), 3);
}

#[test]
fn a_module_that_cannot_load_keeps_the_old_one_running() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plugin.wat");
    std::fs::write(&path, IDENTITY_WAT).unwrap();
    let mut settings = settings(&path);
    settings.reload_check = Some(Duration::from_millis(1));
    let mut transform = WasmTransform::new(settings, LogSink::Capture(Default::default())).unwrap();
    std::fs::write(&path, "(component broken").unwrap();
    let until = Instant::now() + Duration::from_millis(300);
    while Instant::now() < until {
        assert_eq!(run(&mut transform, 2).records.len(), 2);
        std::thread::sleep(Duration::from_millis(5));
    }
}
