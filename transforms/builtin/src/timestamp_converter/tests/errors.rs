//! Bad data and bad settings.

use super::fields::{struct_schema, struct_value};
use super::*;

#[test]
fn bad_data_is_a_record_error() {
    let ts = [("target.type", "Timestamp")];
    let field = [("target.type", "Timestamp"), ("field", "ts")];
    let with_format = [("target.type", "Timestamp"), ("format", "yyyy-MM-dd")];
    let cases: &[(Pairs, Option<Schema>, Value, &str)] = &[
        (
            &ts,
            None,
            Value::Int32(5),
            "does not support int32 objects as timestamps",
        ),
        (
            &field,
            None,
            Value::from("x"),
            "Only Map objects supported in absence of schema",
        ),
        (
            &field,
            Some(Schema::string()),
            Value::from("x"),
            "Only Struct objects supported",
        ),
        (
            &field,
            Some(Schema::int64().optional()),
            Value::Null,
            "cannot look up fields on non-struct type int64",
        ),
        (
            &ts,
            Some(Schema::int32().optional()),
            Value::Null,
            "schema int32 does not correspond to a known timestamp type",
        ),
        (
            &field,
            Some(struct_schema(Schema::float64())),
            struct_value(Value::Float64(1.0), Value::Null),
            "schema double does not",
        ),
        (
            &with_format,
            None,
            Value::from("2024/01/02"),
            "Could not parse timestamp: value (2024/01/02) does not match pattern (yyyy-MM-dd)",
        ),
        (
            &ts,
            None,
            Value::from("2024-01-02"),
            "no 'format' is configured",
        ),
        (
            &ts,
            Some(Schema::timestamp()),
            Value::Int64(1),
            "Expected Timestamp to be a date, time or timestamp, but found int64",
        ),
        (
            &ts,
            Some(Schema::int64()),
            Value::from("1"),
            "Expected Unix timestamp to be a Long, but found string",
        ),
        (
            &[("target.type", "Date")],
            None,
            Value::Timestamp(i64::MAX),
            "out of the range of the Date type",
        ),
    ];
    for (config, schema, value, expected) in cases {
        let err = error(config, schema.clone(), value.clone());
        assert!(
            err.starts_with("TimestampConverter$Value: cannot convert "),
            "{err}"
        );
        assert!(err.contains(expected), "{err}");
        assert!(err.ends_with("(record events/0@7)"), "{err}");
    }
    let err = error(&field, None, Value::from("x"));
    assert!(err.contains("field 'ts'"), "{err}");
}

#[test]
fn config_problems_are_reported_together() {
    let issues = |pairs: &[(&str, &str)]| -> Vec<String> {
        match TimestampConverterConfig::parse(&props(pairs)) {
            Ok(config) => panic!("accepted: {config:?}"),
            Err(err) => err.issues().iter().map(|i| i.key.clone()).collect(),
        }
    };
    assert_eq!(issues(&[]), ["target.type"]);
    // Kafka Connect's ValidString is case-sensitive.
    assert_eq!(issues(&[("target.type", "date")]), ["target.type"]);
    assert_eq!(issues(&[("target.type", "string")]), ["format"]);
    assert_eq!(
        issues(&[
            ("target.type", "bogus"),
            ("format", "bad-format"),
            ("unix.precision", "hours")
        ]),
        ["target.type", "format", "unix.precision"]
    );
    assert_eq!(
        issues(&[("target.type", "unix"), ("format", "YYYY")]),
        ["format"]
    );

    let config = TimestampConverterConfig::parse(&props(&[("target.type", "unix")])).unwrap();
    let expected = TimestampConverterConfig {
        field: None,
        target: TimestampType::Unix,
        format: None,
        unix_precision: UnixPrecision::Milliseconds,
        replace_null_with_default: true,
    };
    assert_eq!(config, expected);
    assert!(
        (VALUE_PLUGIN.config_def)()
            .key("replace.null.with.default")
            .is_some()
    );
}
