use std::sync::Arc;

use sluice_api::config::props;
use sluice_api::data::Decimal;
use sluice_api::{Field, Schema};

use super::masking::DecimalText;
use super::*;

/// Config pairs of one test case.
type Pairs = &'static [(&'static str, &'static str)];
/// Text, `longValue()`, `doubleValue()` and (unscaled, scale).
type DecimalCase = (&'static str, i64, f64, Option<(i128, i32)>);

fn transform(pairs: &[(&str, &str)]) -> Box<dyn Transform> {
    (VALUE_PLUGIN.create)(&props(pairs)).unwrap()
}

fn record(schema: Option<SchemaRef>, value: Value) -> Record {
    let mut record = Record::new("t").with_value(schema, value);
    record.partition = Some(0);
    record.kafka_offset = Some(7);
    record
}

fn dec(unscaled: i128, scale: i32) -> Value {
    Value::Decimal(Decimal { unscaled, scale })
}

/// Field name, schema and value of Kafka Connect's MaskFieldTest, plus bytes.
fn fields() -> Vec<(&'static str, Schema, Value)> {
    vec![
        ("magic", Schema::int32(), Value::Int32(42)),
        ("bool", Schema::boolean(), Value::Boolean(true)),
        ("byte", Schema::int8(), Value::Int8(42)),
        ("short", Schema::int16(), Value::Int16(42)),
        ("int", Schema::int32(), Value::Int32(42)),
        ("long", Schema::int64(), Value::Int64(42)),
        ("float", Schema::float32(), Value::Float32(42.0)),
        ("double", Schema::float64(), Value::Float64(42.0)),
        ("string", Schema::string(), Value::from("55.121.20.20")),
        ("date", Schema::date(), Value::Date(19_000)),
        ("time", Schema::time(), Value::Time(1_000)),
        (
            "timestamp",
            Schema::timestamp(),
            Value::Timestamp(1_700_000_000_000),
        ),
        ("decimal", Schema::decimal(2), dec(4200, 2)),
        (
            "array",
            Schema::array(Schema::int32()),
            Value::Array(vec![Value::Int32(1)]),
        ),
        (
            "map",
            Schema::map(Schema::string(), Schema::string()),
            Value::Map(vec![(Value::from("k"), Value::from("v"))]),
        ),
        (
            "bytes",
            Schema::bytes().optional(),
            Value::Bytes(vec![1, 2]),
        ),
    ]
}

fn schema() -> SchemaRef {
    let fields = fields()
        .into_iter()
        .map(|(name, schema, _)| Field::new(name, schema))
        .collect();
    Arc::new(Schema::structure(fields).named("masked"))
}

fn struct_value() -> Value {
    let fields = fields()
        .into_iter()
        .map(|(name, _, value)| (name.to_string(), value))
        .collect::<Vec<_>>();
    Value::Struct(Struct::from(fields))
}

fn map_value() -> Value {
    let entries = fields()
        .into_iter()
        .map(|(name, _, value)| (Value::from(name), value))
        .collect();
    Value::Map(entries)
}

fn get(value: &Value, name: &str) -> Value {
    match value {
        Value::Struct(s) => s.get(name).cloned().unwrap(),
        map => map.map_get(name).cloned().unwrap(),
    }
}

/// Kafka Connect's MaskFieldTest `testSchemaless` / `testWithSchema`: every field but `magic`
/// becomes the empty value of its type.
#[test]
fn masks_with_empty_values() {
    let masked =
        "bool,byte,short,int,long,float,double,string,date,time,timestamp,decimal,array,map";
    let expected = [
        ("magic", Value::Int32(42)),
        ("bool", Value::Boolean(false)),
        ("byte", Value::Int8(0)),
        ("short", Value::Int16(0)),
        ("int", Value::Int32(0)),
        ("long", Value::Int64(0)),
        ("float", Value::Float32(0.0)),
        ("double", Value::Float64(0.0)),
        ("string", Value::from("")),
        ("date", Value::Date(0)),
        ("time", Value::Time(0)),
        ("timestamp", Value::Timestamp(0)),
        ("array", Value::Array(vec![])),
        ("map", Value::Map(vec![])),
        ("bytes", Value::Bytes(vec![1, 2])),
    ];
    let mut t = transform(&[("fields", masked)]);
    let with_schema = t
        .apply(record(Some(schema()), struct_value()))
        .unwrap()
        .unwrap();
    assert_eq!(with_schema.value_schema, Some(schema()));
    let schemaless = t.apply(record(None, map_value())).unwrap().unwrap();
    for (name, value) in &expected {
        assert_eq!(&get(&with_schema.value, name), value, "{name}");
        assert_eq!(&get(&schemaless.value, name), value, "{name}");
    }
    // BigDecimal.ZERO without a schema; the schema's scale with one.
    assert_eq!(get(&schemaless.value, "decimal"), dec(0, 0));
    assert_eq!(get(&with_schema.value, "decimal"), dec(0, 2));
}

/// Kafka Connect's MaskFieldTest `testSchemalessWithReplacement` / `testWithSchemaAndReplacement`.
#[test]
fn masks_with_replacement() {
    let cases = [
        ("short", "123", Value::Int16(123)),
        ("byte", "123", Value::Int8(123)),
        ("int", "123", Value::Int32(123)),
        ("long", "123", Value::Int64(123)),
        ("float", "123.0", Value::Float32(123.0)),
        ("double", "123.0", Value::Float64(123.0)),
        ("string", "123", Value::from("123")),
        ("string", "***-***-****", Value::from("***-***-****")),
        // Values.convertTo* go through BigDecimal: fractions truncate, integers wrap.
        ("int", "1.9e2", Value::Int32(190)),
        ("byte", "300", Value::Int8(44)),
        ("long", "-7.5", Value::Int64(-7)),
    ];
    for (field, replacement, expected) in cases {
        let pairs = [("fields", field), ("replacement", replacement)];
        let mut t = transform(&pairs);
        let out = t.apply(record(None, map_value())).unwrap().unwrap();
        assert_eq!(get(&out.value, field), expected, "{field}={replacement}");
        let out = t
            .apply(record(Some(schema()), struct_value()))
            .unwrap()
            .unwrap();
        assert_eq!(get(&out.value, field), expected, "{field}={replacement}");
    }
    // A decimal replacement keeps its own scale without a schema and takes the schema's with one.
    let mut t = transform(&[("fields", "decimal"), ("replacement", "123.0")]);
    let out = t.apply(record(None, map_value())).unwrap().unwrap();
    assert_eq!(get(&out.value, "decimal"), dec(1230, 1));
    let out = t
        .apply(record(Some(schema()), struct_value()))
        .unwrap()
        .unwrap();
    assert_eq!(get(&out.value, "decimal"), dec(12300, 2));
}

/// Kafka Connect's MaskFieldTest unsupported-type and type-mismatch cases, as data errors.
#[test]
fn unsupported_masks_are_data_errors() {
    let cases: &[(Pairs, bool, &str)] = &[
        (
            &[("fields", "date"), ("replacement", "x")],
            false,
            "field 'date': cannot mask value of type date with custom replacement",
        ),
        (
            &[("fields", "int,time"), ("replacement", "1")],
            true,
            "field 'time': cannot mask value of type time with custom replacement",
        ),
        (
            &[("fields", "bool"), ("replacement", "false")],
            true,
            "field 'bool': cannot mask value of type boolean with custom replacement",
        ),
        (
            &[("fields", "array"), ("replacement", "1")],
            false,
            "field 'array': cannot mask value of type array with custom replacement",
        ),
        (
            &[("fields", "int"), ("replacement", "foo")],
            false,
            "field 'int': unable to convert 'foo' to a number",
        ),
        (
            &[("fields", "string,float"), ("replacement", "foo")],
            true,
            "field 'float': unable to convert 'foo' to a number",
        ),
        (
            &[("fields", "decimal"), ("replacement", "1.234")],
            true,
            "field 'decimal': replacement '1.234' cannot be represented at the schema's decimal scale 2",
        ),
        (
            &[("fields", "bytes")],
            true,
            "field 'bytes': cannot mask value of type bytes",
        ),
    ];
    for (pairs, with_schema, problem) in cases {
        let input = if *with_schema {
            record(Some(schema()), struct_value())
        } else {
            record(None, map_value())
        };
        let err = transform(pairs).apply(input).unwrap_err();
        assert!(err.is_record_level());
        assert_eq!(
            err.to_string(),
            format!("MaskField$Value: {problem} (record t/0@7)")
        );
    }
    let err = transform(&[("fields", "a")])
        .apply(record(None, Value::Int32(1)))
        .unwrap_err();
    assert!(err.to_string().contains("only maps are supported"), "{err}");
    let err = transform(&[("fields", "a")])
        .apply(record(Some(schema()), Value::Int32(1)))
        .unwrap_err();
    assert!(
        err.to_string().contains("only structs are supported"),
        "{err}"
    );
    let err = transform(&[("fields", "a")])
        .apply(record(Some(Arc::new(Schema::int32())), struct_value()))
        .unwrap_err();
    assert!(
        err.to_string().contains("expected a struct schema"),
        "{err}"
    );
}

#[test]
fn missing_and_null_fields() {
    // Schemaless: a masked field that is absent is added as null (Java's map.put(field, null)).
    let input = Value::Map(vec![(Value::from("a"), Value::Int32(1))]);
    let out = transform(&[("fields", "a,b")])
        .apply(record(None, input))
        .unwrap()
        .unwrap();
    let expected = vec![
        (Value::from("a"), Value::Int32(0)),
        (Value::from("b"), Value::Null),
    ];
    assert_eq!(out.value, Value::Map(expected));

    // With a schema, a null field with a default masks the default unless told not to.
    let schema = Arc::new(Schema::structure(vec![Field::new(
        "s",
        Schema::string()
            .optional()
            .with_default(Value::from("secret")),
    )]));
    let value = Value::Struct(Struct::new().with("s", Value::Null));
    let masked = |pairs: &[(&str, &str)]| {
        let out = transform(pairs)
            .apply(record(Some(schema.clone()), value.clone()))
            .unwrap()
            .unwrap();
        get(&out.value, "s")
    };
    assert_eq!(
        masked(&[("fields", "s"), ("replacement", "x")]),
        Value::from("x")
    );
    let pairs = [("fields", "s"), ("replace.null.with.default", "false")];
    assert_eq!(masked(&pairs), Value::Null);
}

#[test]
fn key_variant_and_tombstones() {
    let mut input = record(None, Value::from("v"));
    input.key = Value::Map(vec![(Value::from("id"), Value::Int64(9))]);
    let out = (KEY_PLUGIN.create)(&props(&[("fields", "id")]))
        .unwrap()
        .apply(input)
        .unwrap()
        .unwrap();
    assert_eq!(
        out.key,
        Value::Map(vec![(Value::from("id"), Value::Int64(0))])
    );
    assert_eq!(out.value, Value::from("v"));

    let tombstone = record(Some(schema()), Value::Null);
    let out = transform(&[("fields", "int")]).apply(tombstone.clone());
    assert_eq!(out.unwrap().unwrap(), tombstone);
}

#[test]
fn config_problems_are_reported_together() {
    let keys = |pairs: &[(&str, &str)]| -> Vec<String> {
        let err = MaskFieldConfig::parse(&props(pairs)).unwrap_err();
        err.issues().iter().map(|i| i.to_string()).collect()
    };
    assert_eq!(
        keys(&[("replacement", " ")]),
        [
            "fields: missing required configuration with no default value",
            "replacement: invalid value ' ': must not be empty",
        ]
    );
    assert_eq!(
        keys(&[("fields", ""), ("replace.null.with.default", "x")]),
        [
            "fields: invalid value '': must not be empty",
            "replace.null.with.default: invalid value 'x': expected a boolean (true or false)",
        ]
    );
    let config = MaskFieldConfig::parse(&props(&[("fields", "a,b,a")])).unwrap();
    assert_eq!(config.fields, ["a", "b"]);
    assert_eq!(config.replacement, None);
}

#[test]
fn decimal_text_follows_java_bigdecimal() {
    let parse = |s: &str| DecimalText::parse(s);
    for bad in [
        "", "-", ".", "1e", "1e+", "abc", "1.2.3", " 1", "0x10", "NaN", "Infinity",
    ] {
        assert_eq!(parse(bad), None, "{bad}");
    }
    let cases: [DecimalCase; 7] = [
        ("123", 123, 123.0, Some((123, 0))),
        ("-12.50", -12, -12.5, Some((-1250, 2))),
        ("+.5", 0, 0.5, Some((5, 1))),
        ("1.5E3", 1500, 1500.0, Some((15, -2))),
        ("7e-1", 0, 0.7, Some((7, 1))),
        // 2^64 + 5: the low 64 bits, as BigDecimal.longValue() keeps.
        (
            "18446744073709551621",
            5,
            1.8446744073709552e19,
            Some((18446744073709551621, 0)),
        ),
        ("1e400", 0, f64::INFINITY, Some((1, -400))),
    ];
    for (text, long, double, decimal) in cases {
        let d = parse(text).unwrap();
        assert_eq!(d.long_value(), long, "{text}");
        assert_eq!(d.double_value(), double, "{text}");
        let expected = decimal.map(|(unscaled, scale)| Decimal { unscaled, scale });
        assert_eq!(d.decimal(), expected, "{text}");
    }
}
