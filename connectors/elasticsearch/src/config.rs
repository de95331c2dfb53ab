//! Settings of the Elasticsearch sink, with the key names and defaults of Confluent's
//! Elasticsearch sink connector, plus Sluice's own keys for API keys, TLS and the topic → index map.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use sluice_api::config::{ConfigDef, ConfigType, Importance, IssueCollector, Validator};
use sluice_api::{ConfigErrors, Props};

use crate::index::{DataStream, DataStreamType};

pub const CONNECTION_URL: &str = "connection.url";
pub const CONNECTION_USERNAME: &str = "connection.username";
pub const CONNECTION_PASSWORD: &str = "connection.password";
pub const CONNECTION_API_KEY: &str = "connection.api.key";
pub const SSL_CA_LOCATION: &str = "connection.ssl.ca.location";
pub const SSL_VERIFY: &str = "connection.ssl.verify";
pub const READ_TIMEOUT_MS: &str = "read.timeout.ms";
pub const CONNECTION_TIMEOUT_MS: &str = "connection.timeout.ms";
pub const KEY_IGNORE: &str = "key.ignore";
pub const TOPIC_KEY_IGNORE: &str = "topic.key.ignore";
pub const SCHEMA_IGNORE: &str = "schema.ignore";
pub const TOPIC_SCHEMA_IGNORE: &str = "topic.schema.ignore";
pub const WRITE_METHOD: &str = "write.method";
pub const BEHAVIOR_ON_NULL_VALUES: &str = "behavior.on.null.values";
pub const BEHAVIOR_ON_MALFORMED_DOCS: &str = "behavior.on.malformed.documents";
pub const BATCH_SIZE: &str = "batch.size";
pub const BULK_SIZE_BYTES: &str = "bulk.size.bytes";
pub const MAX_IN_FLIGHT_REQUESTS: &str = "max.in.flight.requests";
pub const MAX_BUFFERED_RECORDS: &str = "max.buffered.records";
pub const LINGER_MS: &str = "linger.ms";
pub const FLUSH_TIMEOUT_MS: &str = "flush.timeout.ms";
pub const MAX_RETRIES: &str = "max.retries";
pub const RETRY_BACKOFF_MS: &str = "retry.backoff.ms";
pub const TOPIC_TO_INDEX_MAP: &str = "topic.to.index.map";
pub const DATA_STREAM_TYPE: &str = "data.stream.type";
pub const DATA_STREAM_DATASET: &str = "data.stream.dataset";
pub const DATA_STREAM_NAMESPACE: &str = "data.stream.namespace";
pub const DATA_STREAM_TIMESTAMP_FIELD: &str = "data.stream.timestamp.field";

/// How a record with a value becomes a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMethod {
    /// `index`: the document is replaced as a whole.
    Insert,
    /// `update` with `doc_as_upsert`: created, or only the fields present are changed.
    Upsert,
}

/// What a tombstone (null value) does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullValues {
    Ignore,
    Delete,
    Fail,
}

/// What a document the index rejects as malformed (mapping or parse error) does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MalformedDocuments {
    Ignore,
    Warn,
    Fail,
}

