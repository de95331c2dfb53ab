//! The transform chain a task applies to each record, in the order of `transforms`.

use std::time::Instant;

use sluice_api::{ConnectError, ConnectResult, Predicate, Record, Transform};

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

    /// `Ok(None)` when a transform dropped the record. Errors name the transform.
    pub fn apply(&mut self, mut record: Record) -> Result<Option<Record>, TransformError> {
        for step in &mut self.steps {
            if let Some((predicate, negate)) = &step.predicate
                && predicate.test(&record) == *negate
            {
                continue;
            }
            let started = Instant::now();
            let outcome = step.transform.apply(record);
            self.metrics.transform_time(&step.alias, started.elapsed());
            record = match outcome {
                Ok(Some(next)) => next,
                Ok(None) => return Ok(None),
                Err(err) => {
                    // Transforms name the record in their errors; formatting its position here
                    // for every record would cost an allocation per record and step.
                    let message = format!("transform '{}' failed: {err}", step.alias);
                    let error = match err {
                        ConnectError::Retriable { .. } => ConnectError::retriable(message),
                        _ => ConnectError::data(message),
                    }
                    .caused_by(err);
                    return Err(TransformError {
                        class: step.class.clone(),
                        error,
                    });
                }
            };
        }
        Ok(Some(record))
    }
}
