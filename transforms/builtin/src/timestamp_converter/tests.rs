use sluice_api::config::props;
use sluice_api::{Field, Struct};

use super::*;

/// Transform settings, as key/value pairs.
type Pairs<'a> = &'a [(&'a str, &'a str)];

mod errors;
mod fields;

// Kafka Connect's TimestampConverterTest fixtures: 1970-01-02 plus 1234 ms, in every form.
const FORMAT: &str = "yyyy MM dd HH mm ss SSS z";
const DATE_PLUS_TIME: i64 = 86_401_234;
const DATE_PLUS_TIME_MICROS: i64 = 86_401_234_123;
const DATE_PLUS_TIME_NANOS: i64 = 86_401_234_123_456;
const DATE_PLUS_TIME_SECONDS: i64 = 86_401;
const DATE_PLUS_TIME_STRING: &str = "1970 01 02 00 00 01 234 UTC";

fn transform(pairs: &[(&str, &str)]) -> Box<dyn Transform> {
    (VALUE_PLUGIN.create)(&props(pairs)).unwrap()
}

fn record(schema: Option<Schema>, value: Value) -> Record {
    let mut record = Record::new("events").with_value(schema.map(Arc::new), value);
    record.partition = Some(0);
    record.kafka_offset = Some(7);
    record
}

fn apply(pairs: &[(&str, &str)], schema: Option<Schema>, value: Value) -> (Option<Schema>, Value) {
    let out = transform(pairs)
        .apply(record(schema, value))
        .unwrap()
        .unwrap();
    (out.value_schema.map(|s| (*s).clone()), out.value)
}

fn error(pairs: &[(&str, &str)], schema: Option<Schema>, value: Value) -> String {
    let err = transform(pairs).apply(record(schema, value)).unwrap_err();
    assert!(err.is_record_level(), "{err}");
    err.to_string()
}

fn map(entries: &[(&str, Value)]) -> Value {
    Value::Map(
        entries
            .iter()
            .map(|(k, v)| (Value::from(*k), v.clone()))
            .collect(),
    )
}

#[test]
fn schemaless_whole_values_match_kafka_connect() {
    // Expected values from Kafka Connect's TimestampConverterTest (testSchemaless*).
    let cases: &[(Pairs, Value, Value)] = &[
        (
            &[("target.type", "Timestamp")],
            Value::Timestamp(DATE_PLUS_TIME),
            Value::Timestamp(DATE_PLUS_TIME),
        ),
        (
            &[("target.type", "Date")],
            Value::Timestamp(DATE_PLUS_TIME),
            Value::Date(1),
        ),
        (
            &[("target.type", "Time")],
            Value::Timestamp(DATE_PLUS_TIME),
            Value::Time(1234),
        ),
        (
            &[("target.type", "unix")],
            Value::Timestamp(DATE_PLUS_TIME),
            Value::Int64(DATE_PLUS_TIME),
        ),
        (
            &[("target.type", "string"), ("format", FORMAT)],
            Value::Timestamp(DATE_PLUS_TIME),
            Value::from(DATE_PLUS_TIME_STRING),
        ),
        (
            &[("target.type", "Timestamp")],
            Value::Date(1),
            Value::Timestamp(86_400_000),
        ),
        (
            &[("target.type", "Timestamp")],
            Value::Time(1234),
            Value::Timestamp(1234),
        ),
        (
            &[("target.type", "Timestamp")],
            Value::Int64(DATE_PLUS_TIME),
            Value::Timestamp(DATE_PLUS_TIME),
        ),
        (
            &[("target.type", "Timestamp"), ("format", FORMAT)],
            Value::from(DATE_PLUS_TIME_STRING),
            Value::Timestamp(DATE_PLUS_TIME),
        ),
        (
            &[
                ("target.type", "unix"),
                ("unix.precision", "microseconds"),
                ("format", FORMAT),
            ],
            Value::from(DATE_PLUS_TIME_STRING),
            Value::Int64(86_401_234_000),
        ),
        (
            &[
                ("target.type", "unix"),
                ("unix.precision", "nanoseconds"),
                ("format", FORMAT),
            ],
            Value::from(DATE_PLUS_TIME_STRING),
            Value::Int64(86_401_234_000_000),
        ),
        (
            &[
                ("target.type", "unix"),
                ("unix.precision", "seconds"),
                ("format", FORMAT),
            ],
            Value::from(DATE_PLUS_TIME_STRING),
            Value::Int64(DATE_PLUS_TIME_SECONDS),
        ),
        (
            &[("target.type", "Timestamp"), ("unix.precision", "seconds")],
            Value::Int64(DATE_PLUS_TIME_SECONDS),
            Value::Timestamp(86_401_000),
        ),
        // Sub-millisecond parts are cut off, toward zero as Java's TimeUnit does.
        (
            &[
                ("target.type", "Timestamp"),
                ("unix.precision", "microseconds"),
            ],
            Value::Int64(-1500),
            Value::Timestamp(-1),
        ),
        (
            &[("target.type", "Date")],
            Value::Timestamp(-1),
            Value::Date(-1),
        ),
        (
            &[("target.type", "Time")],
            Value::Timestamp(-1),
            Value::Time(86_399_999),
        ),
        (
            &[("target.type", "string"), ("format", "yyyy-MM-dd")],
            Value::from("2024-03-05T10:15:30"),
            Value::from("2024-03-05"),
        ),
        (&[("target.type", "Date")], Value::Null, Value::Null),
    ];
    for (config, input, expected) in cases {
        assert_eq!(
            apply(config, None, input.clone()),
            (None, expected.clone()),
            "{config:?} {input:?}"
        );
    }
}