/// Keys of the sink (`topics` belongs to the framework).
pub fn config_def() -> ConfigDef {
    use ConfigType::*;
    use Importance::*;
    ConfigDef::new()
        .required(
            CONNECTION_URL,
            List,
            High,
            "Comma-separated http:// or https:// URLs of the cluster's nodes; requests go round-robin and move on to the next node when one fails.",
        )
        .validate(Validator::NonEmpty)
        .in_group("Connector")
        .optional(CONNECTION_USERNAME, String, None, High, "User name for basic authentication.")
        .in_group("Connector")
        .optional(CONNECTION_PASSWORD, Password, None, High, "Password for basic authentication.")
        .in_group("Connector")
        .optional(
            CONNECTION_API_KEY,
            Password,
            None,
            High,
            "API key: `id:api_key`, or the base64 encoded form Elasticsearch returns. Exclusive with the user name and password.",
        )
        .in_group("Security")
        .optional(
            SSL_CA_LOCATION,
            String,
            None,
            Medium,
            "PEM file of the certificate authority that signed the cluster's certificates (https:// URLs); unset uses the system roots.",
        )
        .in_group("Security")
        .optional(
            SSL_VERIFY,
            Boolean,
            Some("true"),
            Medium,
            "Whether to verify the cluster's certificate; false accepts any certificate (tests only).",
        )
        .in_group("Security")
        .optional(READ_TIMEOUT_MS, Int, Some("3000"), Low, "Time to wait for a response, in milliseconds.")
        .validate(Validator::AtLeast(1))
        .in_group("Connector")
        .optional(CONNECTION_TIMEOUT_MS, Int, Some("1000"), Low, "Time to wait for a connection, in milliseconds.")
        .validate(Validator::AtLeast(1))
        .in_group("Connector")
        .optional(
            KEY_IGNORE,
            Boolean,
            Some("false"),
            High,
            "Whether to ignore record keys: true makes the document _id topic+partition+offset; false uses the key.",
        )
        .in_group("Data Conversion")
        .optional(TOPIC_KEY_IGNORE, List, Some(""), Low, "Topics whose keys are ignored even when key.ignore is false.")
        .in_group("Data Conversion")
        .optional(
            SCHEMA_IGNORE,
            Boolean,
            Some("false"),
            Low,
            "Whether to ignore value schemas: false creates a missing index with a mapping from the record's Connect schema.",
        )
        .in_group("Data Conversion")
        .optional(TOPIC_SCHEMA_IGNORE, List, Some(""), Low, "Topics whose schemas are ignored even when schema.ignore is false.")
        .in_group("Data Conversion")
        .optional(WRITE_METHOD, String, Some("insert"), Low, "insert (replace the document) or upsert (create or update the fields present).")
        .validate(one_of(&["insert", "upsert"]))
        .in_group("Data Conversion")
        .optional(BEHAVIOR_ON_NULL_VALUES, String, Some("fail"), Low, "What a null value does: ignore, delete (the document with the record's _id) or fail.")
        .validate(one_of(&["ignore", "delete", "fail"]))
        .in_group("Data Conversion")
        .optional(
            BEHAVIOR_ON_MALFORMED_DOCS,
            String,
            Some("fail"),
            Low,
            "What a document rejected by a mapping or parse error does: ignore, warn, or fail (goes through errors.tolerance and the dead-letter queue).",
        )
        .validate(one_of(&["ignore", "warn", "fail"]))
        .in_group("Data Conversion")
        .optional(BATCH_SIZE, Int, Some("2000"), Medium, "Most documents in one bulk request.")
        .validate(Validator::AtLeast(1))
        .in_group("Connector")
        .optional(BULK_SIZE_BYTES, Long, Some("5242880"), Low, "Most bytes in one bulk request (a single larger document goes alone).")
        .validate(Validator::AtLeast(1))
        .in_group("Connector")
        .optional(MAX_IN_FLIGHT_REQUESTS, Int, Some("5"), Medium, "Bulk requests sent at the same time.")
        .validate(Validator::AtLeast(1))
        .in_group("Connector")
        .optional(MAX_BUFFERED_RECORDS, Int, Some("20000"), Low, "Accepted for compatibility; each put is written before it returns, so nothing else is buffered.")
        .validate(Validator::AtLeast(1))
        .in_group("Connector")
        .optional(LINGER_MS, Long, Some("1"), Low, "Accepted for compatibility; the consumer's batching decides how many records a put carries.")
        .validate(Validator::AtLeast(0))
        .in_group("Connector")
        .optional(
            FLUSH_TIMEOUT_MS,
            Long,
            Some("180000"),
            Low,
            "Longest time one put may take writing its records, retries included; past it the put fails as retriable and the runtime delivers the records again.",
        )
        .validate(Validator::AtLeast(1))
        .in_group("Connector")
        .optional(MAX_RETRIES, Int, Some("5"), Low, "Retries of a failed request, or of the items of a bulk response that failed with a retriable status (429, 502, 503, 504).")
        .validate(Validator::AtLeast(0))
        .in_group("Connector")
        .optional(RETRY_BACKOFF_MS, Long, Some("100"), Low, "Base of the exponential backoff between retries (with full jitter), in milliseconds.")
        .validate(Validator::AtLeast(0))
        .in_group("Connector")
        .optional(
            TOPIC_TO_INDEX_MAP,
            List,
            Some(""),
            Medium,
            "Explicit index per topic: topic:index pairs, comma-separated. Other topics use the topic name, lowercased and sanitised.",
        )
        .in_group("Data Conversion")
        .optional(DATA_STREAM_TYPE, String, Some("NONE"), Low, "NONE (indexes), or LOGS or METRICS to write into the data stream {type}-{dataset}-{namespace}.")
        .validate(one_of(&["NONE", "LOGS", "METRICS"]))
        .in_group("Data Stream")
        .optional(DATA_STREAM_DATASET, String, Some(""), Low, "Dataset part of the data stream name; required with a data.stream.type.")
        .in_group("Data Stream")
        .optional(DATA_STREAM_NAMESPACE, String, Some("${topic}"), Low, "Namespace part of the data stream name; ${topic} is replaced by the topic.")
        .in_group("Data Stream")
        .optional(
            DATA_STREAM_TIMESTAMP_FIELD,
            List,
            Some(""),
            Low,
            "Value fields copied into @timestamp (the first present wins); empty uses the record's timestamp.",
        )
        .in_group("Data Stream")
}

