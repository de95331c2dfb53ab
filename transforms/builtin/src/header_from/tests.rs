use sluice_api::config::props;
use sluice_api::{ConnectError, Field};

use super::*;

/// Fields and headers of a record, as Kafka Connect's `HeaderFromTest.RecordBuilder` keeps them.
#[derive(Clone, Default)]
struct Spec {
    fields: Vec<(&'static str, Schema, Value)>,
    headers: Vec<(&'static str, Schema, Value)>,
}

impl Spec {
    fn field(mut self, name: &'static str, schema: Schema, value: Value) -> Self {
        self.fields.push((name, schema, value));
        self
    }

    fn header(mut self, name: &'static str, schema: Schema, value: Value) -> Self {
        self.headers.push((name, schema, value));
        self
    }

    fn schema(&self) -> SchemaRef {
        let fields = self
            .fields
            .iter()
            .map(|(name, schema, _)| Field::new(*name, schema.clone()))
            .collect();
        Arc::new(Schema::structure(fields))
    }

    /// A source record whose key or value holds the fields (the other part a plain string).
    fn record(&self, key: bool, with_schema: bool) -> Record {
        let (schema, data) = if with_schema {
            let values = self
                .fields
                .iter()
                .map(|(name, _, value)| (name.to_string(), value.clone()))
                .collect::<Vec<_>>();
            (Some(self.schema()), Value::Struct(Struct::from(values)))
        } else {
            let entries = self
                .fields
                .iter()
                .map(|(name, _, value)| (Value::from(*name), value.clone()))
                .collect();
            (None, Value::Map(entries))
        };
        let mut record = Record::new("topic").with_timestamp(0);
        record.partition = Some(0);
        if key {
            record = record
                .with_key(schema, data)
                .with_value(None, "value".into());
        } else {
            record = record.with_key(None, "key".into()).with_value(schema, data);
        }
        // Schemaless transformations give headers without schema.
        record.headers = self
            .headers
            .iter()
            .map(|(name, schema, value)| Header {
                key: name.to_string(),
                schema: with_schema.then(|| Arc::new(schema.clone())),
                value: value.clone(),
            })
            .collect();
        record
    }
}

fn string(s: &str) -> Value {
    Value::from(s)
}

/// The cases of Kafka Connect's `HeaderFromTest.data()`: (name, input, fields, headers,
/// operation, expected).
fn cases() -> Vec<(
    &'static str,
    Spec,
    &'static str,
    &'static str,
    &'static str,
    Spec,
)> {
    let s = Schema::string;
    let base = || {
        Spec::default()
            .field("field1", s(), string("field1-value"))
            .field("field2", s(), string("field2-value"))
    };
    let inner = Schema::structure(vec![Field::new("foo", s())]);
    let inner_value = Value::Struct(Struct::new().with("foo", string("foo-value")));
    let with_struct = || {
        Spec::default()
            .field("field1", inner.clone(), inner_value.clone())
            .field("field2", s(), string("field2-value"))
            .header("header1", s(), string("existing-value"))
    };
    let only_field2 = || Spec::default().field("field2", s(), string("field2-value"));
    vec![
        (
            "basic copy",
            base().header("header1", s(), string("existing-value")),
            "field1",
            "inserted1",
            "copy",
            base()
                .header("header1", s(), string("existing-value"))
                .header("inserted1", s(), string("field1-value")),
        ),
        (
            "basic move",
            base().header("header1", s(), string("existing-value")),
            "field1",
            "inserted1",
            "move",
            only_field2()
                .header("header1", s(), string("existing-value"))
                .header("inserted1", s(), string("field1-value")),
        ),
        (
            "copy with preexisting header",
            base().header("inserted1", s(), string("existing-value")),
            "field1",
            "inserted1",
            "copy",
            base()
                .header("inserted1", s(), string("existing-value"))
                .header("inserted1", s(), string("field1-value")),
        ),
        (
            "move with preexisting header",
            base().header("inserted1", s(), string("existing-value")),
            "field1",
            "inserted1",
            "move",
            only_field2()
                .header("inserted1", s(), string("existing-value"))
                .header("inserted1", s(), string("field1-value")),
        ),
        (
            "copy with struct value",
            with_struct(),
            "field1",
            "inserted1",
            "copy",
            with_struct().header("inserted1", inner.clone(), inner_value.clone()),
        ),
        (
            "move with struct value",
            with_struct(),
            "field1",
            "inserted1",
            "move",
            only_field2()
                .header("header1", s(), string("existing-value"))
                .header("inserted1", inner.clone(), inner_value.clone()),
        ),
        (
            "two headers from same field",
            base().header("header1", s(), string("existing-value")),
            "field1,field1",
            "inserted1,inserted2",
            "move",
            only_field2()
                .header("header1", s(), string("existing-value"))
                .header("inserted1", s(), string("field1-value"))
                .header("inserted2", s(), string("field1-value")),
        ),
        (
            "two fields to same header",
            base().header("header1", s(), string("existing-value")),
            "field1,field2",
            "inserted1,inserted1",
            "move",
            Spec::default()
                .header("header1", s(), string("existing-value"))
                .header("inserted1", s(), string("field1-value"))
                .header("inserted1", s(), string("field2-value")),
        ),
    ]
}

/// Expected outputs from Kafka Connect's `HeaderFromTest` (schemaless and withSchema, key and
/// value variants).
#[test]
fn kafka_connect_cases() {
    for (name, input, fields, headers, operation, expected) in cases() {
        for key in [true, false] {
            for with_schema in [false, true] {
                let plugin = if key { KEY_PLUGIN } else { VALUE_PLUGIN };
                let config = props(&[
                    ("fields", fields),
                    ("headers", headers),
                    ("operation", operation),
                ]);
                let out = (plugin.create)(&config)
                    .unwrap()
                    .apply(input.record(key, with_schema))
                    .unwrap()
                    .unwrap();
                let expected = expected.record(key, with_schema);
                assert_eq!(out, expected, "{name}, key={key}, schema={with_schema}");
            }
        }
    }
}

#[test]
fn moved_schema_keeps_metadata_and_is_shared() {
    let schema = Arc::new(
        Schema::structure(vec![
            Field::new("a", Schema::int32()),
            Field::new("b", Schema::int32()),
        ])
        .named("Row")
        .with_version(3)
        .with_doc("d")
        .optional(),
    );
    let mut transform = (VALUE_PLUGIN.create)(&props(&[
        ("fields", "a"),
        ("headers", "h"),
        ("operation", "move"),
    ]))
    .unwrap();
    let mut outputs = Vec::new();
    for n in [1, 2] {
        let data = Struct::new()
            .with("a", Value::Int32(n))
            .with("b", Value::Int32(0));
        let record = Record::new("t").with_value(Some(schema.clone()), Value::Struct(data));
        outputs.push(transform.apply(record).unwrap().unwrap());
    }
    let moved = outputs[0].value_schema.clone().unwrap();
    assert!(Arc::ptr_eq(
        &moved,
        outputs[1].value_schema.as_ref().unwrap()
    ));
    let expected = Schema::structure(vec![Field::new("b", Schema::int32())])
        .named("Row")
        .with_version(3)
        .with_doc("d");
    assert_eq!(*moved, expected);
    assert_eq!(outputs[1].headers[0].value, Value::Int32(2));
}

#[test]
fn header_values_take_defaults_unless_disabled() {
    let schema = Arc::new(Schema::structure(vec![Field::new(
        "a",
        Schema::int32().optional().with_default(Value::Int32(7)),
    )]));
    for (replace, expected) in [("true", Value::Int32(7)), ("false", Value::Null)] {
        let record = Record::new("t").with_value(
            Some(schema.clone()),
            Value::Struct(Struct::new().with("a", Value::Null)),
        );
        let out = (VALUE_PLUGIN.create)(&props(&[
            ("fields", "a"),
            ("headers", "h"),
            ("operation", "copy"),
            ("replace.null.with.default", replace),
        ]))
        .unwrap()
        .apply(record)
        .unwrap()
        .unwrap();
        assert_eq!(out.headers[0].value, expected, "{replace}");
        assert_eq!(
            out.headers[0].schema.as_deref(),
            Some(&schema.fields()[0].schema).map(|s| &**s)
        );
    }
}

#[test]
fn schemaless_missing_field_gives_a_null_header() {
    let record = Spec::default()
        .field("a", Schema::int32(), Value::Int32(1))
        .record(false, false);
    let out = (VALUE_PLUGIN.create)(&props(&[
        ("fields", "x"),
        ("headers", "h"),
        ("operation", "move"),
    ]))
    .unwrap()
    .apply(record)
    .unwrap()
    .unwrap();
    assert_eq!(
        out.headers,
        vec![Header {
            key: "h".into(),
            schema: None,
            value: Value::Null
        }]
    );
    assert_eq!(out.value, Value::Map(vec![("a".into(), Value::Int32(1))]));
}

#[test]
fn data_errors() {
    let spec = Spec::default().field("a", Schema::int32(), Value::Int32(1));
    let cases: Vec<(Record, &str)> = vec![
        (
            spec.record(false, true),
            "cannot copy field 'x' to header 'h': no such field",
        ),
        (
            Record::new("topic").with_value(None, Value::Null),
            "expected a map when there is no schema, found null",
        ),
        (
            Record::new("topic").with_value(Some(spec.schema()), Value::Null),
            "expected a struct, found null",
        ),
    ];
    for (record, expected) in cases {
        let err = (VALUE_PLUGIN.create)(&props(&[
            ("fields", "x"),
            ("headers", "h"),
            ("operation", "copy"),
        ]))
        .unwrap()
        .apply(record)
        .unwrap_err();
        assert!(matches!(err, ConnectError::Data { .. }));
        let message = err.to_string();
        assert!(message.starts_with("HeaderFrom$Value: "), "{message}");
        assert!(message.contains(expected), "{message}");
        assert!(message.contains("(record topic/"), "{message}");
    }
}

/// Kafka Connect rejects lists of different lengths (`invalidConfigExtraHeaderConfig`,
/// `invalidConfigExtraFieldConfig`) and operations other than `move` and `copy`.
#[test]
fn config_errors() {
    type Pairs = &'static [(&'static str, &'static str)];
    let cases: Vec<(Pairs, &[&str])> = vec![
        (
            &[
                ("fields", "foo,bar"),
                ("headers", "foo"),
                ("operation", "copy"),
            ],
            &["headers"],
        ),
        (
            &[
                ("fields", "foo"),
                ("headers", "foo,bar"),
                ("operation", "copy"),
            ],
            &["headers"],
        ),
        (
            &[("fields", "foo"), ("headers", "foo"), ("operation", "MOVE")],
            &["operation"],
        ),
        (&[], &["fields", "headers", "operation"]),
    ];
    for (pairs, keys) in cases {
        let err = HeaderFromConfig::parse(&props(pairs)).unwrap_err();
        let found: Vec<_> = err.issues().iter().map(|i| i.key.as_str()).collect();
        assert_eq!(found, keys, "{pairs:?}");
    }
}