#[test]
fn whole_values_with_schema_match_kafka_connect() {
    // Expected schemas and values from TimestampConverterTest (testWithSchema*, *NullValue*).
    let string = [("target.type", "string"), ("format", FORMAT)];
    let cases: &[(Pairs, Schema, Value, Schema, Value)] = &[
        (
            &[("target.type", "Timestamp")],
            Schema::timestamp(),
            Value::Timestamp(DATE_PLUS_TIME),
            Schema::timestamp(),
            Value::Timestamp(DATE_PLUS_TIME),
        ),
        (
            &[("target.type", "Date")],
            Schema::timestamp(),
            Value::Timestamp(DATE_PLUS_TIME),
            Schema::date(),
            Value::Date(1),
        ),
        (
            &[("target.type", "Time")],
            Schema::timestamp(),
            Value::Timestamp(DATE_PLUS_TIME),
            Schema::time(),
            Value::Time(1234),
        ),
        (
            &[("target.type", "unix")],
            Schema::timestamp(),
            Value::Timestamp(DATE_PLUS_TIME),
            Schema::int64(),
            Value::Int64(DATE_PLUS_TIME),
        ),
        (
            &string,
            Schema::timestamp(),
            Value::Timestamp(DATE_PLUS_TIME),
            Schema::string(),
            Value::from(DATE_PLUS_TIME_STRING),
        ),
        (
            &[("target.type", "Timestamp")],
            Schema::date(),
            Value::Date(1),
            Schema::timestamp(),
            Value::Timestamp(86_400_000),
        ),
        (
            &[("target.type", "Timestamp")],
            Schema::time(),
            Value::Time(1234),
            Schema::timestamp(),
            Value::Timestamp(1234),
        ),
        (
            &[("target.type", "Timestamp")],
            Schema::int64(),
            Value::Int64(DATE_PLUS_TIME),
            Schema::timestamp(),
            Value::Timestamp(DATE_PLUS_TIME),
        ),
        (
            &[("target.type", "Timestamp"), ("format", FORMAT)],
            Schema::string(),
            Value::from(DATE_PLUS_TIME_STRING),
            Schema::timestamp(),
            Value::Timestamp(DATE_PLUS_TIME),
        ),
        (
            &[("target.type", "unix"), ("unix.precision", "nanoseconds")],
            Schema::timestamp(),
            Value::Timestamp(DATE_PLUS_TIME),
            Schema::int64(),
            Value::Int64(86_401_234_000_000),
        ),
        // Null values keep a null, under the target type's optional schema.
        (
            &[("target.type", "Date")],
            Schema::int64().optional(),
            Value::Null,
            Schema::date().optional(),
            Value::Null,
        ),
        (
            &string,
            Schema::time().optional(),
            Value::Null,
            Schema::string().optional(),
            Value::Null,
        ),
        (
            &[("target.type", "unix")],
            Schema::string().optional(),
            Value::Null,
            Schema::int64().optional(),
            Value::Null,
        ),
    ];
    for (config, schema, input, expected_schema, expected) in cases {
        assert_eq!(
            apply(config, Some(schema.clone()), input.clone()),
            (Some(expected_schema.clone()), expected.clone()),
            "{config:?} {schema:?}"
        );
    }
}

#[test]
fn schemaless_field_conversion() {
    let config = [("target.type", "Date"), ("field", "ts")];
    // TimestampConverterTest.testSchemalessFieldConversion.
    let input = map(&[
        ("ts", Value::Timestamp(DATE_PLUS_TIME)),
        ("other", Value::from("x")),
    ]);
    let expected = map(&[("ts", Value::Date(1)), ("other", Value::from("x"))]);
    assert_eq!(apply(&config, None, input), (None, expected));
    // A missing field is put with the (null) conversion of nothing, as Kafka Connect does.
    let input = map(&[("other", Value::from("x"))]);
    let expected = map(&[("other", Value::from("x")), ("ts", Value::Null)]);
    assert_eq!(apply(&config, None, input), (None, expected));
    assert_eq!(apply(&config, None, Value::Null), (None, Value::Null));
}
