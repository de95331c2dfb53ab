//! Settings of the source, with the key names, defaults and accepted values of the official
//! MongoDB Kafka source connector (`MongoSourceConfig`), so that its configs run unchanged.

use std::time::Duration;

use mongodb::bson::{Document, Timestamp};
use sluice_api::config::{IssueCollector, ParsedConfig, Validator};
use sluice_api::{ConfigDef, ConfigErrors, ConfigType, Importance, Props};

use sluice_api::SchemaRef;

use super::json::JsonFormatter;
use super::schema::{DEFAULT_KEY_SCHEMA, DEFAULT_VALUE_SCHEMA, parse_avro};
use super::topic::TopicMapper;

mod values;

use values::{
    canonical_before_change, canonical_full_document, check_formatter, check_full_document,
    check_full_document_before_change, check_json_object, check_operation_time,
    check_output_format, check_pipeline, check_regex, check_uri, output_format,
};
pub use values::{json_document, operation_time, pipeline_of};

pub const CONNECTION_URI: &str = "connection.uri";
pub const DATABASE: &str = "database";
pub const COLLECTION: &str = "collection";
pub const PIPELINE: &str = "pipeline";
pub const BATCH_SIZE: &str = "batch.size";
pub const PUBLISH_FULL_DOCUMENT_ONLY: &str = "publish.full.document.only";
pub const TOMBSTONE_ON_DELETE: &str = "publish.full.document.only.tombstone.on.delete";
pub const FULL_DOCUMENT: &str = "change.stream.full.document";
pub const FULL_DOCUMENT_BEFORE_CHANGE: &str = "change.stream.full.document.before.change";
pub const DOCUMENT_KEY_AS_KEY: &str = "change.stream.document.key.as.key";
pub const COLLATION: &str = "collation";
pub const STARTUP_MODE: &str = "startup.mode";
pub const START_AT_OPERATION_TIME: &str = "startup.mode.timestamp.start.at.operation.time";
pub const COPY_EXISTING_PIPELINE: &str = "startup.mode.copy.existing.pipeline";
pub const COPY_EXISTING_NAMESPACE_REGEX: &str = "startup.mode.copy.existing.namespace.regex";
pub const COPY_EXISTING_MAX_THREADS: &str = "startup.mode.copy.existing.max.threads";
pub const COPY_EXISTING_QUEUE_SIZE: &str = "startup.mode.copy.existing.queue.size";
pub const COPY_EXISTING_ALLOW_DISK_USE: &str = "startup.mode.copy.existing.allow.disk.use";
/// Deprecated spelling of `startup.mode=copy_existing`.
pub const COPY_EXISTING: &str = "copy.existing";
pub const LEGACY_COPY_EXISTING_PIPELINE: &str = "copy.existing.pipeline";
pub const LEGACY_COPY_EXISTING_NAMESPACE_REGEX: &str = "copy.existing.namespace.regex";
pub const LEGACY_COPY_EXISTING_MAX_THREADS: &str = "copy.existing.max.threads";
pub const LEGACY_COPY_EXISTING_QUEUE_SIZE: &str = "copy.existing.queue.size";
pub const LEGACY_COPY_EXISTING_ALLOW_DISK_USE: &str = "copy.existing.allow.disk.use";
pub const POLL_MAX_BATCH_SIZE: &str = "poll.max.batch.size";
pub const POLL_AWAIT_TIME_MS: &str = "poll.await.time.ms";
pub const TOPIC_PREFIX: &str = "topic.prefix";
pub const TOPIC_SUFFIX: &str = "topic.suffix";
pub const TOPIC_SEPARATOR: &str = "topic.separator";
pub const TOPIC_NAMESPACE_MAP: &str = "topic.namespace.map";
pub const TOPIC_MAPPER: &str = "topic.mapper";
pub const HEARTBEAT_INTERVAL_MS: &str = "heartbeat.interval.ms";
pub const HEARTBEAT_TOPIC_NAME: &str = "heartbeat.topic.name";
pub const OFFSET_PARTITION_NAME: &str = "offset.partition.name";
pub const OUTPUT_FORMAT_KEY: &str = "output.format.key";
pub const OUTPUT_FORMAT_VALUE: &str = "output.format.value";
pub const OUTPUT_JSON_FORMATTER: &str = "output.json.formatter";
pub const OUTPUT_SCHEMA_KEY: &str = "output.schema.key";
pub const OUTPUT_SCHEMA_VALUE: &str = "output.schema.value";
pub const OUTPUT_SCHEMA_INFER_VALUE: &str = "output.schema.infer.value";
/// The framework's tolerance, which also decides what happens to a lost resume token.
pub const ERRORS_TOLERANCE: &str = "errors.tolerance";
/// The connector's own override of `errors.tolerance`.
pub const MONGO_ERRORS_TOLERANCE: &str = "mongo.errors.tolerance";

