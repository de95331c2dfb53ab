//! A connector's config, validated as a whole before anything starts: framework keys, the
//! connector's own keys, its converters and its transforms. Every problem is reported at once.

use sluice_api::config::{
    ConfigDef, ConfigErrors, ConfigType, Importance, IssueCollector, Validator,
};
use sluice_api::{ConverterPlugin, PredicatePlugin, Props, TransformPlugin};

use super::worker::{WorkerConfig, strip_prefix};
use crate::errors::{ErrorPolicy, error_config_def};
use crate::registry::{ConnectorFactory, Plugin, Registry};

/// Framework keys every connector accepts, error handling included.
pub fn connector_config_def() -> ConfigDef {
    framework_keys().merge(error_config_def())
}

fn framework_keys() -> ConfigDef {
    use ConfigType::*;
    use Importance::*;
    ConfigDef::new()
        .required("name", String, High, "Globally unique connector name.")
        .validate(Validator::NonEmpty)
        .required(
            "connector.class",
            Class,
            High,
            "Connector class name or Sluice alias.",
        )
        .optional(
            "tasks.max",
            Int,
            Some("1"),
            High,
            "Maximum number of tasks.",
        )
        .validate(Validator::AtLeast(1))
        .optional(
            "key.converter",
            Class,
            None,
            Low,
            "Key converter; overrides the worker's.",
        )
        .optional(
            "value.converter",
            Class,
            None,
            Low,
            "Value converter; overrides the worker's.",
        )
        .optional(
            "transforms",
            List,
            Some(""),
            Low,
            "Aliases of the transforms to apply, in order.",
        )
        .optional(
            "predicates",
            List,
            Some(""),
            Low,
            "Aliases of the predicates transforms may refer to.",
        )
        .optional(
            "topics",
            List,
            Some(""),
            High,
            "Sink connectors: topics to consume.",
        )
        .optional(
            "topics.regex",
            String,
            None,
            High,
            "Sink connectors: regex of topics to consume.",
        )
}

/// A converter chosen and configured for one side of a record.
#[derive(Debug, Clone)]
pub struct ConverterSpec {
    pub class: String,
    pub plugin: ConverterPlugin,
    pub props: Props,
}

/// A transform from the `transforms` list, with its own settings (prefix removed).
#[derive(Debug, Clone)]
pub struct TransformSpec {
    pub alias: String,
    pub plugin: TransformPlugin,
    pub props: Props,
    /// `transforms.<alias>.predicate`: the transform applies only to records it matches
    /// (or does not match, with `negate`).
    pub predicate: Option<PredicateSpec>,
}

/// A predicate from `predicates`, as one transform uses it.
#[derive(Debug, Clone)]
pub struct PredicateSpec {
    pub name: String,
    pub plugin: PredicatePlugin,
    pub props: Props,
    pub negate: bool,
}

/// What a sink connector consumes.
#[derive(Debug, Clone, PartialEq)]
pub enum SinkTopics {
    List(Vec<String>),
    Regex(String),
}

/// A connector config that passed validation and is ready to run.
#[derive(Debug, Clone)]
pub struct ConnectorSpec {
    pub name: String,
    pub plugin: Plugin<ConnectorFactory>,
    pub tasks_max: usize,
    pub props: Props,
    pub key_converter: ConverterSpec,
    pub value_converter: ConverterSpec,
    pub transforms: Vec<TransformSpec>,
    /// Set for sink connectors.
    pub sink_topics: Option<SinkTopics>,
    pub errors: ErrorPolicy,
}

impl ConnectorSpec {
    /// Validates `props` against everything the connector will use.
    pub fn validate(
        registry: &Registry,
        worker: &WorkerConfig,
        props: &Props,
    ) -> Result<Self, ConfigErrors> {
        let mut issues = IssueCollector::new();
        let framework = framework_keys().parse_collecting(props, &mut issues);

        let plugin = props.get("connector.class").and_then(|class| {
            registry
                .connector(class)
                .map_err(|e| issues.push("connector.class", e))
                .ok()
        });
        if let Some(plugin) = plugin {
            issues.take(match plugin.factory {
                ConnectorFactory::Source(make) => make().validate(props),
                ConnectorFactory::Sink(make) => make().validate(props),
            });
        }

        let key_converter = converter_spec(registry, worker, props, "key.converter", &mut issues);
        let value_converter =
            converter_spec(registry, worker, props, "value.converter", &mut issues);
        let transforms = transform_specs(registry, props, &mut issues);
        let errors = issues.take(ErrorPolicy::parse(props));

        let sink_topics = match (&plugin, &framework) {
            (Some(p), Some(parsed)) if matches!(p.factory, ConnectorFactory::Sink(_)) => {
                let topics = parsed.list("topics");
                match (topics.is_empty(), parsed.optional_string("topics.regex")) {
                    (false, None) => Some(SinkTopics::List(topics)),
                    (true, Some(regex)) => Some(SinkTopics::Regex(regex)),
                    (false, Some(_)) => {
                        issues.push("topics", "set either topics or topics.regex, not both");
                        None
                    }
                    (true, None) => {
                        issues.push("topics", "a sink connector needs topics or topics.regex");
                        None
                    }
                }
            }
            _ => None,
        };

        match (framework, plugin, key_converter, value_converter, errors) {
            (
                Some(parsed),
                Some(plugin),
                Some(key_converter),
                Some(value_converter),
                Some(errors),
            ) => issues.finish(ConnectorSpec {
                name: parsed.string("name"),
                plugin: *plugin,
                tasks_max: parsed.int("tasks.max").max(1) as usize,
                props: props.clone(),
                key_converter,
                value_converter,
                transforms,
                sink_topics,
                errors,
            }),
            _ => Err(ConfigErrors::new(issues_or_internal(issues))),
        }
    }