fn one_of(values: &[&str]) -> Validator {
    Validator::OneOf(values.iter().map(|v| v.to_string()).collect())
}

/// How requests authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    Basic {
        username: String,
        password: String,
    },
    /// `id:key` split, or the encoded form as given.
    ApiKey {
        id: String,
        key: String,
    },
    EncodedApiKey(String),
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    pub urls: Vec<String>,
    pub auth: Auth,
    pub ca_location: Option<String>,
    pub verify_certificates: bool,
    pub read_timeout: Duration,
    pub connection_timeout: Duration,
}

/// The validated sink settings.
#[derive(Debug, Clone)]
pub struct SinkConfig {
    pub connection: ConnectionSettings,
    pub key_ignore: bool,
    pub topic_key_ignore: BTreeSet<String>,
    pub schema_ignore: bool,
    pub topic_schema_ignore: BTreeSet<String>,
    pub write_method: WriteMethod,
    pub null_values: NullValues,
    pub malformed: MalformedDocuments,
    pub batch_size: usize,
    pub bulk_size_bytes: usize,
    pub max_in_flight: usize,
    pub flush_timeout: Duration,
    pub max_retries: u32,
    pub retry_backoff: Duration,
    pub topic_to_index: BTreeMap<String, String>,
    pub data_stream: Option<DataStream>,
    pub timestamp_fields: Vec<String>,
}

impl SinkConfig {
    /// Parses `props`, reporting every problem at once.
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let mut issues = IssueCollector::new();
        let Some(parsed) = config_def().parse_collecting(props, &mut issues) else {
            return Err(issues.into_errors());
        };
        let urls = parsed.list(CONNECTION_URL);
        for url in &urls {
            let lower = url.to_ascii_lowercase();
            if !(lower.starts_with("http://") || lower.starts_with("https://")) {
                issues.push(
                    CONNECTION_URL,
                    format!("'{url}' is not an http:// or https:// URL"),
                );
            }
        }
        let auth = parse_auth(&parsed, &mut issues);
        let write_method = match parsed.string(WRITE_METHOD).to_ascii_lowercase().as_str() {
            "upsert" => WriteMethod::Upsert,
            _ => WriteMethod::Insert,
        };
        let null_values = match parsed
            .string(BEHAVIOR_ON_NULL_VALUES)
            .to_ascii_lowercase()
            .as_str()
        {
            "ignore" => NullValues::Ignore,
            "delete" => NullValues::Delete,
            _ => NullValues::Fail,
        };
        let malformed = match parsed
            .string(BEHAVIOR_ON_MALFORMED_DOCS)
            .to_ascii_lowercase()
            .as_str()
        {
            "ignore" => MalformedDocuments::Ignore,
            "warn" => MalformedDocuments::Warn,
            _ => MalformedDocuments::Fail,
        };
        let key_ignore = parsed.bool(KEY_IGNORE);
        if null_values == NullValues::Delete && key_ignore {
            issues.push(
                BEHAVIOR_ON_NULL_VALUES,
                "behavior.on.null.values=delete needs document ids from record keys: set key.ignore=false",
            );
        }
        let topic_to_index = parse_index_map(&parsed.list(TOPIC_TO_INDEX_MAP), &mut issues);
        let data_stream = parse_data_stream(&parsed, &mut issues);
        if data_stream.is_some() {
            if write_method == WriteMethod::Upsert {
                issues.push(
                    WRITE_METHOD,
                    "data streams are append-only: write.method=upsert cannot be used with a data.stream.type",
                );
            }
            if null_values == NullValues::Delete {
                issues.push(
                    BEHAVIOR_ON_NULL_VALUES,
                    "data streams are append-only: behavior.on.null.values=delete cannot be used with a data.stream.type",
                );
            }
            if !topic_to_index.is_empty() {
                issues.push(
                    TOPIC_TO_INDEX_MAP,
                    "topic.to.index.map cannot be used with a data.stream.type (the data stream name is built from it)",
                );
            }
        }
        issues.finish(())?;
        Ok(SinkConfig {
            connection: ConnectionSettings {
                urls,
                auth,
                ca_location: parsed.optional_string(SSL_CA_LOCATION),
                verify_certificates: parsed.bool(SSL_VERIFY),
                read_timeout: millis(parsed.int(READ_TIMEOUT_MS)),
                connection_timeout: millis(parsed.int(CONNECTION_TIMEOUT_MS)),
            },
            key_ignore,
            topic_key_ignore: parsed.list(TOPIC_KEY_IGNORE).into_iter().collect(),
            schema_ignore: parsed.bool(SCHEMA_IGNORE),
            topic_schema_ignore: parsed.list(TOPIC_SCHEMA_IGNORE).into_iter().collect(),
            write_method,
            null_values,
            malformed,
            batch_size: count(parsed.int(BATCH_SIZE)),
            bulk_size_bytes: count(parsed.int(BULK_SIZE_BYTES)),
            max_in_flight: count(parsed.int(MAX_IN_FLIGHT_REQUESTS)),
            flush_timeout: millis(parsed.int(FLUSH_TIMEOUT_MS)),
            max_retries: u32::try_from(parsed.int(MAX_RETRIES)).unwrap_or(0),
            retry_backoff: millis(parsed.int(RETRY_BACKOFF_MS)),
            topic_to_index,
            data_stream,
            timestamp_fields: parsed.list(DATA_STREAM_TIMESTAMP_FIELD),
        })
    }

    /// Whether documents of `topic` take their `_id` from the record key.
    pub fn uses_key(&self, topic: &str) -> bool {
        !self.key_ignore && !self.topic_key_ignore.contains(topic)
    }

    /// Whether a missing index for `topic` is created with a mapping from the value schema.
    pub fn uses_schema(&self, topic: &str) -> bool {
        !self.schema_ignore
            && !self.topic_schema_ignore.contains(topic)
            && self.data_stream.is_none()
    }
}

