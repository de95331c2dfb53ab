//! Config definitions: every key a plugin accepts, with type, default, validator and docs.
//! One definition serves startup validation, YAML files, and the REST validate endpoint.

use std::collections::BTreeMap;

use super::parsed::{ConfigValue, ParsedConfig};
use super::{ConfigErrors, ConfigIssue, Props};

/// Value types, named as Kafka Connect's ConfigDef names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    Boolean,
    String,
    Int,
    Long,
    Double,
    /// Comma-separated list of strings.
    List,
    /// A string never echoed back in clear text.
    Password,
    /// A plugin class name or alias.
    Class,
}

impl ConfigType {
    /// Upper-case name, as Kafka Connect's REST API reports it.
    pub fn name(self) -> &'static str {
        match self {
            ConfigType::Boolean => "BOOLEAN",
            ConfigType::String => "STRING",
            ConfigType::Int => "INT",
            ConfigType::Long => "LONG",
            ConfigType::Double => "DOUBLE",
            ConfigType::List => "LIST",
            ConfigType::Password => "PASSWORD",
            ConfigType::Class => "CLASS",
        }
    }
}

/// How much a user needs to care about a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Importance {
    High,
    Medium,
    Low,
}

/// The default of a key.
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultValue {
    /// The key must be set.
    Required,
    /// Unset means "no value".
    Null,
    Value(String),
}

/// A check on a parsed value; `Err` holds the reason.
#[derive(Debug, Clone)]
pub enum Validator {
    /// One of these strings, compared without regard to case.
    OneOf(Vec<String>),
    /// An integer no smaller than this.
    AtLeast(i64),
    /// An integer in this inclusive range.
    Between(i64, i64),
    /// A string or list that is not empty.
    NonEmpty,
    /// Any other check.
    Custom(fn(&ConfigValue) -> Result<(), String>),
}

impl Validator {
    fn check(&self, value: &ConfigValue) -> Result<(), String> {
        match (self, value) {
            (_, ConfigValue::Null) => Ok(()),
            (Validator::OneOf(allowed), ConfigValue::String(s)) => {
                if allowed.iter().any(|a| a.eq_ignore_ascii_case(s)) {
                    Ok(())
                } else {
                    Err(format!("must be one of: {}", allowed.join(", ")))
                }
            }
            (Validator::OneOf(allowed), ConfigValue::List(items)) => {
                match items
                    .iter()
                    .find(|i| !allowed.iter().any(|a| a.eq_ignore_ascii_case(i)))
                {
                    Some(bad) => Err(format!("'{bad}' is not one of: {}", allowed.join(", "))),
                    None => Ok(()),
                }
            }
            (Validator::AtLeast(min), ConfigValue::Int(n)) if n < min => {
                Err(format!("must be at least {min}"))
            }
            (Validator::Between(min, max), ConfigValue::Int(n)) if n < min || n > max => {
                Err(format!("must be between {min} and {max}"))
            }
            (Validator::NonEmpty, ConfigValue::String(s)) if s.trim().is_empty() => {
                Err("must not be empty".to_string())
            }
            (Validator::NonEmpty, ConfigValue::List(items)) if items.is_empty() => {
                Err("must not be empty".to_string())
            }
            (Validator::Custom(check), value) => check(value),
            _ => Ok(()),
        }
    }
}

/// One accepted key.
#[derive(Debug, Clone)]
pub struct ConfigKey {
    pub name: String,
    pub ty: ConfigType,
    pub default: DefaultValue,
    pub importance: Importance,
    pub doc: String,
    pub validator: Option<Validator>,
    pub group: Option<String>,
}

/// The keys a plugin accepts.
#[derive(Debug, Clone, Default)]
pub struct ConfigDef {
    keys: Vec<ConfigKey>,
}

impl ConfigDef {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key that must be set.
    pub fn required(self, name: &str, ty: ConfigType, importance: Importance, doc: &str) -> Self {
        self.define(name, ty, DefaultValue::Required, importance, doc)
    }

    /// Adds a key with a default (`None` = no value when unset).
    pub fn optional(
        self,
        name: &str,
        ty: ConfigType,
        default: Option<&str>,
        importance: Importance,
        doc: &str,
    ) -> Self {
        let default = default.map_or(DefaultValue::Null, |d| DefaultValue::Value(d.to_string()));
        self.define(name, ty, default, importance, doc)
    }

    pub fn define(
        mut self,
        name: &str,
        ty: ConfigType,
        default: DefaultValue,
        importance: Importance,
        doc: &str,
    ) -> Self {
        self.keys.push(ConfigKey {
            name: name.to_string(),
            ty,
            default,
            importance,
            doc: doc.to_string(),
            validator: None,
            group: None,
        });
        self
    }

    /// Attaches a validator to the key defined last.
    pub fn validate(mut self, validator: Validator) -> Self {
        if let Some(key) = self.keys.last_mut() {
            key.validator = Some(validator);
        }
        self
    }

    /// Attaches a group name to the key defined last.
    pub fn in_group(mut self, group: &str) -> Self {
        if let Some(key) = self.keys.last_mut() {
            key.group = Some(group.to_string());
        }
        self
    }

    /// Adds every key of `other` that this definition does not have yet.
    pub fn merge(mut self, other: ConfigDef) -> Self {
        for key in other.keys {
            if self.key(&key.name).is_none() {
                self.keys.push(key);
            }
        }
        self
    }

    pub fn keys(&self) -> &[ConfigKey] {
        &self.keys
    }

