//! Settings of the MongoDB sink, with the key names, defaults and class names of the official
//! MongoDB Kafka sink connector. Every key except `connection.uri` can be set per topic with
//! `topic.override.<topic>.<key>`.

use std::collections::BTreeMap;
use std::time::Duration;

use sluice_api::config::{ConfigDef, ConfigType, Importance, IssueCollector, Validator};
use sluice_api::{ConfigErrors, ParsedConfig, Props};

use super::cdc::CdcHandler;
use super::id_strategy::{IdStrategy, IdStrategyKind};
use super::namespace::NamespaceMapper;
use super::post_processor::{self, PostProcessor};
use super::projection::{Projection, ProjectionType};
use super::write_model::{DeleteModelKind, WriteModelKind};

pub const CONNECTION_URI: &str = "connection.uri";
pub const DATABASE: &str = "database";
pub const COLLECTION: &str = "collection";
pub const NAMESPACE_MAPPER: &str = "namespace.mapper";
pub const MAPPER_KEY_DATABASE_FIELD: &str = "namespace.mapper.key.database.field";
pub const MAPPER_KEY_COLLECTION_FIELD: &str = "namespace.mapper.key.collection.field";
pub const MAPPER_VALUE_DATABASE_FIELD: &str = "namespace.mapper.value.database.field";
pub const MAPPER_VALUE_COLLECTION_FIELD: &str = "namespace.mapper.value.collection.field";
pub const MAPPER_ERROR_IF_INVALID: &str = "namespace.mapper.error.if.invalid";
pub const ID_STRATEGY: &str = "document.id.strategy";
pub const ID_OVERWRITE_EXISTING: &str = "document.id.strategy.overwrite.existing";
pub const ID_UUID_FORMAT: &str = "document.id.strategy.uuid.format";
pub const ID_PARTIAL_KEY_TYPE: &str = "document.id.strategy.partial.key.projection.type";
pub const ID_PARTIAL_KEY_LIST: &str = "document.id.strategy.partial.key.projection.list";
pub const ID_PARTIAL_VALUE_TYPE: &str = "document.id.strategy.partial.value.projection.type";
pub const ID_PARTIAL_VALUE_LIST: &str = "document.id.strategy.partial.value.projection.list";
pub const KEY_PROJECTION_TYPE: &str = "key.projection.type";
pub const KEY_PROJECTION_LIST: &str = "key.projection.list";
pub const VALUE_PROJECTION_TYPE: &str = "value.projection.type";
pub const VALUE_PROJECTION_LIST: &str = "value.projection.list";
pub const WRITEMODEL_STRATEGY: &str = "writemodel.strategy";
pub const DELETE_WRITEMODEL_STRATEGY: &str = "delete.writemodel.strategy";
pub const DELETE_ON_NULL_VALUES: &str = "delete.on.null.values";
pub const MAX_BATCH_SIZE: &str = "max.batch.size";
pub const BULK_WRITE_ORDERED: &str = "bulk.write.ordered";
pub const MAX_NUM_RETRIES: &str = "max.num.retries";
pub const RETRIES_DEFER_TIMEOUT: &str = "retries.defer.timeout";
pub const RATE_LIMITING_EVERY_N: &str = "rate.limiting.every.n";
pub const RATE_LIMITING_TIMEOUT: &str = "rate.limiting.timeout";
pub const POST_PROCESSOR_CHAIN: &str = "post.processor.chain";
pub const CDC_HANDLER: &str = "change.data.capture.handler";
pub const TOPIC_OVERRIDE_PREFIX: &str = "topic.override.";

/// Keys of the official connector whose features Sluice does not have: setting one is an error
/// rather than a silently different behaviour.
const UNSUPPORTED_PREFIXES: &[(&str, &str)] = &[
    (
        "timeseries.",
        "time-series collections are not supported by this sink; create the collection beforehand and use InsertOneDefaultStrategy",
    ),
    (
        "mongo.errors.",
        "use the framework's errors.tolerance, errors.log.enable and errors.deadletterqueue.topic.name, which cover MongoDB write errors too",
    ),
    (
        "field.renamer.",
        "the RenameByMapping and RenameByRegExp post processors are not supported; use the ReplaceField transform",
    ),
];

