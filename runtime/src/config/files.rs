//! Reading worker and connector files in every format Kafka Connect users bring:
//! YAML, a flat JSON map, a `{"name","config"}` JSON request, or a Java `.properties` file.

use std::path::Path;

use serde_json::Value as Json;
use sluice_api::Props;
use yaml_rust2::Yaml;

use super::properties;

/// A connector as read from a file: its name and flat config.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorFile {
    pub name: String,
    pub config: Props,
}

/// Why a file could not be read; names the file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct FileError {
    pub path: String,
    pub reason: String,
}

impl FileError {
    fn new(path: &Path, reason: impl Into<String>) -> Self {
        FileError {
            path: path.display().to_string(),
            reason: reason.into(),
        }
    }
}

/// Reads a worker config file (YAML or `.properties`) and applies `SLUICE_*` environment overrides.
pub fn read_worker_file(path: &Path) -> Result<Props, FileError> {
    let text = std::fs::read_to_string(path).map_err(|e| FileError::new(path, e.to_string()))?;
    let mut props = if is_properties(path) {
        properties::parse(&text).map_err(|e| FileError::new(path, e))?
    } else {
        let tree = parse_yaml(&text).map_err(|e| FileError::new(path, e))?;
        flatten(&tree).map_err(|e| FileError::new(path, e))?
    };
    props.extend(env_overrides(std::env::vars()));
    Ok(props)
}

/// Reads a connector file; the format is chosen by extension, then by content.
pub fn read_connector_file(path: &Path) -> Result<ConnectorFile, FileError> {
    let text = std::fs::read_to_string(path).map_err(|e| FileError::new(path, e.to_string()))?;
    parse_connector_text(&text, Format::of_path(path))
        .map_err(|reason| FileError::new(path, reason))
}

/// The format of a connector file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML, which also reads a flat or `{"name","config"}` JSON document.
    Yaml,
    Json,
    Properties,
}

impl Format {
    /// `.properties` and `.json` by extension; anything else is read as YAML.
    pub fn of_path(path: &Path) -> Self {
        if is_properties(path) {
            Format::Properties
        } else if path.extension().is_some_and(|e| e == "json") {
            Format::Json
        } else {
            Format::Yaml
        }
    }
}

/// A connector from the text of a connector file in `format`, as [`read_connector_file`] reads it
/// (its errors without the file name).
pub fn parse_connector_text(text: &str, format: Format) -> Result<ConnectorFile, String> {
    let tree = match format {
        Format::Properties => {
            let props = properties::parse(text)?;
            Json::Object(
                props
                    .into_iter()
                    .map(|(k, v)| (k, Json::String(v)))
                    .collect(),
            )
        }
        Format::Json => serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?,
        Format::Yaml => parse_yaml(text)?,
    };
    connector_from_tree(tree)
}

fn is_properties(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "properties")
}

/// A connector from a parsed document: either `{name, config: {...}}` or a flat map with `name`.
fn connector_from_tree(tree: Json) -> Result<ConnectorFile, String> {
    let Json::Object(mut top) = tree else {
        return Err("expected a map of connector settings".to_string());
    };
    let request_form = matches!(top.get("config"), Some(Json::Object(_)));
    let (name, config) = if request_form {
        let name = match top.remove("name") {
            Some(Json::String(name)) => Some(name),
            _ => None,
        };
        let config = flatten(&top.remove("config").unwrap_or(Json::Null))?;
        (name, config)
    } else {
        (None, flatten(&Json::Object(top))?)
    };
    let name = match (name, config.get("name")) {
        (Some(outer), Some(inner)) if outer.trim() != inner.trim() => {
            return Err(format!(
                "connector name '{outer}' does not match config key 'name' ('{inner}')"
            ));
        }
        (Some(outer), _) => outer,
        (None, Some(inner)) => inner.clone(),
        (None, None) => return Err("name: missing required connector name".to_string()),
    };
    let name = name.trim().to_string();
    if name.is_empty() {
        return Err("name: connector name must not be empty".to_string());
    }
    let mut config = config;
    config.insert("name".to_string(), name.clone());
    Ok(ConnectorFile { name, config })
}

/// Parses YAML. Keys are kept as written: Kafka Connect configs set both `transforms: a` and
/// `transforms.a.type: …`, so dotted keys must not be expanded into nested paths.
fn parse_yaml(text: &str) -> Result<Json, String> {
    let docs =
        yaml_rust2::YamlLoader::load_from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
    match docs.into_iter().next() {
        Some(doc) => yaml_to_json(doc),
        None => Ok(Json::Null),
    }
}

fn yaml_to_json(yaml: Yaml) -> Result<Json, String> {
    Ok(match yaml {
        Yaml::Null => Json::Null,
        Yaml::Boolean(b) => Json::Bool(b),
        Yaml::Integer(n) => Json::from(n),
        // Kept as written, so `0.10` stays `0.10` rather than becoming `0.1`.
        Yaml::Real(text) | Yaml::String(text) => Json::String(text),
        Yaml::Array(items) => Json::Array(
            items
                .into_iter()
                .map(yaml_to_json)
                .collect::<Result<_, _>>()?,
        ),
        Yaml::Hash(map) => {
            let mut out = serde_json::Map::new();
            for (key, value) in map {
                let key = match key {
                    Yaml::String(s) | Yaml::Real(s) => s,
                    Yaml::Integer(n) => n.to_string(),
                    Yaml::Boolean(b) => b.to_string(),
                    other => return Err(format!("unsupported YAML key {other:?}")),
                };
                out.insert(key, yaml_to_json(value)?);
            }
            Json::Object(out)
        }
        Yaml::Alias(_) | Yaml::BadValue => return Err("YAML aliases are not supported".to_string()),
    })
}