pub const DEFAULT_TOPIC_MAPPER: &str =
    "com.mongodb.kafka.connect.source.topic.mapping.DefaultTopicMapper";
const DEFAULT_URI: &str = "mongodb://localhost:27017,localhost:27018,localhost:27019";

/// Keys of the official connector that Sluice does not implement: setting one is an error
/// rather than a silent no-op.
const UNSUPPORTED: [(&str, &str); 5] = [
    (
        "mongo.errors.deadletterqueue.topic.name",
        "use the framework's errors.deadletterqueue.topic.name",
    ),
    (
        "mongo.errors.log.enable",
        "use the framework's errors.log.enable",
    ),
    ("server.api.version", "the Stable API is not supported"),
    (
        "change.stream.show.expanded.events",
        "expanded events are not supported",
    ),
    ("provider", "not supported"),
];

/// Where a change stream without a stored offset starts.
#[derive(Debug, Clone, PartialEq)]
pub enum StartupMode {
    /// Only changes made after the stream opened.
    Latest,
    /// At an operation time; `None` behaves as `Latest`, as in the official connector.
    Timestamp(Option<Timestamp>),
    /// Every existing document first, then the changes since the copy began.
    CopyExisting(CopyExisting),
}

/// How existing data is copied.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyExisting {
    /// Stages run on each collection before its documents are turned into events.
    pub pipeline: Vec<Document>,
    /// Full-match filter on `db.coll`; `None` copies every namespace the stream covers.
    pub namespace_regex: Option<String>,
    pub allow_disk_use: bool,
}

/// How a key or value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// A JSON string in the configured formatter.
    Json,
    /// The raw BSON bytes of the document.
    Bson,
    /// A Connect struct under `output.schema.key|value` (or the inferred value schema).
    Schema,
}

/// What the change stream watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Deployment,
    Database(String),
    Collection(String, String),
}

impl Target {
    pub fn database(&self) -> &str {
        match self {
            Target::Deployment => "",
            Target::Database(db) | Target::Collection(db, _) => db,
        }
    }

    pub fn collection(&self) -> &str {
        match self {
            Target::Collection(_, coll) => coll,
            _ => "",
        }
    }
}

/// The validated source settings.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub uri: String,
    pub target: Target,
    pub pipeline: Vec<Document>,
    /// Cursor batch size; `None` lets the server choose.
    pub batch_size: Option<u32>,
    pub full_document_only: bool,
    pub tombstone_on_delete: bool,
    /// `updateLookup`, `whenAvailable` or `required`; forced to `updateLookup` by
    /// `publish.full.document.only`.
    pub full_document: Option<String>,
    pub full_document_before_change: Option<String>,
    pub document_key_as_key: bool,
    pub collation: Option<Document>,
    pub startup: StartupMode,
    pub max_batch: usize,
    pub await_time: Duration,
    pub topics: TopicMapper,
    pub heartbeat_interval: Option<Duration>,
    pub heartbeat_topic: String,
    pub offset_partition_name: Option<String>,
    pub key_format: OutputFormat,
    pub value_format: OutputFormat,
    pub key_schema: SchemaRef,
    pub value_schema: SchemaRef,
    /// Values get a schema inferred from each document instead of `value_schema`.
    pub infer_value_schema: bool,
    pub formatter: JsonFormatter,
    /// `errors.tolerance=all` (or `mongo.errors.tolerance=all`): a lost resume token restarts
    /// the stream from the latest change instead of failing the task.
    pub tolerate_errors: bool,
}

