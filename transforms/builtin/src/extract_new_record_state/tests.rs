//! Change events shaped like those in Debezium's PostgreSQL connector documentation (the
//! `inventory.customers` table), plus the expectations of Debezium's ExtractNewRecordState tests.

mod deletes;
mod schemaless;

use sluice_api::config::props;
use sluice_api::{Field, SchemaType, Struct};

use super::*;

/// Transform settings, as key/value pairs.
type Pairs<'a> = &'a [(&'a str, &'a str)];

fn row_schema() -> Schema {
    Schema::structure(vec![
        Field::new("id", Schema::int32()),
        Field::new("first_name", Schema::string()),
        Field::new("last_name", Schema::string()),
        Field::new(
            "email",
            Schema::string()
                .optional()
                .with_default(Value::from("none@example.com")),
        ),
    ])
    .named("dbserver1.inventory.customers.Value")
    .optional()
}

fn envelope_schema() -> SchemaRef {
    let source = Schema::structure(vec![
        Field::new("version", Schema::string()),
        Field::new("connector", Schema::string()),
        Field::new("name", Schema::string()),
        Field::new("ts_ms", Schema::int64()),
        Field::new("snapshot", Schema::string().optional()),
        Field::new("db", Schema::string()),
        Field::new("schema", Schema::string()),
        Field::new("table", Schema::string()),
        Field::new("txId", Schema::int64().optional()),
        Field::new("lsn", Schema::int64().optional()),
    ])
    .named("io.debezium.connector.postgresql.Source");
    let transaction = Schema::structure(vec![
        Field::new("id", Schema::string()),
        Field::new("total_order", Schema::int64()),
        Field::new("data_collection_order", Schema::int64()),
    ])
    .named("event.block")
    .optional();
    Arc::new(
        Schema::structure(vec![
            Field::new("before", row_schema()),
            Field::new("after", row_schema()),
            Field::new("source", source),
            Field::new("op", Schema::string()),
            Field::new("ts_ms", Schema::int64().optional()),
            Field::new("transaction", transaction),
        ])
        .named("dbserver1.inventory.customers.Envelope"),
    )
}

fn row(first_name: &str, email: Value) -> Value {
    Value::Struct(
        Struct::new()
            .with("id", Value::Int32(1004))
            .with("first_name", Value::from(first_name))
            .with("last_name", Value::from("Kretchmar"))
            .with("email", email),
    )
}

fn anne() -> Value {
    row("Anne", Value::from("annek@noanswer.org"))
}

fn envelope(op: &str, before: Value, after: Value) -> Value {
    let source = Struct::new()
        .with("version", Value::from("2.7.0.Final"))
        .with("connector", Value::from("postgresql"))
        .with("name", Value::from("dbserver1"))
        .with("ts_ms", Value::Int64(1_559_033_904_863))
        .with("snapshot", Value::from("false"))
        .with("db", Value::from("postgres"))
        .with("schema", Value::from("inventory"))
        .with("table", Value::from("customers"))
        .with("txId", Value::Int64(555))
        .with("lsn", Value::Int64(24_023_128));
    let transaction = Struct::new()
        .with("id", Value::from("571"))
        .with("total_order", Value::Int64(42))
        .with("data_collection_order", Value::Int64(7));
    Value::Struct(
        Struct::new()
            .with("before", before)
            .with("after", after)
            .with("source", Value::Struct(source))
            .with("op", Value::from(op))
            .with("ts_ms", Value::Int64(1_559_033_904_999))
            .with("transaction", Value::Struct(transaction)),
    )
}

fn record(value: Value) -> Record {
    let key = Value::Struct(Struct::new().with("id", Value::Int32(1004)));
    let key_schema = Arc::new(Schema::structure(vec![Field::new("id", Schema::int32())]));
    let schema = (!value.is_null()).then(envelope_schema);
    let mut record = Record::new("dbserver1.inventory.customers")
        .with_key(Some(key_schema), key)
        .with_value(schema, value);
    record.partition = Some(0);
    record.kafka_offset = Some(3);
    record
}

fn apply(pairs: &[(&str, &str)], record: Record) -> Option<Record> {
    (PLUGIN.create)(&props(pairs))
        .unwrap()
        .apply(record)
        .unwrap()
}

