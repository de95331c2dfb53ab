//! Schemaless change events: a map with `op` and `after` keys, as a JSON converter without
//! schemas reads a Debezium envelope. Unwrapped like the schema'd form; added fields and
//! `__deleted` replace a key of the same name, as Kafka Connect's InsertField does for maps.

use std::mem;

use sluice_api::{Header, Value};

use super::{
    DELETED_FIELD, DeleteHandling, ExtractNewRecordState, FieldReference, State, Unwrapped,
};

/// Whether a schemaless value is a change event envelope.
pub(super) fn is_envelope(value: &Value) -> bool {
    value.map_get("op").is_some() && value.map_get("after").is_some()
}

impl ExtractNewRecordState {
    pub(super) fn unwrap_schemaless(
        &self,
        headers: &mut Vec<Header>,
        envelope: Value,
    ) -> Result<Unwrapped, String> {
        for reference in &self.config.add_headers {
            if let Some(value) = reference_value(reference, &envelope) {
                headers.push(Header {
                    key: reference.new_name.clone(),
                    schema: None,
                    value,
                });
            }
        }
        let added: Vec<(String, Value)> = self
            .config
            .add_fields
            .iter()
            .filter_map(|reference| {
                let value = reference_value(reference, &envelope)?;
                Some((reference.new_name.clone(), value))
            })
            .collect();
        let Value::Map(mut entries) = envelope else {
            return Err(format!(
                "expected a map change event, found {}",
                envelope.type_name()
            ));
        };
        let mut take = |state: State| {
            entries
                .iter_mut()
                .find(|(key, _)| key.as_str() == Some(state.field()))
                .map_or(Value::Null, |(_, value)| mem::replace(value, Value::Null))
        };
        let (state, row) = match take(State::After) {
            Value::Null => match (take(State::Before), self.config.delete_handling) {
                // A truncate event: Debezium always drops it.
                (Value::Null, _) | (_, DeleteHandling::Drop) => return Ok(None),
                (_, DeleteHandling::Tombstone) => return Ok(Some((None, Value::Null))),
                (before, DeleteHandling::Rewrite) => (State::Before, before),
            },
            after => (State::After, after),
        };
        let Value::Map(mut row) = row else {
            return Err(format!(
                "expected the '{}' state to be a map, found {}",
                state.field(),
                row.type_name()
            ));
        };
        let mut put = |name: &str, value: Value| match row
            .iter_mut()
            .find(|(key, _)| key.as_str() == Some(name))
        {
            Some(entry) => entry.1 = value,
            None => row.push((Value::from(name), value)),
        };
        if self.rewrite() {
            put(DELETED_FIELD, Value::from(state.deleted()));
        }
        for (name, value) in added {
            put(&name, value);
        }
        Ok(Some((None, Value::Map(row))))
    }
}

/// A referenced field: in its parent map, else in the envelope itself; null when the parent is
/// null; `None` (nothing added) when it is nowhere.
fn reference_value(reference: &FieldReference, envelope: &Value) -> Option<Value> {
    let parent = reference
        .parent
        .as_deref()
        .map(|parent| envelope.map_get(parent));
    let in_parent = match parent {
        Some(Some(holder)) => holder.map_get(&reference.field),
        Some(None) => None,
        None => envelope.map_get(&reference.field),
    };
    if let Some(value) = in_parent.or_else(|| envelope.map_get(&reference.field)) {
        return Some(value.clone());
    }
    matches!(parent, Some(Some(Value::Null))).then_some(Value::Null)
}
