use sluice_api::config::props;
use sluice_api::data::Decimal;

use super::*;

fn transform(spec: &str) -> Box<dyn Transform> {
    (VALUE_PLUGIN.create)(&props(&[("spec", spec)])).unwrap()
}

fn record(schema: Option<Schema>, value: Value) -> Record {
    let mut record = Record::new("topic").with_value(schema.map(Arc::new), value);
    record.partition = Some(0);
    record.kafka_offset = Some(5);
    record
}

fn cast(spec: &str, schema: Option<Schema>, value: Value) -> (Option<SchemaRef>, Value) {
    let out = transform(spec)
        .apply(record(schema, value))
        .unwrap()
        .unwrap();
    (out.value_schema, out.value)
}

fn cast_error(spec: &str, schema: Option<Schema>, value: Value) -> String {
    let err = transform(spec).apply(record(schema, value)).unwrap_err();
    assert!(err.is_record_level(), "{err}");
    err.to_string()
}

fn dec(unscaled: i128, scale: i32) -> Value {
    Value::Decimal(Decimal { unscaled, scale })
}

/// Kafka Connect's CastTest `castWholeRecordValueWithSchema*` / `castWholeRecordValueSchemaless*`:
/// an int32 42 cast to every type, with and without a schema.
#[test]
fn whole_value_casts() {
    let cases = [
        ("int8", Value::Int8(42), Schema::int8()),
        ("int16", Value::Int16(42), Schema::int16()),
        ("int32", Value::Int32(42), Schema::int32()),
        ("int64", Value::Int64(42), Schema::int64()),
        ("float32", Value::Float32(42.0), Schema::float32()),
        ("float64", Value::Float64(42.0), Schema::float64()),
        ("boolean", Value::Boolean(true), Schema::boolean()),
        ("string", Value::from("42"), Schema::string()),
    ];
    for (spec, expected, schema) in cases {
        let (out_schema, out) = cast(spec, Some(Schema::int32()), Value::Int32(42));
        assert_eq!(out, expected, "{spec}");
        assert_eq!(out_schema.as_deref(), Some(&schema), "{spec}");
        assert_eq!(cast(spec, None, Value::Int32(42)), (None, expected));
    }
    let (_, out) = cast("boolean", None, Value::Int32(0));
    assert_eq!(out, Value::Boolean(false));
}

/// Kafka Connect's CastTest `castWholeRecordDefaultValue`, plus the kept schema metadata.
#[test]
fn whole_value_schema_keeps_metadata_and_casts_default() {
    let schema = Schema::float32()
        .with_default(Value::Float32(-42.125))
        .named("n")
        .with_version(4)
        .with_doc("d")
        .with_parameter("k", "v")
        .optional();
    let (out_schema, out) = cast("int32", Some(schema), Value::Float32(42.125));
    assert_eq!(out, Value::Int32(42));
    let expected = Schema::int32()
        .with_default(Value::Int32(-42))
        .named("n")
        .with_version(4)
        .with_doc("d")
        .with_parameter("k", "v")
        .optional();
    assert_eq!(out_schema.as_deref(), Some(&expected));
}

/// Kafka Connect's CastTest `castFieldsWithSchema`.
#[test]
fn field_casts_with_schema() {
    let spec = "int8:int16,int16:int32,int32:int64,int64:boolean,float32:float64,\
                float64:boolean,boolean:int8,string:int32,optional:int32";
    let schema = Schema::structure(vec![
        Field::new("int8", Schema::int8()),
        Field::new("int16", Schema::int16().optional()),
        Field::new("int32", Schema::int32().with_default(Value::Int32(2))),
        Field::new("int64", Schema::int64()),
        Field::new("float32", Schema::float32()),
        Field::new(
            "float64",
            Schema::float64().with_default(Value::Float64(-1.125)),
        ),
        Field::new("boolean", Schema::boolean()),
        Field::new("string", Schema::string()),
        Field::new("optional", Schema::float32().optional()),
        Field::new("untouched", Schema::bytes()),
    ])
    .named("types")
    .with_doc("all of them");
    let value = Struct::new()
        .with("int8", Value::Int8(8))
        .with("int16", Value::Int16(16))
        .with("int32", Value::Int32(32))
        .with("int64", Value::Int64(64))
        .with("float32", Value::Float32(32.0))
        .with("float64", Value::Float64(-64.0))
        .with("boolean", Value::Boolean(true))
        .with("string", Value::from("42"))
        .with("untouched", Value::Bytes(vec![1]));
    let (out_schema, out) = cast(spec, Some(schema), Value::Struct(value));
    let expected_schema = Schema::structure(vec![
        Field::new("int8", Schema::int16()),
        Field::new("int16", Schema::int32().optional()),
        Field::new("int32", Schema::int64().with_default(Value::Int64(2))),
        Field::new("int64", Schema::boolean()),
        Field::new("float32", Schema::float64()),
        Field::new(
            "float64",
            Schema::boolean().with_default(Value::Boolean(true)),
        ),
        Field::new("boolean", Schema::int8()),
        Field::new("string", Schema::int32()),
        Field::new("optional", Schema::int32().optional()),
        Field::new("untouched", Schema::bytes()),
    ])
    .named("types")
    .with_doc("all of them");
    assert_eq!(out_schema.as_deref(), Some(&expected_schema));
    let expected = Struct::new()
        .with("int8", Value::Int16(8))
        .with("int16", Value::Int32(16))
        .with("int32", Value::Int64(32))
        .with("int64", Value::Boolean(true))
        .with("float32", Value::Float64(32.0))
        .with("float64", Value::Boolean(true))
        .with("boolean", Value::Int8(1))
        .with("string", Value::Int32(42))
        .with("optional", Value::Null)
        .with("untouched", Value::Bytes(vec![1]));
    assert_eq!(out, Value::Struct(expected));
}

