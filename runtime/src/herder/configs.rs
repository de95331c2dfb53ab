//! Connector configs as every herder handles them: submitted configs checked and named, resolved
//! into runnable specs, and shown with references kept and passwords masked.

use sluice_api::Props;

use super::entities::ConfigInfos;
use super::validation::{config_infos, full_config_def, invalid_config_message, is_password};
use super::{HerderError, HerderResult};
use crate::config::providers::{ConfigProviders, HIDDEN, Redactor, has_reference, mask};
use crate::config::{ConnectorSpec, WorkerConfig};
use crate::registry::Registry;

/// What turning a config into a spec needs.
#[derive(Clone, Copy)]
pub struct ConfigContext<'a> {
    pub registry: &'a Registry,
    /// Already resolved through the providers.
    pub worker: &'a WorkerConfig,
    pub providers: &'a ConfigProviders,
}

impl ConfigContext<'_> {
    /// The runnable spec of a config: references resolved, everything validated.
    pub fn spec(&self, config: &Props) -> Result<(ConnectorSpec, Redactor), HerderError> {
        let invalid = |issues: &[sluice_api::config::ConfigIssue]| {
            HerderError::BadRequest(invalid_config_message(issues, Some(&self.class(config))))
        };
        let resolved = self
            .providers
            .resolve(config)
            .map_err(|e| invalid(e.issues()))?;
        let spec = ConnectorSpec::validate(self.registry, self.worker, &resolved.props)
            .map_err(|e| invalid(e.issues()))?;
        Ok((spec, resolved.redactor))
    }

    /// What `PUT /connector-plugins/{plugin}/config/validate` answers for a config.
    pub fn infos(&self, config: &Props) -> ConfigInfos {
        config_infos(self.registry, self.worker, self.providers, config)
    }

    /// The class as the validate endpoint names it.
    pub fn class(&self, config: &Props) -> String {
        let class = config.get("connector.class").cloned().unwrap_or_default();
        match self.registry.connector(&class) {
            Ok(plugin) => plugin.class.to_string(),
            Err(_) => class,
        }
    }

    /// `source`, `sink`, or `unknown` for a class the registry lacks.
    pub fn kind(&self, config: &Props) -> &'static str {
        config
            .get("connector.class")
            .and_then(|class| self.registry.connector(class).ok())
            .map_or("unknown", |p| p.factory.kind())
    }

    /// What GET shows of a config: references as written, passwords masked.
    pub fn shown(&self, config: &Props) -> Props {
        let def = full_config_def(self.registry, config);
        mask(config, |key| is_password(&def, key))
    }

    /// A task config as GET shows it: a value the connector copied from a referencing key shows
    /// the reference again, and passwords are masked.
    pub fn shown_task(&self, connector: &Props, task: &Props) -> Props {
        let unresolved: Props = task
            .iter()
            .map(|(key, value)| match connector.get(key) {
                Some(raw) if has_reference(raw) => (key.clone(), raw.clone()),
                _ => (key.clone(), value.clone()),
            })
            .collect();
        self.shown(&unresolved)
    }

    /// A PUT's config ready to store, after the checks both herders make before anything stops
    /// or is stored: 409 for an existing connector unless replacing is allowed, the name, and
    /// the full config with references resolved.
    pub fn accepted(
        &self,
        name: &str,
        config: Props,
        previous: Option<&Props>,
        allow_replace: bool,
    ) -> HerderResult<Props> {
        if previous.is_some() && !allow_replace {
            return Err(HerderError::AlreadyExists(format!(
                "Connector {name} already exists"
            )));
        }
        let config = submitted(name, config, previous)?;
        self.spec(&config)?;
        Ok(config)
    }
}

/// A submitted config ready to store: `[hidden]` values keep the stored secrets, and `name`
/// is set from the URL or must match it.
fn submitted(name: &str, config: Props, previous: Option<&Props>) -> HerderResult<Props> {
    let mut config = keep_hidden(config, previous);
    match config.get("name") {
        Some(given) if given != name => Err(HerderError::BadRequest(format!(
            "Connector name configuration ({given}) doesn't match connector name in the URL ({name})"
        ))),
        Some(_) => Ok(config),
        None => {
            config.insert("name".into(), name.to_string());
            Ok(config)
        }
    }
}

/// Applies a KIP-477 patch: a `None` value removes the key.
pub fn patched(mut config: Props, patch: Vec<(String, Option<String>)>) -> Props {
    for (key, value) in patch {
        match value {
            Some(value) => config.insert(key, value),
            None => config.remove(&key),
        };
    }
    config
}

/// A PUT of what GET showed keeps the stored secrets: `[hidden]` means "unchanged".
fn keep_hidden(mut config: Props, previous: Option<&Props>) -> Props {
    if let Some(previous) = previous {
        for (key, value) in config.iter_mut() {
            if value == HIDDEN
                && let Some(old) = previous.get(key)
            {
                value.clone_from(old);
            }
        }
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::config::props;

    #[test]
    fn a_hidden_value_keeps_the_stored_secret_and_anything_else_replaces_it() {
        let stored = props(&[("connection.password", "pw-1"), ("topics", "a")]);
        let submitted = props(&[
            ("connection.password", HIDDEN),
            ("topics", "b"),
            ("api.token", HIDDEN),
        ]);
        let kept = keep_hidden(submitted.clone(), Some(&stored));
        assert_eq!(kept["connection.password"], "pw-1");
        assert_eq!(kept["topics"], "b");
        // Nothing stored under that key: the value stays as given (and fails validation if wrong).
        assert_eq!(kept["api.token"], HIDDEN);
        assert_eq!(keep_hidden(submitted.clone(), None), submitted);
    }

    #[test]
    fn the_name_comes_from_the_url_or_must_match_it() {
        let named = submitted("orders", props(&[("topics", "a")]), None).unwrap();
        assert_eq!(named["name"], "orders");
        let err = submitted("orders", props(&[("name", "other")]), None).unwrap_err();
        assert!(matches!(err, HerderError::BadRequest(m) if m.contains("(other)")));
    }

    #[test]
    fn a_patch_sets_and_removes_keys() {
        let config = patched(
            props(&[("a", "1"), ("b", "2")]),
            vec![("a".into(), Some("9".into())), ("b".into(), None)],
        );
        assert_eq!(config, props(&[("a", "9")]));
    }
}
