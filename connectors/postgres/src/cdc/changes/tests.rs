use bytes::Bytes;
use sluice_api::Value;
use sluice_api::config::props;

use super::*;
use crate::cdc::lsn::Lsn;
use crate::cdc::table::Column;
use crate::cdc::types::ColumnKind;

fn builder(extra: &[(&str, &str)]) -> ChangeBuilder {
    let mut all = vec![
        ("database.hostname", "h"),
        ("database.user", "u"),
        ("database.dbname", "d"),
        ("topic.prefix", "s"),
    ];
    all.extend_from_slice(extra);
    ChangeBuilder::new(&CdcConfig::parse(&props(&all)).unwrap())
}

fn table(full: bool) -> TableSchema {
    TableSchema::new(
        "s",
        "public",
        "t",
        vec![
            Column {
                name: "id".into(),
                kind: ColumnKind::Int32,
                key: true,
            },
            Column {
                name: "body".into(),
                kind: ColumnKind::Text,
                key: false,
            },
        ],
        full,
    )
}

fn text(s: &'static str) -> Datum {
    Datum::Text(Bytes::from_static(s.as_bytes()))
}

fn info() -> SourceInfo {
    SourceInfo {
        snapshot: "false",
        ts_micros: 0,
        tx_id: Some(1),
        lsn: Lsn(1),
        last_commit: None,
    }
}

fn field<'a>(record: &'a Record, name: &str) -> &'a Value {
    let Value::Struct(value) = &record.value else {
        panic!("struct expected")
    };
    value.get(name).unwrap()
}

#[test]
fn deletes_are_followed_by_tombstones_unless_disabled() {
    let mut out = Vec::new();
    builder(&[])
        .delete(&table(false), &[text("1"), Datum::Null], &info(), &mut out)
        .unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(field(&out[0], "op"), &Value::String("d".into()));
    assert!(out[1].is_tombstone());
    assert_eq!(out[1].key, out[0].key);
    let mut out = Vec::new();
    builder(&[("tombstones.on.delete", "false")])
        .delete(&table(false), &[text("1"), Datum::Null], &info(), &mut out)
        .unwrap();
    assert_eq!(out.len(), 1);
}

#[test]
fn default_identity_updates_have_no_before_full_ones_do() {
    let mut out = Vec::new();
    let new = [text("1"), text("b")];
    builder(&[])
        .update(&table(false), None, &new, &info(), &mut out)
        .unwrap();
    assert_eq!(field(&out[0], "before"), &Value::Null);
    let old = [text("1"), text("a")];
    let mut out = Vec::new();
    builder(&[])
        .update(&table(true), Some(&old), &new, &info(), &mut out)
        .unwrap();
    let Value::Struct(before) = field(&out[0], "before") else {
        panic!("before expected")
    };
    assert_eq!(before.get("body"), Some(&Value::String("a".into())));
}

#[test]
fn key_changes_become_delete_tombstone_create_with_headers() {
    let mut out = Vec::new();
    let old = [text("1"), Datum::Null];
    let new = [text("2"), text("b")];
    builder(&[])
        .update(&table(false), Some(&old), &new, &info(), &mut out)
        .unwrap();
    let ops: Vec<Value> = out
        .iter()
        .map(|r| {
            if r.is_tombstone() {
                Value::Null
            } else {
                field(r, "op").clone()
            }
        })
        .collect();
    assert_eq!(
        ops,
        [
            Value::String("d".into()),
            Value::Null,
            Value::String("c".into())
        ]
    );
    assert!(out[0].header("__debezium.newkey").is_some());
    assert!(out[2].header("__debezium.oldkey").is_some());
}

#[test]
fn unchanged_toast_uses_the_placeholder_and_truncates_are_skipped_by_default() {
    let mut out = Vec::new();
    builder(&[("unavailable.value.placeholder", "??")])
        .update(
            &table(false),
            None,
            &[text("1"), Datum::UnchangedToast],
            &info(),
            &mut out,
        )
        .unwrap();
    let Value::Struct(after) = field(&out[0], "after") else {
        panic!("after expected")
    };
    assert_eq!(after.get("body"), Some(&Value::String("??".into())));
    let mut out = Vec::new();
    builder(&[]).truncate(&table(false), &info(), &mut out);
    assert!(out.is_empty());
    builder(&[("skipped.operations", "none")]).truncate(&table(false), &info(), &mut out);
    assert_eq!(field(&out[0], "op"), &Value::String("t".into()));
    assert_eq!(out[0].key, Value::Null);
}
