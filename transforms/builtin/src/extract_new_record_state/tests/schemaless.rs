//! Change events without schemas, as a JSON converter with `schemas.enable=false` reads the
//! PostgreSQL connector's events (numbers arrive as int64).

use super::*;

fn map(entries: &[(&str, Value)]) -> Value {
    Value::Map(
        entries
            .iter()
            .map(|(k, v)| (Value::from(*k), v.clone()))
            .collect(),
    )
}

fn anne() -> Value {
    map(&[
        ("id", Value::Int64(1004)),
        ("first_name", Value::from("Anne")),
        ("last_name", Value::from("Kretchmar")),
        ("email", Value::from("annek@noanswer.org")),
    ])
}

fn event(op: &str, before: Value, after: Value) -> Record {
    let source = map(&[
        ("connector", Value::from("postgresql")),
        ("ts_ms", Value::Int64(1_559_033_904_863)),
        ("table", Value::from("customers")),
        ("lsn", Value::Int64(24_023_128)),
    ]);
    let value = map(&[
        ("before", before),
        ("after", after),
        ("source", source),
        ("op", Value::from(op)),
        ("ts_ms", Value::Int64(1_559_033_904_999)),
        ("transaction", Value::Null),
    ]);
    Record::new("dbserver1.inventory.customers").with_value(None, value)
}

fn plus(value: Value, extra: &[(&str, Value)]) -> Value {
    let Value::Map(mut entries) = value else {
        panic!("not a map")
    };
    for (key, value) in extra {
        entries.push((Value::from(*key), value.clone()));
    }
    Value::Map(entries)
}

#[test]
fn create_event_becomes_the_after_map() {
    let config = [
        ("add.fields", "op,table,source.ts_ms"),
        ("add.headers", "op,lsn,transaction.id,xmin"),
    ];
    let out = apply(&config, event("c", Value::Null, anne())).unwrap();
    let expected = plus(
        anne(),
        &[
            ("__op", Value::from("c")),
            ("__table", Value::from("customers")),
            ("__source_ts_ms", Value::Int64(1_559_033_904_863)),
        ],
    );
    assert_eq!((out.value_schema, out.value), (None, expected));
    let header = |key: &str, value: Value| Header {
        key: key.into(),
        schema: None,
        value,
    };
    // `transaction` is null, so its `id` is too; `xmin` is nowhere, so it is left out.
    let expected = vec![
        header("__op", Value::from("c")),
        header("__lsn", Value::Int64(24_023_128)),
        header("__transaction_id", Value::Null),
    ];
    assert_eq!(out.headers, expected);
}

#[test]
fn deletes_follow_the_handling_mode() {
    let delete = || event("d", anne(), Value::Null);
    assert_eq!(apply(&[], delete()), None);
    let out = apply(&[("delete.handling.mode", "none")], delete()).unwrap();
    assert_eq!((out.value_schema, out.value), (None, Value::Null));
    let config = [
        ("delete.tombstone.handling.mode", "rewrite"),
        ("add.fields", "op"),
    ];
    let out = apply(&config, delete()).unwrap();
    let expected = plus(
        anne(),
        &[
            ("__deleted", Value::from("true")),
            ("__op", Value::from("d")),
        ],
    );
    assert_eq!(out.value, expected);
    // An existing key of the same name is replaced, as InsertField does for maps.
    let after = plus(anne(), &[("__deleted", Value::from("stale"))]);
    let out = apply(&config, event("u", anne(), after)).unwrap();
    let expected = plus(
        anne(),
        &[
            ("__deleted", Value::from("false")),
            ("__op", Value::from("u")),
        ],
    );
    assert_eq!(out.value, expected);
    // A truncate carries no state and is dropped.
    assert_eq!(apply(&config, event("t", Value::Null, Value::Null)), None);
}

#[test]
fn other_maps_pass_through() {
    let heartbeat = Record::new("__debezium-heartbeat.dbserver1")
        .with_value(None, map(&[("ts_ms", Value::Int64(1))]));
    let schema_change = Record::new("dbserver1").with_value(
        None,
        map(&[("ddl", Value::from("CREATE TABLE t (id int)"))]),
    );
    let no_after = Record::new("t").with_value(None, map(&[("op", Value::from("c"))]));
    for input in [heartbeat, schema_change, no_after] {
        assert_eq!(apply(&[("add.headers", "op")], input.clone()), Some(input));
    }
}

#[test]
fn a_state_that_is_not_a_map_is_a_record_error() {
    let err = (PLUGIN.create)(&props(&[]))
        .unwrap()
        .apply(event("c", Value::Null, Value::from("x")))
        .unwrap_err();
    assert!(err.is_record_level());
    assert!(
        err.to_string()
            .contains("expected the 'after' state to be a map, found string"),
        "{err}"
    );
}
