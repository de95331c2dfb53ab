//! Config validation in Kafka Connect's ConfigInfos shape: every key the connector accepts, its
//! value and its errors, so that UIs can show a form with the problems next to the fields.

use std::collections::BTreeSet;

use sluice_api::config::{ConfigDef, ConfigIssue, ConfigKey, DefaultValue, Importance};
use sluice_api::{ConfigType, Props};

use super::entities::{ConfigInfo, ConfigInfos, ConfigKeyInfo, ConfigValueInfo};
use crate::config::connector::connector_config_def;
use crate::config::providers::{ConfigProviders, mask};
use crate::config::{ConnectorSpec, WorkerConfig};
use crate::registry::{ConnectorFactory, Registry};

/// The keys of a connector plugin, without the framework's.
pub fn plugin_config_def(factory: ConnectorFactory) -> ConfigDef {
    match factory {
        ConnectorFactory::Source(make) => make().config_def(),
        ConnectorFactory::Sink(make) => make().config_def(),
    }
}

/// Every key a connector config may set: the framework's and the plugin's (when known).
pub fn full_config_def(registry: &Registry, props: &Props) -> ConfigDef {
    let framework = connector_config_def();
    match props
        .get("connector.class")
        .and_then(|class| registry.connector(class).ok())
    {
        Some(plugin) => framework.merge(plugin_config_def(plugin.factory)),
        None => framework,
    }
}

/// Every problem of a connector config: unresolvable provider references first, then what
/// validation of the resolved config finds.
pub fn config_issues(
    registry: &Registry,
    worker: &WorkerConfig,
    providers: &ConfigProviders,
    props: &Props,
) -> Vec<ConfigIssue> {
    match providers.resolve(props) {
        Err(errors) => errors.issues().to_vec(),
        Ok(resolved) => match ConnectorSpec::validate(registry, worker, &resolved.props) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.issues().to_vec(),
        },
    }
}

/// The ConfigInfos of `props`, passwords masked.
pub fn config_infos(
    registry: &Registry,
    worker: &WorkerConfig,
    providers: &ConfigProviders,
    props: &Props,
) -> ConfigInfos {
    let issues = config_issues(registry, worker, providers, props);
    let def = full_config_def(registry, props);
    let shown = mask(props, |key| is_password(&def, key));
    let mut configs: Vec<ConfigInfo> = def
        .keys()
        .iter()
        .enumerate()
        .map(|(order, key)| ConfigInfo {
            definition: key_info(key, order as i32 + 1),
            value: value_info(&key.name, shown.get(&key.name).cloned(), &issues),
        })
        .collect();
    // Problems with keys that no definition lists (a transform's settings, say) still show.
    let known: BTreeSet<&str> = def.keys().iter().map(|k| k.name.as_str()).collect();
    let extra: BTreeSet<&str> = issues
        .iter()
        .map(|i| i.key.as_str())
        .filter(|k| !known.contains(k))
        .collect();
    for name in extra {
        configs.push(ConfigInfo {
            definition: dynamic_key_info(name),
            value: value_info(name, shown.get(name).cloned(), &issues),
        });
    }
    let mut groups: Vec<String> = Vec::new();
    for group in def.keys().iter().filter_map(|k| k.group.clone()) {
        if !groups.contains(&group) {
            groups.push(group);
        }
    }
    ConfigInfos {
        name: props
            .get("connector.class")
            .and_then(|class| registry.connector(class).ok())
            .map(|p| p.class.to_string())
            .or_else(|| props.get("connector.class").cloned())
            .unwrap_or_default(),
        error_count: issues.len(),
        groups,
        configs,
    }
}

/// Whether `key` is declared as a password in `def`.
pub fn is_password(def: &ConfigDef, key: &str) -> bool {
    def.key(key).is_some_and(|k| k.ty == ConfigType::Password)
}

/// ConfigKeyInfo of one key.
pub fn key_info(key: &ConfigKey, order: i32) -> ConfigKeyInfo {
    let (required, default_value) = match &key.default {
        DefaultValue::Required => (true, None),
        DefaultValue::Null => (false, None),
        DefaultValue::Value(v) if key.ty == ConfigType::Password => (
            false,
            Some(if v.is_empty() {
                v.clone()
            } else {
                "[hidden]".into()
            }),
        ),
        DefaultValue::Value(v) => (false, Some(v.clone())),
    };
    ConfigKeyInfo {
        name: key.name.clone(),
        kind: key.ty.name().to_string(),
        required,
        default_value,
        importance: importance(key.importance).to_string(),
        documentation: key.doc.clone(),
        group: key.group.clone(),
        order,
        width: "NONE".to_string(),
        display_name: key.name.clone(),
        dependents: Vec::new(),
    }
}

fn dynamic_key_info(name: &str) -> ConfigKeyInfo {
    ConfigKeyInfo {
        name: name.to_string(),
        kind: ConfigType::String.name().to_string(),
        required: false,
        default_value: None,
        importance: importance(Importance::Low).to_string(),
        documentation: String::new(),
        group: None,
        order: -1,
        width: "NONE".to_string(),
        display_name: name.to_string(),
        dependents: Vec::new(),
    }
}

fn value_info(name: &str, value: Option<String>, issues: &[ConfigIssue]) -> ConfigValueInfo {
    ConfigValueInfo {
        name: name.to_string(),
        value,
        recommended_values: Vec::new(),
        errors: issues
            .iter()
            .filter(|i| i.key == name)
            .map(|i| i.reason.clone())
            .collect(),
        visible: true,
    }
}

fn importance(importance: Importance) -> &'static str {
    match importance {
        Importance::High => "HIGH",
        Importance::Medium => "MEDIUM",
        Importance::Low => "LOW",
    }
}

/// Kafka Connect's message for an invalid config, listing every error.
pub fn invalid_config_message(issues: &[ConfigIssue], class: Option<&str>) -> String {
    let mut message = format!(
        "Connector configuration is invalid and contains the following {} error(s):",
        issues.len()
    );
    for issue in issues {
        message.push('\n');
        message.push_str(&issue.to_string());
    }
    let class = class.unwrap_or("{connectorType}");
    message.push_str(&format!(
        "\nYou can also find the above list of errors at the endpoint `/connector-plugins/{class}/config/validate`"
    ));
    message
}
