//! `namespace.mapper`: which database and collection a record is written to.

use mongodb::bson::Bson;
use sluice_api::ParsedConfig;
use sluice_api::config::IssueCollector;

use super::config::{
    MAPPER_ERROR_IF_INVALID, MAPPER_KEY_COLLECTION_FIELD, MAPPER_KEY_DATABASE_FIELD,
    MAPPER_VALUE_COLLECTION_FIELD, MAPPER_VALUE_DATABASE_FIELD, NAMESPACE_MAPPER, TopicSettings,
    class_matches, unknown_class,
};
use super::convert::get_path;
use super::document::SinkDocument;

const PACKAGE: &str = "com.mongodb.kafka.connect.sink.namespace.mapping";

/// A database and collection.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Namespace {
    pub database: String,
    pub collection: String,
}

impl std::fmt::Display for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.database, self.collection)
    }
}

/// Where a name is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldSource {
    Key(String),
    Value(String),
}

/// The configured mapper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamespaceMapper {
    /// `database`, and `collection` or the topic name.
    Default,
    /// Names read from key or value fields, falling back to the defaults.
    FieldPath {
        database: Option<FieldSource>,
        collection: Option<FieldSource>,
        error_if_invalid: bool,
    },
}

impl NamespaceMapper {
    pub fn parse(parsed: &ParsedConfig, issues: &mut IssueCollector) -> Self {
        let class = parsed.string(NAMESPACE_MAPPER);
        if class_matches(&class, PACKAGE, "DefaultNamespaceMapper") {
            return NamespaceMapper::Default;
        }
        if !class_matches(&class, PACKAGE, "FieldPathNamespaceMapper") {
            issues.push(NAMESPACE_MAPPER, unknown_class(parsed, NAMESPACE_MAPPER));
            return NamespaceMapper::Default;
        }
        let mut source = |key_field: &str, value_field: &str| match (
            parsed.optional_string(key_field),
            parsed.optional_string(value_field),
        ) {
            (Some(_), Some(_)) => {
                issues.push(
                    key_field,
                    format!("set either {key_field} or {value_field}, not both"),
                );
                None
            }
            (Some(path), None) => Some(FieldSource::Key(path)),
            (None, Some(path)) => Some(FieldSource::Value(path)),
            (None, None) => None,
        };
        let database = source(MAPPER_KEY_DATABASE_FIELD, MAPPER_VALUE_DATABASE_FIELD);
        let collection = source(MAPPER_KEY_COLLECTION_FIELD, MAPPER_VALUE_COLLECTION_FIELD);
        let any_set = [
            MAPPER_KEY_DATABASE_FIELD,
            MAPPER_VALUE_DATABASE_FIELD,
            MAPPER_KEY_COLLECTION_FIELD,
            MAPPER_VALUE_COLLECTION_FIELD,
        ]
        .iter()
        .any(|k| parsed.optional_string(k).is_some());
        if !any_set {
            issues.push(
                NAMESPACE_MAPPER,
                "FieldPathNamespaceMapper needs a namespace.mapper.key.* or namespace.mapper.value.* field",
            );
        }
        NamespaceMapper::FieldPath {
            database,
            collection,
            error_if_invalid: parsed.bool(MAPPER_ERROR_IF_INVALID),
        }
    }
}

/// The namespace of one record.
pub fn resolve(
    settings: &TopicSettings,
    topic: &str,
    doc: &SinkDocument,
) -> Result<Namespace, String> {
    let default_collection = if settings.collection.is_empty() {
        topic.to_string()
    } else {
        settings.collection.clone()
    };
    let (database, collection) = match &settings.namespace {
        NamespaceMapper::Default => (settings.database.clone(), default_collection),
        NamespaceMapper::FieldPath {
            database,
            collection,
            error_if_invalid,
        } => {
            let pick = |source: &Option<FieldSource>, fallback: String| -> Result<String, String> {
                let Some(source) = source else {
                    return Ok(fallback);
                };
                match lookup(source, doc) {
                    Ok(name) => Ok(name),
                    Err(reason) if *error_if_invalid => Err(reason),
                    Err(_) => Ok(fallback),
                }
            };
            (
                pick(database, settings.database.clone())?,
                pick(collection, default_collection)?,
            )
        }
    };
    check_database(&database)?;
    check_collection(&collection)?;
    Ok(Namespace {
        database,
        collection,
    })
}

fn lookup(source: &FieldSource, doc: &SinkDocument) -> Result<String, String> {
    let (side, path, found) = match source {
        FieldSource::Key(path) => ("key", path, doc.key().ok().and_then(|k| get_path(k, path))),
        FieldSource::Value(path) => (
            "value",
            path,
            doc.value.as_ref().and_then(|v| get_path(v, path)),
        ),
    };
    match found {
        Some(Bson::String(name)) if !name.is_empty() => Ok(name.clone()),
        Some(other) => Err(format!(
            "{side} field '{path}' holds a {}, not a namespace name",
            super::convert::type_name(other)
        )),
        None => Err(format!("{side} field '{path}' is missing")),
    }
}

/// MongoDB's rules for database names, checked here so that a bad name read from a record fails
/// that record rather than the whole bulk write.
fn check_database(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 63 || name.contains(['/', '\\', '.', ' ', '"', '$', '\0']) {
        return Err(format!("'{name}' is not a valid database name"));
    }
    Ok(())
}

fn check_collection(name: &str) -> Result<(), String> {
    if name.is_empty() || name.contains(['$', '\0']) || name.starts_with("system.") {
        return Err(format!("'{name}' is not a valid collection name"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
