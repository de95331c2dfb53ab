//! The result of parsing props against a [`super::ConfigDef`]: typed values by key.

use std::collections::BTreeMap;

/// A parsed, validated value.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    Null,
    Bool(bool),
    Int(i64),
    Double(f64),
    String(String),
    List(Vec<String>),
}

/// Typed access to validated config. Getters on keys the definition did not declare return
/// the type's empty value; declaring the key is the plugin's job and its tests catch a miss.
#[derive(Debug, Clone, Default)]
pub struct ParsedConfig {
    values: BTreeMap<String, ConfigValue>,
}

impl ParsedConfig {
    pub(crate) fn new(values: BTreeMap<String, ConfigValue>) -> Self {
        ParsedConfig { values }
    }

    pub fn get(&self, key: &str) -> Option<&ConfigValue> {
        self.values.get(key)
    }

    /// The string value, or "" when unset.
    pub fn string(&self, key: &str) -> String {
        self.optional_string(key).unwrap_or_default()
    }

    /// The string value; `None` when unset or empty.
    pub fn optional_string(&self, key: &str) -> Option<String> {
        match self.values.get(key) {
            Some(ConfigValue::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        }
    }

    pub fn int(&self, key: &str) -> i64 {
        self.optional_int(key).unwrap_or_default()
    }

    pub fn optional_int(&self, key: &str) -> Option<i64> {
        match self.values.get(key) {
            Some(ConfigValue::Int(n)) => Some(*n),
            _ => None,
        }
    }

    pub fn double(&self, key: &str) -> f64 {
        match self.values.get(key) {
            Some(ConfigValue::Double(n)) => *n,
            Some(ConfigValue::Int(n)) => *n as f64,
            _ => 0.0,
        }
    }

    pub fn bool(&self, key: &str) -> bool {
        matches!(self.values.get(key), Some(ConfigValue::Bool(true)))
    }

    pub fn list(&self, key: &str) -> Vec<String> {
        match self.values.get(key) {
            Some(ConfigValue::List(items)) => items.clone(),
            _ => Vec::new(),
        }
    }
}