/// Every key the source accepts, besides the framework's.
pub fn config_def() -> ConfigDef {
    let def = ConfigDef::new()
        .optional(CONNECTION_URI, ConfigType::Password, Some(DEFAULT_URI), Importance::High, "The MongoDB connection string.")
        .validate(Validator::Custom(check_uri))
        .in_group("Connection")
        .optional(DATABASE, ConfigType::String, Some(""), Importance::Medium, "The database to watch; empty watches the whole deployment.")
        .in_group("Connection")
        .optional(COLLECTION, ConfigType::String, Some(""), Importance::Medium, "The collection to watch; empty watches every collection of the database.")
        .in_group("Connection")
        .optional(PIPELINE, ConfigType::String, Some("[]"), Importance::Medium, "A JSON array of aggregation stages applied to the change stream.")
        .validate(Validator::Custom(check_pipeline))
        .in_group("Change stream")
        .optional(BATCH_SIZE, ConfigType::Int, Some("0"), Importance::Low, "The cursor batch size; 0 lets the server choose.")
        .validate(Validator::AtLeast(0))
        .in_group("Change stream")
        .optional(PUBLISH_FULL_DOCUMENT_ONLY, ConfigType::Boolean, Some("false"), Importance::High, "Publish only the fullDocument of each event (forces change.stream.full.document=updateLookup).")
        .in_group("Change stream")
        .optional(TOMBSTONE_ON_DELETE, ConfigType::Boolean, Some("false"), Importance::Medium, "With publish.full.document.only, send a null value for a delete.")
        .in_group("Change stream")
        .optional(FULL_DOCUMENT, ConfigType::String, Some(""), Importance::Medium, "fullDocument option of the change stream: updateLookup, whenAvailable or required.")
        .validate(Validator::Custom(check_full_document))
        .in_group("Change stream")
        .optional(FULL_DOCUMENT_BEFORE_CHANGE, ConfigType::String, Some(""), Importance::Medium, "fullDocumentBeforeChange option (MongoDB 6.0+): whenAvailable, required, off or default.")
        .validate(Validator::Custom(check_full_document_before_change))
        .in_group("Change stream")
        .optional(DOCUMENT_KEY_AS_KEY, ConfigType::Boolean, Some("false"), Importance::Medium, "Use the event's documentKey as the record key instead of {_id: <resume token>}.")
        .in_group("Change stream")
        .optional(COLLATION, ConfigType::String, Some(""), Importance::Low, "JSON collation options of the change stream.")
        .validate(Validator::Custom(check_json_object))
        .in_group("Change stream")
        .optional(STARTUP_MODE, ConfigType::String, Some(""), Importance::High, "Where to start without a stored offset: latest, timestamp or copy_existing.")
        .validate(Validator::OneOf(vec!["".into(), "latest".into(), "timestamp".into(), "copy_existing".into()]))
        .in_group("Startup")
        .optional(START_AT_OPERATION_TIME, ConfigType::String, Some(""), Importance::Medium, "With startup.mode=timestamp: seconds since the epoch, an ISO-8601 instant, or {\"$timestamp\": {\"t\": .., \"i\": ..}}.")
        .validate(Validator::Custom(check_operation_time))
        .in_group("Startup")
        .optional(COPY_EXISTING, ConfigType::Boolean, Some("false"), Importance::Low, "Deprecated: use startup.mode=copy_existing.")
        .in_group("Startup");
    let def = [
        (
            COPY_EXISTING_PIPELINE,
            LEGACY_COPY_EXISTING_PIPELINE,
            "A JSON array of stages run on each collection while copying.",
        ),
        (
            COPY_EXISTING_NAMESPACE_REGEX,
            LEGACY_COPY_EXISTING_NAMESPACE_REGEX,
            "Only copy namespaces (db.coll) that this regular expression matches in full.",
        ),
    ]
    .into_iter()
    .fold(def, |def, (key, legacy, doc)| {
        let check: fn(&sluice_api::config::ConfigValue) -> Result<(), String> =
            if key == COPY_EXISTING_PIPELINE {
                check_pipeline
            } else {
                check_regex
            };
        def.optional(key, ConfigType::String, Some(""), Importance::Low, doc)
            .validate(Validator::Custom(check))
            .in_group("Startup")
            .optional(
                legacy,
                ConfigType::String,
                Some(""),
                Importance::Low,
                "Deprecated alias.",
            )
            .validate(Validator::Custom(check))
            .in_group("Startup")
    });
    def.optional(
        COPY_EXISTING_MAX_THREADS,
        ConfigType::Int,
        None,
        Importance::Low,
        "Accepted for compatibility: collections are copied one at a time.",
    )
    .validate(Validator::AtLeast(1))
    .in_group("Startup")
    .optional(
        LEGACY_COPY_EXISTING_MAX_THREADS,
        ConfigType::Int,
        None,
        Importance::Low,
        "Deprecated alias.",
    )
    .validate(Validator::AtLeast(1))
    .in_group("Startup")
    .optional(
        COPY_EXISTING_QUEUE_SIZE,
        ConfigType::Int,
        None,
        Importance::Low,
        "Accepted for compatibility: copied documents are read in batches of poll.max.batch.size.",
    )
    .validate(Validator::AtLeast(1))
    .in_group("Startup")
    .optional(
        LEGACY_COPY_EXISTING_QUEUE_SIZE,
        ConfigType::Int,
        None,
        Importance::Low,
        "Deprecated alias.",
    )
    .validate(Validator::AtLeast(1))
    .in_group("Startup")
    .optional(
        COPY_EXISTING_ALLOW_DISK_USE,
        ConfigType::Boolean,
        None,
        Importance::Low,
        "Let the copying aggregation write to disk.",
    )
    .in_group("Startup")
    .optional(
        LEGACY_COPY_EXISTING_ALLOW_DISK_USE,
        ConfigType::Boolean,
        None,
        Importance::Low,
        "Deprecated alias.",
    )
    .in_group("Startup")
    .optional(
        POLL_MAX_BATCH_SIZE,
        ConfigType::Int,
        Some("1000"),
        Importance::Low,
        "Most events returned by one poll.",
    )
    .validate(Validator::AtLeast(1))
    .in_group("Polling")
    .optional(
        POLL_AWAIT_TIME_MS,
        ConfigType::Long,
        Some("5000"),
        Importance::Low,
        "How long the server waits for changes before returning an empty batch.",
    )
    .validate(Validator::AtLeast(1))
    .in_group("Polling")
    .optional(
        TOPIC_PREFIX,
        ConfigType::String,
        Some(""),
        Importance::Medium,
        "Prefix of the topic names.",
    )
    .in_group("Topics")
    .optional(
        TOPIC_SUFFIX,
        ConfigType::String,
        Some(""),
        Importance::Medium,
        "Suffix of the topic names.",
    )
    .in_group("Topics")
    .optional(
        TOPIC_SEPARATOR,
        ConfigType::String,
        Some("."),
        Importance::Low,
        "Joins prefix, database, collection and suffix.",
    )
    .in_group("Topics")
    .optional(
        TOPIC_NAMESPACE_MAP,
        ConfigType::String,
        Some(""),
        Importance::Medium,
        "JSON object mapping namespaces (db, db.coll, /regex/ or *) to topic names.",
    )
    .in_group("Topics")
    .optional(
        TOPIC_MAPPER,
        ConfigType::Class,
        Some(DEFAULT_TOPIC_MAPPER),
        Importance::Low,
        "Only the DefaultTopicMapper is available.",
    )
    .validate(Validator::OneOf(vec![DEFAULT_TOPIC_MAPPER.into()]))
    .in_group("Topics")
    .optional(
        HEARTBEAT_INTERVAL_MS,
        ConfigType::Long,
        Some("0"),
        Importance::Medium,
        "How often a quiet stream publishes its postBatchResumeToken; 0 disables heartbeats.",
    )
    .validate(Validator::AtLeast(0))
    .in_group("Heartbeats")
    .optional(
        HEARTBEAT_TOPIC_NAME,
        ConfigType::String,
        Some("__mongodb_heartbeats"),
        Importance::Low,
        "Topic of the heartbeat records.",
    )
    .validate(Validator::NonEmpty)
    .in_group("Heartbeats")
    .optional(
        OFFSET_PARTITION_NAME,
        ConfigType::String,
        Some(""),
        Importance::Medium,
        "Custom source partition name; change it to start afresh.",
    )
    .in_group("Offsets")
    .optional(
        OUTPUT_FORMAT_KEY,
        ConfigType::String,
        Some("json"),
        Importance::Medium,
        "Key format: json (a JSON string), bson (raw BSON bytes) or schema (a struct under output.schema.key).",
    )
    .validate(Validator::Custom(check_output_format))
    .in_group("Output")
    .optional(
        OUTPUT_FORMAT_VALUE,
        ConfigType::String,
        Some("json"),
        Importance::Medium,
        "Value format: json (a JSON string), bson (raw BSON bytes) or schema (a struct under output.schema.value, or inferred).",
    )
    .validate(Validator::Custom(check_output_format))
    .in_group("Output")
    .optional(
        OUTPUT_JSON_FORMATTER,
        ConfigType::Class,
        Some(JsonFormatter::Default.class_name()),
        Importance::Medium,
        "DefaultJson (legacy strict), ExtendedJson (canonical) or SimplifiedJson.",
    )
    .validate(Validator::Custom(check_formatter))
    .in_group("Output")
    .optional(
        OUTPUT_SCHEMA_INFER_VALUE,
        ConfigType::Boolean,
        Some("false"),
        Importance::Low,
        "Infer each value's schema from its document (output.format.value=schema).",
    )
    .in_group("Output")
    .optional(
        OUTPUT_SCHEMA_KEY,
        ConfigType::String,
        Some(DEFAULT_KEY_SCHEMA),
        Importance::Low,
        "Avro schema of the key for output.format.key=schema.",
    )
    .in_group("Output")
    .optional(
        OUTPUT_SCHEMA_VALUE,
        ConfigType::String,
        Some(DEFAULT_VALUE_SCHEMA),
        Importance::Low,
        "Avro schema of the value for output.format.value=schema.",
    )
    .in_group("Output")
    .optional(
        MONGO_ERRORS_TOLERANCE,
        ConfigType::String,
        None,
        Importance::Medium,
        "Overrides errors.tolerance for the connector's own decisions (none or all).",
    )
    .validate(Validator::OneOf(vec!["none".into(), "all".into()]))
    .in_group("Errors")
}

