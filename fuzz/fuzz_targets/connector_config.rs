//! A connector file of arbitrary bytes, read as YAML, JSON and `.properties`, then validated
//! against the built-in plugins: reading and validating must never panic.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use sluice_runtime::config::files::{Format, parse_connector_text};
use sluice_runtime::config::{ConnectorSpec, WorkerConfig};
use sluice_runtime::registry::Registry;

/// A worker like `configs/worker.properties`.
static WORKER: LazyLock<WorkerConfig> = LazyLock::new(|| {
    let props = [
        ("bootstrap.servers", "127.0.0.1:9092"),
        (
            "key.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        ("value.converter.schemas.enable", "true"),
        (
            "offset.storage.file.filename",
            "sluice-data/connect.offsets.json",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    WorkerConfig::parse(&props).expect("valid worker config")
});

fuzz_target!(|data: &[u8]| {
    // read_connector_file reads the file as UTF-8 text and fails otherwise.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let registry = Registry::builtin();
    for format in [Format::Yaml, Format::Json, Format::Properties] {
        if let Ok(file) = parse_connector_text(text, format) {
            let _ = ConnectorSpec::validate(&registry, &WORKER, &file.config);
        }
    }
});
