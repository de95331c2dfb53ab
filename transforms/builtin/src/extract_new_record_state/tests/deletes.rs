//! Deletes, tombstones, truncates, defaults, and records that are not change events.

use super::*;

/// A delete's outcome: the value schema and value, or `None` when dropped.
type Outcome = Option<(Schema, Value)>;

#[test]
fn deletes_and_tombstones_follow_the_handling_mode() {
    let delete = || record(envelope("d", anne(), Value::Null));
    let tombstone = || record(Value::Null);
    let rewritten = with(anne(), &[("__deleted", Value::from("true"))]);
    let deleted_schema = unwrapped_schema(&[("__deleted", Schema::string().optional())]);
    // (config, delete's value schema and value or dropped, tombstone kept)
    let cases: &[(Pairs, Outcome, bool)] = &[
        (&[], None, false),
        (&[("drop.tombstones", "false")], None, true),
        (
            &[("delete.handling.mode", "none")],
            Some((row_schema(), Value::Null)),
            false,
        ),
        (
            &[
                ("delete.handling.mode", "REWRITE"),
                ("drop.tombstones", "false"),
            ],
            Some((deleted_schema.clone(), rewritten.clone())),
            true,
        ),
        (
            &[
                ("delete.tombstone.handling.mode", "drop"),
                ("drop.tombstones", "false"),
            ],
            None,
            false,
        ),
        (
            &[("delete.tombstone.handling.mode", "tombstone")],
            Some((row_schema(), Value::Null)),
            false,
        ),
        (
            &[("delete.tombstone.handling.mode", "rewrite")],
            Some((deleted_schema.clone(), rewritten.clone())),
            false,
        ),
        (
            &[("delete.tombstone.handling.mode", "rewrite-with-tombstone")],
            Some((deleted_schema, rewritten)),
            true,
        ),
    ];
    for (config, expected, keeps_tombstone) in cases {
        let out = apply(config, delete()).map(|r| ((*r.value_schema.unwrap()).clone(), r.value));
        assert_eq!(&out, expected, "{config:?}");
        assert_eq!(
            apply(config, tombstone()),
            keeps_tombstone.then(tombstone),
            "{config:?}"
        );
    }
}

#[test]
fn rewrite_marks_updates_and_precedes_added_fields() {
    let config = [("delete.handling.mode", "rewrite"), ("add.fields", "op")];
    let out = apply(&config, record(envelope("u", anne(), anne()))).unwrap();
    let expected = with(
        anne(),
        &[
            ("__deleted", Value::from("false")),
            ("__op", Value::from("u")),
        ],
    );
    assert_eq!(out.value, expected);
    let out = apply(&config, record(envelope("d", anne(), Value::Null))).unwrap();
    let expected = with(
        anne(),
        &[
            ("__deleted", Value::from("true")),
            ("__op", Value::from("d")),
        ],
    );
    assert_eq!(out.value, expected);
}

#[test]
fn kept_tombstones_get_only_an_op_header() {
    // Debezium's testAddHeadersHandleDeleteRewriteAndTombstone.
    let config = [
        ("delete.tombstone.handling.mode", "rewrite-with-tombstone"),
        ("add.headers", "op,source.lsn"),
    ];
    let out = apply(&config, record(Value::Null)).unwrap();
    let op = Header {
        key: "__op".into(),
        schema: Some(Arc::new(Schema::string())),
        value: Value::from("d"),
    };
    assert_eq!(out.headers, vec![op]);
    assert_eq!(out.value, Value::Null);
}

#[test]
fn truncates_are_dropped() {
    for config in [
        &[][..],
        &[
            ("drop.tombstones", "false"),
            ("delete.handling.mode", "none"),
        ],
    ] {
        assert_eq!(
            apply(config, record(envelope("t", Value::Null, Value::Null))),
            None
        );
    }
}

#[test]
fn other_records_pass_through() {
    let heartbeat = Schema::structure(vec![Field::new("ts_ms", Schema::int64())])
        .named("io.debezium.connector.common.Heartbeat");
    let unnamed = Schema::structure(vec![
        Field::new("op", Schema::string()),
        Field::new("after", Schema::string()),
    ]);
    let ts = Value::Struct(Struct::new().with("ts_ms", Value::Int64(1)));
    let op = Value::Struct(
        Struct::new()
            .with("op", Value::from("c"))
            .with("after", Value::from("x")),
    );
    let config = [("add.headers", "op"), ("delete.handling.mode", "rewrite")];
    for (schema, value) in [
        (Some(heartbeat), ts.clone()),
        (Some(unnamed), op),
        (None, ts),
        (None, Value::from("text")),
    ] {
        let input = record(Value::Null).with_value(schema.map(Arc::new), value);
        assert_eq!(apply(&config, input.clone()), Some(input));
    }
}

#[test]
fn null_fields_keep_null_unless_a_rewrite_fills_defaults() {
    let event = || record(envelope("c", Value::Null, row("Anne", Value::Null)));
    let email = |config: &[(&str, &str)]| match apply(config, event()).unwrap().value {
        Value::Struct(s) => s.get("email").cloned(),
        other => panic!("{other:?}"),
    };
    // Debezium's testUnwrapCreateRecordWithOptionalDefaultValue: the null stays.
    assert_eq!(email(&[]), Some(Value::Null));
    assert_eq!(
        email(&[("delete.handling.mode", "rewrite")]),
        Some(Value::from("none@example.com"))
    );
    let config = [
        ("delete.handling.mode", "rewrite"),
        ("replace.null.with.default", "false"),
    ];
    assert_eq!(email(&config), Some(Value::Null));
}
