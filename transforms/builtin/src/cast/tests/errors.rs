//! Cast's data and config errors.

use sluice_api::config::props;

use super::*;

#[test]
fn data_errors_name_transform_field_and_record() {
    let one = |name: &str, schema: Schema| Schema::structure(vec![Field::new(name, schema)]);
    let with = |name: &str, value: Value| Value::Struct(Struct::new().with(name, value));
    let cases: Vec<(&str, Option<Schema>, Value, &str)> = vec![
        (
            "f:int32",
            Some(one("f", Schema::string())),
            with("f", Value::from("abc")),
            "field 'f': value (abc) was out of range for requested data type int32",
        ),
        (
            "f:int8",
            Some(one("f", Schema::string())),
            with("f", Value::from("200")),
            "field 'f': value (200) was out of range for requested data type int8",
        ),
        (
            "f:int32",
            None,
            Value::Map(vec![(Value::from("f"), Value::from("1e5"))]),
            "field 'f': value (1e5) was out of range for requested data type int32",
        ),
        (
            "f:int32",
            Some(one("f", Schema::bytes())),
            with("f", Value::Bytes(vec![1])),
            "field 'f': unexpected type in Cast transformation: bytes",
        ),
        (
            "f:string",
            Some(one("f", Schema::array(Schema::int8()))),
            with("f", Value::Array(vec![])),
            "field 'f': Cast transformation does not support casting from ARRAY; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]",
        ),
        (
            "int8",
            None,
            Value::Array(vec![Value::from("foo")]),
            "Cast transformation does not support casting from ARRAY; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]",
        ),
        (
            "string",
            None,
            Value::Timestamp(0),
            "Cast transformation was passed a value of type timestamp which is not supported by Connect's data API without a schema",
        ),
        (
            "f:int8",
            None,
            Value::Int32(1),
            "only maps are supported in absence of schema for casting types, found int32",
        ),
        (
            "f:int8",
            Some(one("f", Schema::int8())),
            Value::Int32(1),
            "only structs are supported for casting types, found int32",
        ),
        (
            "f:int8",
            Some(Schema::int32()),
            Value::Int32(1),
            "expected a struct schema, found int32",
        ),
        (
            "f:int8",
            Some(one("f", Schema::string().with_default(Value::from("x")))),
            with("f", Value::from("1")),
            "field 'f': schema default: value (x) was out of range for requested data type int8",
        ),
        (
            "f:int8",
            Some(one("f", Schema::int8()).with_default(with("f", Value::Int8(1)))),
            with("f", Value::Int8(1)),
            "schema default: Cast transformation does not support casting from STRUCT; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]",
        ),
    ];
    for (spec, schema, value, problem) in cases {
        let message = cast_error(spec, schema, value);
        assert_eq!(message, format!("Cast$Value: {problem} (record topic/0@5)"));
    }
}

/// Kafka Connect's CastTest `testConfig*` cases, as config errors on `spec`.
#[test]
fn config_errors() {
    let cases = [
        (
            "",
            "invalid value '': must specify at least one field to cast",
        ),
        (
            "foo:faketype",
            "invalid value 'foo:faketype': invalid type found in casting spec: faketype",
        ),
        (
            "foo:array",
            "invalid value 'foo:array': Cast transformation does not support casting to ARRAY; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]",
        ),
        (
            "foo:int8:extra",
            "invalid value 'foo:int8:extra': invalid cast mapping: foo:int8:extra",
        ),
        (
            "foo:int8,int32",
            "invalid value 'foo:int8,int32': Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec",
        ),
        // Java's split drops the empty type, leaving a whole-value cast to the type "foo".
        (
            "foo:",
            "invalid value 'foo:': invalid type found in casting spec: foo",
        ),
    ];
    for (spec, reason) in cases {
        let err = CastConfig::parse(&props(&[("spec", spec)])).unwrap_err();
        assert_eq!(err.issues().len(), 1, "{spec}");
        assert_eq!(err.issues()[0].key, "spec");
        assert_eq!(err.issues()[0].reason, reason, "{spec}");
    }
    let err = CastConfig::parse(&props(&[("replace.null.with.default", "x")])).unwrap_err();
    let keys: Vec<_> = err.issues().iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, ["spec", "replace.null.with.default"]);

    let config = CastConfig::parse(&props(&[("spec", "a:INT8, b : Float64 ,a:string")])).unwrap();
    let expected = vec![
        ("a".to_string(), CastType::String),
        ("b".to_string(), CastType::Float64),
    ];
    assert_eq!(config.spec, CastSpec::Fields(expected));
    assert!(config.replace_null_with_default);
    let config = CastConfig::parse(&props(&[("spec", "Boolean")])).unwrap();
    assert_eq!(config.spec, CastSpec::WholeValue(CastType::Boolean));
}
