//! RegexRouter: renames the topic when the regex matches the whole topic name, with Java's
//! `Matcher.replaceFirst` semantics, as Kafka Connect does.

mod replacement;

use regex::Regex;
use sluice_api::config::{ConfigValue, Validator};
use sluice_api::{
    ConfigDef, ConfigErrors, ConfigType, ConnectResult, Importance, Props, Record, Transform,
    TransformPlugin,
};

use replacement::Replacement;

pub const REGEX: &str = "regex";
pub const REPLACEMENT: &str = "replacement";

/// `RegexRouter`.
pub const PLUGIN: TransformPlugin = TransformPlugin { config_def, create };

/// The keys RegexRouter accepts, as Kafka Connect defines them.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            REGEX,
            ConfigType::String,
            Importance::High,
            "Regular expression to use for matching.",
        )
        .validate(Validator::Custom(valid_regex))
        .required(
            REPLACEMENT,
            ConfigType::String,
            Importance::High,
            "Replacement string.",
        )
}

fn valid_regex(value: &ConfigValue) -> Result<(), String> {
    match value {
        ConfigValue::String(pattern) => Regex::new(pattern).map(drop).map_err(|e| e.to_string()),
        _ => Ok(()),
    }
}

fn create(props: &Props) -> ConnectResult<Box<dyn Transform>> {
    Ok(Box::new(RegexRouter::new(props)?))
}

/// The RegexRouter transform.
#[derive(Debug, Clone)]
pub struct RegexRouter {
    /// The pattern anchored at both ends: Java's `matches()` needs the whole topic to match,
    /// which `find` with the bare pattern does not decide (`a|ab` finds "a" in "ab").
    whole: Regex,
    /// The bare pattern, for the replacement itself (`replaceFirst` searches again).
    pattern: Regex,
    replacement: Replacement,
    /// The last input topic and where it was routed (`None`: left as is).
    last: Option<(String, Option<String>)>,
}

impl RegexRouter {
    /// Builds the router from its settings, reporting every problem at once.
    pub fn new(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = config_def().parse(props)?;
        let source = parsed.string(REGEX);
        let invalid =
            |e: regex::Error| ConfigErrors::one(REGEX, format!("invalid value '{source}': {e}"));
        let pattern = Regex::new(&source).map_err(&invalid)?;
        // The bare pattern compiled, so its parentheses balance and wrapping it is safe, except
        // after a trailing `(?x)` comment, which would swallow the closing part: a newline ends it.
        let whole = Regex::new(&format!(r"\A(?:{source})\z"))
            .or_else(|_| Regex::new(&format!("\\A(?:{source}\n)\\z")))
            .map_err(&invalid)?;
        let replacement =
            Replacement::parse(&parsed.string(REPLACEMENT), &pattern).map_err(|reason| {
                ConfigErrors::one(
                    REPLACEMENT,
                    format!("invalid value '{}': {reason}", parsed.string(REPLACEMENT)),
                )
            })?;
        Ok(RegexRouter {
            whole,
            pattern,
            replacement,
            last: None,
        })
    }

    /// The new topic name, or `None` when the regex does not match the whole topic.
    pub fn route(&self, topic: &str) -> Option<String> {
        if !self.whole.is_match(topic) {
            return None;
        }
        let captures = self.pattern.captures(topic)?;
        let found = captures.get(0)?;
        let mut routed = String::with_capacity(topic.len() + 16);
        routed.push_str(&topic[..found.start()]);
        self.replacement.expand(&captures, &mut routed);
        routed.push_str(&topic[found.end()..]);
        Some(routed)
    }
}

impl Transform for RegexRouter {
    fn apply(&mut self, mut record: Record) -> ConnectResult<Option<Record>> {
        // Records in a pipeline mostly share a topic: remember the last routing, skip the regex.
        let cached = matches!(&self.last, Some((input, _)) if *input == record.topic);
        if !cached {
            let routed = self.route(&record.topic);
            self.last = Some((record.topic.clone(), routed));
        }
        if let Some((_, Some(routed))) = &self.last {
            record.topic.clone_from(routed);
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests;
