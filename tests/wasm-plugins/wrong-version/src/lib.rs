//! A keep-all plugin for `sluice:transform@2.0.0`, a major version Sluice does not speak: the
//! host must refuse to load it, naming both versions, rather than call into it.
//!
//! Built straight from its own WIT with `wit-bindgen`, as the SDK only targets 1.0.0. It imports
//! the 2.0.0 host interface too (it logs in `init`), as a plugin built for 2.0.0 would.
//!
//! Settings: none.

use sluice_wasm_abi::{BatchReader, OutcomeWriter};

/// Keeps every record of `batch`.
pub fn keep_all(batch: &[u8]) -> Result<Vec<u8>, String> {
    let records = BatchReader::new(batch).map_err(|e| format!("malformed batch: {e}"))?;
    let mut out = OutcomeWriter::with_capacity(records.len());
    for record in records {
        record.map_err(|e| format!("malformed batch: {e}"))?;
        out.keep();
    }
    Ok(out.into_bytes())
}

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component {
    wit_bindgen::generate!({ path: "wit", world: "transform" });

    use exports::sluice::transform::plugin::Guest;
    use sluice::transform::host;

    struct KeepAll;

    impl Guest for KeepAll {
        fn init(_config: Vec<(String, String)>) -> Result<(), String> {
            host::log(host::Level::Info, "wrong-version plugin initialised");
            Ok(())
        }

        fn transform(batch: Vec<u8>) -> Result<Vec<u8>, String> {
            super::keep_all(&batch)
        }
    }

    export!(KeepAll);
}

#[cfg(test)]
mod tests {
    use sluice_wasm_abi::{BatchWriter, OutcomeReader, OutcomeRef, RecordFields};

    #[test]
    fn keeps_every_record() {
        let mut batch = BatchWriter::new();
        for topic in ["a", "b"] {
            batch.record(&RecordFields {
                topic,
                partition: None,
                offset: None,
                timestamp: None,
                key: None,
                value: Some(b"v"),
                header_count: 0,
            });
        }
        let out = super::keep_all(batch.finish()).unwrap();
        let outcomes: Vec<_> = OutcomeReader::new(&out).unwrap().collect();
        assert_eq!(outcomes.len(), 2);
        assert!(outcomes.iter().all(|o| matches!(o, Ok(OutcomeRef::Keep))));
        assert!(super::keep_all(&[2, 0, 0, 0]).is_err());
    }
}
