//! Single-message transforms and predicates.

use crate::config::{ConfigDef, Props};
use crate::error::ConnectResult;
use crate::record::Record;

/// Changes, routes or drops one record at a time.
pub trait Transform: Send {
    /// `Ok(None)` drops the record.
    fn apply(&mut self, record: Record) -> ConnectResult<Option<Record>>;
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
