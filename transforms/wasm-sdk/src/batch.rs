//! [`run_batch`]: one batch buffer in, one outcome buffer out.

use sluice_wasm_abi::{BatchReader, OutcomeWriter, RecordFields};

use crate::{Outcome, Record, Transform};

/// Decodes `batch`, calls [`Transform::transform`] on each record in order and encodes exactly
/// one outcome per record.
///
/// The exported `transform` function is this and nothing more, and [`crate::testing::run`]
/// calls it too, so native unit tests go through the same framing as the component.
///
/// A buffer that does not decode is an error (the host sent something it should not have). The
/// records before the bad one have been transformed by then; the host discards the whole result.
pub fn run_batch<T: Transform>(plugin: &mut T, batch: &[u8]) -> Result<Vec<u8>, String> {
    let records = BatchReader::new(batch).map_err(|e| format!("malformed batch: {e}"))?;
    let mut out = OutcomeWriter::with_capacity(records.len());
    for record in records {
        let record = record.map_err(|e| format!("malformed batch: {e}"))?;
        match plugin.transform(record) {
            Outcome::Keep => out.keep(),
            Outcome::Drop => out.drop(),
            Outcome::Fail(reason) => out.fail(&reason),
            Outcome::Replace(r) => {
                out.replace(&fields(&r));
                write_headers(&mut out, &r);
            }
            Outcome::FanOut(rs) => {
                out.fan_out(u32::try_from(rs.len()).expect("a fan-out of over 4 billion records"));
                for r in &rs {
                    out.record(&fields(r));
                    write_headers(&mut out, r);
                }
            }
        }
    }
    Ok(out.into_bytes())
}

fn fields<'r>(r: &'r Record<'_>) -> RecordFields<'r> {
    RecordFields {
        topic: &r.topic,
        partition: r.partition,
        offset: r.offset,
        timestamp: r.timestamp,
        key: r.key.as_deref(),
        value: r.value.as_deref(),
        header_count: u32::try_from(r.headers.len()).expect("over 4 billion headers"),
    }
}

fn write_headers(out: &mut OutcomeWriter, r: &Record<'_>) {
    for (name, value) in &r.headers {
        out.header(name, value.as_deref());
    }
}