impl SourceConfig {
    /// Parses `props`, reporting every problem at once, across keys too.
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let mut issues = IssueCollector::new();
        let Some(parsed) = config_def().parse_collecting(props, &mut issues) else {
            return Err(issues.into_errors());
        };
        for (key, reason) in UNSUPPORTED {
            if props.get(key).is_some_and(|v| !v.trim().is_empty()) {
                issues.push(key, format!("not supported by Sluice: {reason}"));
            }
        }
        let target = target(&parsed, &mut issues);
        let full_document_only = parsed.bool(PUBLISH_FULL_DOCUMENT_ONLY);
        let tombstone_on_delete = parsed.bool(TOMBSTONE_ON_DELETE);
        if tombstone_on_delete && !full_document_only {
            issues.push(
                TOMBSTONE_ON_DELETE,
                format!("requires {PUBLISH_FULL_DOCUMENT_ONLY}=true"),
            );
        }
        let full_document = if full_document_only {
            Some("updateLookup".to_string())
        } else {
            parsed
                .optional_string(FULL_DOCUMENT)
                .map(|v| canonical_full_document(&v))
        };
        let full_document_before_change = parsed
            .optional_string(FULL_DOCUMENT_BEFORE_CHANGE)
            .map(|v| canonical_before_change(&v))
            .filter(|v| v != "default");
        let topics = match TopicMapper::new(
            &parsed.string(TOPIC_PREFIX),
            &parsed.string(TOPIC_SUFFIX),
            &raw(props, TOPIC_SEPARATOR).unwrap_or_else(|| ".".to_string()),
            &parsed.string(TOPIC_NAMESPACE_MAP),
        ) {
            Ok(topics) => Some(topics),
            Err(reason) => {
                issues.push(TOPIC_NAMESPACE_MAP, reason);
                None
            }
        };
        let tolerance = parsed
            .optional_string(MONGO_ERRORS_TOLERANCE)
            .or_else(|| raw(props, ERRORS_TOLERANCE))
            .unwrap_or_default();
        let value_format = output_format(&parsed.string(OUTPUT_FORMAT_VALUE));
        let infer_value_schema = parsed.bool(OUTPUT_SCHEMA_INFER_VALUE);
        if infer_value_schema && value_format != OutputFormat::Schema {
            tracing::warn!(
                "{OUTPUT_SCHEMA_INFER_VALUE}=true has no effect unless {OUTPUT_FORMAT_VALUE}=schema"
            );
        }
        let mut schema_of = |key: &str| match parse_avro(&parsed.string(key)) {
            Ok(schema) => SchemaRef::new(schema),
            Err(reason) => {
                issues.push(key, format!("invalid Avro schema: {reason}"));
                SchemaRef::new(sluice_api::Schema::string())
            }
        };
        let key_schema = schema_of(OUTPUT_SCHEMA_KEY);
        let value_schema = schema_of(OUTPUT_SCHEMA_VALUE);
        let startup = startup_mode(&parsed, props);
        let Some(topics) = topics else {
            return Err(issues.into_errors());
        };
        let heartbeat = parsed.int(HEARTBEAT_INTERVAL_MS);
        issues.finish(SourceConfig {
            uri: parsed.string(CONNECTION_URI),
            target,
            pipeline: pipeline_of(&parsed.string(PIPELINE)).unwrap_or_default(),
            batch_size: u32::try_from(parsed.int(BATCH_SIZE))
                .ok()
                .filter(|n| *n > 0),
            full_document_only,
            tombstone_on_delete,
            full_document,
            full_document_before_change,
            document_key_as_key: parsed.bool(DOCUMENT_KEY_AS_KEY),
            collation: parsed
                .optional_string(COLLATION)
                .and_then(|text| json_document(&text).ok()),
            startup,
            max_batch: usize::try_from(parsed.int(POLL_MAX_BATCH_SIZE))
                .unwrap_or(1)
                .max(1),
            await_time: Duration::from_millis(
                u64::try_from(parsed.int(POLL_AWAIT_TIME_MS))
                    .unwrap_or(1)
                    .max(1),
            ),
            topics,
            heartbeat_interval: u64::try_from(heartbeat)
                .ok()
                .filter(|ms| *ms > 0)
                .map(Duration::from_millis),
            heartbeat_topic: parsed.string(HEARTBEAT_TOPIC_NAME),
            offset_partition_name: parsed.optional_string(OFFSET_PARTITION_NAME),
            key_format: output_format(&parsed.string(OUTPUT_FORMAT_KEY)),
            value_format,
            key_schema,
            value_schema,
            infer_value_schema,
            formatter: JsonFormatter::parse(&parsed.string(OUTPUT_JSON_FORMATTER))
                .unwrap_or(JsonFormatter::Default),
            tolerate_errors: tolerance.eq_ignore_ascii_case("all"),
        })
    }
}