/// The unwrapped row schema: the `Value` schema, required, with extra optional fields.
fn unwrapped_schema(extra: &[(&str, Schema)]) -> Schema {
    let mut schema = row_schema();
    schema.optional = false;
    if let SchemaType::Struct(fields) = &mut schema.ty {
        fields.extend(extra.iter().map(|(name, s)| Field::new(*name, s.clone())));
    }
    schema
}

fn with(value: Value, extra: &[(&str, Value)]) -> Value {
    let Value::Struct(mut s) = value else {
        panic!("not a struct")
    };
    for (name, value) in extra {
        s.put(*name, value.clone());
    }
    Value::Struct(s)
}

#[test]
fn create_event_becomes_the_after_state() {
    let input = record(envelope("c", Value::Null, anne()));
    let out = apply(&[], input.clone()).unwrap();
    assert_eq!(out.value, anne());
    assert_eq!(out.value_schema.as_deref(), Some(&unwrapped_schema(&[])));
    assert_eq!(
        (&out.key, &out.key_schema, &out.topic),
        (&input.key, &input.key_schema, &input.topic)
    );
    assert!(out.headers.is_empty());
}

#[test]
fn add_fields_copy_metadata() {
    // Debezium's documented example: add.fields=op,table,lsn,source.ts_ms.
    let out = apply(
        &[("add.fields", "op,table,lsn,source.ts_ms")],
        record(envelope("c", Value::Null, anne())),
    )
    .unwrap();
    let expected = with(
        anne(),
        &[
            ("__op", Value::from("c")),
            ("__table", Value::from("customers")),
            ("__lsn", Value::Int64(24_023_128)),
            ("__source_ts_ms", Value::Int64(1_559_033_904_863)),
        ],
    );
    assert_eq!(out.value, expected);
    let schema = unwrapped_schema(&[
        ("__op", Schema::string().optional()),
        ("__table", Schema::string().optional()),
        ("__lsn", Schema::int64().optional()),
        ("__source_ts_ms", Schema::int64().optional()),
    ]);
    assert_eq!(out.value_schema.as_deref(), Some(&schema));

    // Debezium's testNewFieldAndHeaderMapping: renames, struct-qualified names, an empty prefix;
    // `id` lives in `transaction`, `ts_ms` in the envelope; unknown fields are skipped.
    let config = [
        (
            "add.fields",
            "op:OP, lsn:LSN, id:ID, source.lsn:source_lsn, transaction.total_order:TOTAL_ORDER, ts_ms, nope",
        ),
        ("add.fields.prefix", ""),
    ];
    let out = apply(&config, record(envelope("u", anne(), anne()))).unwrap();
    let expected = with(
        anne(),
        &[
            ("OP", Value::from("u")),
            ("LSN", Value::Int64(24_023_128)),
            ("ID", Value::from("571")),
            ("source_lsn", Value::Int64(24_023_128)),
            ("TOTAL_ORDER", Value::Int64(42)),
            ("ts_ms", Value::Int64(1_559_033_904_999)),
        ],
    );
    assert_eq!(out.value, expected);
}

#[test]
fn add_headers_copy_metadata() {
    // Debezium's testAddHeadersSpecifyStruct.
    let mut input = record(envelope("u", anne(), anne()));
    input.headers.push(Header::string("existing", "kept"));
    let config = [
        (
            "add.headers",
            "op,source.lsn,transaction.id,transaction.total_order",
        ),
        ("add.headers.prefix", "prefix."),
    ];
    let out = apply(&config, input).unwrap();
    let header = |key: &str, schema: Schema, value: Value| Header {
        key: key.into(),
        schema: Some(Arc::new(schema)),
        value,
    };
    let expected = vec![
        Header::string("existing", "kept"),
        header("prefix.op", Schema::string().optional(), Value::from("u")),
        header(
            "prefix.source_lsn",
            Schema::int64().optional(),
            Value::Int64(24_023_128),
        ),
        header(
            "prefix.transaction_id",
            Schema::string().optional(),
            Value::from("571"),
        ),
        header(
            "prefix.transaction_total_order",
            Schema::int64().optional(),
            Value::Int64(42),
        ),
    ];
    assert_eq!(out.headers, expected);
    assert_eq!(out.value, anne());

    // A null transaction (snapshots) still gives the header, with a null value.
    let Value::Struct(mut event) = envelope("r", Value::Null, anne()) else {
        unreachable!()
    };
    event.put("transaction", Value::Null);
    let out = apply(&[("add.headers", "id")], record(Value::Struct(event))).unwrap();
    assert_eq!(
        out.headers,
        vec![header("__id", Schema::string().optional(), Value::Null)]
    );
}

