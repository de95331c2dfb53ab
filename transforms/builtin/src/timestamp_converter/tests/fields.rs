//! Conversion of one struct field: schemas, nulls, defaults and caching.

use super::*;

pub(super) fn struct_schema(ts: Schema) -> Schema {
    Schema::structure(vec![
        Field::new("ts", ts),
        Field::new(
            "other",
            Schema::string()
                .optional()
                .with_default(Value::from("none")),
        ),
    ])
}

pub(super) fn struct_value(ts: Value, other: Value) -> Value {
    Value::Struct(Struct::new().with("ts", ts).with("other", other))
}

#[test]
fn struct_field_conversion() {
    // TimestampConverterTest.testWithSchemaFieldConversion{,_Micros,_Nanos,_Seconds}.
    let cases: &[(&str, i64, i64)] = &[
        ("milliseconds", DATE_PLUS_TIME, DATE_PLUS_TIME),
        ("microseconds", DATE_PLUS_TIME_MICROS, DATE_PLUS_TIME),
        ("nanoseconds", DATE_PLUS_TIME_NANOS, DATE_PLUS_TIME),
        ("seconds", DATE_PLUS_TIME_SECONDS, 86_401_000),
    ];
    for (precision, unix, millis) in cases {
        let config = [
            ("target.type", "Timestamp"),
            ("field", "ts"),
            ("unix.precision", precision),
        ];
        let out = apply(
            &config,
            Some(struct_schema(Schema::int64())),
            struct_value(Value::Int64(*unix), Value::from("test")),
        );
        let expected = (
            Some(struct_schema(Schema::timestamp())),
            struct_value(Value::Timestamp(*millis), Value::from("test")),
        );
        assert_eq!(out, expected, "{precision}");
    }
}

#[test]
fn struct_nulls_and_defaults() {
    let config = [
        ("target.type", "string"),
        ("format", "yyyy-MM-dd"),
        ("field", "ts"),
    ];
    // TimestampConverterTest.testWithSchemaNullFieldConversion: a null field and a null struct.
    let schema = struct_schema(Schema::date().optional());
    let expected_schema = struct_schema(Schema::string().optional());
    let out = apply(
        &config,
        Some(schema.clone()),
        struct_value(Value::Null, Value::from("test")),
    );
    assert_eq!(
        out,
        (
            Some(expected_schema.clone()),
            struct_value(Value::Null, Value::from("test"))
        )
    );
    let out = apply(&config, Some(schema.optional()), Value::Null);
    assert_eq!(out, (Some(expected_schema.optional()), Value::Null));

    // Null fields take their default unless replace.null.with.default is false; the converted
    // field's new schema has no default, and the struct's own default is converted too.
    let schema = Schema::structure(vec![
        Field::new(
            "ts",
            Schema::int64()
                .optional()
                .with_default(Value::Int64(DATE_PLUS_TIME)),
        ),
        Field::new(
            "other",
            Schema::string()
                .optional()
                .with_default(Value::from("none")),
        ),
    ])
    .named("shop.Event")
    .with_version(3)
    .with_doc("an event")
    .with_parameter("p", "v")
    .with_default(struct_value(Value::Int64(0), Value::from("d")));
    let null = struct_value(Value::Null, Value::Null);
    let (out_schema, out) = apply(&config, Some(schema.clone()), null.clone());
    assert_eq!(
        out,
        struct_value(Value::from("1970-01-02"), Value::from("none"))
    );
    let out_schema = out_schema.unwrap();
    let expected = Schema::structure(vec![
        Field::new("ts", Schema::string().optional()),
        Field::new(
            "other",
            Schema::string()
                .optional()
                .with_default(Value::from("none")),
        ),
    ])
    .named("shop.Event")
    .with_version(3)
    .with_doc("an event")
    .with_parameter("p", "v")
    .with_default(struct_value(Value::from("1970-01-01"), Value::from("d")));
    assert_eq!(out_schema, expected);

    let config = [config.as_slice(), &[("replace.null.with.default", "false")]].concat();
    let (_, out) = apply(&config, Some(schema), null);
    assert_eq!(out, struct_value(Value::Null, Value::Null));
}

#[test]
fn updated_schemas_are_cached_and_key_variant_works() {
    let mut transform = transform(&[("target.type", "Timestamp"), ("field", "ts")]);
    let value = || struct_value(Value::Int64(1), Value::from("x"));
    let first = transform
        .apply(record(Some(struct_schema(Schema::int64())), value()))
        .unwrap()
        .unwrap();
    let second = transform
        .apply(record(Some(struct_schema(Schema::int64())), value()))
        .unwrap()
        .unwrap();
    assert!(Arc::ptr_eq(
        &first.value_schema.unwrap(),
        &second.value_schema.unwrap()
    ));

    let mut key = (KEY_PLUGIN.create)(&props(&[("target.type", "unix")])).unwrap();
    let input = record(None, Value::from("payload"))
        .with_key(Some(Arc::new(Schema::timestamp())), Value::Timestamp(5));
    let out = key.apply(input).unwrap().unwrap();
    assert_eq!(
        (out.key_schema.as_deref(), &out.key),
        (Some(&Schema::int64()), &Value::Int64(5))
    );
    assert_eq!(out.value, Value::from("payload"));
}
