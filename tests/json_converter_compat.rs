//! JsonConverter compatibility with Kafka Connect.
//!
//! Each fixture in `tests/fixtures/json_converter/` holds the bytes Kafka Connect's JsonConverter
//! writes for the record built here, derived from its source: schema members in the order
//! `asJsonSchema` puts them (type; items / keys, values / fields; optional, name, version, doc,
//! parameters, default; a struct field's `field` last), payloads as `convertToJson` builds them,
//! serialized by Jackson with default settings (no whitespace, `Double.toString` numbers, padded
//! base64, quoted NaN). Maps iterate in insertion order, as a LinkedHashMap would in Java.
//!
//! Every case checks the bytes and that reading the fixture gives back the schema and value.

use std::path::PathBuf;

use sluice_api::data::Decimal;
use sluice_api::{Converter, Field, Props, Schema, SchemaRef, Struct, Value};
use sluice_runtime::converters::json::JsonConverter;

fn converter(settings: &[(&str, &str)]) -> JsonConverter {
    let props: Props = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    JsonConverter::from_props(&props).expect("valid settings")
}

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/json_converter")
        .join(format!("{name}.json"));
    let mut bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
    }
    bytes
}

/// Writes the record, compares with the fixture, then reads the fixture back and expects
/// `decoded` (schema and value).
fn check_decoded(
    name: &str,
    settings: &[(&str, &str)],
    schema: Option<&Schema>,
    value: &Value,
    decoded: (Option<&Schema>, &Value),
) {
    let c = converter(settings);
    let written = c
        .from_connect("topic", schema, value)
        .unwrap()
        .expect("not a Kafka null");
    let expected = fixture(name);
    assert_eq!(
        String::from_utf8_lossy(&written),
        String::from_utf8_lossy(&expected),
        "{name}: bytes differ from Kafka Connect's"
    );
    let (read_schema, read_value): (Option<SchemaRef>, Value) =
        c.to_connect("topic", Some(&expected)).unwrap();
    assert_eq!(
        read_schema.as_deref(),
        decoded.0,
        "{name}: schema read back"
    );
    assert_eq!(&read_value, decoded.1, "{name}: value read back");
}

/// As [`check_decoded`], expecting the same schema and value back.
fn check(name: &str, settings: &[(&str, &str)], schema: Option<&Schema>, value: &Value) {
    check_decoded(name, settings, schema, value, (schema, value));
}

fn structure(fields: Vec<(&str, Value)>) -> Value {
    Value::Struct(Struct::from(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Vec<_>>(),
    ))
}

/// A struct schema from (name, schema) pairs.
fn fields(list: Vec<(&str, Schema)>) -> Schema {
    Schema::structure(list.into_iter().map(|(n, s)| Field::new(n, s)).collect())
}

fn map(entries: Vec<(Value, Value)>) -> Value {
    Value::Map(entries)
}

