//! Settings of the file source and sink, with Kafka Connect's FileStream key names.

use sluice_api::config::Validator;
use sluice_api::{ConfigDef, ConfigErrors, ConfigType, Importance, Props};

pub const FILE: &str = "file";
pub const TOPIC: &str = "topic";
pub const BATCH_SIZE: &str = "batch.size";

/// Keys of the file source.
pub fn source_config_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            FILE,
            ConfigType::String,
            Importance::High,
            "Source filename.",
        )
        .validate(Validator::NonEmpty)
        .required(
            TOPIC,
            ConfigType::String,
            Importance::High,
            "The topic to publish data to",
        )
        .validate(Validator::NonEmpty)
        .optional(
            BATCH_SIZE,
            ConfigType::Int,
            Some("2000"),
            Importance::Low,
            "The maximum number of records the source task can read from the file at one time",
        )
        .validate(Validator::AtLeast(1))
}

/// Keys of the file sink (`topics` belongs to the framework).
pub fn sink_config_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            FILE,
            ConfigType::String,
            Importance::High,
            "Destination filename.",
        )
        .validate(Validator::NonEmpty)
}

/// The validated file source settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSourceConfig {
    pub file: String,
    pub topic: String,
    pub batch_size: usize,
}

impl FileSourceConfig {
    /// Parses `props`, reporting every problem at once.
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = source_config_def().parse(props)?;
        Ok(FileSourceConfig {
            file: parsed.string(FILE),
            topic: parsed.string(TOPIC),
            // The validator guarantees at least 1.
            batch_size: usize::try_from(parsed.int(BATCH_SIZE)).unwrap_or(1).max(1),
        })
    }
}

/// The validated file sink settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSinkConfig {
    pub file: String,
}

impl FileSinkConfig {
    /// Parses `props`, reporting every problem at once.
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = sink_config_def().parse(props)?;
        Ok(FileSinkConfig {
            file: parsed.string(FILE),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::config::props;

    #[test]
    fn source_defaults_and_errors() {
        let config =
            FileSourceConfig::parse(&props(&[(FILE, "/tmp/in"), (TOPIC, "lines")])).unwrap();
        assert_eq!(config.batch_size, 2000);
        let err = FileSourceConfig::parse(&props(&[(FILE, " "), (BATCH_SIZE, "0")])).unwrap_err();
        let keys: Vec<_> = err.issues().iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, [FILE, TOPIC, BATCH_SIZE]);
    }

    #[test]
    fn sink_needs_a_file() {
        assert!(FileSinkConfig::parse(&props(&[(FILE, "")])).is_err());
        assert_eq!(
            FileSinkConfig::parse(&props(&[(FILE, "/tmp/out")]))
                .unwrap()
                .file,
            "/tmp/out"
        );
    }
}