/// Flattens nested maps into dotted keys, lists into comma-separated values, scalars into text,
/// so `bootstrap: {servers: x}` and `bootstrap.servers: x` mean the same.
pub fn flatten(tree: &Json) -> Result<Props, String> {
    let mut props = Props::new();
    match tree {
        Json::Object(map) => {
            for (key, value) in map {
                flatten_into(key, value, &mut props)?;
            }
            Ok(props)
        }
        Json::Null => Ok(props),
        other => Err(format!("expected a map of settings, found {other}")),
    }
}

fn flatten_into(prefix: &str, value: &Json, props: &mut Props) -> Result<(), String> {
    match value {
        Json::Object(map) => {
            for (key, value) in map {
                flatten_into(&format!("{prefix}.{key}"), value, props)?;
            }
        }
        Json::Array(items) => {
            let texts = items
                .iter()
                .map(|item| scalar_text(prefix, item))
                .collect::<Result<Vec<_>, _>>()?;
            props.insert(prefix.to_string(), texts.join(","));
        }
        scalar => {
            props.insert(prefix.to_string(), scalar_text(prefix, scalar)?);
        }
    }
    Ok(())
}

fn scalar_text(key: &str, value: &Json) -> Result<String, String> {
    match value {
        Json::String(s) => Ok(s.clone()),
        Json::Null => Ok(String::new()),
        Json::Bool(b) => Ok(b.to_string()),
        Json::Number(n) => Ok(n.to_string()),
        _ => Err(format!("{key}: a list may only hold plain values")),
    }
}

/// `SLUICE_BOOTSTRAP_SERVERS=…` overrides `bootstrap.servers`: after the prefix, `___` stands for
/// `-`, `__` for `_` and `_` for `.`, as the Kafka Connect container images map their variables.
pub fn env_overrides(vars: impl Iterator<Item = (String, String)>) -> Props {
    vars.filter_map(|(name, value)| {
        let rest = name.strip_prefix("SLUICE_")?;
        if rest.is_empty() {
            return None;
        }
        let key = rest
            .to_ascii_lowercase()
            .replace("___", "\u{0}")
            .replace("__", "\u{1}")
            .replace('_', ".")
            .replace('\u{0}', "-")
            .replace('\u{1}', "_");
        Some((key, value))
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(ext: &str, text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new().suffix(ext).tempfile().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn reads_every_connector_format() {
        let yaml = write(
            ".yaml",
            "name: c1\nconnector.class: datagen\ntransforms:\n  - a\n  - b\nrate: 10\n",
        );
        let flat = write(
            ".json",
            r#"{"name":"c1","connector.class":"datagen","transforms":"a,b","rate":"10"}"#,
        );
        let request = write(
            ".json",
            r#"{"name":"c1","config":{"connector.class":"datagen","transforms":"a,b","rate":10}}"#,
        );
        let props = write(
            ".properties",
            "name=c1\nconnector.class=datagen\ntransforms=a,b\nrate=10\n",
        );
        let expected = read_connector_file(yaml.path()).unwrap();
        assert_eq!(expected.name, "c1");
        assert_eq!(expected.config["transforms"], "a,b");
        assert_eq!(expected.config["rate"], "10");
        for file in [&flat, &request, &props] {
            assert_eq!(read_connector_file(file.path()).unwrap(), expected);
        }
    }

    #[test]
    fn nested_yaml_keys_flatten_to_dotted_keys() {
        let f = write(
            ".yaml",
            "name: c\ntransforms:\n  reRoute:\n    type: RegexRouter\n",
        );
        let c = read_connector_file(f.path()).unwrap();
        assert_eq!(c.config["transforms.reRoute.type"], "RegexRouter");
    }

    #[test]
    fn dotted_keys_beside_a_scalar_parent_are_kept() {
        let f = write(
            ".yaml",
            "name: c\ntransforms: a\ntransforms.a.type: RegexRouter\nrate: 0.10\n",
        );
        let c = read_connector_file(f.path()).unwrap();
        assert_eq!(c.config["transforms"], "a");
        assert_eq!(c.config["transforms.a.type"], "RegexRouter");
        assert_eq!(c.config["rate"], "0.10");
    }

    #[test]
    fn mismatched_names_are_rejected() {
        let f = write(".json", r#"{"name":"a","config":{"name":"b"}}"#);
        let err = read_connector_file(f.path()).unwrap_err();
        assert!(err.reason.contains("does not match"), "{err}");
    }

    #[test]
    fn env_names_map_like_kafka_connect_images() {
        let vars = [
            ("SLUICE_BOOTSTRAP_SERVERS", "k:9092"),
            ("SLUICE_OFFSET_STORAGE_FILE_FILENAME", "/x"),
            ("SLUICE_PRODUCER_CLIENT___ID", "p"),
            ("SLUICE_SOME__UNDERSCORE", "u"),
            ("OTHER", "o"),
        ];
        let props = env_overrides(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        assert_eq!(props["bootstrap.servers"], "k:9092");
        assert_eq!(props["offset.storage.file.filename"], "/x");
        assert_eq!(props["producer.client-id"], "p");
        assert_eq!(props["some_underscore"], "u");
        assert_eq!(props.len(), 4);
    }
}
