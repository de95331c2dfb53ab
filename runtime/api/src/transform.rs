//! Single-message transforms and predicates.

use crate::config::{ConfigDef, Props};
use crate::error::{ConnectError, ConnectResult};
use crate::record::Record;

/// Changes, routes or drops records: one at a time, or a batch at a time for transforms with a
/// cost per call (WASM plugins), which may also turn one record into several.
pub trait Transform: Send {
    /// `Ok(None)` drops the record.
    fn apply(&mut self, record: Record) -> ConnectResult<Option<Record>>;

    /// Transforms a batch. Every output and failure names the index of the input record it came
    /// from, in ascending order; an input with neither was dropped. An `Err` fails the whole
    /// batch (and the task): it is for problems no single record caused.
    fn apply_batch(&mut self, records: Vec<Record>, out: &mut BatchOutput) -> ConnectResult<()> {
        for (index, record) in records.into_iter().enumerate() {
            match self.apply(record) {
                Ok(Some(record)) => out.records.push((index, record)),
                Ok(None) => {}
                Err(err) => out.failures.push((index, err)),
            }
        }
        Ok(())
    }

    /// Reports counters the transform kept since the last call (`name`, increment); the task
    /// exports them as metrics.
    fn drain_counters(&mut self, _report: &mut dyn FnMut(&str, u64)) {}
}

/// What [`Transform::apply_batch`] made of a batch.
#[derive(Debug, Default)]
pub struct BatchOutput {
    /// Output records with the index of their input record, in input order.
    pub records: Vec<(usize, Record)>,
    /// Input records that failed, with their index, in input order.
    pub failures: Vec<(usize, ConnectError)>,
}

impl BatchOutput {
    pub fn clear(&mut self) {
        self.records.clear();
        self.failures.clear();
    }
}

/// Decides whether a transform applies to a record.
pub trait Predicate: Send {
    fn test(&self, record: &Record) -> bool;
}

/// How the registry builds a transform from its `transforms.<alias>.*` settings (prefix removed).
#[derive(Clone, Copy)]
pub struct TransformPlugin {
    pub config_def: fn() -> ConfigDef,
    pub create: fn(&Props) -> ConnectResult<Box<dyn Transform>>,
}

impl std::fmt::Debug for TransformPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TransformPlugin")
    }
}

/// How the registry builds a predicate from its `predicates.<name>.*` settings (prefix removed).
#[derive(Clone, Copy)]
pub struct PredicatePlugin {
    pub config_def: fn() -> ConfigDef,
    pub create: fn(&Props) -> ConnectResult<Box<dyn Predicate>>,
}

impl std::fmt::Debug for PredicatePlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PredicatePlugin")
    }
}