/// Every topic-level key (all keys but `connection.uri`), for `topic.override.<topic>.<key>`.
pub fn topic_config_def() -> ConfigDef {
    use ConfigType::*;
    use Importance::*;
    ConfigDef::new()
        .required(DATABASE, String, High, "The database to write to (the default of the namespace mapper).")
        .validate(Validator::NonEmpty)
        .in_group("Namespace")
        .optional(COLLECTION, String, Some(""), High, "The collection to write to; empty uses the topic name.")
        .in_group("Namespace")
        .optional(
            NAMESPACE_MAPPER,
            Class,
            Some("com.mongodb.kafka.connect.sink.namespace.mapping.DefaultNamespaceMapper"),
            Medium,
            "DefaultNamespaceMapper (database and collection settings) or FieldPathNamespaceMapper (names read from key or value fields).",
        )
        .in_group("Namespace")
        .optional(MAPPER_KEY_DATABASE_FIELD, String, Some(""), Low, "Key field (dot path) holding the database name, for FieldPathNamespaceMapper.")
        .in_group("Namespace")
        .optional(MAPPER_KEY_COLLECTION_FIELD, String, Some(""), Low, "Key field (dot path) holding the collection name, for FieldPathNamespaceMapper.")
        .in_group("Namespace")
        .optional(MAPPER_VALUE_DATABASE_FIELD, String, Some(""), Low, "Value field (dot path) holding the database name, for FieldPathNamespaceMapper.")
        .in_group("Namespace")
        .optional(MAPPER_VALUE_COLLECTION_FIELD, String, Some(""), Low, "Value field (dot path) holding the collection name, for FieldPathNamespaceMapper.")
        .in_group("Namespace")
        .optional(
            MAPPER_ERROR_IF_INVALID,
            Boolean,
            Some("false"),
            Low,
            "Whether a missing or non-string namespace field fails the record (true) or falls back to database/collection (false).",
        )
        .in_group("Namespace")
        .optional(
            ID_STRATEGY,
            Class,
            Some("com.mongodb.kafka.connect.sink.processor.id.strategy.BsonOidStrategy"),
            High,
            "How the _id is built: BsonOidStrategy, FullKeyStrategy, PartialKeyStrategy, PartialValueStrategy, ProvidedInKeyStrategy, ProvidedInValueStrategy, UuidStrategy or KafkaMetaDataStrategy.",
        )
        .in_group("Id strategy")
        .optional(ID_OVERWRITE_EXISTING, Boolean, Some("false"), Low, "Whether the id strategy replaces an _id the value already has.")
        .in_group("Id strategy")
        .optional(ID_UUID_FORMAT, String, Some("string"), Low, "UuidStrategy output: string or binary (BSON binary subtype 4).")
        .validate(one_of(&["string", "binary"]))
        .in_group("Id strategy")
        .optional(ID_PARTIAL_KEY_TYPE, String, Some(""), Low, "PartialKeyStrategy projection: AllowList or BlockList.")
        .validate(projection_types())
        .in_group("Id strategy")
        .optional(ID_PARTIAL_KEY_LIST, List, Some(""), Low, "Key fields (dot paths) of the PartialKeyStrategy projection.")
        .in_group("Id strategy")
        .optional(ID_PARTIAL_VALUE_TYPE, String, Some(""), Low, "PartialValueStrategy projection: AllowList or BlockList.")
        .validate(projection_types())
        .in_group("Id strategy")
        .optional(ID_PARTIAL_VALUE_LIST, List, Some(""), Low, "Value fields (dot paths) of the PartialValueStrategy projection.")
        .in_group("Id strategy")
        .optional(KEY_PROJECTION_TYPE, String, Some("none"), Low, "Key projection of the AllowList/BlockListKeyProjector post processors: none, AllowList or BlockList.")
        .validate(projection_types())
        .in_group("Post processing")
        .optional(KEY_PROJECTION_LIST, List, Some(""), Low, "Key fields (dot paths, * and ** wildcards) the key projector keeps or drops.")
        .in_group("Post processing")
        .optional(VALUE_PROJECTION_TYPE, String, Some("none"), Low, "Value projection of the AllowList/BlockListValueProjector post processors: none, AllowList or BlockList.")
        .validate(projection_types())
        .in_group("Post processing")
        .optional(VALUE_PROJECTION_LIST, List, Some(""), Low, "Value fields (dot paths, * and ** wildcards) the value projector keeps or drops.")
        .in_group("Post processing")
        .optional(
            POST_PROCESSOR_CHAIN,
            List,
            Some("com.mongodb.kafka.connect.sink.processor.DocumentIdAdder"),
            Low,
            "Post processors applied in order to each value document; DocumentIdAdder runs first even when not listed.",
        )
        .in_group("Post processing")
        .optional(
            WRITEMODEL_STRATEGY,
            Class,
            Some("com.mongodb.kafka.connect.sink.writemodel.strategy.DefaultWriteModelStrategy"),
            High,
            "How a document is written: DefaultWriteModelStrategy (ReplaceOne upsert by _id), ReplaceOneDefaultStrategy, ReplaceOneBusinessKeyStrategy, UpdateOneDefaultStrategy, UpdateOneTimestampsStrategy, UpdateOneBusinessKeyTimestampStrategy, InsertOneDefaultStrategy, DeleteOneDefaultStrategy or DeleteOneBusinessKeyStrategy.",
        )
        .in_group("Writes")
        .optional(
            DELETE_WRITEMODEL_STRATEGY,
            Class,
            Some("com.mongodb.kafka.connect.sink.writemodel.strategy.DeleteOneDefaultStrategy"),
            Low,
            "How a tombstone is written when delete.on.null.values is true: DeleteOneDefaultStrategy (by the _id the id strategy builds from the key).",
        )
        .in_group("Writes")
        .optional(
            DELETE_ON_NULL_VALUES,
            Boolean,
            Some("false"),
            Medium,
            "Whether a record with a null value deletes the document whose _id the id strategy builds from the key (FullKey, PartialKey or ProvidedInKey strategies); false skips such records.",
        )
        .in_group("Writes")
        .optional(MAX_BATCH_SIZE, Int, Some("0"), Medium, "Most documents in one bulk write; 0 writes each delivered batch in one bulk write per namespace.")
        .validate(Validator::AtLeast(0))
        .in_group("Writes")
        .optional(
            BULK_WRITE_ORDERED,
            Boolean,
            Some("true"),
            Medium,
            "Whether bulk writes are ordered: the server stops at the first failed document, which is reported and the rest sent again; unordered writes try every document.",
        )
        .in_group("Writes")
        .optional(MAX_NUM_RETRIES, Int, Some("1"), Medium, "Retries of a bulk write that failed with a retriable error (network, not primary, timeout).")
        .validate(Validator::AtLeast(0))
        .in_group("Writes")
        .optional(RETRIES_DEFER_TIMEOUT, Int, Some("5000"), Medium, "Milliseconds to wait before a retry.")
        .validate(Validator::AtLeast(0))
        .in_group("Writes")
        .optional(RATE_LIMITING_EVERY_N, Int, Some("0"), Low, "Pause after every N bulk writes; 0 never pauses.")
        .validate(Validator::AtLeast(0))
        .in_group("Writes")
        .optional(RATE_LIMITING_TIMEOUT, Int, Some("0"), Low, "Milliseconds of the rate-limiting pause.")
        .validate(Validator::AtLeast(0))
        .in_group("Writes")
        .optional(
            CDC_HANDLER,
            Class,
            Some(""),
            Medium,
            "Applies change events instead of writing documents: the Debezium RdbmsHandler (or its MysqlHandler and PostgresHandler variants) or ChangeStreamHandler for MongoDB change-stream events.",
        )
        .in_group("Change data capture")
}

