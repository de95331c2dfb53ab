use sluice_api::config::props;
use sluice_api::{Field, Schema};

use super::*;

/// Config pairs of one test case.
type Pairs = &'static [(&'static str, &'static str)];

fn transform(pairs: &[(&str, &str)]) -> Box<dyn Transform> {
    (VALUE_PLUGIN.create)(&props(pairs)).unwrap()
}

fn record(schema: Option<SchemaRef>, value: Value) -> Record {
    let mut record = Record::new("topic").with_value(schema, value);
    record.partition = Some(0);
    record
}

fn apply(pairs: &[(&str, &str)], input: Record) -> Record {
    transform(pairs).apply(input).unwrap().unwrap()
}

fn map(entries: &[(&str, Value)]) -> Value {
    Value::Map(
        entries
            .iter()
            .map(|(k, v)| (Value::from(*k), v.clone()))
            .collect(),
    )
}

fn structure(fields: &[(&str, Value)]) -> Value {
    let fields = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect::<Vec<_>>();
    Value::Struct(Struct::from(fields))
}

fn supported() -> Vec<(&'static str, Schema, Value)> {
    vec![
        ("int8", Schema::int8(), Value::Int8(8)),
        ("int16", Schema::int16(), Value::Int16(16)),
        ("int32", Schema::int32(), Value::Int32(32)),
        ("int64", Schema::int64(), Value::Int64(64)),
        ("float32", Schema::float32(), Value::Float32(32.0)),
        ("float64", Schema::float64(), Value::Float64(64.0)),
        ("boolean", Schema::boolean(), Value::Boolean(true)),
        ("string", Schema::string(), Value::from("stringy")),
        ("bytes", Schema::bytes(), Value::Bytes(b"bytes".to_vec())),
        (
            "decimal",
            Schema::decimal(2),
            Value::Decimal(sluice_api::data::Decimal {
                unscaled: 5,
                scale: 2,
            }),
        ),
    ]
}

/// Kafka Connect's FlattenTest `testNestedStruct` (plus a Decimal, kept with its logical schema).
#[test]
fn nested_struct() {
    let leaf_fields = supported()
        .into_iter()
        .map(|(n, s, _)| Field::new(n, s))
        .collect();
    let b = Schema::structure(leaf_fields);
    let a = Schema::structure(vec![Field::new("B", b)]);
    let top = Arc::new(
        Schema::structure(vec![Field::new("A", a)])
            .named("top")
            .with_version(2)
            .optional(),
    );
    let leaves: Vec<(&str, Value)> = supported().into_iter().map(|(n, _, v)| (n, v)).collect();
    let value = structure(&[("A", structure(&[("B", structure(&leaves))]))]);

    let out = apply(&[], record(Some(top), value));
    let expected_fields = supported()
        .into_iter()
        .map(|(n, s, _)| Field::new(format!("A.B.{n}"), s.optional()))
        .collect();
    // The top-level optionality reaches every leaf; the flattened struct itself is required.
    let expected = Schema::structure(expected_fields)
        .named("top")
        .with_version(2);
    assert_eq!(out.value_schema.as_deref(), Some(&expected));
    let expected: Vec<(String, Value)> = supported()
        .into_iter()
        .map(|(n, _, v)| (format!("A.B.{n}"), v))
        .collect();
    assert_eq!(out.value, Value::Struct(Struct::from(expected)));
}

