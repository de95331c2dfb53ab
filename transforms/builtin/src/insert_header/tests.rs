use sluice_api::config::props;
use sluice_api::data::Decimal;
use sluice_api::{Schema, Value};

use super::*;

fn record_with_headers(headers: Vec<Header>) -> Record {
    let mut record = Record::new("topic")
        .with_key(None, Value::from("key"))
        .with_value(None, Value::from("value"))
        .with_timestamp(0);
    record.headers = headers;
    record
}

fn string_header(key: &str, value: &str) -> Header {
    Header {
        key: key.into(),
        schema: Some(Arc::new(Schema::string())),
        value: Value::from(value),
    }
}

/// Kafka Connect's `InsertHeaderTest`: insertionWithExistingOtherHeader,
/// insertionWithExistingSameHeader, insertionWithByteHeader.
#[test]
fn appends_the_header() {
    let existing = string_header("existing", "existing-value");
    let cases = vec![
        (
            ("inserted", "inserted-value"),
            vec![
                existing.clone(),
                string_header("inserted", "inserted-value"),
            ],
        ),
        (
            ("existing", "inserted-value"),
            vec![
                existing.clone(),
                string_header("existing", "inserted-value"),
            ],
        ),
        (
            ("inserted", "1"),
            vec![
                existing.clone(),
                Header {
                    key: "inserted".into(),
                    schema: Some(Arc::new(Schema::int8())),
                    value: Value::Int8(1),
                },
            ],
        ),
    ];
    for ((header, literal), expected) in cases {
        let mut transform =
            (PLUGIN.create)(&props(&[("header", header), ("value.literal", literal)])).unwrap();
        let original = record_with_headers(vec![existing.clone()]);
        let out = transform.apply(original.clone()).unwrap().unwrap();
        assert_eq!(out.headers, expected, "{header}={literal}");
        assert_eq!(
            Record {
                headers: original.headers.clone(),
                ..out
            },
            original
        );
    }
}

/// Kafka Connect's `configRejectsNullHeaderKey` / `configRejectsNullHeaderValue`.
#[test]
fn both_keys_are_required() {
    let err = InsertHeaderConfig::parse(&props(&[])).unwrap_err();
    let keys: Vec<_> = err.issues().iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, ["header", "value.literal"]);
    let empty = InsertHeaderConfig::parse(&props(&[("header", "h"), ("value.literal", "")]));
    assert_eq!(empty.unwrap().value, Value::from(""));
}

fn schema_of(literal: &str) -> Option<Schema> {
    parse_literal(literal).0
}

