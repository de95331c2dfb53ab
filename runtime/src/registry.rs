//! The one list of every built-in plugin, by Sluice name and by Kafka Connect class name.
//! Adding a plugin means adding one line here.

use sluice_api::{
    ConverterPlugin, PredicatePlugin, SinkConnector, SourceConnector, TransformPlugin,
};

use sluice_transforms::predicates;

use crate::converters;

/// How to build a connector of either direction.
#[derive(Clone, Copy)]
pub enum ConnectorFactory {
    Source(fn() -> Box<dyn SourceConnector>),
    Sink(fn() -> Box<dyn SinkConnector>),
}

impl ConnectorFactory {
    /// `source` or `sink`, as Kafka Connect's REST API spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            ConnectorFactory::Source(_) => "source",
            ConnectorFactory::Sink(_) => "sink",
        }
    }
}

/// One registered plugin.
#[derive(Clone, Copy)]
pub struct Plugin<T> {
    /// Short Sluice name, usable in YAML.
    pub name: &'static str,
    /// Kafka Connect class name (the Sluice name for plugins Kafka Connect does not have).
    pub class: &'static str,
    pub factory: T,
}

impl<T> Plugin<T> {
    const fn new(name: &'static str, class: &'static str, factory: T) -> Self {
        Plugin {
            name,
            class,
            factory,
        }
    }

    /// Matches the Sluice name (any case), the full class name, the simple class name, or the
    /// simple class name without its `Connector` suffix, as Kafka Connect resolves aliases.
    pub fn matches(&self, query: &str) -> bool {
        let query = query.trim();
        let simple = self.class.rsplit('.').next().unwrap_or(self.class);
        self.name.eq_ignore_ascii_case(query)
            || self.class == query
            || simple == query
            || simple.strip_suffix("Connector") == Some(query)
    }
}

impl<T> std::fmt::Debug for Plugin<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name, self.class)
    }
}

/// Every plugin this build of Sluice ships.
#[derive(Debug)]
pub struct Registry {
    pub connectors: Vec<Plugin<ConnectorFactory>>,
    pub transforms: Vec<Plugin<TransformPlugin>>,
    pub predicates: Vec<Plugin<PredicatePlugin>>,
    pub converters: Vec<Plugin<ConverterPlugin>>,
}

impl Registry {
    /// The built-in plugins.
    pub fn builtin() -> Self {
        use ConnectorFactory::{Sink, Source};
        Registry {
            connectors: vec![
                Plugin::new(
                    "datagen",
                    "datagen",
                    Source(sluice_connector_datagen::source),
                ),
                Plugin::new(
                    "file-source",
                    "org.apache.kafka.connect.file.FileStreamSourceConnector",
                    Source(sluice_connector_file::source),
                ),
                Plugin::new(
                    "file-sink",
                    "org.apache.kafka.connect.file.FileStreamSinkConnector",
                    Sink(sluice_connector_file::sink),
                ),
                Plugin::new(
                    "kafka-sink",
                    "kafka-sink",
                    Sink(sluice_connector_kafka::sink),
                ),
                Plugin::new(
                    "elasticsearch-sink",
                    "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
                    Sink(sluice_connector_elasticsearch::sink),
                ),
                Plugin::new(
                    "mongodb-sink",
                    "com.mongodb.kafka.connect.MongoSinkConnector",
                    Sink(sluice_connector_mongodb::sink),
                ),
                Plugin::new(
                    "mongodb-source",
                    "com.mongodb.kafka.connect.MongoSourceConnector",
                    Source(sluice_connector_mongodb::source),
                ),
                Plugin::new(
                    "postgres-source",
                    "io.confluent.connect.jdbc.JdbcSourceConnector",
                    Source(sluice_connector_postgres::source),
                ),
                Plugin::new(
                    "postgres-sink",
                    "io.confluent.connect.jdbc.JdbcSinkConnector",
                    Sink(sluice_connector_postgres::sink),
                ),
                Plugin::new(
                    "postgres-cdc-source",
                    "io.debezium.connector.postgresql.PostgresConnector",
                    Source(sluice_connector_postgres::cdc_source),
                ),
            ],
            transforms: builtin_transforms(),
            predicates: vec![
                Plugin::new(
                    "topic-name-matches",
                    "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
                    predicates::TOPIC_NAME_MATCHES,
                ),
                Plugin::new(
                    "has-header-key",
                    "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
                    predicates::HAS_HEADER_KEY,
                ),
                Plugin::new(
                    "record-is-tombstone",
                    "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
                    predicates::RECORD_IS_TOMBSTONE,
                ),
            ],
            converters: vec![
                Plugin::new(
                    "json",
                    "org.apache.kafka.connect.json.JsonConverter",
                    converters::json::PLUGIN,
                ),
                Plugin::new(
                    "string",
                    "org.apache.kafka.connect.storage.StringConverter",
                    converters::string::PLUGIN,
                ),
                Plugin::new(
                    "bytearray",
                    "org.apache.kafka.connect.converters.ByteArrayConverter",
                    converters::bytearray::PLUGIN,
                ),
            ],
        }
    }