/// Kafka Connect's FlattenTest `testNestedMapWithDelimiter`, `testOptionalFieldMap`,
/// `testSchemalessArray` and `testMapWithNullFields`.
#[test]
fn schemaless_cases() {
    let leaves: Vec<(&str, Value)> = supported()
        .into_iter()
        .filter(|(n, _, _)| *n != "decimal")
        .map(|(n, _, v)| (n, v))
        .collect();
    let nested_array = Value::Array(vec![
        Value::from("bar"),
        map(&[("baz", map(&[("lfg", Value::from("lfg"))]))]),
    ]);
    let nulls = map(&[
        ("firstNull", Value::Null),
        ("firstNonNull", Value::from("nonNull")),
        ("secondNull", Value::Null),
    ]);
    let cases: Vec<(Pairs, Value, Value)> = vec![
        (
            &[("delimiter", "#")],
            map(&[("A", map(&[("B", map(&leaves))]))]),
            Value::Map(
                leaves
                    .iter()
                    .map(|(n, v)| (Value::from(format!("A#B#{n}")), v.clone()))
                    .collect(),
            ),
        ),
        (
            &[],
            map(&[("B", map(&[("opt_int32", Value::Null)]))]),
            map(&[("B.opt_int32", Value::Null)]),
        ),
        (
            &[],
            map(&[("foo", nested_array.clone())]),
            map(&[("foo", nested_array)]),
        ),
        (&[], nulls.clone(), nulls),
        // A flattened name that repeats an earlier one replaces its value in place.
        (
            &[("delimiter", "_")],
            map(&[
                ("a_b", Value::Int32(1)),
                ("c", Value::Int32(2)),
                ("a", map(&[("b", Value::Int32(3))])),
            ]),
            map(&[("a_b", Value::Int32(3)), ("c", Value::Int32(2))]),
        ),
    ];
    for (pairs, input, expected) in cases {
        let out = apply(pairs, record(None, input));
        assert_eq!(out.value, expected, "{pairs:?}");
        assert_eq!(out.value_schema, None);
    }
}

/// Kafka Connect's FlattenTest `testOptionalAndDefaultValuesNested`: an optional parent with a
/// default makes its required child optional with the parent's value as default.
#[test]
fn optional_and_default_values_nested() {
    let child = Schema::structure(vec![
        Field::new("req_field", Schema::string()),
        Field::new(
            "opt_field",
            Schema::string()
                .optional()
                .with_default(Value::from("child_default")),
        ),
    ])
    .optional();
    let child_default = structure(&[("req_field", Value::from("req_default"))]);
    let child = child.with_default(child_default);
    let top = Arc::new(Schema::structure(vec![
        Field::new("child", child),
        Field::new("arr", Schema::array(Schema::int32()).with_doc("durk")),
    ]));
    let value = structure(&[("child", Value::Null), ("arr", Value::Array(vec![]))]);

    let out = apply(&[], record(Some(top), value));
    let expected = Schema::structure(vec![
        Field::new(
            "child.req_field",
            Schema::string()
                .optional()
                .with_default(Value::from("req_default")),
        ),
        Field::new(
            "child.opt_field",
            Schema::string()
                .optional()
                .with_default(Value::from("child_default")),
        ),
        Field::new("arr", Schema::array(Schema::int32()).with_doc("durk")),
    ]);
    assert_eq!(out.value_schema.as_deref(), Some(&expected));
    // The null child takes its default struct, as Struct.getStruct does; its missing optional
    // field takes that field's default.
    let expected = structure(&[
        ("child.req_field", Value::from("req_default")),
        ("child.opt_field", Value::from("child_default")),
        ("arr", Value::Array(vec![])),
    ]);
    assert_eq!(out.value, expected);
}

/// Kafka Connect's FlattenTest `testOptionalNestedStruct` and `testArrayWithSchema`.
#[test]
fn null_nested_struct_and_arrays_with_schema() {
    let b = Schema::structure(vec![Field::new("opt_int32", Schema::int32().optional())]).optional();
    let inner = Schema::structure(vec![Field::new(
        "baz",
        Schema::structure(vec![Field::new("lfg", Schema::string())]),
    )]);
    let top = Arc::new(Schema::structure(vec![
        Field::new("B", b),
        Field::new("foo", Schema::array(inner).with_doc("durk")),
    ]));
    let items = Value::Array(vec![structure(&[(
        "baz",
        structure(&[("lfg", Value::from("lfg"))]),
    )])]);
    let value = structure(&[("B", Value::Null), ("foo", items.clone())]);

    let out = apply(&[], record(Some(top.clone()), value));
    let expected = structure(&[("B.opt_int32", Value::Null), ("foo", items)]);
    assert_eq!(out.value, expected);
    let schema = out.value_schema.unwrap();
    assert_eq!(schema.fields()[1], top.fields()[1]);
    assert_eq!(
        schema.fields()[0].schema.as_ref(),
        &Schema::int32().optional()
    );
}

