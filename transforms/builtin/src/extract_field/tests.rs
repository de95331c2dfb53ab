use std::sync::Arc;

use sluice_api::config::props;
use sluice_api::{ConnectError, Field, Schema, SchemaRef, Struct};

use super::*;

type Config = &'static [(&'static str, &'static str)];

/// (config, input key, expected key).
type Case = (Config, Value, Value);

fn key_transform(pairs: &[(&str, &str)]) -> Box<dyn Transform> {
    (KEY_PLUGIN.create)(&props(pairs)).unwrap()
}

fn value_transform(pairs: &[(&str, &str)]) -> Box<dyn Transform> {
    (VALUE_PLUGIN.create)(&props(pairs)).unwrap()
}

fn map(entries: &[(&str, Value)]) -> Value {
    Value::Map(
        entries
            .iter()
            .map(|(k, v)| (Value::from(*k), v.clone()))
            .collect(),
    )
}

fn key_record(schema: Option<SchemaRef>, key: Value) -> Record {
    let mut record = Record::new("test").with_key(schema, key);
    record.partition = Some(0);
    record.kafka_offset = Some(0);
    record
}

fn magic_schema() -> SchemaRef {
    let foo = Schema::structure(vec![Field::new("foo", Schema::int32())]);
    Arc::new(Schema::structure(vec![
        Field::new("magic", Schema::int32()),
        Field::new("nested", foo),
        Field::new(
            "opt",
            Schema::string()
                .optional()
                .with_default(Value::from("dflt")),
        ),
    ]))
}

fn magic_struct() -> Value {
    Value::Struct(
        Struct::new()
            .with("magic", Value::Int32(42))
            .with(
                "nested",
                Value::Struct(Struct::new().with("foo", Value::Int32(7))),
            )
            .with("opt", Value::Null),
    )
}

/// Schemaless keys. Expected results from Kafka Connect's `ExtractFieldTest` (schemaless,
/// schemalessAndNestedPath, nullSchemaless, nonExistent*SchemalessShouldReturnNull).
#[test]
fn schemaless_cases() {
    let nested = || map(&[("magic", map(&[("foo", Value::Int32(42))]))]);
    let cases: Vec<Case> = vec![
        (
            &[("field", "magic")],
            map(&[("magic", Value::Int32(42))]),
            Value::Int32(42),
        ),
        (
            &[("field", "magic.foo"), ("field.syntax.version", "V2")],
            nested(),
            Value::Int32(42),
        ),
        // V1 takes the dotted text as one name, and lowercase versions are accepted.
        (
            &[("field", "magic.foo"), ("field.syntax.version", "v1")],
            nested(),
            Value::Null,
        ),
        (&[("field", "magic")], Value::Null, Value::Null),
        (
            &[("field", "nonexistent")],
            map(&[("magic", Value::Int32(42))]),
            Value::Null,
        ),
        (&[("field", "magic.nonexistent")], nested(), Value::Null),
        (
            &[
                ("field", "magic.nonexistent"),
                ("field.syntax.version", "V2"),
            ],
            nested(),
            Value::Null,
        ),
    ];
    for (config, key, expected) in cases {
        let out = key_transform(config)
            .apply(key_record(None, key))
            .unwrap()
            .unwrap();
        assert_eq!(out.key_schema, None, "{config:?}");
        assert_eq!(out.key, expected, "{config:?}");
    }
}

/// Schema'd keys: the result takes the field's schema. From `ExtractFieldTest` (withSchema,
/// withSchemaAndNestedPath, testNullWithSchema) plus defaults.
#[test]
fn schema_cases() {
    // (config, input key, expected schema, expected key)
    let cases: Vec<(Config, Value, Schema, Value)> = vec![
        (
            &[("field", "magic")],
            magic_struct(),
            Schema::int32(),
            Value::Int32(42),
        ),
        (
            &[("field", "nested.foo"), ("field.syntax.version", "V2")],
            magic_struct(),
            Schema::int32(),
            Value::Int32(7),
        ),
        (
            &[("field", "magic")],
            Value::Null,
            Schema::int32(),
            Value::Null,
        ),
        (
            &[("field", "opt")],
            magic_struct(),
            Schema::string()
                .optional()
                .with_default(Value::from("dflt")),
            Value::from("dflt"),
        ),
        (
            &[("field", "opt"), ("replace.null.with.default", "false")],
            magic_struct(),
            Schema::string()
                .optional()
                .with_default(Value::from("dflt")),
            Value::Null,
        ),
    ];
    for (config, key, expected_schema, expected) in cases {
        let out = key_transform(config)
            .apply(key_record(Some(magic_schema()), key))
            .unwrap()
            .unwrap();
        assert_eq!(
            out.key_schema.as_deref(),
            Some(&expected_schema),
            "{config:?}"
        );
        assert_eq!(out.key, expected, "{config:?}");
    }
}

#[test]
fn value_variant_leaves_the_key_alone() {
    let record = Record::new("t")
        .with_key(None, Value::from("k"))
        .with_value(None, map(&[("a", Value::Int64(1))]));
    let out = value_transform(&[("field", "a")])
        .apply(record)
        .unwrap()
        .unwrap();
    assert_eq!(out.key, Value::from("k"));
    assert_eq!(out.value, Value::Int64(1));
}

/// Kafka Connect fails on a field missing from the schema (`nonExistentFieldWithSchemaShouldFail`,
/// `nonExistentNestedFieldWithSchemaShouldFail`) and on data of the wrong shape.
#[test]
fn errors_name_the_transform_field_and_record() {
    // (config, key schema, key, expected message part)
    let cases: Vec<(Config, Option<SchemaRef>, Value, &str)> = vec![
        (
            &[("field", "nonexistent")],
            Some(magic_schema()),
            magic_struct(),
            "unknown field 'nonexistent'",
        ),
        (
            &[
                ("field", "nested.nonexistent"),
                ("field.syntax.version", "V2"),
            ],
            Some(magic_schema()),
            magic_struct(),
            "unknown field 'nested.nonexistent'",
        ),
        (
            &[("field", "magic")],
            None,
            Value::Int32(3),
            "expected a map when there is no schema, found int32",
        ),
        (
            &[("field", "magic")],
            Some(magic_schema()),
            map(&[]),
            "expected a struct, found map",
        ),
        (
            &[("field", "magic.foo"), ("field.syntax.version", "V2")],
            None,
            map(&[("magic", Value::Int32(1))]),
            "field 'magic' must hold a map",
        ),
    ];
    for (config, schema, key, expected) in cases {
        let err = key_transform(config)
            .apply(key_record(schema, key))
            .unwrap_err();
        assert!(matches!(err, ConnectError::Data { .. }), "{err}");
        let message = err.to_string();
        assert!(message.starts_with("ExtractField$Key: "), "{message}");
        assert!(message.contains(expected), "{message}");
        assert!(message.ends_with("(record test/0@0)"), "{message}");
    }
}

#[test]
fn config_errors_come_together() {
    let err = ExtractFieldConfig::parse(&props(&[("field.syntax.version", "V3")])).unwrap_err();
    let keys: Vec<_> = err.issues().iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, ["field", "field.syntax.version"]);

    let err =
        ExtractFieldConfig::parse(&props(&[("field", "a.`b"), ("field.syntax.version", "V2")]))
            .unwrap_err();
    assert_eq!(err.issues()[0].key, "field");
    assert!(err.issues()[0].reason.contains("Incomplete backtick pair"));
}