    pub fn connector(&self, query: &str) -> Result<&Plugin<ConnectorFactory>, String> {
        find(&self.connectors, query, "connector")
    }

    pub fn transform(&self, query: &str) -> Result<&Plugin<TransformPlugin>, String> {
        find(&self.transforms, query, "transform")
    }

    pub fn predicate(&self, query: &str) -> Result<&Plugin<PredicatePlugin>, String> {
        find(&self.predicates, query, "predicate")
    }

    pub fn converter(&self, query: &str) -> Result<&Plugin<ConverterPlugin>, String> {
        find(&self.converters, query, "converter")
    }
}

/// Finds a plugin; the error lists the known ones so a typo is easy to fix.
fn find<'a, T>(plugins: &'a [Plugin<T>], query: &str, kind: &str) -> Result<&'a Plugin<T>, String> {
    plugins.iter().find(|p| p.matches(query)).ok_or_else(|| {
        let known: Vec<&str> = plugins.iter().map(|p| p.name).collect();
        format!(
            "unknown {kind} class '{query}'; known: {} (or their Kafka Connect class names; `sluice plugins` lists both)",
            known.join(", ")
        )
    })
}

/// Every built-in transform, `$Key`/`$Value` variants side by side.
fn builtin_transforms() -> Vec<Plugin<TransformPlugin>> {
    use sluice_transforms::*;
    vec![
        Plugin::new(
            "cast-key",
            "org.apache.kafka.connect.transforms.Cast$Key",
            cast::KEY_PLUGIN,
        ),
        Plugin::new(
            "cast-value",
            "org.apache.kafka.connect.transforms.Cast$Value",
            cast::VALUE_PLUGIN,
        ),
        Plugin::new(
            "extract-field-key",
            "org.apache.kafka.connect.transforms.ExtractField$Key",
            extract_field::KEY_PLUGIN,
        ),
        Plugin::new(
            "extract-field-value",
            "org.apache.kafka.connect.transforms.ExtractField$Value",
            extract_field::VALUE_PLUGIN,
        ),
        Plugin::new(
            "flatten-key",
            "org.apache.kafka.connect.transforms.Flatten$Key",
            flatten::KEY_PLUGIN,
        ),
        Plugin::new(
            "flatten-value",
            "org.apache.kafka.connect.transforms.Flatten$Value",
            flatten::VALUE_PLUGIN,
        ),
        Plugin::new(
            "header-from-key",
            "org.apache.kafka.connect.transforms.HeaderFrom$Key",
            header_from::KEY_PLUGIN,
        ),
        Plugin::new(
            "header-from-value",
            "org.apache.kafka.connect.transforms.HeaderFrom$Value",
            header_from::VALUE_PLUGIN,
        ),
        Plugin::new(
            "hoist-field-key",
            "org.apache.kafka.connect.transforms.HoistField$Key",
            hoist_field::KEY_PLUGIN,
        ),
        Plugin::new(
            "hoist-field-value",
            "org.apache.kafka.connect.transforms.HoistField$Value",
            hoist_field::VALUE_PLUGIN,
        ),
        Plugin::new(
            "insert-field-key",
            "org.apache.kafka.connect.transforms.InsertField$Key",
            insert_field::KEY_PLUGIN,
        ),
        Plugin::new(
            "insert-field-value",
            "org.apache.kafka.connect.transforms.InsertField$Value",
            insert_field::VALUE_PLUGIN,
        ),
        Plugin::new(
            "mask-field-key",
            "org.apache.kafka.connect.transforms.MaskField$Key",
            mask_field::KEY_PLUGIN,
        ),
        Plugin::new(
            "mask-field-value",
            "org.apache.kafka.connect.transforms.MaskField$Value",
            mask_field::VALUE_PLUGIN,
        ),
        Plugin::new(
            "replace-field-key",
            "org.apache.kafka.connect.transforms.ReplaceField$Key",
            replace_field::KEY_PLUGIN,
        ),
        Plugin::new(
            "replace-field-value",
            "org.apache.kafka.connect.transforms.ReplaceField$Value",
            replace_field::VALUE_PLUGIN,
        ),
        Plugin::new(
            "set-schema-metadata-key",
            "org.apache.kafka.connect.transforms.SetSchemaMetadata$Key",
            set_schema_metadata::KEY_PLUGIN,
        ),
        Plugin::new(
            "set-schema-metadata-value",
            "org.apache.kafka.connect.transforms.SetSchemaMetadata$Value",
            set_schema_metadata::VALUE_PLUGIN,
        ),
        Plugin::new(
            "timestamp-converter-key",
            "org.apache.kafka.connect.transforms.TimestampConverter$Key",
            timestamp_converter::KEY_PLUGIN,
        ),
        Plugin::new(
            "timestamp-converter-value",
            "org.apache.kafka.connect.transforms.TimestampConverter$Value",
            timestamp_converter::VALUE_PLUGIN,
        ),
        Plugin::new(
            "drop-headers",
            "org.apache.kafka.connect.transforms.DropHeaders",
            drop_headers::PLUGIN,
        ),
        Plugin::new(
            "filter",
            "org.apache.kafka.connect.transforms.Filter",
            filter::PLUGIN,
        ),
        Plugin::new(
            "insert-header",
            "org.apache.kafka.connect.transforms.InsertHeader",
            insert_header::PLUGIN,
        ),
        Plugin::new(
            "regex-router",
            "org.apache.kafka.connect.transforms.RegexRouter",
            regex_router::PLUGIN,
        ),
        Plugin::new(
            "timestamp-router",
            "org.apache.kafka.connect.transforms.TimestampRouter",
            timestamp_router::PLUGIN,
        ),
        Plugin::new(
            "value-to-key",
            "org.apache.kafka.connect.transforms.ValueToKey",
            value_to_key::PLUGIN,
        ),
        Plugin::new(
            "extract-new-record-state",
            "io.debezium.transforms.ExtractNewRecordState",
            extract_new_record_state::PLUGIN,
        ),
        Plugin::new("wasm", "sluice.transforms.Wasm", sluice_wasm_host::PLUGIN),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_kafka_connect_aliases() {
        let registry = Registry::builtin();
        for query in [
            "file-sink",
            "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "FileStreamSinkConnector",
            "FileStreamSink",
        ] {
            assert_eq!(
                registry.connector(query).map(|p| p.name),
                Ok("file-sink"),
                "{query}"
            );
        }
        for query in [
            "elasticsearch-sink",
            "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
            "ElasticsearchSink",
        ] {
            assert_eq!(
                registry.connector(query).map(|p| p.name),
                Ok("elasticsearch-sink"),
                "{query}"
            );
        }
        assert_eq!(
            registry.transform("InsertField$Value").map(|p| p.name),
            Ok("insert-field-value")
        );
        assert_eq!(
            registry.converter("JsonConverter").map(|p| p.name),
            Ok("json")
        );
    }

    #[test]
    fn unknown_class_lists_known_ones() {
        let err = Registry::builtin().connector("Nope").unwrap_err();
        assert!(
            err.starts_with(
                "unknown connector class 'Nope'; known: datagen, file-source, file-sink"
            ),
            "{err}"
        );
    }
}
