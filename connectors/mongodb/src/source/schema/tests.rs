use mongodb::bson::{Binary, Bson, DateTime, Decimal128, doc, spec::BinarySubtype};
use sluice_api::data::Decimal;
use sluice_api::{Schema, SchemaType, Struct, Value};

use super::*;
use crate::source::json::JsonFormatter;

fn convert(schema: &Schema, value: Bson) -> Result<Value, String> {
    to_value(schema, &value, JsonFormatter::Default)
}

#[test]
fn the_default_schemas_parse() {
    let key = parse_avro(DEFAULT_KEY_SCHEMA).unwrap();
    assert_eq!(key.fields()[0].schema.ty, SchemaType::String);
    let value = parse_avro(DEFAULT_VALUE_SCHEMA).unwrap();
    let ns = &value.field("ns").unwrap().schema;
    assert!(ns.optional);
    assert_eq!(ns.name.as_deref(), Some("ns"));
    let truncated = &value.field("updateDescription").unwrap().schema.fields()[2].schema;
    let SchemaType::Array(items) = &truncated.ty else {
        panic!("an array: {truncated:?}");
    };
    assert_eq!(items.fields()[1].schema.ty, SchemaType::Int32);
}

#[test]
fn avro_types_map_to_connect_types() {
    let schema = parse_avro(
        r#"{"type": "record", "name": "r", "fields": [
            {"name": "l", "type": "long"}, {"name": "f", "type": "float"},
            {"name": "b", "type": ["null", "boolean"]}, {"name": "raw", "type": "bytes"},
            {"name": "m", "type": {"type": "map", "values": "double"}},
            {"name": "inner", "type": {"type": "record", "name": "Inner", "fields": [
                {"name": "x", "type": "int", "default": 3}]}},
            {"name": "again", "type": ["Inner", "null"]}]}"#,
    )
    .unwrap();
    let ty = |name: &str| schema.field(name).unwrap().schema.clone();
    assert_eq!(ty("l").ty, SchemaType::Int64);
    assert_eq!(ty("f").ty, SchemaType::Float32);
    assert!(ty("b").optional && ty("b").ty == SchemaType::Boolean);
    assert_eq!(ty("raw").ty, SchemaType::Bytes);
    assert!(matches!(ty("m").ty, SchemaType::Map(_, _)));
    assert_eq!(
        ty("inner").fields()[0].schema.default,
        Some(Value::Int32(3))
    );
    assert_eq!(ty("again").name.as_deref(), Some("Inner"));
}