/// Kafka Connect's CastTest `castFieldsSchemaless`; a spec field missing from the map is added
/// as null, as Kafka Connect's `put(field, cast(null))` does.
#[test]
fn field_casts_schemaless() {
    let spec = "int8:int16,int16:int32,int32:int64,int64:boolean,float32:float64,\
                float64:boolean,boolean:int8,string:int32,missing:int8";
    let entry = |k: &str, v: Value| (Value::from(k), v);
    let input = Value::Map(vec![
        entry("int8", Value::Int8(8)),
        entry("int16", Value::Int16(16)),
        entry("int32", Value::Int32(32)),
        entry("int64", Value::Int64(64)),
        entry("float32", Value::Float32(32.0)),
        entry("float64", Value::Float64(-64.0)),
        entry("boolean", Value::Boolean(true)),
        entry("string", Value::from("42")),
        entry("other", Value::Array(vec![])),
    ]);
    let expected = Value::Map(vec![
        entry("int8", Value::Int16(8)),
        entry("int16", Value::Int32(16)),
        entry("int32", Value::Int64(32)),
        entry("int64", Value::Boolean(true)),
        entry("float32", Value::Float64(32.0)),
        entry("float64", Value::Boolean(true)),
        entry("boolean", Value::Int8(1)),
        entry("string", Value::Int32(42)),
        entry("other", Value::Array(vec![])),
        entry("missing", Value::Null),
    ]);
    assert_eq!(cast(spec, None, input), (None, expected));
}

#[test]
fn null_fields_take_their_default_unless_disabled() {
    let schema = Schema::structure(vec![Field::new(
        "n",
        Schema::string().optional().with_default(Value::from("7")),
    )]);
    let value = Value::Struct(Struct::new().with("n", Value::Null));
    let run = |pairs: &[(&str, &str)]| {
        let out = (VALUE_PLUGIN.create)(&props(pairs))
            .unwrap()
            .apply(record(Some(schema.clone()), value.clone()))
            .unwrap()
            .unwrap();
        let Value::Struct(s) = out.value else {
            panic!("not a struct")
        };
        s.get("n").cloned().unwrap()
    };
    assert_eq!(run(&[("spec", "n:int32")]), Value::Int32(7));
    let pairs = [("spec", "n:int32"), ("replace.null.with.default", "false")];
    assert_eq!(run(&pairs), Value::Null);
}

#[test]
fn key_variant_tombstones_and_cache() {
    // Kafka Connect's CastTest `castWholeRecordKeyWithSchema`.
    let mut input = record(Some(Schema::string()), Value::from("bogus"));
    input.key_schema = Some(Arc::new(Schema::int32()));
    input.key = Value::Int32(42);
    let out = (KEY_PLUGIN.create)(&props(&[("spec", "int8")]))
        .unwrap()
        .apply(input)
        .unwrap()
        .unwrap();
    assert_eq!(out.key, Value::Int8(42));
    assert_eq!(out.key_schema.as_deref(), Some(&Schema::int8()));
    assert_eq!(out.value, Value::from("bogus"));

    let tombstone = record(Some(Schema::structure(vec![])), Value::Null);
    assert_eq!(
        transform("a:int8")
            .apply(tombstone.clone())
            .unwrap()
            .unwrap(),
        tombstone
    );

    let schema = Arc::new(Schema::structure(vec![Field::new("a", Schema::int32())]));
    let value = || Value::Struct(Struct::new().with("a", Value::Int32(1)));
    let mut t = transform("a:int64");
    let first = t.apply(record(None, Value::Null).with_value(Some(schema.clone()), value()));
    let second = t.apply(record(None, Value::Null).with_value(Some(schema), value()));
    assert!(Arc::ptr_eq(
        &first.unwrap().unwrap().value_schema.unwrap(),
        &second.unwrap().unwrap().value_schema.unwrap()
    ));
}

mod conversions;
mod errors;
