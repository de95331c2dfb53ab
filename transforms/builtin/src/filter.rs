//! Filter: drops every record. It is meant to run under a predicate (`predicate`, `negate`),
//! which the runtime applies, so that only matching (or non-matching) records are dropped.

use sluice_api::{ConfigDef, ConnectResult, Record, Transform, TransformPlugin};

/// `Filter`.
pub const PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: |props| {
        config_def().parse(props)?;
        Ok(Box::new(Filter))
    },
};

/// Filter has no settings of its own.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
}

/// The Filter transform.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter;

impl Transform for Filter {
    fn apply(&mut self, _record: Record) -> ConnectResult<Option<Record>> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use sluice_api::Value;
    use sluice_api::config::props;

    use super::*;

    /// As Kafka Connect's `Filter.apply` returns null for any record, tombstones included.
    #[test]
    fn drops_every_record() {
        let mut filter = (PLUGIN.create)(&props(&[("unrelated", "x")])).unwrap();
        let records = [
            Record::new("t"),
            Record::new("t").with_value(None, Value::from("v")),
            Record::new("t").with_key(None, Value::Int32(1)),
        ];
        for record in records {
            assert_eq!(filter.apply(record).unwrap(), None);
        }
        assert!(config_def().keys().is_empty());
    }
}