#[test]
fn schema_is_cached_and_tombstones_pass_through() {
    let top = Arc::new(Schema::structure(vec![Field::new(
        "a",
        Schema::structure(vec![Field::new("b", Schema::int32())]),
    )]));
    let value = || structure(&[("a", structure(&[("b", Value::Int32(1))]))]);
    let mut t = transform(&[]);
    let first = t
        .apply(record(Some(top.clone()), value()))
        .unwrap()
        .unwrap();
    let second = t
        .apply(record(Some(top.clone()), value()))
        .unwrap()
        .unwrap();
    assert!(Arc::ptr_eq(
        first.value_schema.as_ref().unwrap(),
        second.value_schema.as_ref().unwrap()
    ));

    for tombstone in [record(Some(top), Value::Null), record(None, Value::Null)] {
        assert_eq!(t.apply(tombstone.clone()).unwrap().unwrap(), tombstone);
    }

    let mut input = record(None, Value::from("v"));
    input.key = map(&[("A", map(&[("B", Value::Int32(12))]))]);
    let out = (KEY_PLUGIN.create)(&props(&[]))
        .unwrap()
        .apply(input)
        .unwrap()
        .unwrap();
    assert_eq!(out.key, map(&[("A.B", Value::Int32(12))]));
    assert_eq!(out.value, Value::from("v"));
}

/// Kafka Connect's FlattenTest `topLevelStructRequired` / `topLevelMapRequired`, and the types
/// Flatten refuses.
#[test]
fn data_errors() {
    let with_map = Arc::new(Schema::structure(vec![Field::new(
        "m",
        Schema::map(Schema::string(), Schema::string()),
    )]));
    let clash = Arc::new(Schema::structure(vec![
        Field::new("a.b", Schema::int32()),
        Field::new(
            "a",
            Schema::structure(vec![Field::new("b", Schema::int32())]),
        ),
    ]));
    let cases = [
        (
            record(Some(Arc::new(Schema::int32())), Value::Int32(42)),
            "only structs are supported for flattening, found int32",
        ),
        (
            record(None, Value::Int32(42)),
            "only maps are supported in absence of schema for flattening, found int32",
        ),
        (
            record(Some(Arc::new(Schema::int32())), structure(&[])),
            "expected a struct schema, found int32",
        ),
        (
            record(Some(with_map), structure(&[("m", Value::Map(vec![]))])),
            "Flatten transformation does not support MAP for record with schemas (for field m)",
        ),
        (
            record(Some(clash), structure(&[])),
            "cannot create field 'a.b' because of field name duplication",
        ),
        (
            record(None, map(&[("s", structure(&[]))])),
            "Flatten transformation does not support struct for record without schemas (for field s)",
        ),
        (
            record(None, map(&[("t", Value::Timestamp(1))])),
            "Flatten transformation was passed a value of type timestamp which is not supported by Connect's data API without a schema (for field t)",
        ),
        (
            record(
                None,
                map(&[("x", Value::Map(vec![(Value::Int32(1), Value::Null)]))]),
            ),
            "map key of type int32 is not a string (under 'x')",
        ),
    ];
    for (input, problem) in cases {
        let err = transform(&[]).apply(input).unwrap_err();
        assert!(err.is_record_level());
        assert_eq!(
            err.to_string(),
            format!("Flatten$Value: {problem} (record topic/0)")
        );
    }
}

#[test]
fn config() {
    let parse = |pairs: &[(&str, &str)]| FlattenConfig::parse(&props(pairs)).unwrap().delimiter;
    assert_eq!(parse(&[]), ".");
    assert_eq!(parse(&[("delimiter", "__")]), "__");
}
