//! The `vehicle.location.updated` event: its schema and the record for one sequence number.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use sluice_api::{Field, OffsetMap, Record, Schema, SchemaRef, Struct, Value};

use crate::config::{DatagenConfig, TimestampMode};
use crate::fleet;
use crate::rng::Draw;

/// Name of the value schema, also the default topic.
pub const EVENT_NAME: &str = "vehicle.location.updated";
/// Event time of sequence number 0 in `sequence` mode: 2024-01-01T00:00:00Z.
const START_EPOCH_MS: i64 = 1_704_067_200_000;
/// Event-time step between consecutive sequence numbers in `sequence` mode.
const STEP_MS: i64 = 1_000;
/// Source-offset field holding the sequence number of the last record.
pub const SEQ_FIELD: &str = "seq";
/// Source-partition field holding the task id.
pub const TASK_FIELD: &str = "task";

/// The value schema of the event.
pub fn value_schema() -> Schema {
    Schema::structure(vec![
        Field::new("eventId", Schema::string()),
        Field::new("timestamp", Schema::timestamp()),
        Field::new("vin", Schema::string()),
        Field::new("latitude", Schema::float64()),
        Field::new("longitude", Schema::float64()),
        Field::new("speed", Schema::float64().with_doc("km/h")),
    ])
    .named(EVENT_NAME)
}

/// The source partition of a task: each task generates its own sequence.
pub fn source_partition(task_id: u32) -> OffsetMap {
    let mut partition = OffsetMap::new();
    partition.insert(TASK_FIELD.to_string(), task_id.into());
    partition
}

/// Builds the records of one task; a record depends only on the config, the task and `seq`.
#[derive(Debug, Clone)]
pub struct EventGenerator {
    topic: String,
    seed: u64,
    task_id: u32,
    fleet_size: u64,
    timestamp_mode: TimestampMode,
    poison_every: Option<u64>,
    key_schema: SchemaRef,
    value_schema: SchemaRef,
    partition: OffsetMap,
}

impl EventGenerator {
    pub fn new(config: &DatagenConfig, task_id: u32) -> Self {
        EventGenerator {
            topic: config.topic.clone(),
            seed: config.seed,
            task_id,
            fleet_size: config.fleet_size,
            timestamp_mode: config.timestamp_mode,
            poison_every: config.poison_every,
            key_schema: Arc::new(Schema::string()),
            value_schema: Arc::new(value_schema()),
            partition: source_partition(task_id),
        }
    }

    /// The record with sequence number `seq`.
    pub fn record(&self, seq: u64) -> Record {
        let mut draw = Draw::new(&[self.seed, u64::from(self.task_id), seq]);
        let event_id = uuid(&mut draw);
        let vehicle = fleet::vehicle(self.seed, draw.below(self.fleet_size));
        // A vehicle moves within a few kilometres of its home; one in six is parked.
        let latitude = round(vehicle.home_latitude + draw.range(-0.05, 0.05), 6);
        let longitude = round(vehicle.home_longitude + draw.range(-0.05, 0.05), 6);
        let speed = if draw.below(6) == 0 {
            0.0
        } else {
            round(draw.range(5.0, 130.0), 1)
        };
        let timestamp = self.timestamp(seq);

        let value = Struct::new()
            .with("eventId", Value::String(event_id))
            .with("timestamp", Value::Timestamp(timestamp))
            .with("vin", Value::String(vehicle.vin.clone()))
            .with("latitude", Value::Float64(latitude))
            .with("longitude", Value::Float64(longitude))
            .with("speed", Value::Float64(speed));
        let mut offset = OffsetMap::new();
        offset.insert(SEQ_FIELD.to_string(), seq.into());

        let value = match self.poison_every {
            Some(every) if (seq + 1).is_multiple_of(every) => (
                Some(Arc::new(Schema::string())),
                Value::String(format!("poison {seq}")),
            ),
            _ => (Some(self.value_schema.clone()), Value::Struct(value)),
        };
        Record::new(self.topic.clone())
            .with_key(Some(self.key_schema.clone()), Value::String(vehicle.vin))
            .with_value(value.0, value.1)
            .with_timestamp(timestamp)
            .with_source(self.partition.clone(), offset)
    }

    fn timestamp(&self, seq: u64) -> i64 {
        match self.timestamp_mode {
            TimestampMode::Sequence => i64::try_from(seq)
                .unwrap_or(i64::MAX)
                .saturating_mul(STEP_MS)
                .saturating_add(START_EPOCH_MS),
            TimestampMode::Now => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        }
    }
}

/// A version-4-formatted UUID from the stream (deterministic, hence not truly random).
fn uuid(draw: &mut Draw) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&draw.next_u64().to_be_bytes());
    bytes[8..].copy_from_slice(&draw.next_u64().to_be_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Rounds to `digits` decimals so that values print compactly in JSON.
fn round(x: f64, digits: i32) -> f64 {
    let factor = 10f64.powi(digits);
    (x * factor).round() / factor
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poison_every_nth_record() {
        let mut config = DatagenConfig::parse(&Props::new()).unwrap();
        config.poison_every = Some(3);
        let generator = EventGenerator::new(&config, 0);
        let kinds: Vec<bool> = (0..6)
            .map(|seq| matches!(generator.record(seq).value, Value::String(_)))
            .collect();
        assert_eq!(kinds, [false, false, true, false, false, true]);
    }
    use sluice_api::Props;

    fn generator(task_id: u32) -> EventGenerator {
        let config = DatagenConfig::parse(&Props::new()).unwrap();
        EventGenerator::new(&config, task_id)
    }

    #[test]
    fn records_are_deterministic() {
        assert_eq!(generator(0).record(5), generator(0).record(5));
        assert_ne!(generator(0).record(5).value, generator(1).record(5).value);
        assert_ne!(generator(0).record(5).value, generator(0).record(6).value);
    }

    #[test]
    fn record_shape() {
        let record = generator(3).record(2);
        assert_eq!(record.topic, EVENT_NAME);
        assert_eq!(record.timestamp, Some(START_EPOCH_MS + 2 * STEP_MS));
        assert_eq!(record.source_partition, Some(source_partition(3)));
        assert_eq!(
            record.source_offset.as_ref().and_then(|o| o.get(SEQ_FIELD)),
            Some(&2.into())
        );
        let Value::Struct(value) = &record.value else {
            panic!("not a struct: {record:?}")
        };
        let names: Vec<_> = value.fields().iter().map(|(n, _)| n.as_str()).collect();
        let schema = record.value_schema.as_deref().unwrap();
        let schema_names: Vec<_> = schema.fields().iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, schema_names);
        assert_eq!(value.get("vin"), Some(&record.key));
        let Some(Value::String(id)) = value.get("eventId") else {
            panic!("no eventId")
        };
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        let Some(Value::Float64(lat)) = value.get("latitude") else {
            panic!("no latitude")
        };
        assert!((-90.0..=90.0).contains(lat));
        let Some(Value::Float64(speed)) = value.get("speed") else {
            panic!("no speed")
        };
        assert!((0.0..=130.0).contains(speed));
    }

    #[test]
    fn vins_come_from_the_fleet() {
        let config = DatagenConfig::parse(
            &[("fleet.size".to_string(), "3".to_string())]
                .into_iter()
                .collect(),
        )
        .unwrap();
        let generator = EventGenerator::new(&config, 0);
        let mut vins: Vec<Value> = (0..100).map(|seq| generator.record(seq).key).collect();
        vins.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        vins.dedup();
        assert_eq!(vins.len(), 3);
    }
}