/// The connector's keys: `connection.uri` and every topic-level key.
pub fn config_def() -> ConfigDef {
    connection_def().merge(topic_config_def())
}

fn connection_def() -> ConfigDef {
    ConfigDef::new()
        .optional(
            CONNECTION_URI,
            ConfigType::Password,
            Some("mongodb://localhost:27017"),
            Importance::High,
            "The MongoDB connection string (mongodb:// or mongodb+srv://).",
        )
        .in_group("Connection")
}

fn one_of(values: &[&str]) -> Validator {
    Validator::OneOf(values.iter().map(|v| v.to_string()).collect())
}

fn projection_types() -> Validator {
    one_of(&[
        "",
        "none",
        "allowlist",
        "blocklist",
        "whitelist",
        "blacklist",
    ])
}

/// Where and how records of one topic are written.
#[derive(Debug, Clone)]
pub struct TopicSettings {
    pub database: String,
    /// Empty: the topic name.
    pub collection: String,
    pub namespace: NamespaceMapper,
    pub id_strategy: IdStrategy,
    pub post_processors: Vec<PostProcessor>,
    pub write_model: WriteModelKind,
    pub delete_model: DeleteModelKind,
    pub delete_on_null_values: bool,
    /// 0: no limit.
    pub max_batch_size: usize,
    pub ordered: bool,
    pub max_retries: u32,
    pub retry_defer: Duration,
    pub rate_limit_every: u32,
    pub rate_limit_timeout: Duration,
    pub cdc: Option<CdcHandler>,
}

