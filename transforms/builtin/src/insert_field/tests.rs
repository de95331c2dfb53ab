use std::sync::Arc;

use sluice_api::{Field, Schema, SchemaType};

use super::*;

fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn value_transform(pairs: &[(&str, &str)]) -> Box<dyn Transform> {
    (VALUE_PLUGIN.create)(&props(pairs)).unwrap()
}

const ALL: &[(&str, &str)] = &[
    ("topic.field", "topic!"),
    ("partition.field", "partition"),
    ("offset.field", "offset?"),
    ("timestamp.field", "ts"),
    ("static.field", "instance_id"),
    ("static.value", "my-instance"),
];

/// A sink record, as the consumer hands it over.
fn sink_record(value_schema: Option<SchemaRef>, value: Value) -> Record {
    let mut record = Record::new("orders")
        .with_value(value_schema, value)
        .with_timestamp(1_700_000_000_000);
    record.partition = Some(3);
    record.kafka_offset = Some(42);
    record
}

fn map(entries: &[(&str, Value)]) -> Value {
    Value::Map(
        entries
            .iter()
            .map(|(k, v)| (Value::from(*k), v.clone()))
            .collect(),
    )
}

fn order_schema() -> SchemaRef {
    Arc::new(
        Schema::structure(vec![
            Field::new("id", Schema::int64()),
            Field::new(
                "note",
                Schema::string()
                    .optional()
                    .with_default(Value::from("none")),
            ),
        ])
        .named("shop.Order")
        .with_version(2)
        .with_doc("an order"),
    )
}

#[test]
fn schemaless_value_gets_every_field() {
    let record = sink_record(None, map(&[("id", Value::Int64(1))]));
    let out = value_transform(ALL).apply(record).unwrap().unwrap();
    assert_eq!(
        out.value,
        map(&[
            ("id", Value::Int64(1)),
            ("topic", Value::from("orders")),
            ("partition", Value::Int32(3)),
            ("offset", Value::Int64(42)),
            ("ts", Value::Int64(1_700_000_000_000)),
            ("instance_id", Value::from("my-instance")),
        ])
    );
    assert_eq!(out.value_schema, None);
}

#[test]
fn schemaless_replaces_existing_keys_and_skips_missing_metadata() {
    let mut record = sink_record(None, map(&[("topic", Value::from("old"))]));
    record.partition = None;
    record.timestamp = None;
    let out = value_transform(&[
        ("topic.field", "topic"),
        ("partition.field", "p"),
        ("timestamp.field", "ts"),
    ])
    .apply(record)
    .unwrap()
    .unwrap();
    assert_eq!(out.value, map(&[("topic", Value::from("orders"))]));
}

#[test]
fn schema_gets_fields_with_suffix_optionality() {
    let value = Struct::new()
        .with("id", Value::Int64(1))
        .with("note", Value::from("hi"));
    let out = value_transform(ALL)
        .apply(sink_record(Some(order_schema()), Value::Struct(value)))
        .unwrap()
        .unwrap();

    let schema = out.value_schema.unwrap();
    assert_eq!(schema.name.as_deref(), Some("shop.Order"));
    assert_eq!(schema.version, Some(2));
    assert_eq!(schema.doc.as_deref(), Some("an order"));
    assert!(!schema.optional);
    let expected = vec![
        Field::new("id", Schema::int64()),
        Field::new(
            "note",
            Schema::string()
                .optional()
                .with_default(Value::from("none")),
        ),
        Field::new("topic", Schema::string()),
        Field::new("partition", Schema::int32().optional()),
        Field::new("offset", Schema::int64().optional()),
        Field::new("ts", Schema::timestamp().optional()),
        Field::new("instance_id", Schema::string().optional()),
    ];
    assert_eq!(schema.ty, SchemaType::Struct(expected));

    let expected_value = Struct::new()
        .with("id", Value::Int64(1))
        .with("note", Value::from("hi"))
        .with("topic", Value::from("orders"))
        .with("partition", Value::Int32(3))
        .with("offset", Value::Int64(42))
        .with("ts", Value::Timestamp(1_700_000_000_000))
        .with("instance_id", Value::from("my-instance"));
    assert_eq!(out.value, Value::Struct(expected_value));
}

#[test]
fn null_struct_fields_take_their_default_unless_disabled() {
    let value = || {
        Value::Struct(
            Struct::new()
                .with("id", Value::Int64(1))
                .with("note", Value::Null),
        )
    };
    let note = |pairs: &[(&str, &str)]| {
        let out = value_transform(pairs)
            .apply(sink_record(Some(order_schema()), value()))
            .unwrap()
            .unwrap();
        let Value::Struct(s) = out.value else {
            panic!("not a struct")
        };
        s.get("note").cloned()
    };
    assert_eq!(note(&[("topic.field", "t")]), Some(Value::from("none")));
    assert_eq!(
        note(&[("topic.field", "t"), ("replace.null.with.default", "false")]),
        Some(Value::Null)
    );
}

