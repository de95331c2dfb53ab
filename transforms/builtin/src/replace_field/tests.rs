use sluice_api::config::props;

use super::*;

/// Config pairs of one test case.
type Pairs = &'static [(&'static str, &'static str)];

fn transform(pairs: &[(&str, &str)]) -> Box<dyn Transform> {
    (VALUE_PLUGIN.create)(&props(pairs)).unwrap()
}

fn record(schema: Option<SchemaRef>, value: Value) -> Record {
    let mut record = Record::new("test").with_value(schema, value);
    record.partition = Some(0);
    record.kafka_offset = Some(0);
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

fn apply(pairs: &[(&str, &str)], input: Record) -> Record {
    transform(pairs).apply(input).unwrap().unwrap()
}

/// dont / abc / foo / etc, as in Kafka Connect's ReplaceFieldTest.
fn schema() -> SchemaRef {
    Arc::new(
        Schema::structure(vec![
            Field::new("dont", Schema::string()),
            Field::new("abc", Schema::int32()),
            Field::new("foo", Schema::boolean()),
            Field::new(
                "etc",
                Schema::string()
                    .optional()
                    .with_default(Value::from("dflt")),
            ),
        ])
        .named("test.Value")
        .with_version(3)
        .with_doc("doc")
        .with_parameter("p", "v")
        .optional(),
    )
}

fn struct_value(etc: Value) -> Value {
    Value::Struct(
        Struct::new()
            .with("dont", Value::from("whatever"))
            .with("abc", Value::Int32(42))
            .with("foo", Value::Boolean(true))
            .with("etc", etc),
    )
}

fn schemaless_value() -> Value {
    map(&[
        ("dont", Value::from("whatever")),
        ("abc", Value::Int32(42)),
        ("foo", Value::Boolean(true)),
        ("etc", Value::from("etc")),
    ])
}

/// Expected outputs from Kafka Connect's ReplaceFieldTest (`schemaless`: blacklist=dont,
/// renames=abc:xyz,foo:bar) and the same settings under the current key names.
#[test]
fn schemaless_cases() {
    let cases: &[(Pairs, Value)] = &[
        (
            &[("blacklist", "dont"), ("renames", "abc:xyz,foo:bar")],
            map(&[
                ("xyz", Value::Int32(42)),
                ("bar", Value::Boolean(true)),
                ("etc", Value::from("etc")),
            ]),
        ),
        (
            &[("exclude", "dont,etc")],
            map(&[("abc", Value::Int32(42)), ("foo", Value::Boolean(true))]),
        ),
        (
            &[("include", "abc,etc,missing")],
            map(&[("abc", Value::Int32(42)), ("etc", Value::from("etc"))]),
        ),
        // exclude takes precedence over include.
        (
            &[("include", "abc,foo"), ("exclude", "foo")],
            map(&[("abc", Value::Int32(42))]),
        ),
        // The new key wins over its deprecated alias.
        (
            &[("include", "abc"), ("whitelist", "foo")],
            map(&[("abc", Value::Int32(42))]),
        ),
        // Two fields renamed onto one name: the later value wins.
        (
            &[("include", "abc,foo"), ("renames", "abc:x,foo:x")],
            map(&[("x", Value::Boolean(true))]),
        ),
        (&[], schemaless_value()),
    ];
    for (pairs, expected) in cases {
        let out = apply(pairs, record(None, schemaless_value()));
        assert_eq!(&out.value, expected, "{pairs:?}");
        assert_eq!(out.value_schema, None);
    }
}

/// Kafka Connect's ReplaceFieldTest `withSchema`: whitelist=abc,foo, renames=abc:xyz,foo:bar.
#[test]
fn schema_is_rebuilt_with_kept_and_renamed_fields() {
    let out = apply(
        &[("whitelist", "abc,foo"), ("renames", "abc:xyz,foo:bar")],
        record(Some(schema()), struct_value(Value::Null)),
    );
    let expected = Schema::structure(vec![
        Field::new("xyz", Schema::int32()),
        Field::new("bar", Schema::boolean()),
    ])
    .named("test.Value")
    .with_version(3)
    .with_doc("doc")
    .with_parameter("p", "v");
    // Like SchemaUtil.copySchemaBasics, optionality and default are not carried over.
    assert_eq!(out.value_schema.as_deref(), Some(&expected));
    let expected = Struct::new()
        .with("xyz", Value::Int32(42))
        .with("bar", Value::Boolean(true));
    assert_eq!(out.value, Value::Struct(expected));
}

#[test]
fn null_fields_take_their_default_unless_disabled() {
    let etc = |pairs: &[(&str, &str)]| {
        let out = apply(pairs, record(Some(schema()), struct_value(Value::Null)));
        let Value::Struct(s) = out.value else {
            panic!("not a struct")
        };
        s.get("etc").cloned()
    };
    assert_eq!(etc(&[("exclude", "dont")]), Some(Value::from("dflt")));
    let pairs = [("exclude", "dont"), ("replace.null.with.default", "false")];
    assert_eq!(etc(&pairs), Some(Value::Null));
}

#[test]
fn schema_is_cached_per_input_schema() {
    let mut t = transform(&[("exclude", "dont")]);
    let first = t.apply(record(Some(schema()), struct_value(Value::Null)));
    let second = t.apply(record(Some(schema()), struct_value(Value::Null)));
    let (first, second) = (first.unwrap().unwrap(), second.unwrap().unwrap());
    assert!(Arc::ptr_eq(
        &first.value_schema.unwrap(),
        &second.value_schema.unwrap()
    ));
}

#[test]
fn key_variant_and_tombstones() {
    let mut input = record(None, Value::Null);
    input.key = map(&[("a", Value::Int32(1)), ("b", Value::Int32(2))]);
    let out = (KEY_PLUGIN.create)(&props(&[("renames", "a:z")]))
        .unwrap()
        .apply(input)
        .unwrap()
        .unwrap();
    assert_eq!(
        out.key,
        map(&[("z", Value::Int32(1)), ("b", Value::Int32(2))])
    );
    assert_eq!(out.value, Value::Null);

    let tombstone = record(Some(schema()), Value::Null);
    assert_eq!(apply(&[("exclude", "dont")], tombstone.clone()), tombstone);
}

#[test]
fn data_errors_name_the_transform_and_record() {
    let cases: &[(Pairs, Record, &str)] = &[
        (
            &[],
            record(None, Value::Int32(1)),
            "ReplaceField$Value: only maps are supported in absence of schema for field \
             replacement, found int32 (record test/0@0)",
        ),
        (
            &[],
            record(Some(schema()), Value::from("x")),
            "ReplaceField$Value: only structs are supported for field replacement, found string \
             (record test/0@0)",
        ),
        (
            &[],
            record(Some(Arc::new(Schema::int32())), struct_value(Value::Null)),
            "ReplaceField$Value: expected a struct schema, found int32 (record test/0@0)",
        ),
        (
            &[("renames", "abc:foo")],
            record(Some(schema()), struct_value(Value::Null)),
            "ReplaceField$Value: cannot create field 'foo' because of field name duplication \
             (record test/0@0)",
        ),
        (
            &[],
            record(None, Value::Map(vec![(Value::Int32(1), Value::Null)])),
            "ReplaceField$Value: map key of type int32 is not a string (record test/0@0)",
        ),
    ];
    for (pairs, input, message) in cases {
        let err = transform(pairs).apply(input.clone()).unwrap_err();
        assert!(err.is_record_level(), "{err}");
        assert_eq!(err.to_string(), *message);
    }
}

#[test]
fn config_parsing() {
    let config = ReplaceFieldConfig::parse(&props(&[
        ("blacklist", "a, b"),
        ("include", "c"),
        ("whitelist", "ignored"),
        ("renames", "x:y,x:z,p:q:"),
    ]))
    .unwrap();
    assert_eq!(config.exclude, ["a", "b"]);
    assert_eq!(config.include, ["c"]);
    // Java's split drops the trailing empty part of `p:q:`; a later mapping of x wins.
    let renames = [("x", "z"), ("p", "q")].map(|(a, b)| (a.to_string(), b.to_string()));
    assert_eq!(config.renames, renames);
    assert!(config.replace_null_with_default);

    let err = ReplaceFieldConfig::parse(&props(&[
        ("renames", "a:b,c"),
        ("replace.null.with.default", "maybe"),
    ]))
    .unwrap_err();
    let issues: Vec<_> = err.issues().iter().map(|i| i.to_string()).collect();
    assert_eq!(
        issues,
        [
            "renames: invalid value 'a:b,c': invalid rename mapping: c",
            "replace.null.with.default: invalid value 'maybe': expected a boolean (true or false)",
        ]
    );
    for bad in ["a:", "a:b:c", ":"] {
        assert!(
            ReplaceFieldConfig::parse(&props(&[("renames", bad)])).is_err(),
            "{bad}"
        );
    }
}
