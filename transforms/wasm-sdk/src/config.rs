//! [`Config`]: the settings a transform receives in `init`.

use std::fmt::Display;
use std::str::FromStr;

/// The transform's `transforms.<alias>.*` settings with the prefix removed (`fields`, not
/// `transforms.redact.fields`), minus the keys the host keeps for itself (`type`, `module`,
/// `predicate`, `negate` and `wasm.*`).
///
/// The accessors return errors that name the setting, so `init` can pass them straight on with
/// `?` and the operator sees which line of the connector config to fix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    settings: Vec<(String, String)>,
}

impl Config {
    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        // The last one wins should the host ever pass a key twice, like a properties file.
        self.settings
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `key`; an error if it is missing or blank.
    pub fn required(&self, key: &str) -> Result<&str, String> {
        match self.get(key) {
            Some(v) if !v.trim().is_empty() => Ok(v),
            _ => Err(format!("missing required setting `{key}`")),
        }
    }

    /// `key` parsed as `T`, or `default` if it is not set; an error naming the key and the value
    /// if it does not parse.
    pub fn parse<T>(&self, key: &str, default: T) -> Result<T, String>
    where
        T: FromStr,
        T::Err: Display,
    {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse()
                .map_err(|e| format!("setting `{key}`: invalid value `{v}`: {e}")),
        }
    }

    /// Every setting, in the order the host passed them.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.settings.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.settings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.settings.is_empty()
    }
}

impl From<Vec<(String, String)>> for Config {
    fn from(settings: Vec<(String, String)>) -> Self {
        Config { settings }
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Config {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Config {
            settings: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}