/// Expected results from Kafka Connect's `ValuesTest` (parseString cases) unless noted.
#[test]
fn literals_parse_as_kafka_connect_parses_them() {
    let s = |v: &str| (Some(Schema::string()), Value::from(v));
    let array =
        |items: Schema, values: Vec<Value>| (Some(Schema::array(items)), Value::Array(values));
    let cases: Vec<(&str, Literal)> = vec![
        ("simple string", s("simple string")),
        ("null", (None, Value::Null)),
        (
            "\n \t true \t\n",
            (Some(Schema::boolean()), Value::Boolean(true)),
        ),
        ("false", (Some(Schema::boolean()), Value::Boolean(false))),
        // Case-sensitive literals and trailing delimiters leave strings.
        ("TRUE", s("TRUE")),
        ("true}", s("true}")),
        ("false]", s("false]")),
        ("null=", s("null=")),
        ("127", (Some(Schema::int8()), Value::Int8(127))),
        ("-128", (Some(Schema::int8()), Value::Int8(-128))),
        ("32767", (Some(Schema::int16()), Value::Int16(32767))),
        (
            "2147483647",
            (Some(Schema::int32()), Value::Int32(i32::MAX)),
        ),
        (
            "-9223372036854775808",
            (Some(Schema::int64()), Value::Int64(i64::MIN)),
        ),
        (
            "3.4028235E38",
            (Some(Schema::float32()), Value::Float32(f32::MAX)),
        ),
        (
            "1.7976931348623157E308",
            (Some(Schema::float64()), Value::Float64(f64::MAX)),
        ),
        (
            "9223372036854775808",
            (
                Some(Schema::decimal(0)),
                Value::Decimal(Decimal {
                    unscaled: 9_223_372_036_854_775_808,
                    scale: 0,
                }),
            ),
        ),
        // Following `Values.parseAsNumber`: whole numbers in any notation are integers, and a
        // fraction that fits a float is a float32 even when it loses precision.
        ("1.0", (Some(Schema::int8()), Value::Int8(1))),
        ("1e3", (Some(Schema::int16()), Value::Int16(1000))),
        ("+7", (Some(Schema::int8()), Value::Int8(7))),
        ("0.5", (Some(Schema::float32()), Value::Float32(0.5))),
        (
            "2353245343456.435435",
            (
                Some(Schema::float32()),
                Value::Float32(2_353_245_343_456.435_4),
            ),
        ),
        ("12abc", s("12abc")),
        ("2019-08-23", (Some(Schema::date()), Value::Date(18_131))),
        (
            "14:34:54.346Z",
            (Some(Schema::time()), Value::Time(52_494_346)),
        ),
        (
            "14\\:34\\:54.346Z",
            (Some(Schema::time()), Value::Time(52_494_346)),
        ),
        (
            "2019-08-23T14:34:54.346Z",
            (
                Some(Schema::timestamp()),
                Value::Timestamp(1_566_570_894_346),
            ),
        ),
        (
            "2019-08-23T14\\:34\\:54.346Z",
            (
                Some(Schema::timestamp()),
                Value::Timestamp(1_566_570_894_346),
            ),
        ),
        ("2019-13-45", s("2019-13-45")),
        (
            "[true, false]",
            array(
                Schema::boolean(),
                vec![Value::Boolean(true), Value::Boolean(false)],
            ),
        ),
        (
            "[1, 2, 32768]",
            array(
                Schema::int32(),
                vec![Value::Int32(1), Value::Int32(2), Value::Int32(32768)],
            ),
        ),
        (
            "[2019-08-23]",
            array(Schema::date(), vec![Value::Date(18_131)]),
        ),
        (
            "[\"foo\", \"bar\"]",
            array(Schema::string(), vec!["foo".into(), "bar".into()]),
        ),
        ("[1, 2, 3,,,]", s("[1, 2, 3,,,]")),
        ("[0 1 2]", s("[0 1 2]")),
        ("[foo]", s("[foo]")),
        ("[1, null]", s("[1, null]")),
        // No common element type: Kafka Connect leaves the element schema unset.
        (
            "[1, 2, 3, \"four\"]",
            (
                None,
                Value::Array(vec![
                    Value::Int8(1),
                    Value::Int8(2),
                    Value::Int8(3),
                    "four".into(),
                ]),
            ),
        ),
        ("[null]", (None, Value::Array(vec![Value::Null]))),
        ("[]", (None, Value::Array(vec![]))),
        ("{}", (None, Value::Map(vec![]))),
        (
            " { \"foo\" :  12345 , \"bar\" : 0,  \"baz\" : -4321 }  ",
            (
                Some(Schema::map(Schema::string(), Schema::int16())),
                Value::Map(vec![
                    ("foo".into(), Value::Int16(12345)),
                    ("bar".into(), Value::Int16(0)),
                    ("baz".into(), Value::Int16(-4321)),
                ]),
            ),
        ),
        (
            "{\"k1\":\"14:34:54.346Z\"}",
            (
                Some(Schema::map(Schema::string(), Schema::time())),
                Value::Map(vec![("k1".into(), Value::Time(52_494_346))]),
            ),
        ),
        (
            "{true: false, false: true}",
            (
                Some(Schema::map(Schema::boolean(), Schema::boolean())),
                Value::Map(vec![
                    (Value::Boolean(true), Value::Boolean(false)),
                    (Value::Boolean(false), Value::Boolean(true)),
                ]),
            ),
        ),
        (
            "{3: null}",
            (None, Value::Map(vec![(Value::Int8(3), Value::Null)])),
        ),
        ("{foo: 3}", s("{foo: 3}")),
        ("{3: foo}", s("{3: foo}")),
        ("{null: 3}", s("{null: 3}")),
        ("{6:9 4:20}", s("{6:9 4:20}")),
        // Only the first token counts when it is a number, as in `Values.parseNextToken`.
        ("1,2", (Some(Schema::int8()), Value::Int8(1))),
    ];
    for (literal, expected) in cases {
        assert_eq!(parse_literal(literal), expected, "{literal:?}");
    }
}

#[test]
fn nested_containers_widen_to_a_common_schema() {
    assert_eq!(
        schema_of("[[1], [300]]"),
        Some(Schema::array(Schema::array(Schema::int16())))
    );
    assert_eq!(
        parse_literal("[[1], [300]]").1,
        Value::Array(vec![
            Value::Array(vec![Value::Int16(1)]),
            Value::Array(vec![Value::Int16(300)]),
        ])
    );
    assert_eq!(
        schema_of("[1, 2.5]"),
        Some(Schema::array(Schema::float32()))
    );
    assert_eq!(schema_of("[[], [1]]"), None);
}

#[test]
fn headers_take_the_parsed_schema() {
    let mut transform = (PLUGIN.create)(&props(&[
        ("header", "when"),
        ("value.literal", "2019-08-23"),
    ]))
    .unwrap();
    let out = transform
        .apply(record_with_headers(vec![]))
        .unwrap()
        .unwrap();
    assert_eq!(
        out.headers,
        vec![Header {
            key: "when".into(),
            schema: Some(Arc::new(Schema::date())),
            value: Value::Date(18_131),
        }]
    );
}
