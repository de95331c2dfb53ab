//! Native test helpers: run a transform on records the way the host would, without a host.
//!
//! ```
//! use sluice_transform_sdk::{testing, Config, Outcome, Record, RecordRef, Transform};
//!
//! struct DropEmpty;
//!
//! impl Transform for DropEmpty {
//!     fn init(_: &Config) -> Result<Self, String> {
//!         Ok(DropEmpty)
//!     }
//!     fn transform<'a>(&mut self, record: RecordRef<'a>) -> Outcome<'a> {
//!         match record.value {
//!             Some(v) if v.is_empty() => Outcome::Drop,
//!             _ => Outcome::Keep,
//!         }
//!     }
//! }
//!
//! let mut plugin: DropEmpty = testing::init(&[]).unwrap();
//! let out = testing::run(&mut plugin, &[
//!     Record::new("t").with_value(""),
//!     Record::new("t").with_value("x"),
//! ]);
//! assert_eq!(out, vec![Outcome::Drop, Outcome::Keep]);
//! ```

use sluice_wasm_abi::{BatchWriter, OutcomeReader, OutcomeRef, RecordFields};

use crate::host::imp::{COUNTERS, LOGS};
use crate::{Config, Level, Outcome, Record, Transform, run_batch};

/// Builds the transform from `settings` as the host would from the connector config.
pub fn init<T: Transform>(settings: &[(&str, &str)]) -> Result<T, String> {
    T::init(&settings.iter().copied().collect::<Config>())
}

/// Runs `records` through the plugin as one batch: encodes them, calls [`run_batch`] and decodes
/// the outcomes, so the test sees exactly what the host would.
///
/// Panics if the plugin breaks the framing (which `run_batch` never does).
pub fn run<T: Transform>(plugin: &mut T, records: &[Record<'_>]) -> Vec<Outcome<'static>> {
    let mut batch = BatchWriter::new();
    for r in records {
        batch.record(&RecordFields {
            topic: &r.topic,
            partition: r.partition,
            offset: r.offset,
            timestamp: r.timestamp,
            key: r.key.as_deref(),
            value: r.value.as_deref(),
            header_count: u32::try_from(r.headers.len()).expect("too many headers"),
        });
        for (name, value) in &r.headers {
            batch.header(name, value.as_deref());
        }
    }
    let bytes = run_batch(plugin, batch.finish()).expect("run_batch failed");
    let outcomes = OutcomeReader::new(&bytes)
        .expect("outcome buffer")
        .map(|outcome| match outcome.expect("outcome") {
            OutcomeRef::Keep => Outcome::Keep,
            OutcomeRef::Drop => Outcome::Drop,
            OutcomeRef::Fail(reason) => Outcome::Fail(reason.to_owned()),
            OutcomeRef::Replace(r) => Outcome::Replace(Record::from(r).into_owned()),
            OutcomeRef::FanOut(rs) => Outcome::FanOut(
                rs.map(|r| Record::from(r.expect("fan-out record")).into_owned())
                    .collect(),
            ),
        })
        .collect::<Vec<_>>();
    assert_eq!(
        outcomes.len(),
        records.len(),
        "one outcome per input record"
    );
    outcomes
}

/// Runs one record as a batch of one.
pub fn run_one<T: Transform>(plugin: &mut T, record: Record<'_>) -> Outcome<'static> {
    run(plugin, &[record]).remove(0)
}

/// The lines [`crate::log`] emitted on this thread since the last [`reset`].
pub fn logs() -> Vec<(Level, String)> {
    LOGS.with_borrow(Clone::clone)
}

/// The counters [`crate::counter_add`] added to on this thread since the last [`reset`]: one
/// entry per name with the sum of its deltas, sorted by name.
pub fn counters() -> Vec<(String, u64)> {
    COUNTERS.with_borrow(|c| c.iter().map(|(k, v)| (k.clone(), *v)).collect())
}

/// The total of counter `name` on this thread (0 if never added to).
pub fn counter(name: &str) -> u64 {
    COUNTERS.with_borrow(|c| c.get(name).copied().unwrap_or(0))
}

/// Forgets the logs and counters recorded on this thread.
pub fn reset() {
    LOGS.with_borrow_mut(Vec::clear);
    COUNTERS.with_borrow_mut(|c| c.clear());
}