/// The validated sink settings.
#[derive(Debug, Clone)]
pub struct SinkConfig {
    pub connection_uri: String,
    pub defaults: TopicSettings,
    /// Topics with `topic.override.<topic>.*` keys.
    pub overrides: BTreeMap<String, TopicSettings>,
}

impl SinkConfig {
    /// Parses `props`, reporting every problem at once.
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let mut issues = IssueCollector::new();
        for key in props.keys() {
            if let Some((_, reason)) = UNSUPPORTED_PREFIXES
                .iter()
                .find(|(prefix, _)| key.starts_with(prefix))
                && !props[key].trim().is_empty()
            {
                issues.push(key.as_str(), *reason);
            }
        }
        let uri = match connection_def().parse_collecting(props, &mut issues) {
            Some(parsed) => parsed.string(CONNECTION_URI),
            None => String::new(),
        };
        let lower = uri.to_ascii_lowercase();
        if !uri.is_empty()
            && !lower.starts_with("mongodb://")
            && !lower.starts_with("mongodb+srv://")
        {
            issues.push(
                CONNECTION_URI,
                "must be a mongodb:// or mongodb+srv:// connection string",
            );
        }
        let mut base_issues = IssueCollector::new();
        let defaults = parse_topic(props, &mut base_issues);
        let base_reasons: Vec<String> = base_issues
            .into_errors()
            .issues()
            .iter()
            .map(|i| {
                issues.push(i.key.clone(), i.reason.clone());
                format!("{}: {}", i.key, i.reason)
            })
            .collect();
        let mut overrides = BTreeMap::new();
        for (topic, topic_props) in split_overrides(props, &mut issues) {
            let mut topic_issues = IssueCollector::new();
            let settings = parse_topic(&topic_props, &mut topic_issues);
            for issue in topic_issues.into_errors().issues() {
                if !base_reasons.contains(&format!("{}: {}", issue.key, issue.reason)) {
                    issues.push(
                        format!("{TOPIC_OVERRIDE_PREFIX}{topic}.{}", issue.key),
                        issue.reason.clone(),
                    );
                }
            }
            if let Some(settings) = settings {
                overrides.insert(topic, settings);
            }
        }
        match defaults {
            Some(defaults) if issues.is_empty() => Ok(SinkConfig {
                connection_uri: uri,
                defaults,
                overrides,
            }),
            _ => Err(issues.into_errors()),
        }
    }

    /// The settings records of `topic` are written with.
    pub fn for_topic(&self, topic: &str) -> &TopicSettings {
        self.overrides.get(topic).unwrap_or(&self.defaults)
    }
}

/// The effective props of each topic with overrides: the connector's props with the topic's
/// `topic.override.<topic>.<key>` values in place. Topic names may contain dots, so the key is
/// the longest known topic-level key the override ends with.
fn split_overrides(props: &Props, issues: &mut IssueCollector) -> BTreeMap<String, Props> {
    let def = topic_config_def();
    let mut names: Vec<&str> = def.keys().iter().map(|k| k.name.as_str()).collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let mut per_topic: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (key, value) in props {
        let Some(rest) = key.strip_prefix(TOPIC_OVERRIDE_PREFIX) else {
            continue;
        };
        let split = names.iter().find_map(|name| {
            let topic = rest.strip_suffix(name)?.strip_suffix('.')?;
            (!topic.is_empty()).then(|| (topic.to_string(), name.to_string()))
        });
        match split {
            Some((topic, name)) => per_topic.entry(topic).or_default().push((name, value.clone())),
            None => issues.push(
                key.as_str(),
                "expected topic.override.<topic>.<key> with a sink setting that can be set per topic (every key but connection.uri)",
            ),
        }
    }
    per_topic
        .into_iter()
        .map(|(topic, entries)| {
            let mut topic_props = props.clone();
            topic_props.extend(entries);
            (topic, topic_props)
        })
        .collect()
}

