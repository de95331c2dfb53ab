use super::*;
use mongodb::bson::{doc, oid::ObjectId};
use sluice_api::Struct;
use sluice_api::data::{Decimal, Field};

#[test]
fn structs_follow_their_schema() {
    let schema = Schema::structure(vec![
        Field::new("id", Schema::int32()),
        Field::new("small", Schema::int8()),
        Field::new("big", Schema::int64()),
        Field::new("price", Schema::decimal(2)),
        Field::new("day", Schema::date()),
        Field::new("at", Schema::timestamp()),
        Field::new("blob", Schema::bytes()),
        Field::new("tags", Schema::array(Schema::string())),
        Field::new("note", Schema::string().optional()),
    ]);
    let value = Value::Struct(
        Struct::new()
            .with("id", Value::Int32(7))
            .with("small", Value::Int8(1))
            .with("big", Value::Int64(1 << 40))
            .with(
                "price",
                Value::Decimal(Decimal {
                    unscaled: 1250,
                    scale: 2,
                }),
            )
            .with("day", Value::Date(2))
            .with("at", Value::Timestamp(1_700_000_000_000))
            .with("blob", Value::Bytes(vec![1, 2]))
            .with("tags", Value::Array(vec!["a".into()]))
            .with("note", Value::Null),
    );
    let doc = to_document(Some(&schema), &value).unwrap().unwrap();
    assert_eq!(
        doc,
        doc! {
            "id": 7, "small": 1, "big": 1_i64 << 40,
            "price": "12.50".parse::<Decimal128>().unwrap(),
            "day": DateTime::from_millis(2 * MILLIS_PER_DAY),
            "at": DateTime::from_millis(1_700_000_000_000),
            "blob": Binary { subtype: spec::BinarySubtype::Generic, bytes: vec![1, 2] },
            "tags": ["a"], "note": Bson::Null,
        }
    );
}

#[test]
fn schemaless_maps_keep_longs_and_read_extended_json_wrappers() {
    let oid = "64b7f0c2a1b2c3d4e5f60718";
    let value = Value::Map(vec![
        ("n".into(), Value::Int64(5)),
        ("x".into(), Value::Float64(1.5)),
        (
            "_id".into(),
            Value::Map(vec![("$oid".into(), Value::String(oid.into()))]),
        ),
        (
            "nested".into(),
            Value::Map(vec![(
                "when".into(),
                Value::Map(vec![("$date".into(), Value::Int64(1000))]),
            )]),
        ),
    ]);
    let doc = to_document(None, &value).unwrap().unwrap();
    assert_eq!(
        doc,
        doc! {"n": 5_i64, "x": 1.5, "_id": ObjectId::parse_str(oid).unwrap(), "nested": {"when": DateTime::from_millis(1000)}}
    );
}

#[test]
fn json_strings_become_bson_types() {
    let text = r#"{"_id": {"$oid": "64b7f0c2a1b2c3d4e5f60718"}, "at": {"$date": "2024-01-02T03:04:05Z"},
                   "big": {"$numberLong": "9000000000"}, "small": 3, "f": 2.5, "d": {"$numberDecimal": "1.10"}}"#;
    let doc = to_document(None, &Value::String(text.into()))
        .unwrap()
        .unwrap();
    assert_eq!(
        doc.get_object_id("_id").unwrap().to_hex(),
        "64b7f0c2a1b2c3d4e5f60718"
    );
    assert_eq!(
        doc.get_datetime("at").unwrap().timestamp_millis(),
        1_704_164_645_000
    );
    assert_eq!(doc.get("big"), Some(&Bson::Int64(9_000_000_000)));
    assert_eq!(doc.get("small"), Some(&Bson::Int32(3)));
    assert_eq!(doc.get("f"), Some(&Bson::Double(2.5)));
    assert!(matches!(doc.get("d"), Some(Bson::Decimal128(_))));
}

#[test]
fn bytes_hold_bson_or_json() {
    let original = doc! {"a": 1, "b": "x"};
    let bson_bytes = mongodb::bson::to_vec(&original).unwrap();
    assert_eq!(
        to_document(None, &Value::Bytes(bson_bytes)).unwrap(),
        Some(original)
    );
    let json = to_document(None, &Value::Bytes(br#"{"a": 2}"#.to_vec())).unwrap();
    assert_eq!(json, Some(doc! {"a": 2}));
}

#[test]
fn non_documents_are_rejected_with_the_reason() {
    assert_eq!(to_document(None, &Value::Null).unwrap(), None);
    assert!(
        to_document(None, &Value::Int64(1))
            .unwrap_err()
            .contains("int64")
    );
    assert!(
        to_document(None, &Value::String("o1".into()))
            .unwrap_err()
            .contains("not a JSON document")
    );
    assert!(
        to_document(None, &Value::String("[1]".into()))
            .unwrap_err()
            .contains("not an object")
    );
    let bad_key = Value::Map(vec![(Value::Array(vec![]), Value::Int32(1))]);
    assert!(to_document(None, &bad_key).unwrap_err().contains("map key"));
}

#[test]
fn dot_paths_reach_into_documents() {
    let d = doc! {"a": {"b": {"c": "x"}}, "n": 1};
    assert_eq!(get_path(&d, "a.b.c"), Some(&Bson::String("x".into())));
    assert_eq!(get_path(&d, "n.x"), None);
    assert_eq!(get_path(&d, "missing"), None);
}
