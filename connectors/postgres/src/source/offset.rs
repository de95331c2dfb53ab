//! Source partitions and offsets in the Confluent JDBC source's format, so that offsets stored
//! by either connector resume the other.
//!
//! Partition: `{"table": <name>}` per table, `{"query": "query"}` for a custom query. Offset:
//! `{"incrementing": <long>}`, `{"timestamp": <ms since epoch>, "timestamp_nanos": <ns within
//! the second>}`, or all three, as Confluent's `TimestampIncrementingOffset` writes them.

use sluice_api::{ConnectError, ConnectResult, OffsetMap};

pub const TABLE_KEY: &str = "table";
pub const QUERY_KEY: &str = "query";
/// The value of the `query` key, as Confluent writes it.
pub const QUERY_VALUE: &str = "query";
pub const INCREMENTING_FIELD: &str = "incrementing";
pub const TIMESTAMP_FIELD: &str = "timestamp";
pub const TIMESTAMP_NANOS_FIELD: &str = "timestamp_nanos";

/// Where the last emitted row of a partition stands. Timestamps are microseconds since the
/// epoch, PostgreSQL's own precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub timestamp_micros: Option<i64>,
    pub incrementing: Option<i64>,
}

/// The incrementing value a first run starts above, as Confluent's.
pub const INITIAL_INCREMENTING: i64 = -1;
/// The timestamp a first run starts after: the epoch, as Confluent's.
pub const INITIAL_TIMESTAMP_MICROS: i64 = 0;

/// The source partition of a table.
pub fn table_partition(name: &str) -> OffsetMap {
    let mut partition = OffsetMap::new();
    partition.insert(TABLE_KEY.to_string(), name.into());
    partition
}

/// The source partition of the custom query.
pub fn query_partition() -> OffsetMap {
    let mut partition = OffsetMap::new();
    partition.insert(QUERY_KEY.to_string(), QUERY_VALUE.into());
    partition
}

impl Position {
    /// The offset map of this position; empty for bulk reads.
    pub fn encode(&self) -> OffsetMap {
        let mut offset = OffsetMap::new();
        if let Some(incrementing) = self.incrementing {
            offset.insert(INCREMENTING_FIELD.to_string(), incrementing.into());
        }
        if let Some(micros) = self.timestamp_micros {
            let (millis, nanos) = split_micros(micros);
            offset.insert(TIMESTAMP_FIELD.to_string(), millis.into());
            offset.insert(TIMESTAMP_NANOS_FIELD.to_string(), nanos.into());
        }
        offset
    }

    /// Reads a stored offset; `what` names the partition in errors. Fields the stored offset
    /// lacks stay `None`.
    pub fn decode(offset: &OffsetMap, what: &str) -> ConnectResult<Position> {
        let incrementing = long_field(offset, INCREMENTING_FIELD, what)?;
        let millis = long_field(offset, TIMESTAMP_FIELD, what)?;
        let nanos = long_field(offset, TIMESTAMP_NANOS_FIELD, what)?;
        let timestamp_micros = match (millis, nanos) {
            (Some(millis), Some(nanos)) => Some(join_micros(millis, nanos)),
            // Older offsets may carry milliseconds only.
            (Some(millis), None) => Some(millis.saturating_mul(1000)),
            (None, _) => None,
        };
        Ok(Position {
            timestamp_micros,
            incrementing,
        })
    }
}

/// Splits microseconds since the epoch as `java.sql.Timestamp` does: milliseconds since the
/// epoch, and nanoseconds within the (floored) second.
pub fn split_micros(micros: i64) -> (i64, i64) {
    let millis = micros.div_euclid(1000);
    let nanos = micros.rem_euclid(1_000_000) * 1000;
    (millis, nanos)
}

/// Rebuilds microseconds since the epoch from `split_micros`' parts. The milliseconds give the
/// second, the nanoseconds everything within it.
pub fn join_micros(millis: i64, nanos: i64) -> i64 {
    let seconds = millis.div_euclid(1000);
    seconds
        .saturating_mul(1_000_000)
        .saturating_add(nanos.div_euclid(1000))
}

fn long_field(offset: &OffsetMap, field: &str, what: &str) -> ConnectResult<Option<i64>> {
    match offset.get(field) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(value) => value.as_i64().map(Some).ok_or_else(|| {
            ConnectError::fatal(format!(
                "stored offset of {what}: field {field} is {value}, expected an integer"
            ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_microseconds() {
        for micros in [
            0,
            1,
            999,
            1_000,
            1_700_000_000_123_456,
            -1,
            -1_500_001,
            -62_135_596_800_000_000,
        ] {
            let position = Position {
                timestamp_micros: Some(micros),
                incrementing: Some(7),
            };
            let decoded = Position::decode(&position.encode(), "t").unwrap();
            assert_eq!(decoded, position, "{micros}");
        }
    }

    #[test]
    fn encodes_like_java_sql_timestamp() {
        // 2023-11-14T22:13:20.123456Z
        let offset = Position {
            timestamp_micros: Some(1_700_000_000_123_456),
            incrementing: None,
        }
        .encode();
        assert_eq!(
            serde_json::Value::Object(offset).to_string(),
            r#"{"timestamp":1700000000123,"timestamp_nanos":123456000}"#
        );
        // Before the epoch the nanoseconds stay positive, counted from the floored second.
        let (millis, nanos) = split_micros(-1_500_001);
        assert_eq!((millis, nanos), (-1_501, 499_999_000));
    }

    #[test]
    fn incrementing_only_and_bulk() {
        let offset = Position {
            timestamp_micros: None,
            incrementing: Some(42),
        }
        .encode();
        assert_eq!(
            serde_json::Value::Object(offset).to_string(),
            r#"{"incrementing":42}"#
        );
        assert!(Position::default().encode().is_empty());
    }

    #[test]
    fn reads_millisecond_only_offsets_and_rejects_bad_types() {
        let offset: OffsetMap = serde_json::from_str(r#"{"timestamp": 1500}"#).unwrap();
        assert_eq!(
            Position::decode(&offset, "t").unwrap().timestamp_micros,
            Some(1_500_000)
        );
        let offset: OffsetMap = serde_json::from_str(r#"{"incrementing": "x"}"#).unwrap();
        let err = Position::decode(&offset, "table orders").unwrap_err();
        assert!(err.to_string().contains("table orders"), "{err}");
    }

    #[test]
    fn partitions_match_confluent() {
        assert_eq!(
            serde_json::Value::Object(table_partition("orders")).to_string(),
            r#"{"table":"orders"}"#
        );
        assert_eq!(
            serde_json::Value::Object(query_partition()).to_string(),
            r#"{"query":"query"}"#
        );
    }
}
