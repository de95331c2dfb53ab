//! Typed plugin configuration: definitions, parsing, and the errors users see.

mod def;
mod parsed;

use std::collections::BTreeMap;
use std::fmt;

pub use def::{ConfigDef, ConfigKey, ConfigType, DefaultValue, Importance, Validator};
pub use parsed::{ConfigValue, ParsedConfig};

/// A flat `key → value` map, the form every Kafka Connect config takes.
pub type Props = BTreeMap<String, String>;

/// Builds props from literal pairs, for configs written in code and tests.
pub fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// One problem with one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    pub key: String,
    pub reason: String,
}

impl ConfigIssue {
    pub fn new(key: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigIssue {
            key: key.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.reason)
    }
}

/// Every problem found in one config, reported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors {
    issues: Vec<ConfigIssue>,
}

impl ConfigErrors {
    pub fn new(issues: Vec<ConfigIssue>) -> Self {
        ConfigErrors { issues }
    }

    /// A single problem.
    pub fn one(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::new(vec![ConfigIssue::new(key, reason)])
    }

    pub fn issues(&self) -> &[ConfigIssue] {
        &self.issues
    }

    /// Prefixes every key, e.g. with `transforms.route.` for a transform's own settings.
    pub fn prefixed(self, prefix: &str) -> Self {
        let issues = self
            .issues
            .into_iter()
            .map(|i| ConfigIssue::new(format!("{prefix}{}", i.key), i.reason))
            .collect();
        ConfigErrors { issues }
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} configuration error(s):", self.issues.len())?;
        for issue in &self.issues {
            write!(f, "\n  {issue}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Collects problems from several parses so that all of them are reported at once.
#[derive(Debug, Default)]
pub struct IssueCollector {
    issues: Vec<ConfigIssue>,
}

impl IssueCollector {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, key: impl Into<String>, reason: impl Into<String>) {
        self.issues.push(ConfigIssue::new(key, reason));
    }

    pub fn extend(&mut self, errors: ConfigErrors) {
        self.issues.extend(errors.issues);
    }

    /// Keeps the value of a successful parse and records the problems of a failed one.
    pub fn take<T>(&mut self, result: Result<T, ConfigErrors>) -> Option<T> {
        result.map_err(|e| self.extend(e)).ok()
    }

    pub fn is_empty(&self) -> bool {
        self.issues.is_empty()
    }

    /// Everything collected, as one error.
    pub fn into_errors(self) -> ConfigErrors {
        ConfigErrors::new(self.issues)
    }

    /// `Ok(value)` if nothing was collected.
    pub fn finish<T>(self, value: T) -> Result<T, ConfigErrors> {
        if self.issues.is_empty() {
            Ok(value)
        } else {
            Err(ConfigErrors::new(self.issues))
        }
    }
}