#[test]
fn unsupported_avro_schemas_are_rejected_with_the_field() {
    let cases = [
        (
            r#"{"type": "record", "name": "r""#,
            "invalid Avro schema JSON",
        ),
        (r#""string""#, "record schema"),
        (
            r#"{"type": "record", "name": "r", "fields": [{"name": "u", "type": ["int", "string"]}]}"#,
            "field 'u'",
        ),
        (
            r#"{"type": "record", "name": "r", "fields": [{"name": "f", "type": {"type": "fixed", "name": "f", "size": 2}}]}"#,
            "not supported",
        ),
        (
            r#"{"type": "record", "name": "node", "fields": [{"name": "next", "type": ["node", "null"]}]}"#,
            "contains itself",
        ),
        (
            r#"{"type": "record", "name": "r", "fields": [{"name": "x", "type": "Unknown"}]}"#,
            "unknown type 'Unknown'",
        ),
    ];
    for (text, expected) in cases {
        let err = parse_avro(text).unwrap_err();
        assert!(err.contains(expected), "{text}: {err}");
    }
}

#[test]
fn values_convert_as_the_official_connector_converts_them() {
    let string = Schema::string();
    assert_eq!(
        convert(&string, Bson::Int32(5)),
        Ok(Value::String("5".into()))
    );
    assert_eq!(
        convert(&string, Bson::Document(doc! {"a": 1})),
        Ok(Value::String(r#"{"a": 1}"#.into()))
    );
    let oid = mongodb::bson::oid::ObjectId::parse_str("5f1b2c3d4e5f6a7b8c9d0e1f").unwrap();
    assert_eq!(
        convert(&string, Bson::ObjectId(oid)),
        Ok(Value::String(
            r#"{"$oid": "5f1b2c3d4e5f6a7b8c9d0e1f"}"#.into()
        ))
    );
    assert_eq!(
        convert(&Schema::int32(), Bson::Double(2.9)),
        Ok(Value::Int32(2))
    );
    assert_eq!(
        convert(&Schema::float64(), Bson::Int64(4)),
        Ok(Value::Float64(4.0))
    );
    assert_eq!(
        convert(&Schema::int64(), Bson::DateTime(DateTime::from_millis(42))),
        Ok(Value::Int64(42))
    );
    let binary = Bson::Binary(Binary {
        subtype: BinarySubtype::Generic,
        bytes: vec![1, 2],
    });
    assert_eq!(
        convert(&Schema::bytes(), binary),
        Ok(Value::Bytes(vec![1, 2]))
    );
    assert!(convert(&Schema::boolean(), Bson::Int32(1)).is_err());
    assert_eq!(
        convert(&Schema::int32().optional(), Bson::Null),
        Ok(Value::Null)
    );
    assert!(convert(&Schema::int32(), Bson::Null).is_err());
}

#[test]
fn struct_fields_take_defaults_or_fail_with_their_path() {
    let schema = parse_avro(
        r#"{"type": "record", "name": "r", "fields": [
            {"name": "a", "type": "string", "default": "none"},
            {"name": "o", "type": ["null", "long"]},
            {"name": "inner", "type": {"type": "record", "name": "i", "fields": [
                {"name": "must", "type": "int"}]}}]}"#,
    )
    .unwrap();
    let value = convert(&schema, Bson::Document(doc! {"inner": {"must": 1}})).unwrap();
    let expected = Struct::new()
        .with("a", Value::String("none".into()))
        .with("o", Value::Null)
        .with(
            "inner",
            Value::Struct(Struct::new().with("must", Value::Int32(1))),
        );
    assert_eq!(value, Value::Struct(expected));
    let err = convert(&schema, Bson::Document(doc! {"inner": {"must": "x"}})).unwrap_err();
    assert!(err.contains("field 'inner.must'"), "{err}");
    let err = convert(&schema, Bson::Document(doc! {"inner": {}})).unwrap_err();
    assert!(err.contains("missing required field 'inner.must'"), "{err}");
}

#[test]
fn inferred_schemas_cover_every_bson_type() {
    let decimal: Decimal128 = "12.50".parse().unwrap();
    let doc = doc! {
        "b": true, "i": 1, "l": 2_i64, "d": 1.5, "dec": decimal,
        "when": DateTime::from_millis(1_000), "s": "x", "nil": Bson::Null,
        "mixed": [1, "a"], "empty": [], "ints": [1, 2],
        "oid": mongodb::bson::oid::ObjectId::new(),
    };
    let schema = infer_document(&doc);
    let field = |name: &str| (*schema.field(name).unwrap().schema).clone();
    assert!(schema.fields().iter().all(|f| f.schema.optional));
    assert_eq!(field("b").ty, SchemaType::Boolean);
    assert_eq!(field("i").ty, SchemaType::Int32);
    assert_eq!(field("l").ty, SchemaType::Int64);
    assert_eq!(field("d").ty, SchemaType::Float64);
    assert_eq!(field("dec"), Schema::decimal(2).optional());
    assert_eq!(field("when"), Schema::timestamp().optional());
    assert_eq!(field("nil").ty, SchemaType::String);
    assert_eq!(field("oid").ty, SchemaType::String);
    assert_eq!(
        field("mixed"),
        Schema::array(Schema::string().optional()).optional()
    );
    assert_eq!(field("empty"), field("mixed"));
    assert_eq!(
        field("ints"),
        Schema::array(Schema::int32().optional()).optional()
    );
    let Value::Struct(value) = convert(&schema, Bson::Document(doc)).unwrap() else {
        panic!("a struct");
    };
    assert_eq!(
        value.get("dec"),
        Some(&Value::Decimal(Decimal {
            unscaled: 1250,
            scale: 2
        }))
    );
    assert_eq!(value.get("when"), Some(&Value::Timestamp(1_000)));
    assert_eq!(value.get("nil"), Some(&Value::Null));
    assert_eq!(
        value.get("mixed"),
        Some(&Value::Array(vec![
            Value::String("1".into()),
            Value::String("a".into())
        ]))
    );
}