    pub fn is_sink(&self) -> bool {
        matches!(self.plugin.factory, ConnectorFactory::Sink(_))
    }
}

/// Something failed above, so the collector holds at least one issue.
fn issues_or_internal(issues: IssueCollector) -> Vec<sluice_api::config::ConfigIssue> {
    match issues.finish(()) {
        Err(errors) => errors.issues().to_vec(),
        Ok(()) => vec![sluice_api::config::ConfigIssue::new(
            "name",
            "invalid connector configuration",
        )],
    }
}

/// The connector's converter if it names one (with its own prefixed settings), else the worker's
/// (with the worker's prefixed settings), as Kafka Connect decides.
fn converter_spec(
    registry: &Registry,
    worker: &WorkerConfig,
    props: &Props,
    key: &str,
    issues: &mut IssueCollector,
) -> Option<ConverterSpec> {
    let prefix = format!("{key}.");
    let (class, settings, source) = match props.get(key).filter(|c| !c.trim().is_empty()) {
        Some(class) => (class.clone(), strip_prefix(props, &prefix), key.to_string()),
        None => {
            let class = if key == "key.converter" {
                &worker.key_converter
            } else {
                &worker.value_converter
            };
            (
                class.clone(),
                worker.with_prefix(&prefix),
                format!("{key} (worker)"),
            )
        }
    };
    let plugin = registry
        .converter(&class)
        .map_err(|e| issues.push(source, e))
        .ok()?;
    issues.take(
        (plugin.factory.config_def)()
            .parse(&settings)
            .map_err(|e| e.prefixed(&prefix)),
    )?;
    Some(ConverterSpec {
        class,
        plugin: plugin.factory,
        props: settings,
    })
}

fn transform_specs(
    registry: &Registry,
    props: &Props,
    issues: &mut IssueCollector,
) -> Vec<TransformSpec> {
    let predicates = aliased_plugins(
        props,
        "predicates",
        |c| registry.predicate(c),
        |p| (p.config_def)(),
        issues,
    );
    let transforms = aliased_plugins(
        props,
        "transforms",
        |c| registry.transform(c),
        |p| (p.config_def)(),
        issues,
    );
    let mut specs = Vec::new();
    for (alias, plugin, settings) in transforms {
        let prefix = format!("transforms.{alias}.");
        let negate = match settings
            .get("negate")
            .map(|v| v.trim().to_ascii_lowercase())
        {
            None => false,
            Some(v) if v == "true" => true,
            Some(v) if v == "false" => false,
            Some(v) => {
                issues.push(
                    format!("{prefix}negate"),
                    format!("invalid value '{v}': expected a boolean (true or false)"),
                );
                continue;
            }
        };
        let predicate = match settings
            .get("predicate")
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
        {
            None => None,
            Some(name) => match predicates.iter().find(|(n, _, _)| n == name) {
                Some((name, plugin, settings)) => Some(PredicateSpec {
                    name: name.clone(),
                    plugin: *plugin,
                    props: settings.clone(),
                    negate,
                }),
                None => {
                    issues.push(
                        format!("{prefix}predicate"),
                        format!("predicate '{name}' is not listed in predicates"),
                    );
                    continue;
                }
            },
        };
        specs.push(TransformSpec {
            alias,
            plugin,
            props: settings,
            predicate,
        });
    }
    specs
}

/// The aliases listed under `list_key` (`transforms`, `predicates`), each resolved through its
/// `<list_key>.<alias>.type` and validated against its own settings (prefix removed).
fn aliased_plugins<'r, T: Copy + 'r>(
    props: &Props,
    list_key: &str,
    find: impl Fn(&str) -> Result<&'r Plugin<T>, String>,
    config_def: impl Fn(&T) -> ConfigDef,
    issues: &mut IssueCollector,
) -> Vec<(String, T, Props)> {
    let aliases: Vec<&str> = props
        .get(list_key)
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut found = Vec::new();
    for (i, alias) in aliases.iter().enumerate() {
        if aliases[..i].contains(alias) {
            issues.push(list_key, format!("duplicate alias '{alias}'"));
            continue;
        }
        let prefix = format!("{list_key}.{alias}.");
        let settings = strip_prefix(props, &prefix);
        let Some(class) = settings.get("type") else {
            issues.push(format!("{prefix}type"), "missing required type");
            continue;
        };
        let Ok(plugin) = find(class).map_err(|e| issues.push(format!("{prefix}type"), e)) else {
            continue;
        };
        if issues
            .take(
                config_def(&plugin.factory)
                    .parse(&settings)
                    .map_err(|e| e.prefixed(&prefix)),
            )
            .is_some()
        {
            found.push((alias.to_string(), plugin.factory, settings));
        }
    }
    found
}
