//! The transform chain a task applies to each batch of records, in the order of `transforms`.

use std::time::Instant;

use sluice_api::{BatchOutput, ConnectError, ConnectResult, Predicate, Record, Transform};

use crate::config::TransformSpec;
use crate::metrics::TaskMetrics;

/// Configured transforms, applied in order; a dropped record skips the rest.
pub struct TransformChain {
    steps: Vec<Step>,
    metrics: TaskMetrics,
}

struct Step {
    alias: String,
    class: String,
    transform: Box<dyn Transform>,
    /// The step runs only on records the predicate accepts (`negate` flips it).
    predicate: Option<(Box<dyn Predicate>, bool)>,
}

/// A transform that failed on a record.
#[derive(Debug)]
pub struct TransformError {
    /// The transform's class, as configured in `transforms.<alias>.type`.
    pub class: String,
    pub error: ConnectError,
}

impl TransformChain {
    pub fn build(specs: &[TransformSpec], metrics: TaskMetrics) -> ConnectResult<Self> {
        let steps = specs
            .iter()
            .map(|spec| {
                let predicate = match &spec.predicate {
                    Some(p) => Some(((p.plugin.create)(&p.props)?, p.negate)),
                    None => None,
                };
                Ok(Step {
                    alias: spec.alias.clone(),
                    class: spec.props.get("type").cloned().unwrap_or_default(),
                    transform: (spec.plugin.create)(&spec.props)?,
                    predicate,
                })
            })
            .collect::<ConnectResult<_>>()?;
        Ok(TransformChain { steps, metrics })
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Runs a batch through every step. The result lists, in input order, each input's output
    /// records (several after a fan-out) or its failure; a dropped input has no entry. `Err`
    /// means the batch as a whole could not be transformed and the task must stop.
    pub fn apply_batch(&mut self, records: Vec<Record>) -> ConnectResult<Vec<Transformed>> {
        let mut items: Vec<(usize, Record)> = records.into_iter().enumerate().collect();
        let mut failed = Vec::new();
        let mut out = BatchOutput::default();
        for step in &mut self.steps {
            if items.is_empty() {
                break;
            }
            // Records the predicate excludes skip this step but keep their place in the batch.
            let mut input = Vec::with_capacity(items.len());
            let mut origins = Vec::with_capacity(items.len());
            let mut bypass = Vec::new();
            for (origin, record) in items.drain(..) {
                match &step.predicate {
                    Some((predicate, negate)) if predicate.test(&record) == *negate => {
                        bypass.push((origin, record))
                    }
                    _ => {
                        origins.push(origin);
                        input.push(record);
                    }
                }
            }
            let count = input.len();
            out.clear();
            let started = Instant::now();
            let result = step.transform.apply_batch(input, &mut out);
            if count > 0 {
                self.metrics
                    .transform_time(&step.alias, started.elapsed() / count as u32);
            }
            let metrics = &self.metrics;
            step.transform.drain_counters(&mut |name, delta| {
                metrics.plugin_counter(&step.alias, name, delta)
            });
            result.map_err(|err| step.error(err))?;
            failed.extend(
                out.failures
                    .drain(..)
                    .map(|(index, err)| (origins[index], Err(step.failure(err)))),
            );
            let transformed = out.records.drain(..).map(|(index, r)| (origins[index], r));
            items = merge(bypass, transformed.collect());
        }
        let mut result: Vec<Transformed> = items.into_iter().map(|(i, r)| (i, Ok(r))).collect();
        if !failed.is_empty() {
            result.extend(failed);
            // Stable: an input's records keep their order.
            result.sort_by_key(|(origin, _)| *origin);
        }
        Ok(result)
    }
}

/// An output record, or a failure, with the index of the input it came from.
pub type Transformed = (usize, Result<Record, TransformError>);

impl Step {
    /// Names the transform in a record's error, keeping whether a retry could help.
    fn error(&self, err: ConnectError) -> ConnectError {
        // Transforms name the record in their errors; formatting its position here for every
        // record would cost an allocation per record and step.
        let message = format!("transform '{}' failed: {err}", self.alias);
        match err {
            ConnectError::Retriable { .. } => ConnectError::retriable(message),
            _ => ConnectError::data(message),
        }
        .caused_by(err)
    }

    fn failure(&self, err: ConnectError) -> TransformError {
        TransformError {
            class: self.class.clone(),
            error: self.error(err),
        }
    }
}

/// Merges two lists sorted by input index.
fn merge(a: Vec<(usize, Record)>, b: Vec<(usize, Record)>) -> Vec<(usize, Record)> {
    if a.is_empty() {
        return b;
    }
    if b.is_empty() {
        return a;
    }
    let mut merged = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        let next = if x.0 <= y.0 { a.next() } else { b.next() };
        merged.extend(next);
    }
    merged.extend(a);
    merged.extend(b);
    merged
}
