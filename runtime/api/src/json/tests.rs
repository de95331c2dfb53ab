//! Round trips and error texts across the JSON module.

use super::*;
use crate::data::{Decimal, Field, Struct};

fn text(bytes: ConnectResult<Vec<u8>>) -> String {
    String::from_utf8(bytes.unwrap()).unwrap()
}

fn err_text(result: ConnectResult<impl std::fmt::Debug>) -> String {
    result.unwrap_err().to_string()
}

fn opts() -> JsonOptions {
    JsonOptions::default()
}

fn person() -> Schema {
    let address = Schema::structure(vec![
        Field::new("street", Schema::string()),
        Field::new("zip", Schema::int32().optional()),
    ])
    .named("Address")
    .optional();
    Schema::structure(vec![
        Field::new("name", Schema::string()),
        Field::new(
            "age",
            Schema::int8().optional().with_default(Value::Int8(0)),
        ),
        Field::new("address", address),
        Field::new("scores", Schema::map(Schema::int32(), Schema::float64())),
    ])
}

#[test]
fn envelope_round_trips_nested_data() {
    let schema = person();
    let value = Value::Struct(
        Struct::new()
            .with("name", "Ada".into())
            .with("age", Value::Int8(36))
            .with(
                "address",
                Value::Struct(
                    Struct::new()
                        .with("street", "Main".into())
                        .with("zip", Value::Null),
                ),
            )
            .with(
                "scores",
                Value::Map(vec![(Value::Int32(1), Value::Float64(0.5))]),
            ),
    );
    let bytes = envelope(Some(&schema), &value, &opts()).unwrap();
    let (back_schema, back_value) = from_envelope(&bytes, &opts()).unwrap();
    assert_eq!(back_schema.as_deref(), Some(&schema));
    assert_eq!(back_value, value);
    assert!(text(Ok(bytes)).ends_with(
        r#""payload":{"name":"Ada","age":36,"address":{"street":"Main","zip":null},"scores":[[1,0.5]]}}"#
    ));
}

#[test]
fn null_handling_follows_replace_null_with_default() {
    let schema = Schema::int32().optional().with_default(Value::Int32(7));
    assert_eq!(
        text(to_json_bytes(Some(&schema), &Value::Null, &opts())),
        "7"
    );
    let keep = JsonOptions {
        replace_null_with_default: false,
        ..opts()
    };
    assert_eq!(
        text(to_json_bytes(Some(&schema), &Value::Null, &keep)),
        "null"
    );
    assert_eq!(
        from_json_bytes(Some(&schema), b"null", &opts()).unwrap(),
        Value::Int32(7)
    );
    assert_eq!(
        from_json_bytes(Some(&schema), b"null", &keep).unwrap(),
        Value::Null
    );

    let required = Schema::structure(vec![Field::new("id", Schema::int64())]);
    let missing = Value::Struct(Struct::new().with("id", Value::Null));
    assert_eq!(
        err_text(to_json_bytes(Some(&required), &missing, &opts())),
        "Conversion error: null value for field that is required and has no default value (at `id`)"
    );
    assert_eq!(
        err_text(from_json_bytes(Some(&required), b"{}", &opts())),
        "Invalid null value for required INT64 field (at `id`)"
    );
}