    pub fn key(&self, name: &str) -> Option<&ConfigKey> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// Parses and validates `props`, reporting every problem at once. Keys not defined here are
    /// ignored: connector configs carry framework and converter keys too.
    pub fn parse(&self, props: &Props) -> Result<ParsedConfig, ConfigErrors> {
        let mut values = BTreeMap::new();
        let mut issues = Vec::new();
        for key in &self.keys {
            match parse_key(key, props.get(&key.name).map(String::as_str)) {
                Ok(value) => {
                    values.insert(key.name.clone(), value);
                }
                Err(reason) => issues.push(ConfigIssue::new(&key.name, reason)),
            }
        }
        if issues.is_empty() {
            Ok(ParsedConfig::new(values))
        } else {
            Err(ConfigErrors::new(issues))
        }
    }
}

impl ConfigDef {
    /// Parses like [`ConfigDef::parse`], recording problems in `issues`. Keys with bad values
    /// fall back to their defaults, so a plugin's checks between keys still run and every
    /// problem is reported at once; `None` only when a required key is missing or bad.
    pub fn parse_collecting(
        &self,
        props: &Props,
        issues: &mut super::IssueCollector,
    ) -> Option<ParsedConfig> {
        match self.parse(props) {
            Ok(parsed) => Some(parsed),
            Err(errors) => {
                let mut rest = props.clone();
                for issue in errors.issues() {
                    rest.remove(&issue.key);
                }
                issues.extend(errors);
                self.parse(&rest).ok()
            }
        }
    }
}

fn parse_key(key: &ConfigKey, raw: Option<&str>) -> Result<ConfigValue, String> {
    let raw = match (raw, &key.default) {
        (Some(raw), _) => raw,
        (None, DefaultValue::Value(default)) => default.as_str(),
        (None, DefaultValue::Null) => return Ok(ConfigValue::Null),
        (None, DefaultValue::Required) => {
            return Err("missing required configuration with no default value".to_string());
        }
    };
    let value =
        parse_value(key.ty, raw).map_err(|reason| format!("invalid value '{raw}': {reason}"))?;
    if let Some(validator) = &key.validator {
        validator
            .check(&value)
            .map_err(|reason| format!("invalid value '{raw}': {reason}"))?;
    }
    Ok(value)
}

fn parse_value(ty: ConfigType, raw: &str) -> Result<ConfigValue, String> {
    let trimmed = raw.trim();
    match ty {
        ConfigType::Boolean => match trimmed.to_ascii_lowercase().as_str() {
            "true" => Ok(ConfigValue::Bool(true)),
            "false" => Ok(ConfigValue::Bool(false)),
            _ => Err("expected a boolean (true or false)".to_string()),
        },
        ConfigType::Int => trimmed
            .parse::<i32>()
            .map(|n| ConfigValue::Int(n.into()))
            .map_err(|_| "not a number of type INT".to_string()),
        ConfigType::Long => trimmed
            .parse::<i64>()
            .map(ConfigValue::Int)
            .map_err(|_| "not a number of type LONG".to_string()),
        ConfigType::Double => trimmed
            .parse::<f64>()
            .map(ConfigValue::Double)
            .map_err(|_| "not a number of type DOUBLE".to_string()),
        ConfigType::List => Ok(ConfigValue::List(
            trimmed
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        )),
        ConfigType::String | ConfigType::Password => Ok(ConfigValue::String(trimmed.to_string())),
        ConfigType::Class => Ok(ConfigValue::String(trimmed.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::props;

    fn def() -> ConfigDef {
        ConfigDef::new()
            .required("file", ConfigType::String, Importance::High, "Path.")
            .optional(
                "batch.size",
                ConfigType::Int,
                Some("2000"),
                Importance::Low,
                "Lines per poll.",
            )
            .validate(Validator::AtLeast(1))
            .optional(
                "mode",
                ConfigType::String,
                Some("insert"),
                Importance::Low,
                "Write mode.",
            )
            .validate(Validator::OneOf(vec!["insert".into(), "upsert".into()]))
            .optional(
                "topics",
                ConfigType::List,
                None,
                Importance::High,
                "Topics.",
            )
    }

    #[test]
    fn reports_every_problem_at_once() {
        let err = def()
            .parse(&props(&[("batch.size", "abc"), ("mode", "merge")]))
            .unwrap_err();
        let keys: Vec<_> = err.issues().iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["file", "batch.size", "mode"]);
        assert_eq!(
            err.to_string(),
            "3 configuration error(s):\n  \
             file: missing required configuration with no default value\n  \
             batch.size: invalid value 'abc': not a number of type INT\n  \
             mode: invalid value 'merge': must be one of: insert, upsert"
        );
    }

    #[test]
    fn applies_defaults_and_types() {
        let parsed = def()
            .parse(&props(&[("file", "/tmp/x"), ("topics", "a, b,")]))
            .unwrap();
        assert_eq!(parsed.string("file"), "/tmp/x");
        assert_eq!(parsed.int("batch.size"), 2000);
        assert_eq!(parsed.list("topics"), ["a", "b"]);
        assert_eq!(parsed.optional_string("missing"), None);
    }

    #[test]
    fn validators_reject_out_of_range() {
        let err = def()
            .parse(&props(&[("file", "f"), ("batch.size", "0")]))
            .unwrap_err();
        assert_eq!(
            err.issues()[0].reason,
            "invalid value '0': must be at least 1"
        );
    }
}