/// A map with string keys, the shape JSON objects read into without a schema.
fn obj(entries: Vec<(&str, Value)>) -> Value {
    map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

fn decimal(unscaled: i128, scale: i32) -> Value {
    Value::Decimal(Decimal { unscaled, scale })
}

#[test]
fn every_primitive_type() {
    let schema = fields(vec![
        ("i8", Schema::int8()),
        ("i16", Schema::int16()),
        ("i32", Schema::int32()),
        ("i64", Schema::int64()),
        ("f32", Schema::float32()),
        ("f64", Schema::float64()),
        ("bool", Schema::boolean()),
        ("str", Schema::string()),
        ("bytes", Schema::bytes()),
    ]);
    let value = structure(vec![
        ("i8", Value::Int8(i8::MIN)),
        ("i16", Value::Int16(i16::MAX)),
        ("i32", Value::Int32(i32::MIN)),
        ("i64", Value::Int64(9_007_199_254_740_993)),
        ("f32", Value::Float32(1.5)),
        ("f64", Value::Float64(1.0e-5)),
        ("bool", Value::Boolean(true)),
        ("str", "héllo \"q\"\n\t\u{1}/".into()),
        ("bytes", Value::Bytes(vec![0, 1, 2, 255])),
    ]);
    check("primitives", &[], Some(&schema), &value);
    let (double, float) = (Schema::float64(), Schema::float32());
    check("double", &[], Some(&double), &Value::Float64(1.5e10));
    check("float", &[], Some(&float), &Value::Float32(f32::MAX));
}

#[test]
fn optional_fields_with_null() {
    let schema = fields(vec![
        ("opt_int", Schema::int32().optional()),
        ("opt_str", Schema::string().optional()),
        ("opt_bytes", Schema::bytes().optional()),
        ("opt_array", Schema::array(Schema::int32()).optional()),
        (
            "opt_map",
            Schema::map(Schema::string(), Schema::string()).optional(),
        ),
        (
            "opt_struct",
            fields(vec![("a", Schema::int32())]).optional(),
        ),
    ])
    .optional();
    let value = structure(
        schema
            .fields()
            .iter()
            .map(|f| (f.name.as_str(), Value::Null))
            .collect(),
    );
    check("optional_null", &[], Some(&schema), &value);
    let optional = Schema::string().optional();
    check("optional_null_top", &[], Some(&optional), &Value::Null);
}

fn defaults_schema() -> Schema {
    let tags = Value::Array(vec!["a".into(), "b".into()]);
    fields(vec![
        (
            "count",
            Schema::int32().optional().with_default(Value::Int32(42)),
        ),
        ("label", Schema::string().with_default("none".into())),
        (
            "ratio",
            Schema::float64()
                .optional()
                .with_default(Value::Float64(0.5)),
        ),
        (
            "tags",
            Schema::array(Schema::string())
                .optional()
                .with_default(tags),
        ),
        (
            "price",
            Schema::decimal(2).optional().with_default(decimal(0, 2)),
        ),
    ])
}

#[test]
fn defaults_replace_nulls_unless_disabled() {
    let schema = defaults_schema();
    let null = Value::Null;
    let value = structure(vec![
        ("count", null.clone()),
        ("label", "x".into()),
        ("ratio", null.clone()),
        ("tags", null.clone()),
        ("price", null),
    ]);
    let with_defaults = structure(vec![
        ("count", Value::Int32(42)),
        ("label", "x".into()),
        ("ratio", Value::Float64(0.5)),
        ("tags", Value::Array(vec!["a".into(), "b".into()])),
        ("price", decimal(0, 2)),
    ]);
    let decoded = (Some(&schema), &with_defaults);
    check_decoded("defaults", &[], Some(&schema), &value, decoded);
    let keep_nulls = [("replace.null.with.default", "false")];
    check("defaults_no_replace", &keep_nulls, Some(&schema), &value);
}

#[test]
fn name_version_doc_parameters_and_default() {
    let schema = Schema::int32()
        .named("com.example.Count")
        .with_version(3)
        .with_doc("Number of \"items\"")
        .with_parameter("unit", "items")
        .with_parameter("a", "b")
        .with_default(Value::Int32(7));
    check("metadata", &[], Some(&schema), &Value::Int32(5));
}

#[test]
fn arrays_and_maps() {
    let schema = Schema::array(Schema::int64().optional());
    let value = Value::Array(vec![Value::Int64(1), Value::Null, Value::Int64(-3)]);
    check("array", &[], Some(&schema), &value);

    let schema = Schema::map(Schema::string(), Schema::int32());
    let value = map(vec![
        ("one".into(), Value::Int32(1)),
        ("two".into(), Value::Int32(2)),
    ]);
    check("map_string_keys", &[], Some(&schema), &value);

    let schema = Schema::map(Schema::int32(), Schema::string());
    let value = map(vec![
        (Value::Int32(1), "one".into()),
        (Value::Int32(2), "two".into()),
    ]);
    check("map_int_keys", &[], Some(&schema), &value);
}

fn person() -> (Schema, Value) {
    let address = fields(vec![
        ("street", Schema::string()),
        ("zip", Schema::int32().optional()),
    ]);
    let attributes = Schema::map(Schema::string(), Schema::string().optional());
    let schema = fields(vec![
        ("name", Schema::string()),
        ("address", address.optional().named("com.example.Address")),
        ("tags", Schema::array(Schema::string())),
        ("attributes", attributes),
    ])
    .named("com.example.Person")
    .with_version(1);
    let address = structure(vec![
        ("street", "1 Main St".into()),
        ("zip", Value::Int32(12345)),
    ]);
    let value = structure(vec![
        ("name", "Ada".into()),
        ("address", address),
        ("tags", Value::Array(vec!["x".into(), "y".into()])),
        (
            "attributes",
            obj(vec![("team", "core".into()), ("manager", Value::Null)]),
        ),
    ]);
    (schema, value)
}

#[test]
fn nested_struct() {
    let (schema, value) = person();
    check("nested_struct", &[], Some(&schema), &value);
}

/// A struct of Decimal fields from (name, scale, unscaled value).
fn decimals(cases: &[(&str, i32, i128)]) -> (Schema, Value) {
    let schema = fields(
        cases
            .iter()
            .map(|(n, scale, _)| (*n, Schema::decimal(*scale)))
            .collect(),
    );
    let values = cases.iter().map(|(n, scale, u)| (*n, decimal(*u, *scale)));
    (schema, structure(values.collect()))
}

#[test]
fn decimals_base64_and_numeric() {
    let big = 12_345_678_901_234_567_890;
    let (schema, value) = decimals(&[("price", 2, 1234), ("neg", 2, -150), ("big", 0, big)]);
    check("decimal_base64", &[], Some(&schema), &value);

    let cases = [
        ("price", 2, 1234),
        ("neg", 2, -150),
        ("tiny", 10, 1),
        ("big", 0, big),
    ];
    let (schema, value) = decimals(&cases);
    let numeric = [("decimal.format", "NUMERIC")];
    check("decimal_numeric", &numeric, Some(&schema), &value);
}

#[test]
fn date_time_timestamp() {
    let schema = fields(vec![
        ("date", Schema::date()),
        ("time", Schema::time()),
        ("ts", Schema::timestamp()),
        ("opt_ts", Schema::timestamp().optional()),
    ]);
    let value = structure(vec![
        ("date", Value::Date(19_000)),
        ("time", Value::Time(45_296_789)),
        ("ts", Value::Timestamp(1_700_000_000_123)),
        ("opt_ts", Value::Null),
    ]);
    check("logical_time", &[], Some(&schema), &value);
}

#[test]
fn schemaless_values() {
    // Inference reads integers as int64 and other numbers as float64, so these round trip.
    let list = Value::Array(vec![Value::Int64(1), "a".into(), Value::Null]);
    let value = obj(vec![
        ("name", "x".into()),
        ("count", Value::Int64(5)),
        ("ratio", Value::Float64(2.5)),
        ("ok", Value::Boolean(true)),
        ("list", list),
        ("nested", obj(vec![("k", Value::Null)])),
    ]);
    check("schemaless_envelope", &[], None, &value);

    let disabled = [("schemas.enable", "false")];
    let inner = obj(vec![("a", Value::Boolean(false))]);
    let value = map(vec![
        (Value::Int32(1), inner.clone()),
        (Value::Int32(2), Value::Bytes(vec![1, 2, 3])),
    ]);
    let pair = |k, v| Value::Array(vec![Value::Int64(k), v]);
    let read = Value::Array(vec![pair(1, inner), pair(2, "AQID".into())]);
    check_decoded("schemaless_payload", &disabled, None, &value, (None, &read));

    let f = Value::Float64;
    let (before, after) = ([1.0e7, 0.001, 123_456.789, -0.0], [1.0e21, f64::MAX]);
    let mut floats: Vec<Value> = before.map(f).into();
    floats.push(Value::Float32(0.1));
    floats.extend(after.map(f));
    floats.extend([
        f(f64::NAN),
        f(f64::NEG_INFINITY),
        Value::Int8(-1),
        Value::Int16(300),
    ]);
    // Read back: the f32 as the nearest double, and the quoted non-finite values as the strings
    // they are, as JsonConverter's inference gives.
    let mut read: Vec<Value> = before.map(f).into();
    read.push(f(0.1));
    read.extend(after.map(f));
    read.extend([
        "NaN".into(),
        "-Infinity".into(),
        Value::Int64(-1),
        Value::Int64(300),
    ]);
    let (floats, read) = (Value::Array(floats), Value::Array(read));
    check_decoded("schemaless_floats", &disabled, None, &floats, (None, &read));
}

#[test]
fn schemas_disabled_writes_the_payload_only() {
    let (schema, value) = person();
    let address = obj(vec![
        ("street", "1 Main St".into()),
        ("zip", Value::Int64(12345)),
    ]);
    let read = obj(vec![
        ("name", "Ada".into()),
        ("address", address),
        ("tags", Value::Array(vec!["x".into(), "y".into()])),
        (
            "attributes",
            obj(vec![("team", "core".into()), ("manager", Value::Null)]),
        ),
    ]);
    let settings = [("schemas.enable", "false")];
    let read = (None, &read);
    check_decoded(
        "schemas_disabled_struct",
        &settings,
        Some(&schema),
        &value,
        read,
    );
}

#[test]
fn kafka_nulls_and_envelope_errors() {
    let c = converter(&[]);
    assert_eq!(c.from_connect("topic", None, &Value::Null).unwrap(), None);
    assert_eq!(c.to_connect("topic", None).unwrap(), (None, Value::Null));
    let err = c.to_connect("topic", Some(br#"{"name":"x"}"#)).unwrap_err();
    assert!(err.is_record_level());
    assert_eq!(
        err.to_string(),
        "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain \
         additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your \
         converter configuration."
    );
    // The same bytes are fine without schemas.
    let plain = converter(&[("schemas.enable", "false")]);
    let (schema, value) = plain.to_connect("topic", Some(br#"{"name":"x"}"#)).unwrap();
    assert_eq!(
        (schema, value),
        (None, map(vec![("name".into(), "x".into())]))
    );
}