fn parse_topic(props: &Props, issues: &mut IssueCollector) -> Option<TopicSettings> {
    let parsed = topic_config_def().parse_collecting(props, issues)?;
    let namespace = NamespaceMapper::parse(&parsed, issues);
    let id_strategy = parse_id_strategy(&parsed, issues);
    let post_processors = post_processor::parse_chain(&parsed, issues);
    let write_model = match WriteModelKind::from_class(&parsed.string(WRITEMODEL_STRATEGY)) {
        Some(kind) => kind,
        None => {
            issues.push(
                WRITEMODEL_STRATEGY,
                unknown_class(&parsed, WRITEMODEL_STRATEGY),
            );
            WriteModelKind::ReplaceOneDefault
        }
    };
    let delete_model = match DeleteModelKind::from_class(&parsed.string(DELETE_WRITEMODEL_STRATEGY))
    {
        Some(kind) => kind,
        None => {
            issues.push(
                DELETE_WRITEMODEL_STRATEGY,
                unknown_class(&parsed, DELETE_WRITEMODEL_STRATEGY),
            );
            DeleteModelKind::DeleteOneDefault
        }
    };
    let delete_on_null_values = parsed.bool(DELETE_ON_NULL_VALUES);
    if delete_on_null_values && !id_strategy.kind.uses_key() {
        issues.push(
            DELETE_ON_NULL_VALUES,
            format!(
                "needs an id strategy that builds the _id from the record key (FullKeyStrategy, PartialKeyStrategy or ProvidedInKeyStrategy), not {}",
                id_strategy.kind.class_name()
            ),
        );
    }
    let cdc_class = parsed.string(CDC_HANDLER);
    let cdc = if cdc_class.is_empty() {
        None
    } else {
        match CdcHandler::from_class(&cdc_class) {
            Some(handler) => Some(handler),
            None => {
                issues.push(CDC_HANDLER, unknown_class(&parsed, CDC_HANDLER));
                None
            }
        }
    };
    Some(TopicSettings {
        database: parsed.string(DATABASE),
        collection: parsed.string(COLLECTION),
        namespace,
        id_strategy,
        post_processors,
        write_model,
        delete_model,
        delete_on_null_values,
        max_batch_size: count(parsed.int(MAX_BATCH_SIZE)),
        ordered: parsed.bool(BULK_WRITE_ORDERED),
        max_retries: u32::try_from(parsed.int(MAX_NUM_RETRIES)).unwrap_or(0),
        retry_defer: millis(parsed.int(RETRIES_DEFER_TIMEOUT)),
        rate_limit_every: u32::try_from(parsed.int(RATE_LIMITING_EVERY_N)).unwrap_or(0),
        rate_limit_timeout: millis(parsed.int(RATE_LIMITING_TIMEOUT)),
        cdc,
    })
}

fn parse_id_strategy(parsed: &ParsedConfig, issues: &mut IssueCollector) -> IdStrategy {
    let kind = match IdStrategyKind::from_class(&parsed.string(ID_STRATEGY)) {
        Some(kind) => kind,
        None => {
            issues.push(ID_STRATEGY, unknown_class(parsed, ID_STRATEGY));
            IdStrategyKind::BsonOid
        }
    };
    let partial_key = projection(parsed, ID_PARTIAL_KEY_TYPE, ID_PARTIAL_KEY_LIST);
    let partial_value = projection(parsed, ID_PARTIAL_VALUE_TYPE, ID_PARTIAL_VALUE_LIST);
    for (needed, projection, type_key) in [
        (
            IdStrategyKind::PartialKey,
            &partial_key,
            ID_PARTIAL_KEY_TYPE,
        ),
        (
            IdStrategyKind::PartialValue,
            &partial_value,
            ID_PARTIAL_VALUE_TYPE,
        ),
    ] {
        if kind == needed && projection.ty == ProjectionType::None {
            issues.push(
                type_key,
                format!(
                    "{} needs a projection: set AllowList or BlockList",
                    needed.class_name()
                ),
            );
        }
    }
    IdStrategy {
        kind,
        overwrite_existing: parsed.bool(ID_OVERWRITE_EXISTING),
        uuid_binary: parsed.string(ID_UUID_FORMAT).eq_ignore_ascii_case("binary"),
        partial_key,
        partial_value,
    }
}

/// The projection of a `*.projection.type` / `*.projection.list` pair.
pub fn projection(parsed: &ParsedConfig, type_key: &str, list_key: &str) -> Projection {
    Projection::new(
        ProjectionType::parse(&parsed.string(type_key)),
        parsed.list(list_key),
    )
}

/// The reason for an unknown class name.
pub fn unknown_class(parsed: &ParsedConfig, key: &str) -> String {
    format!("'{}' is not a class this sink supports", parsed.string(key))
}

/// Whether `class` is `<package>.<name>` or the bare `name`: both
/// `com.mongodb.kafka.connect.sink.processor.id.strategy.FullKeyStrategy` and `FullKeyStrategy`
/// are accepted.
pub fn class_matches(class: &str, package: &str, name: &str) -> bool {
    let class = class.trim();
    class == name
        || class
            .strip_prefix(package)
            .and_then(|r| r.strip_prefix('.'))
            == Some(name)
}

fn count(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

fn millis(n: i64) -> Duration {
    Duration::from_millis(u64::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests;