fn millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

fn count(n: i64) -> usize {
    usize::try_from(n).unwrap_or(1).max(1)
}

fn parse_auth(parsed: &sluice_api::ParsedConfig, issues: &mut IssueCollector) -> Auth {
    let username = parsed.optional_string(CONNECTION_USERNAME);
    let password = parsed.optional_string(CONNECTION_PASSWORD);
    let api_key = parsed.optional_string(CONNECTION_API_KEY);
    if api_key.is_some() && (username.is_some() || password.is_some()) {
        issues.push(
            CONNECTION_API_KEY,
            "set either connection.api.key or connection.username and connection.password, not both",
        );
    }
    match (username, password, api_key) {
        (_, _, Some(key)) => match key.split_once(':') {
            Some((id, key)) if !id.is_empty() && !key.is_empty() => Auth::ApiKey {
                id: id.to_string(),
                key: key.to_string(),
            },
            _ => Auth::EncodedApiKey(key),
        },
        (Some(username), Some(password), None) => Auth::Basic { username, password },
        (Some(_), None, None) => {
            issues.push(
                CONNECTION_PASSWORD,
                "connection.username is set without a password",
            );
            Auth::None
        }
        (None, Some(_), None) => {
            issues.push(
                CONNECTION_USERNAME,
                "connection.password is set without a user name",
            );
            Auth::None
        }
        (None, None, None) => Auth::None,
    }
}

fn parse_index_map(entries: &[String], issues: &mut IssueCollector) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for entry in entries {
        match entry.split_once(':').map(|(t, i)| (t.trim(), i.trim())) {
            Some((topic, index)) if !topic.is_empty() && !index.is_empty() => {
                if let Err(reason) = crate::index::check_index_name(index) {
                    issues.push(
                        TOPIC_TO_INDEX_MAP,
                        format!("index '{index}' for topic '{topic}': {reason}"),
                    );
                }
                if map.insert(topic.to_string(), index.to_string()).is_some() {
                    issues.push(
                        TOPIC_TO_INDEX_MAP,
                        format!("topic '{topic}' is mapped twice"),
                    );
                }
            }
            _ => issues.push(
                TOPIC_TO_INDEX_MAP,
                format!("'{entry}' is not a topic:index pair"),
            ),
        }
    }
    map
}

fn parse_data_stream(
    parsed: &sluice_api::ParsedConfig,
    issues: &mut IssueCollector,
) -> Option<DataStream> {
    let ty = match parsed
        .string(DATA_STREAM_TYPE)
        .to_ascii_uppercase()
        .as_str()
    {
        "LOGS" => DataStreamType::Logs,
        "METRICS" => DataStreamType::Metrics,
        _ => return None,
    };
    let dataset = parsed.string(DATA_STREAM_DATASET);
    if dataset.is_empty() {
        issues.push(
            DATA_STREAM_DATASET,
            "required when data.stream.type is LOGS or METRICS",
        );
        return None;
    }
    let valid = dataset.len() <= 100
        && dataset
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
        && !dataset.starts_with(['_', '.']);
    if !valid {
        issues.push(
            DATA_STREAM_DATASET,
            format!("'{dataset}' must be at most 100 lowercase letters, digits, '_' or '.', not starting with '_' or '.'"),
        );
    }
    let namespace = parsed
        .optional_string(DATA_STREAM_NAMESPACE)
        .unwrap_or_else(|| "${topic}".to_string());
    Some(DataStream {
        ty,
        dataset,
        namespace,
    })
}

#[cfg(test)]
mod tests;