#[test]
fn unwrapped_schemas_are_cached() {
    let mut transform = (PLUGIN.create)(&props(&[("add.fields", "op")])).unwrap();
    let first = transform
        .apply(record(envelope("c", Value::Null, anne())))
        .unwrap()
        .unwrap();
    let second = transform
        .apply(record(envelope("u", anne(), anne())))
        .unwrap()
        .unwrap();
    assert!(Arc::ptr_eq(
        &first.value_schema.unwrap(),
        &second.value_schema.unwrap()
    ));
}

#[test]
fn malformed_events_are_record_errors() {
    let bad_after = envelope("c", Value::Null, Value::from("x"));
    let no_after =
        Arc::new(Schema::structure(vec![Field::new("op", Schema::string())]).named("x.Envelope"));
    let cases: Vec<(Pairs, Record, &str)> = vec![
        (
            &[],
            record(Value::Null).with_value(Some(envelope_schema()), Value::from("x")),
            "expected a struct change event, found string",
        ),
        (
            &[],
            record(bad_after),
            "expected the 'after' state to be a struct, found string",
        ),
        (
            &[],
            record(Value::Null).with_value(Some(no_after), Value::Struct(Struct::new())),
            "has no 'after' field",
        ),
        (
            &[("add.fields", "op:id"), ("add.fields.prefix", "")],
            record(envelope("c", Value::Null, anne())),
            "cannot add field 'id'",
        ),
    ];
    for (config, input, expected) in cases {
        let err = (PLUGIN.create)(&props(config))
            .unwrap()
            .apply(input)
            .unwrap_err();
        assert!(err.is_record_level(), "{err}");
        let message = err.to_string();
        assert!(
            message.starts_with("ExtractNewRecordState: ") && message.contains(expected),
            "{message}"
        );
        assert!(
            message.ends_with("(record dbserver1.inventory.customers/0@3)"),
            "{message}"
        );
    }
}

#[test]
fn config_is_parsed_and_checked_together() {
    let issues = |pairs: &[(&str, &str)]| -> Vec<String> {
        match ExtractNewRecordStateConfig::parse(&props(pairs)) {
            Ok(config) => panic!("accepted: {config:?}"),
            Err(err) => err.issues().iter().map(|i| i.key.clone()).collect(),
        }
    };
    let bad = [
        ("drop.tombstones", "maybe"),
        ("delete.handling.mode", "keep"),
        ("delete.tombstone.handling.mode", "none"),
        ("add.fields", "op:a:b"),
        ("add.headers", ":"),
    ];
    let keys = [
        "drop.tombstones",
        "delete.handling.mode",
        "delete.tombstone.handling.mode",
        "add.fields",
        "add.headers",
    ];
    assert_eq!(issues(&bad), keys);

    let reference = |spec: &str| {
        let r = FieldReference::parse("__", spec).unwrap();
        (r.parent, r.field, r.new_name)
    };
    let some = |s: &str| Some(s.to_string());
    assert_eq!(reference("op"), (None, "op".into(), "__op".into()));
    assert_eq!(
        reference("lsn"),
        (some("source"), "lsn".into(), "__lsn".into())
    );
    assert_eq!(
        reference("source.ts_ms"),
        (some("source"), "ts_ms".into(), "__source_ts_ms".into())
    );
    assert_eq!(
        reference("total_order"),
        (
            some("transaction"),
            "total_order".into(),
            "__total_order".into()
        )
    );
    assert_eq!(reference("a.b.c:"), (some("a"), "b".into(), "__a_b".into()));
    assert_eq!(
        reference("table:t"),
        (some("source"), "table".into(), "__t".into())
    );

    let defaults = ExtractNewRecordStateConfig::parse(&props(&[])).unwrap();
    assert!(defaults.drop_tombstones && defaults.replace_null_with_default);
    assert_eq!(defaults.delete_handling, DeleteHandling::Drop);
    assert!(defaults.add_fields.is_empty() && defaults.add_headers.is_empty());
}

#[test]
fn unsupported_debezium_keys_are_config_errors() {
    let err = config_def()
        .parse(&props(&[("route.by.field", "table")]))
        .unwrap_err();
    assert_eq!(err.issues()[0].key, "route.by.field");
    assert!(err.issues()[0].reason.contains("not supported"), "{err}");
    assert!(config_def().parse(&props(&[])).is_ok());
}