/// A prop as written, untrimmed (the separator may be a space), `None` when unset.
fn raw(props: &Props, key: &str) -> Option<String> {
    props.get(key).cloned()
}

fn target(parsed: &ParsedConfig, issues: &mut IssueCollector) -> Target {
    match (
        parsed.optional_string(DATABASE),
        parsed.optional_string(COLLECTION),
    ) {
        (None, None) => Target::Deployment,
        (None, Some(_)) => {
            issues.push(COLLECTION, format!("requires '{DATABASE}' to be set"));
            Target::Deployment
        }
        (Some(db), None) => Target::Database(db),
        (Some(db), Some(coll)) => Target::Collection(db, coll),
    }
}

fn startup_mode(parsed: &ParsedConfig, props: &Props) -> StartupMode {
    let mode = parsed.string(STARTUP_MODE).to_ascii_lowercase();
    // An explicit startup.mode wins over the deprecated copy.existing, as in the official connector.
    let mode = match mode.as_str() {
        "" if parsed.bool(COPY_EXISTING) => "copy_existing".to_string(),
        "" => "latest".to_string(),
        _ => mode,
    };
    match mode.as_str() {
        "timestamp" => StartupMode::Timestamp(
            parsed
                .optional_string(START_AT_OPERATION_TIME)
                .and_then(|text| operation_time(&text).ok()),
        ),
        "copy_existing" => {
            let pick = |key: &str, legacy: &str| {
                parsed
                    .optional_string(key)
                    .or_else(|| parsed.optional_string(legacy))
            };
            let allow_disk_use = [
                COPY_EXISTING_ALLOW_DISK_USE,
                LEGACY_COPY_EXISTING_ALLOW_DISK_USE,
            ]
            .into_iter()
            .find(|k| props.contains_key(*k))
            .is_none_or(|k| parsed.bool(k));
            StartupMode::CopyExisting(CopyExisting {
                pipeline: pick(COPY_EXISTING_PIPELINE, LEGACY_COPY_EXISTING_PIPELINE)
                    .and_then(|text| pipeline_of(&text).ok())
                    .unwrap_or_default(),
                namespace_regex: pick(
                    COPY_EXISTING_NAMESPACE_REGEX,
                    LEGACY_COPY_EXISTING_NAMESPACE_REGEX,
                ),
                allow_disk_use,
            })
        }
        _ => StartupMode::Latest,
    }
}

#[cfg(test)]
mod tests;
