//! Cast's conversions, value by value, against Java's semantics.

use super::*;

/// Java semantics of each conversion: narrowing, saturation, parsing and `toString` forms.
#[test]
fn conversions_follow_java() {
    let cases: Vec<(&str, Schema, Value, Value)> = vec![
        ("int8", Schema::int32(), Value::Int32(300), Value::Int8(44)),
        (
            "int16",
            Schema::int64(),
            Value::Int64(-65_535),
            Value::Int16(1),
        ),
        (
            "int32",
            Schema::float64(),
            Value::Float64(3.9e10),
            Value::Int32(i32::MAX),
        ),
        (
            "int8",
            Schema::float64(),
            Value::Float64(3.9e10),
            Value::Int8(-1),
        ),
        (
            "int64",
            Schema::float32(),
            Value::Float32(f32::NAN),
            Value::Int64(0),
        ),
        (
            "int32",
            Schema::float32(),
            Value::Float32(-7.9),
            Value::Int32(-7),
        ),
        (
            "boolean",
            Schema::float64(),
            Value::Float64(0.5),
            Value::Boolean(false),
        ),
        (
            "float32",
            Schema::float64(),
            Value::Float64(0.1),
            Value::Float32(0.1),
        ),
        (
            "float64",
            Schema::int64(),
            Value::Int64(i64::MAX),
            Value::Float64(9.223372036854776e18),
        ),
        (
            "int8",
            Schema::boolean(),
            Value::Boolean(true),
            Value::Int8(1),
        ),
        (
            "float32",
            Schema::boolean(),
            Value::Boolean(false),
            Value::Float32(0.0),
        ),
        (
            "int32",
            Schema::string(),
            Value::from("-12"),
            Value::Int32(-12),
        ),
        (
            "int64",
            Schema::string(),
            Value::from("+7"),
            Value::Int64(7),
        ),
        (
            "float64",
            Schema::string(),
            Value::from(" 1.5e3 "),
            Value::Float64(1500.0),
        ),
        (
            "float32",
            Schema::string(),
            Value::from("2.5f"),
            Value::Float32(2.5),
        ),
        (
            "boolean",
            Schema::string(),
            Value::from("TRUE"),
            Value::Boolean(true),
        ),
        (
            "boolean",
            Schema::string(),
            Value::from("yes"),
            Value::Boolean(false),
        ),
        (
            "string",
            Schema::float64(),
            Value::Float64(1e10),
            Value::from("1.0E10"),
        ),
        (
            "string",
            Schema::float64(),
            Value::Float64(0.001),
            Value::from("0.001"),
        ),
        (
            "string",
            Schema::float32(),
            Value::Float32(1.1),
            Value::from("1.1"),
        ),
        (
            "string",
            Schema::boolean(),
            Value::Boolean(false),
            Value::from("false"),
        ),
        (
            "string",
            Schema::bytes(),
            Value::Bytes(b"foo".to_vec()),
            Value::from("Zm9v"),
        ),
        (
            "string",
            Schema::string(),
            Value::from("s"),
            Value::from("s"),
        ),
    ];
    for (spec, schema, input, expected) in cases {
        let (_, out) = cast(spec, Some(schema), input.clone());
        assert_eq!(out, expected, "{input:?} to {spec}");
    }
}

/// Decimal and the time types, read through their Java classes (BigDecimal, java.util.Date).
#[test]
fn logical_types() {
    let cases: Vec<(&str, Schema, Value, Value)> = vec![
        (
            "string",
            Schema::decimal(2),
            dec(-1250, 2),
            Value::from("-12.50"),
        ),
        (
            "string",
            Schema::decimal(-2),
            dec(123, -2),
            Value::from("1.23E+4"),
        ),
        (
            "string",
            Schema::decimal(10),
            dec(1, 10),
            Value::from("1E-10"),
        ),
        ("int32", Schema::decimal(2), dec(1275, 2), Value::Int32(12)),
        ("int8", Schema::decimal(0), dec(300, 0), Value::Int8(44)),
        (
            "float64",
            Schema::decimal(2),
            dec(1275, 2),
            Value::Float64(12.75),
        ),
        (
            "boolean",
            Schema::decimal(2),
            dec(50, 2),
            Value::Boolean(false),
        ),
        (
            "string",
            Schema::date(),
            Value::Date(19_000),
            Value::from("2022-01-08"),
        ),
        // Values.dateFormatFor decides by the instant: the epoch day prints as a time.
        (
            "string",
            Schema::date(),
            Value::Date(0),
            Value::from("00:00:00.000Z"),
        ),
        (
            "string",
            Schema::time(),
            Value::Time(3_723_004),
            Value::from("01:02:03.004Z"),
        ),
        (
            "string",
            Schema::timestamp(),
            Value::Timestamp(1_700_000_000_123),
            Value::from("2023-11-14T22:13:20.123Z"),
        ),
        (
            "int32",
            Schema::date(),
            Value::Date(19_000),
            Value::Int32(19_000),
        ),
        (
            "int64",
            Schema::time(),
            Value::Time(1_000),
            Value::Int64(1_000),
        ),
        (
            "int64",
            Schema::timestamp(),
            Value::Timestamp(-5),
            Value::Int64(-5),
        ),
    ];
    for (spec, schema, input, expected) in cases {
        let field_schema = Schema::structure(vec![Field::new("f", schema.clone())]);
        let (_, out) = cast(
            &format!("f:{spec}"),
            Some(field_schema),
            Value::Struct(Struct::new().with("f", input.clone())),
        );
        assert_eq!(
            out,
            Value::Struct(Struct::new().with("f", expected)),
            "{input:?} to {spec}"
        );
    }
    // A whole logical value keeps the schema's name and parameters on the new type, as
    // Kafka Connect's copySchemaBasics does.
    let (schema, out) = cast("string", Some(Schema::decimal(2)), dec(5, 2));
    assert_eq!(out, Value::from("0.05"));
    let expected = Schema::string()
        .named(sluice_api::data::DECIMAL_NAME)
        .with_version(1)
        .with_parameter("scale", "2");
    assert_eq!(schema.as_deref(), Some(&expected));
}
