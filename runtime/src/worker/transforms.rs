//! The transform chain a task applies to each record, in the order of `transforms`.

use sluice_api::{ConnectError, ConnectResult, Record, Transform};

use crate::config::TransformSpec;

/// Configured transforms, applied in order; a dropped record skips the rest.
pub struct TransformChain {
    steps: Vec<(String, Box<dyn Transform>)>,
}

impl TransformChain {
    pub fn build(specs: &[TransformSpec]) -> ConnectResult<Self> {
        let steps = specs
            .iter()
            .map(|spec| Ok((spec.alias.clone(), (spec.plugin.create)(&spec.props)?)))
            .collect::<ConnectResult<_>>()?;
        Ok(TransformChain { steps })
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// `Ok(None)` when a transform dropped the record. Errors name the transform and the record.
    pub fn apply(&mut self, mut record: Record) -> ConnectResult<Option<Record>> {
        for (alias, transform) in &mut self.steps {
            let coordinates = record.coordinates();
            record = match transform.apply(record) {
                Ok(Some(next)) => next,
                Ok(None) => return Ok(None),
                Err(err) => {
                    let message =
                        format!("transform '{alias}' failed on record {coordinates}: {err}");
                    return Err(match err {
                        ConnectError::Retriable { .. } => ConnectError::retriable(message),
                        _ => ConnectError::data(message),
                    }
                    .caused_by(err));
                }
            };
        }
        Ok(Some(record))
    }
}
