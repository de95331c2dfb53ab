//! ReplaceField's settings: which fields to keep and how to rename them.

use sluice_api::config::{ConfigValue, Validator};
use sluice_api::{ConfigDef, ConfigErrors, ConfigType, Importance, Props};

use crate::common::java_split_colon;

pub const EXCLUDE: &str = "exclude";
pub const INCLUDE: &str = "include";
pub const RENAMES: &str = "renames";
pub const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";
/// Deprecated alias of `exclude` (Kafka Connect 2.7 to 3.9).
pub const BLACKLIST: &str = "blacklist";
/// Deprecated alias of `include` (Kafka Connect 2.7 to 3.9).
pub const WHITELIST: &str = "whitelist";

/// Every key ReplaceField accepts, as Kafka Connect defines them.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .optional(
            EXCLUDE,
            ConfigType::List,
            Some(""),
            Importance::Medium,
            "Fields to exclude. This takes precedence over the fields to include.",
        )
        .optional(
            BLACKLIST,
            ConfigType::List,
            None,
            Importance::Low,
            "Deprecated. Use exclude instead.",
        )
        .optional(
            INCLUDE,
            ConfigType::List,
            Some(""),
            Importance::Medium,
            "Fields to include. If specified, only these fields will be used.",
        )
        .optional(
            WHITELIST,
            ConfigType::List,
            None,
            Importance::Low,
            "Deprecated. Use include instead.",
        )
        .optional(
            RENAMES,
            ConfigType::List,
            Some(""),
            Importance::Medium,
            "Field rename mappings.",
        )
        .validate(Validator::Custom(valid_renames))
        .optional(
            REPLACE_NULL_WITH_DEFAULT,
            ConfigType::Boolean,
            Some("true"),
            Importance::Medium,
            "Whether to replace fields that have a default value and that are null to the default \
             value. When set to true, the default value is used, otherwise null is used.",
        )
}

fn valid_renames(value: &ConfigValue) -> Result<(), String> {
    match value {
        ConfigValue::List(items) => parse_renames(items).map(drop),
        _ => Ok(()),
    }
}

/// `old:new` pairs; a later mapping of the same field wins, as in Kafka Connect's HashMap.
fn parse_renames(items: &[String]) -> Result<Vec<(String, String)>, String> {
    let mut renames: Vec<(String, String)> = Vec::new();
    for item in items {
        let [old, new] = java_split_colon(item)[..] else {
            return Err(format!("invalid rename mapping: {item}"));
        };
        match renames.iter_mut().find(|(o, _)| o == old) {
            Some(entry) => entry.1 = new.to_string(),
            None => renames.push((old.to_string(), new.to_string())),
        }
    }
    Ok(renames)
}

/// The validated ReplaceField settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplaceFieldConfig {
    pub exclude: Vec<String>,
    pub include: Vec<String>,
    /// `(old, new)` pairs.
    pub renames: Vec<(String, String)>,
    pub replace_null_with_default: bool,
}

impl ReplaceFieldConfig {
    /// Parses `props`, reporting every problem at once. `blacklist` / `whitelist` stand in for
    /// `exclude` / `include` when those are not set; when both are set the new key wins.
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = config_def().parse(props)?;
        let pick = |key: &str, alias: &str| {
            if !props.contains_key(key) && props.contains_key(alias) {
                parsed.list(alias)
            } else {
                parsed.list(key)
            }
        };
        let renames = parse_renames(&parsed.list(RENAMES))
            .map_err(|reason| ConfigErrors::one(RENAMES, reason))?;
        Ok(ReplaceFieldConfig {
            exclude: pick(EXCLUDE, BLACKLIST),
            include: pick(INCLUDE, WHITELIST),
            renames,
            replace_null_with_default: parsed.bool(REPLACE_NULL_WITH_DEFAULT),
        })
    }

    /// Whether a field (by its input name) is kept: not excluded, and included when an
    /// include list is given.
    pub fn keeps(&self, name: &str) -> bool {
        !self.exclude.iter().any(|f| f == name)
            && (self.include.is_empty() || self.include.iter().any(|f| f == name))
    }

    /// The output name of a field.
    pub fn renamed<'a>(&'a self, name: &'a str) -> &'a str {
        self.renames
            .iter()
            .find(|(old, _)| old == name)
            .map_or(name, |(_, new)| new.as_str())
    }
}
