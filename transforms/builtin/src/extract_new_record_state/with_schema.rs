//! Envelopes with a schema, unwrapped as Debezium does with Kafka Connect's ExtractField (the
//! state), InsertField (`__deleted`) and its own field insertion (`add.fields`), in that order.

use std::sync::Arc;

use sluice_api::{Header, Schema, SchemaRef, SchemaType, Struct, Value};

use super::{
    DELETED_FIELD, DeleteHandling, ExtractNewRecordState, ExtractNewRecordStateConfig,
    FieldReference, State, Unwrapped, optional_copy,
};
use crate::common::copy_fields;

impl ExtractNewRecordState {
    pub(super) fn unwrap_with_schema(
        &mut self,
        headers: &mut Vec<Header>,
        schema: &SchemaRef,
        value: Value,
    ) -> Result<Unwrapped, String> {
        let Value::Struct(envelope) = value else {
            return Err(format!(
                "expected a struct change event, found {}",
                value.type_name()
            ));
        };
        for reference in &self.config.add_headers {
            if let Some(header_schema) = reference_schema(reference, schema) {
                headers.push(Header {
                    key: reference.new_name.clone(),
                    schema: Some(header_schema),
                    value: reference_value(reference, schema, &envelope),
                });
            }
        }
        let state_schema = |state: State| {
            schema
                .field(state.field())
                .ok_or_else(|| format!("the change event schema has no '{}' field", state.field()))
        };
        let is_null = |state: State| envelope.get(state.field()).is_none_or(Value::is_null);
        state_schema(State::After)?;
        if !is_null(State::After) {
            return self.unwrap_state(State::After, schema, envelope).map(Some);
        }
        state_schema(State::Before)?;
        if is_null(State::Before) {
            // A truncate event: Debezium always drops it.
            return Ok(None);
        }
        match self.config.delete_handling {
            DeleteHandling::Drop => Ok(None),
            DeleteHandling::Tombstone => {
                let after = state_schema(State::After)?;
                Ok(Some((Some(after.schema.clone()), Value::Null)))
            }
            DeleteHandling::Rewrite => self.unwrap_state(State::Before, schema, envelope).map(Some),
        }
    }

    /// The `before` or `after` struct, with `__deleted` and the added fields.
    fn unwrap_state(
        &mut self,
        state: State,
        schema: &SchemaRef,
        envelope: Struct,
    ) -> Result<(Option<SchemaRef>, Value), String> {
        let rewrite = self.rewrite();
        let config = &self.config;
        let cache = match state {
            State::After => &mut self.after_schemas,
            State::Before => &mut self.before_schemas,
        };
        let unwrapped = cache.get_or_try(schema, |envelope| {
            unwrapped_schema(config, rewrite, state, envelope)
        })?;
        let added: Vec<(String, Value)> = config
            .add_fields
            .iter()
            .filter(|reference| reference_schema(reference, schema).is_some())
            .map(|reference| {
                let value = reference_value(reference, schema, &envelope);
                (reference.new_name.clone(), value)
            })
            .collect();
        let row = envelope
            .into_fields()
            .into_iter()
            .find(|(name, _)| name == state.field())
            .map_or(Value::Null, |(_, value)| value);
        let Value::Struct(row) = row else {
            return Err(format!(
                "expected the '{}' state to be a struct, found {}",
                state.field(),
                row.type_name()
            ));
        };
        // The unwrapped schema was derived, so the state's schema is there.
        let Some(row_schema) = schema.field(state.field()).map(|field| &field.schema) else {
            return Err(format!("no '{}' field", state.field()));
        };
        // InsertField (the rewrite) fills in defaults; the field insertion after it does not.
        let use_defaults = rewrite && config.replace_null_with_default;
        let mut values = copy_fields(row_schema, row, use_defaults);
        if rewrite {
            values.push((DELETED_FIELD.to_string(), Value::from(state.deleted())));
        }
        values.extend(added);
        Ok((Some(unwrapped), Value::Struct(Struct::from(values))))
    }
}

/// The state's struct schema plus `__deleted` (rewrites) and the added fields found in the
/// envelope. Name, version, doc and parameters are kept; like Kafka Connect's SchemaUtil copy,
/// the result is required and has no default.
fn unwrapped_schema(
    config: &ExtractNewRecordStateConfig,
    rewrite: bool,
    state: State,
    envelope: &SchemaRef,
) -> Result<SchemaRef, String> {
    let state_schema = envelope
        .field(state.field())
        .map(|field| &field.schema)
        .ok_or_else(|| format!("the change event schema has no '{}' field", state.field()))?;
    let SchemaType::Struct(fields) = &state_schema.ty else {
        return Err(format!(
            "the '{}' state has schema {}, not a struct",
            state.field(),
            state_schema.describe()
        ));
    };
    let mut fields = fields.clone();
    let mut add = |name: &str, schema: SchemaRef| {
        if fields.iter().any(|field| field.name == name) {
            return Err(format!(
                "cannot add field '{name}': the '{}' state already has a field of that name",
                state.field()
            ));
        }
        fields.push(sluice_api::Field::new(name, schema));
        Ok(())
    };
    if rewrite {
        add(DELETED_FIELD, Arc::new(Schema::string().optional()))?;
    }
    for reference in &config.add_fields {
        if let Some(schema) = reference_schema(reference, envelope) {
            add(&reference.new_name, schema)?;
        }
    }
    Ok(Arc::new(Schema {
        ty: SchemaType::Struct(fields),
        optional: false,
        default: None,
        name: state_schema.name.clone(),
        version: state_schema.version,
        doc: state_schema.doc.clone(),
        parameters: state_schema.parameters.clone(),
    }))
}

/// The schema of a referenced field: in its parent struct, else in the envelope itself (a field
/// another transform added); `None` when it is in neither, and nothing is added.
fn reference_schema(reference: &FieldReference, envelope: &Schema) -> Option<SchemaRef> {
    let parent = match &reference.parent {
        Some(parent) => envelope.field(parent).map(|field| field.schema.as_ref()),
        None => Some(envelope),
    };
    parent
        .and_then(|parent| parent.field(&reference.field))
        .or_else(|| envelope.field(&reference.field))
        .map(|field| optional_copy(&field.schema))
}

/// The value of a referenced field, without default substitution; null when its parent is null
/// (e.g. `transaction` during a snapshot).
fn reference_value(reference: &FieldReference, schema: &Schema, envelope: &Struct) -> Value {
    let (holder, holder_schema) = match &reference.parent {
        Some(parent) => match envelope.get(parent) {
            Some(Value::Struct(holder)) => {
                (holder, schema.field(parent).map(|f| f.schema.as_ref()))
            }
            _ => return Value::Null,
        },
        None => (envelope, Some(schema)),
    };
    let in_holder = holder_schema.is_some_and(|s| s.field(&reference.field).is_some());
    let source = if in_holder { holder } else { envelope };
    source.get(&reference.field).cloned().unwrap_or(Value::Null)
}