#[test]
fn updated_schema_is_cached_per_input_schema() {
    let mut transform = value_transform(&[("topic.field", "t")]);
    let schema = order_schema();
    let value = || {
        Value::Struct(
            Struct::new()
                .with("id", Value::Int64(1))
                .with("note", Value::Null),
        )
    };
    let first = transform
        .apply(sink_record(Some(schema.clone()), value()))
        .unwrap()
        .unwrap();
    // An equal schema in another allocation hits the cache too.
    let second = transform
        .apply(sink_record(Some(order_schema()), value()))
        .unwrap()
        .unwrap();
    assert!(Arc::ptr_eq(
        &first.value_schema.unwrap(),
        &second.value_schema.unwrap()
    ));
}

#[test]
fn key_variant_changes_the_key_only() {
    let mut record = sink_record(None, Value::from("payload"));
    record.key = map(&[("id", Value::Int64(7))]);
    let out = (KEY_PLUGIN.create)(&props(&[("topic.field", "topic")]))
        .unwrap()
        .apply(record)
        .unwrap()
        .unwrap();
    assert_eq!(
        out.key,
        map(&[("id", Value::Int64(7)), ("topic", Value::from("orders"))])
    );
    assert_eq!(out.value, Value::from("payload"));
}

#[test]
fn tombstones_pass_through() {
    let record = sink_record(Some(order_schema()), Value::Null);
    let out = value_transform(ALL).apply(record.clone()).unwrap().unwrap();
    assert_eq!(out, record);
}

#[test]
fn offset_needs_a_sink_record() {
    let mut record = sink_record(None, map(&[]));
    record.kafka_offset = None;
    let err = value_transform(&[("offset.field", "offset")])
        .apply(record)
        .unwrap_err();
    assert!(err.is_record_level());
    assert!(err.to_string().contains("InsertField$Value"), "{err}");
    assert!(err.to_string().contains("offset"), "{err}");
}

#[test]
fn wrong_value_types_are_data_errors() {
    let err = value_transform(&[("topic.field", "t")])
        .apply(sink_record(None, Value::from("text")))
        .unwrap_err();
    assert!(err.is_record_level());
    assert_eq!(
        err.to_string(),
        "InsertField$Value: cannot insert field(s) t at orders/3@42: expected a map when there is no schema, found string"
    );

    let err = value_transform(&[("topic.field", "t")])
        .apply(sink_record(
            Some(Arc::new(Schema::string())),
            Value::from("text"),
        ))
        .unwrap_err();
    assert!(err.to_string().contains("expected a struct"), "{err}");

    let schema = Arc::new(Schema::int32());
    let err = value_transform(&[("topic.field", "t")])
        .apply(sink_record(Some(schema), Value::Struct(Struct::new())))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("expected a struct schema, found int32"),
        "{err}"
    );
}

#[test]
fn clashing_field_names_are_data_errors() {
    let value = Value::Struct(
        Struct::new()
            .with("id", Value::Int64(1))
            .with("note", Value::Null),
    );
    let err = value_transform(&[("topic.field", "id")])
        .apply(sink_record(Some(order_schema()), value))
        .unwrap_err();
    assert!(err.is_record_level());
    assert!(
        err.to_string().contains("field 'id' already exists"),
        "{err}"
    );
}

#[test]
fn config_problems_are_reported_together() {
    let issues = |pairs: &[(&str, &str)]| -> Vec<String> {
        match InsertFieldConfig::parse(&props(pairs)) {
            Ok(config) => panic!("accepted: {config:?}"),
            Err(err) => err.issues().iter().map(|i| i.key.clone()).collect(),
        }
    };
    assert_eq!(issues(&[]), ["topic.field"]);
    assert_eq!(
        issues(&[("topic.field", "!"), ("static.field", "s")]),
        ["topic.field", "static.value"]
    );
    assert_eq!(
        issues(&[("replace.null.with.default", "maybe")]),
        ["replace.null.with.default"]
    );
}

#[test]
fn empty_static_value_is_allowed() {
    let config =
        InsertFieldConfig::parse(&props(&[("static.field", "s!"), ("static.value", "")])).unwrap();
    let spec = InsertionSpec {
        name: "s".into(),
        optional: false,
    };
    assert_eq!(config.static_field, Some((spec, String::new())));
}
