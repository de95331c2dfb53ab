//! InsertField's settings: which metadata goes into which field, and whether it is optional.

use sluice_api::config::{ConfigValue, IssueCollector};
use sluice_api::{ConfigDef, ConfigErrors, ConfigType, Importance, Props};

pub const TOPIC_FIELD: &str = "topic.field";
pub const PARTITION_FIELD: &str = "partition.field";
pub const OFFSET_FIELD: &str = "offset.field";
pub const TIMESTAMP_FIELD: &str = "timestamp.field";
pub const STATIC_FIELD: &str = "static.field";
pub const STATIC_VALUE: &str = "static.value";
pub const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

const OPTIONALITY: &str =
    "Suffix with '!' to make this a required field, or '?' to keep it optional (the default).";

/// Every key InsertField accepts, as Kafka Connect defines them.
pub fn config_def() -> ConfigDef {
    let field = |def: ConfigDef, name: &str, doc: &str| {
        def.optional(
            name,
            ConfigType::String,
            None,
            Importance::Medium,
            &format!("{doc} {OPTIONALITY}"),
        )
    };
    let def = field(ConfigDef::new(), TOPIC_FIELD, "Field name for Kafka topic.");
    let def = field(def, PARTITION_FIELD, "Field name for Kafka partition.");
    let def = field(
        def,
        OFFSET_FIELD,
        "Field name for Kafka offset - only applicable to sink connectors.",
    );
    let def = field(def, TIMESTAMP_FIELD, "Field name for record timestamp.");
    let def = field(def, STATIC_FIELD, "Field name for static data field.");
    def.optional(
        STATIC_VALUE,
        ConfigType::String,
        None,
        Importance::Medium,
        "Static field value, if field name configured.",
    )
    .optional(
        REPLACE_NULL_WITH_DEFAULT,
        ConfigType::Boolean,
        Some("true"),
        Importance::Medium,
        "Whether to replace null fields of the input struct with their schema default when copying them.",
    )
}

/// A field to insert: its name and whether its schema is optional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsertionSpec {
    pub name: String,
    pub optional: bool,
}

impl InsertionSpec {
    /// `name!` is required, `name?` and `name` are optional, as in Kafka Connect.
    fn parse(spec: &str) -> Self {
        if let Some(name) = spec.strip_suffix('?') {
            InsertionSpec {
                name: name.to_string(),
                optional: true,
            }
        } else if let Some(name) = spec.strip_suffix('!') {
            InsertionSpec {
                name: name.to_string(),
                optional: false,
            }
        } else {
            InsertionSpec {
                name: spec.to_string(),
                optional: true,
            }
        }
    }
}

/// The validated InsertField settings.
#[derive(Debug, Clone, PartialEq)]
pub struct InsertFieldConfig {
    pub topic: Option<InsertionSpec>,
    pub partition: Option<InsertionSpec>,
    pub offset: Option<InsertionSpec>,
    pub timestamp: Option<InsertionSpec>,
    /// The static field and its value.
    pub static_field: Option<(InsertionSpec, String)>,
    pub replace_null_with_default: bool,
}

impl InsertFieldConfig {
    /// Parses `props`, reporting every problem at once.
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = config_def().parse(props)?;
        let mut issues = IssueCollector::new();
        let mut spec = |key: &str| {
            let spec = InsertionSpec::parse(&parsed.optional_string(key)?);
            if spec.name.is_empty() {
                issues.push(key, "the field name must not be empty");
            }
            Some(spec)
        };
        let topic = spec(TOPIC_FIELD);
        let partition = spec(PARTITION_FIELD);
        let offset = spec(OFFSET_FIELD);
        let timestamp = spec(TIMESTAMP_FIELD);
        let static_spec = spec(STATIC_FIELD);
        // An empty static value is a legitimate value, so look at the raw parse result.
        let static_value = match parsed.get(STATIC_VALUE) {
            Some(ConfigValue::String(value)) => Some(value.clone()),
            _ => None,
        };
        let static_field = match (static_spec, static_value) {
            (Some(spec), Some(value)) => Some((spec, value)),
            (Some(spec), None) => {
                let reason = format!("no value specified for static field '{}'", spec.name);
                issues.push(STATIC_VALUE, reason);
                None
            }
            (None, _) => None,
        };
        let config = InsertFieldConfig {
            topic,
            partition,
            offset,
            timestamp,
            static_field,
            replace_null_with_default: parsed.bool(REPLACE_NULL_WITH_DEFAULT),
        };
        if config.field_names().is_empty() && issues.is_empty() {
            issues.push(
                TOPIC_FIELD,
                "no field insertion configured: set at least one of topic.field, partition.field, \
                 offset.field, timestamp.field or static.field",
            );
        }
        issues.finish(config)
    }

    /// Names of the fields to insert, for error messages.
    pub fn field_names(&self) -> Vec<&str> {
        [&self.topic, &self.partition, &self.offset, &self.timestamp]
            .into_iter()
            .flatten()
            .chain(self.static_field.as_ref().map(|(spec, _)| spec))
            .map(|spec| spec.name.as_str())
            .collect()
    }
}
