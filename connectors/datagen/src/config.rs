//! Settings of the datagen connector, in Kafka Connect's dotted style.

use sluice_api::config::{ConfigValue, Validator};
use sluice_api::{ConfigDef, ConfigErrors, ConfigType, Importance, Props};

pub const TOPIC: &str = "kafka.topic";
pub const ITERATIONS: &str = "iterations";
pub const RATE: &str = "rate";
pub const BATCH_SIZE: &str = "batch.size";
pub const SEED: &str = "seed";
pub const FLEET_SIZE: &str = "fleet.size";
pub const TIMESTAMP_MODE: &str = "timestamp.mode";
pub const POISON_EVERY: &str = "poison.every";

/// Every key the datagen connector accepts.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .optional(
            TOPIC,
            ConfigType::String,
            Some("vehicle.location.updated"),
            Importance::High,
            "Topic the generated events are written to.",
        )
        .validate(Validator::NonEmpty)
        .optional(
            ITERATIONS,
            ConfigType::Long,
            Some("-1"),
            Importance::Medium,
            "Records each task generates in total (across restarts); -1 means no limit.",
        )
        .validate(Validator::AtLeast(-1))
        .optional(
            RATE,
            ConfigType::Double,
            Some("0"),
            Importance::Medium,
            "Records per second per task; 0 generates as fast as possible.",
        )
        .validate(Validator::Custom(non_negative_finite))
        .optional(
            BATCH_SIZE,
            ConfigType::Int,
            Some("1000"),
            Importance::Low,
            "Maximum number of records returned by one poll.",
        )
        .validate(Validator::AtLeast(1))
        .optional(
            SEED,
            ConfigType::Long,
            Some("0"),
            Importance::Low,
            "Seed of the generator: the same seed yields the same events.",
        )
        .optional(
            FLEET_SIZE,
            ConfigType::Int,
            Some("50"),
            Importance::Low,
            "Number of distinct vehicles (VINs) the events are spread over.",
        )
        // VIN serial numbers have six digits, which keeps every VIN of the fleet distinct.
        .validate(Validator::Between(1, 1_000_000))
        .optional(
            TIMESTAMP_MODE,
            ConfigType::String,
            Some("sequence"),
            Importance::Low,
            "'sequence': event time is a fixed start (2024-01-01T00:00:00Z) plus one second per \
             sequence number, so output is fully deterministic; 'now': the wall clock.",
        )
        .validate(Validator::OneOf(vec!["sequence".into(), "now".into()]))
        .optional(
            POISON_EVERY,
            ConfigType::Long,
            Some("0"),
            Importance::Low,
            "Every Nth record (by sequence number) carries a bare string instead of the event \
             struct, to exercise error handling and dead-letter queues; 0 never.",
        )
        .validate(Validator::AtLeast(0))
}

fn non_negative_finite(value: &ConfigValue) -> Result<(), String> {
    match value {
        ConfigValue::Double(rate) if !rate.is_finite() || *rate < 0.0 => {
            Err("must be a finite number no smaller than 0".to_string())
        }
        _ => Ok(()),
    }
}

/// Where event timestamps come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampMode {
    /// Derived from the sequence number: reproducible.
    Sequence,
    /// The wall clock at generation time.
    Now,
}

/// The validated datagen settings.
#[derive(Debug, Clone, PartialEq)]
pub struct DatagenConfig {
    pub topic: String,
    /// `None` = unlimited.
    pub iterations: Option<u64>,
    /// Records per second; `None` = unthrottled.
    pub rate: Option<f64>,
    pub batch_size: usize,
    pub seed: u64,
    pub fleet_size: u64,
    pub timestamp_mode: TimestampMode,
    /// Every Nth record is malformed; `None` = never.
    pub poison_every: Option<u64>,
}

impl DatagenConfig {
    /// Parses and validates `props`, reporting every problem at once.
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = config_def().parse(props)?;
        let rate = parsed.double(RATE);
        let timestamp_mode = if parsed.string(TIMESTAMP_MODE).eq_ignore_ascii_case("now") {
            TimestampMode::Now
        } else {
            TimestampMode::Sequence
        };
        Ok(DatagenConfig {
            topic: parsed.string(TOPIC),
            // Validators guarantee the ranges, so the conversions only fail for -1 (= unlimited).
            iterations: u64::try_from(parsed.int(ITERATIONS)).ok(),
            rate: (rate > 0.0).then_some(rate),
            batch_size: usize::try_from(parsed.int(BATCH_SIZE)).unwrap_or(1).max(1),
            // The seed is an opaque bit pattern: negative seeds are as good as positive ones.
            seed: parsed.int(SEED) as u64,
            fleet_size: u64::try_from(parsed.int(FLEET_SIZE)).unwrap_or(1).max(1),
            timestamp_mode,
            poison_every: u64::try_from(parsed.int(POISON_EVERY))
                .ok()
                .filter(|n| *n > 0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::config::props;

    #[test]
    fn defaults() {
        let config = DatagenConfig::parse(&Props::new()).unwrap();
        assert_eq!(config.topic, "vehicle.location.updated");
        assert_eq!(config.iterations, None);
        assert_eq!(config.rate, None);
        assert_eq!(config.batch_size, 1000);
        assert_eq!(config.fleet_size, 50);
        assert_eq!(config.timestamp_mode, TimestampMode::Sequence);
    }

    #[test]
    fn reports_every_problem() {
        let bad = props(&[
            (ITERATIONS, "-2"),
            (RATE, "-1"),
            (BATCH_SIZE, "0"),
            (FLEET_SIZE, "x"),
            (TIMESTAMP_MODE, "later"),
        ]);
        let err = DatagenConfig::parse(&bad).unwrap_err();
        let keys: Vec<_> = err.issues().iter().map(|i| i.key.as_str()).collect();
        assert_eq!(
            keys,
            [ITERATIONS, RATE, BATCH_SIZE, FLEET_SIZE, TIMESTAMP_MODE]
        );
    }

    #[test]
    fn parses_values() {
        let config = DatagenConfig::parse(&props(&[
            (ITERATIONS, "10"),
            (RATE, "2.5"),
            (SEED, "-7"),
            (TIMESTAMP_MODE, "NOW"),
        ]))
        .unwrap();
        assert_eq!(config.iterations, Some(10));
        assert_eq!(config.rate, Some(2.5));
        assert_eq!(config.seed, (-7i64) as u64);
        assert_eq!(config.timestamp_mode, TimestampMode::Now);
    }
}