#[test]
fn schemaless_inference() {
    let value = from_json_bytes(
        None,
        br#"{"a":1,"b":1.5,"c":[true,null,"x"],"d":{}}"#,
        &opts(),
    )
    .unwrap();
    let expected = Value::Map(vec![
        ("a".into(), Value::Int64(1)),
        ("b".into(), Value::Float64(1.5)),
        (
            "c".into(),
            Value::Array(vec![Value::Boolean(true), Value::Null, "x".into()]),
        ),
        ("d".into(), Value::Map(vec![])),
    ]);
    assert_eq!(value, expected);
    assert_eq!(from_json_bytes(None, b"", &opts()).unwrap(), Value::Null);
    let pairs = Value::Map(vec![(Value::Int32(1), "a".into())]);
    assert_eq!(text(to_json_bytes(None, &pairs, &opts())), r#"[[1,"a"]]"#);
    let logical = Value::Array(vec![
        Value::Decimal(Decimal {
            unscaled: 1234,
            scale: 2,
        }),
        Value::Date(3),
        Value::Timestamp(-1),
    ]);
    assert_eq!(
        text(to_json_bytes(None, &logical, &opts())),
        r#"["BNI=",3,-1]"#
    );
    let numeric = JsonOptions {
        decimal_format: DecimalFormat::Numeric,
        ..opts()
    };
    assert_eq!(
        text(to_json_bytes(None, &logical, &numeric)),
        r#"[12.34,3,-1]"#
    );
}

#[test]
fn decimals_in_both_formats() {
    let schema = Schema::decimal(2);
    let v = Value::Decimal(Decimal {
        unscaled: -150,
        scale: 2,
    });
    assert_eq!(text(to_json_bytes(Some(&schema), &v, &opts())), r#""/2o=""#);
    let numeric = JsonOptions {
        decimal_format: DecimalFormat::Numeric,
        ..opts()
    };
    assert_eq!(text(to_json_bytes(Some(&schema), &v, &numeric)), "-1.50");
    // Both spellings read back whatever the writer's setting, as in Java.
    assert_eq!(
        from_json_bytes(Some(&schema), br#""/2o=""#, &numeric).unwrap(),
        v
    );
    assert_eq!(from_json_bytes(Some(&schema), b"-1.5", &opts()).unwrap(), v);
    // A scale that cannot be matched exactly is an error in BASE64, as Java's Decimal.fromLogical is.
    let finer = Value::Decimal(Decimal {
        unscaled: -1505,
        scale: 3,
    });
    assert!(err_text(to_json_bytes(Some(&schema), &finer, &opts())).contains("scale"));
    assert_eq!(
        err_text(from_json_bytes(Some(&schema), b"true", &opts())),
        "Invalid type for Decimal, underlying representation should be numeric or bytes but was BOOLEAN"
    );
}

#[test]
fn floats_and_non_finite_values() {
    let schema = Schema::array(Schema::float64());
    let v = Value::Array(vec![
        Value::Float64(1.0),
        Value::Float64(1.5e10),
        Value::Float64(1.0e-5),
        Value::Float64(f64::INFINITY),
    ]);
    let bytes = to_json_bytes(Some(&schema), &v, &opts()).unwrap();
    assert_eq!(text(Ok(bytes.clone())), r#"[1.0,1.5E10,1.0E-5,"Infinity"]"#);
    assert_eq!(from_json_bytes(Some(&schema), &bytes, &opts()).unwrap(), v);
    let f = Schema::float32();
    assert_eq!(
        text(to_json_bytes(Some(&f), &Value::Float32(0.1), &opts())),
        "0.1"
    );
    assert_eq!(
        from_json_bytes(Some(&f), b"0.1", &opts()).unwrap(),
        Value::Float32(0.1)
    );
}

#[test]
fn envelope_errors_match_kafka() {
    let expected = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.";
    for bad in [
        &b"{\"payload\":1}"[..],
        b"[1]",
        b"",
        b"{\"schema\":null,\"payload\":1,\"x\":2}",
    ] {
        assert_eq!(err_text(from_envelope(bad, &opts())), expected);
    }
    let (schema, value) = from_envelope(br#"{"payload":5,"schema":null}"#, &opts()).unwrap();
    assert_eq!((schema, value), (None, Value::Int64(5)));
    assert!(
        err_text(from_envelope(b"{\"schema\":", &opts())).starts_with(
            "Converting byte[] to Kafka Connect data failed due to serialization error: "
        )
    );
}

#[test]
fn schema_errors_match_kafka() {
    let cases: [(&[u8], &str); 6] = [
        (br#"{"optional":true}"#, "Schema must contain 'type' field"),
        (br#"{"type":"uuid"}"#, "Unknown schema type: uuid"),
        (
            br#"{"type":"array"}"#,
            "Array schema did not specify the element type (at `<items>`)",
        ),
        (
            br#"{"type":"map","keys":{"type":"string"}}"#,
            "Map schema did not specify the value type (at `<values>`)",
        ),
        (
            br#"{"type":"struct","fields":{}}"#,
            "Struct schema's \"fields\" argument is not an array.",
        ),
        (
            br#"{"type":"int8","parameters":{"a":1}}"#,
            "Schema parameters must have string values.",
        ),
    ];
    for (json, message) in cases {
        assert_eq!(err_text(schema_from_json_bytes(json, &opts())), message);
    }
}

#[test]
fn data_errors_name_the_field() {
    let schema = person();
    let cases: [(&[u8], &str); 5] = [
        (
            br#"{"name":1,"address":null,"scores":[]}"#,
            "Invalid value for STRING schema: expected a string but found JSON NUMBER (at `name`)",
        ),
        (
            br#"{"name":"a","age":300,"address":null,"scores":[]}"#,
            "Invalid value for INT8 schema: 300 (at `age`)",
        ),
        (
            br#"{"name":"a","address":{"street":"s","zip":"1"},"scores":[]}"#,
            "Invalid value for INT32 schema: expected an integer but found JSON STRING (at `address.zip`)",
        ),
        (
            br#"{"name":"a","address":null,"scores":[[1]]}"#,
            "Found invalid map entry, expected length 2 but found :1 (at `scores[0]`)",
        ),
        (
            br#"{"name":"a","address":null,"scores":{}}"#,
            "Maps with non-string fields should be encoded as JSON array of tuples, but found OBJECT (at `scores`)",
        ),
    ];
    for (json, message) in cases {
        assert_eq!(
            err_text(from_json_bytes(Some(&schema), json, &opts())),
            message
        );
    }
    let wrong = Value::Struct(Struct::new().with("name", Value::Int32(1)));
    assert_eq!(
        err_text(to_json_bytes(Some(&schema), &wrong, &opts())),
        "Invalid type for STRING: int32 value (at `name`)"
    );
    let extra = Value::Struct(
        Struct::new()
            .with("name", "a".into())
            .with("nickname", "b".into())
            .with("scores", Value::Map(vec![])),
    );
    assert!(err_text(to_json_bytes(Some(&schema), &extra, &opts())).contains("'nickname'"));
}

#[test]
fn to_serde_gives_a_document() {
    let schema = person();
    let value = Value::Struct(
        Struct::new()
            .with("name", "Ada".into())
            .with("age", Value::Null)
            .with("address", Value::Null)
            .with("scores", Value::Map(vec![])),
    );
    let doc = to_serde(Some(&schema), &value).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({"name": "Ada", "age": 0, "address": null, "scores": []})
    );
    assert_eq!(
        to_serde(None, &Value::Float64(2.5)).unwrap(),
        serde_json::json!(2.5)
    );
}

/// The parser on its own.
mod parser {
    use crate::json::parse::{Node, parse};

    fn ok(s: &str) -> Node<'_> {
        parse(s.as_bytes()).unwrap().unwrap()
    }

    #[test]
    fn parses_values_and_keeps_number_text() {
        let node = ok(
            r#" {"a": [1, -2.50, 1e3, 007], "b": "x\"\u00e9\ud83d\ude00", "c": null, "d": true} "#,
        );
        let a = node.get("a").unwrap();
        assert_eq!(
            a,
            &Node::Array(vec![
                Node::Number("1"),
                Node::Number("-2.50"),
                Node::Number("1e3"),
                Node::Number("007")
            ])
        );
        assert_eq!(node.get("b"), Some(&Node::Str("x\"é😀".into())));
        assert_eq!(node.member("a").unwrap().raw, b"[1, -2.50, 1e3, 007]");
        assert_eq!(node.get("c"), Some(&Node::Null));
    }

    #[test]
    fn duplicate_keys_keep_last_value_at_first_position() {
        let node = ok(r#"{"a":1,"b":2,"a":3}"#);
        let Node::Object(members) = node else {
            panic!()
        };
        let keys: Vec<_> = members
            .iter()
            .map(|m| (m.key.as_ref(), m.value.clone()))
            .collect();
        assert_eq!(keys, [("a", Node::Number("3")), ("b", Node::Number("2"))]);
        let many: String = (0..40).map(|i| format!("\"k{}\":{i},", i % 20)).collect();
        let text = format!("{{{many}\"z\":0}}");
        let node = ok(&text);
        let Node::Object(members) = node else {
            panic!()
        };
        assert_eq!(members.len(), 21);
        assert_eq!(members[3].value, Node::Number("23"));
    }

    #[test]
    fn rejects_invalid_json() {
        for bad in [
            "{",
            "[1,]",
            "{\"a\" 1}",
            "tru",
            "1.",
            "-",
            "\"a\nb\"",
            "{} x",
            "+1",
            ".5",
            "NaN",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad}");
        }
        assert_eq!(parse(b"  \n").unwrap(), None);
        let deep = "[".repeat(1001) + &"]".repeat(1001);
        assert!(
            parse(deep.as_bytes())
                .unwrap_err()
                .contains("nesting depth")
        );
        assert!(parse(b"\"\xff\"").unwrap_err().contains("UTF-8"));
    }
}
