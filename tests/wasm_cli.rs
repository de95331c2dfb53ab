//! `sluice transform new|test` through the built binary, on the identity plugin in component
//! text format, so no WebAssembly toolchain is needed.

use std::path::Path;
use std::process::{Command, Output};

use sluice_wasm_host::IDENTITY_WAT;

fn sluice(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .env("SLUICE_WASM_CACHE_DIR", cache)
        .output()
        .expect("the sluice binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const RECORDS: &str = r#"{"topic": "orders", "partition": 0, "key": "k1", "value": {"id": 1, "email": "a@example.com"}}

{"value": "plain text", "headers": {"source": "web", "trace": null}}
{"key": null, "value": null, "offset": 42, "timestamp": 1700000000000}
"#;

/// A directory with the identity plugin, `records.jsonl`, and a compile cache.
fn workspace(records: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("identity.wat"), IDENTITY_WAT).unwrap();
    std::fs::write(dir.path().join("records.jsonl"), records).unwrap();
    dir
}

/// `sluice transform test <module in dir> --input <dir>/records.jsonl <extra>`.
fn transform_test(dir: &tempfile::TempDir, module: &str, extra: &[&str], cache: &Path) -> Output {
    let (module, input) = (path(dir, module), path(dir, "records.jsonl"));
    let mut args = vec!["transform", "test", &module, "--input", &input];
    args.extend_from_slice(extra);
    sluice(&args, cache)
}

fn path(dir: &tempfile::TempDir, name: &str) -> String {
    dir.path().join(name).display().to_string()
}

#[test]
fn test_shows_each_record_kept_and_the_stats() {
    let dir = workspace(RECORDS);
    let output = transform_test(
        &dir,
        "identity.wat",
        &["--set", "greeting=hello"],
        &dir.path().join("cache"),
    );
    let text = stdout(&output);
    assert!(output.status.success(), "{text}{}", stderr(&output));
    assert!(
        text.starts_with("#0 keep\n#1 keep\n#2 keep\n\nrecords: 3 in, 3 out (3 keep, 0 replace, 0 fan-out, 0 drop, 0 fail)\ntime: "),
        "{text}"
    );
    assert!(text.contains(" ns/record (loading and init: "), "{text}");
    assert!(text.contains("\ninstance memory: "), "{text}");
    // The compiled plugin was cached where SLUICE_WASM_CACHE_DIR points.
    assert!(
        std::fs::read_dir(dir.path().join("cache")).unwrap().count() > 0,
        "nothing cached"
    );
}

#[test]
fn test_json_writes_records_as_they_were_read() {
    let dir = workspace(RECORDS);
    let output = transform_test(
        &dir,
        "identity.wat",
        &["--json", "--batch", "2"],
        &dir.path().join("cache"),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(
        lines[0],
        r#"{"index":0,"outcome":"keep","records":[{"topic":"orders","partition":0,"offset":1,"timestamp":null,"key":"k1","value":{"id":1,"email":"a@example.com"},"headers":{}}],"error":null}"#
    );
    assert_eq!(
        lines[1],
        r#"{"index":1,"outcome":"keep","records":[{"topic":"test","partition":null,"offset":3,"timestamp":null,"key":null,"value":"plain text","headers":{"source":"web","trace":null}}],"error":null}"#
    );
    assert_eq!(
        lines[2],
        r#"{"index":2,"outcome":"keep","records":[{"topic":"test","partition":null,"offset":42,"timestamp":1700000000000,"key":null,"value":null,"headers":{}}],"error":null}"#
    );
    let summary: serde_json::Value = serde_json::from_str(lines[3]).unwrap();
    let summary = &summary["summary"];
    assert_eq!(summary["records_in"], 3);
    assert_eq!(summary["records_out"], 3);
    assert_eq!(summary["keep"], 3);
    assert_eq!(summary["fail"], 0);
    assert!(summary["memory_bytes"].as_u64().unwrap() > 0);
}

#[test]
fn test_reports_failed_records_and_fails_only_when_asked() {
    // The identity plugin with a trap at the start of every call.
    let trapping = IDENTITY_WAT.replacen(
        "(local.set $count (i32.load (local.get $ptr)))",
        "unreachable\n(local.set $count (i32.load (local.get $ptr)))",
        1,
    );
    assert_ne!(trapping, IDENTITY_WAT);
    let dir = workspace(RECORDS);
    std::fs::write(dir.path().join("trap.wat"), trapping).unwrap();
    let args = [
        "transform",
        "test",
        &path(&dir, "trap.wat"),
        "--input",
        &path(&dir, "records.jsonl"),
    ];
    let output = sluice(&args, &dir.path().join("cache"));
    let text = stdout(&output);
    assert!(output.status.success(), "{text}{}", stderr(&output));
    for i in 0..3 {
        assert!(text.contains(&format!("#{i} fail: ")), "{text}");
    }
    assert!(text.contains("trapped"), "{text}");
    assert!(text.contains("records: 3 in, 0 out"), "{text}");

    let mut strict = args.to_vec();
    strict.push("--fail-on-error");
    let output = sluice(&strict, &dir.path().join("cache"));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}

#[test]
fn problems_before_the_run_exit_with_2_and_say_where() {
    let dir = workspace("{\"value\": 1}\n{\"value\": }\n");
    let cache = dir.path().join("cache");
    let output = transform_test(&dir, "identity.wat", &[], &cache);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("records.jsonl': line 2: not valid JSON"),
        "{err}"
    );

    std::fs::write(dir.path().join("records.jsonl"), "{}\n").unwrap();
    let output = transform_test(&dir, "identity.wat", &["--timeout-ms", "0"], &cache);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("--timeout-ms (wasm.timeout.ms)"), "{err}");

    let output = transform_test(&dir, "records.jsonl", &[], &cache);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("is not a WebAssembly component"), "{err}");
}

#[test]
fn new_creates_a_plugin_crate_named_as_asked() {
    let dir = tempfile::tempdir().unwrap();
    let parent = dir.path().display().to_string();
    let output = sluice(
        &["transform", "new", "order-enricher", "--dir", &parent],
        &dir.path().join("cache"),
    );
    let text = stdout(&output);
    assert!(output.status.success(), "{text}{}", stderr(&output));
    let root = dir.path().join("order-enricher");
    for file in ["Cargo.toml", "src/lib.rs", "README.md"] {
        assert!(root.join(file).is_file(), "no {file}");
    }
    let cargo = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(cargo.contains("name = \"order-enricher\""), "{cargo}");
    assert!(cargo.contains("transforms/wasm-sdk"), "{cargo}");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.contains("order-enricher"), "{readme}");
    assert!(
        text.contains("cargo build --target wasm32-wasip2 --release"),
        "{text}"
    );
    assert!(
        text.contains("sluice transform test target/wasm32-wasip2/release/order_enricher.wasm"),
        "{text}"
    );

    let again = sluice(
        &["transform", "new", "order-enricher", "--dir", &parent],
        &dir.path().join("cache"),
    );
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );

    let bad = sluice(
        &["transform", "new", "Order Enricher", "--dir", &parent],
        &dir.path().join("cache"),
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("invalid name 'Order Enricher'"),
        "{}",
        stderr(&bad)
    );
}
