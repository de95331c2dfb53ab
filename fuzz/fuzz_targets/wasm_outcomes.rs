//! Bytes a WASM plugin returns are untrusted: reading them as outcomes (and a batch) must never
//! panic, and whatever the check pass accepts must read the same way again, since the host
//! checks a plugin's outcomes in one pass and applies them in a second.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_wasm_abi::{BatchReader, OutcomeReader, OutcomeRef, RecordRef};

fuzz_target!(|data: &[u8]| {
    if let Ok(reader) = OutcomeReader::new(data) {
        let first: Vec<String> = reader.clone().map(|o| describe(&o)).collect();
        let second: Vec<String> = reader.map(|o| describe(&o)).collect();
        assert_eq!(first, second);
    }
    if let Ok(reader) = BatchReader::new(data) {
        for record in reader.flatten() {
            record_text(&record);
        }
    }
});

fn describe(outcome: &Result<OutcomeRef<'_>, sluice_wasm_abi::DecodeError>) -> String {
    match outcome {
        Ok(OutcomeRef::Keep) => "keep".into(),
        Ok(OutcomeRef::Drop) => "drop".into(),
        Ok(OutcomeRef::Fail(reason)) => format!("fail {reason}"),
        Ok(OutcomeRef::Replace(record)) => format!("replace {}", record_text(record)),
        Ok(OutcomeRef::FanOut(records)) => {
            let records: Vec<String> = records
                .clone()
                .map(|r| r.map(|r| record_text(&r)).unwrap_or_else(|e| e.to_string()))
                .collect();
            format!("fan-out {records:?}")
        }
        Err(err) => format!("error {err}"),
    }
}

fn record_text(record: &RecordRef<'_>) -> String {
    let headers: Vec<_> = record.headers().collect();
    format!(
        "{} {:?} {:?} {:?} {:?} {:?} {headers:?}",
        record.topic, record.partition, record.offset, record.timestamp, record.key, record.value
    )
}
