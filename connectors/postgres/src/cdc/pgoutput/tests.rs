use bytes::{BufMut, BytesMut};

use super::*;

fn string(buf: &mut BytesMut, s: &str) {
    buf.put_slice(s.as_bytes());
    buf.put_u8(0);
}

fn text(buf: &mut BytesMut, s: &str) {
    buf.put_u8(b't');
    buf.put_u32(s.len() as u32);
    buf.put_slice(s.as_bytes());
}

#[test]
fn begin_and_commit_carry_lsns_times_and_xid() {
    let mut buf = BytesMut::new();
    buf.put_u8(b'B');
    buf.put_u64(0x100);
    buf.put_i64(1_000_000);
    buf.put_u32(742);
    assert_eq!(
        decode(buf.freeze()).unwrap(),
        PgOutput::Begin {
            final_lsn: Lsn(0x100),
            commit_micros: 1_000_000 + PG_EPOCH_OFFSET_MICROS,
            xid: 742
        }
    );
    let mut buf = BytesMut::new();
    buf.put_u8(b'C');
    buf.put_u8(0);
    buf.put_u64(0x100);
    buf.put_u64(0x130);
    buf.put_i64(0);
    assert!(matches!(
        decode(buf.freeze()).unwrap(),
        PgOutput::Commit {
            commit_lsn: Lsn(0x100),
            end_lsn: Lsn(0x130),
            ..
        }
    ));
}

#[test]
fn relations_list_columns_with_key_flags() {
    let mut buf = BytesMut::new();
    buf.put_u8(b'R');
    buf.put_u32(16384);
    string(&mut buf, "public");
    string(&mut buf, "orders");
    buf.put_u8(b'd');
    buf.put_u16(2);
    buf.put_u8(1);
    string(&mut buf, "id");
    buf.put_u32(23);
    buf.put_i32(-1);
    buf.put_u8(0);
    string(&mut buf, "total");
    buf.put_u32(1700);
    buf.put_i32((10 << 16 | 2) + 4);
    let PgOutput::Relation(rel) = decode(buf.freeze()).unwrap() else {
        panic!("relation expected");
    };
    assert_eq!(
        (rel.id, rel.namespace.as_str(), rel.name.as_str()),
        (16384, "public", "orders")
    );
    assert_eq!(rel.replica_identity, b'd');
    assert!(rel.columns[0].key && !rel.columns[1].key);
    assert_eq!(rel.columns[1].type_oid, 1700);
    assert_eq!(rel.columns[1].type_modifier, (10 << 16 | 2) + 4);
}

#[test]
fn tuples_hold_text_null_and_unchanged_toast() {
    let mut buf = BytesMut::new();
    buf.put_u8(b'U');
    buf.put_u32(7);
    buf.put_u8(b'O');
    buf.put_u16(2);
    text(&mut buf, "1");
    buf.put_u8(b'n');
    buf.put_u8(b'N');
    buf.put_u16(2);
    text(&mut buf, "1");
    buf.put_u8(b'u');
    let PgOutput::Update { relation, old, new } = decode(buf.freeze()).unwrap() else {
        panic!("update expected");
    };
    assert_eq!(relation, 7);
    assert_eq!(
        old.unwrap(),
        [Datum::Text(Bytes::from_static(b"1")), Datum::Null]
    );
    assert_eq!(
        new,
        [Datum::Text(Bytes::from_static(b"1")), Datum::UnchangedToast]
    );
}

#[test]
fn updates_without_old_tuple_deletes_and_truncates() {
    let mut buf = BytesMut::new();
    buf.put_u8(b'U');
    buf.put_u32(7);
    buf.put_u8(b'N');
    buf.put_u16(1);
    text(&mut buf, "x");
    assert!(matches!(
        decode(buf.freeze()).unwrap(),
        PgOutput::Update { old: None, .. }
    ));

    let mut buf = BytesMut::new();
    buf.put_u8(b'D');
    buf.put_u32(7);
    buf.put_u8(b'K');
    buf.put_u16(1);
    text(&mut buf, "9");
    assert!(matches!(
        decode(buf.freeze()).unwrap(),
        PgOutput::Delete { relation: 7, .. }
    ));

    let mut buf = BytesMut::new();
    buf.put_u8(b'T');
    buf.put_u32(2);
    buf.put_u8(0);
    buf.put_u32(7);
    buf.put_u32(8);
    assert_eq!(
        decode(buf.freeze()).unwrap(),
        PgOutput::Truncate {
            relations: vec![7, 8]
        }
    );
}

#[test]
fn truncated_and_unknown_messages_are_errors() {
    assert!(decode(Bytes::from_static(b"B\0\0")).is_err());
    assert!(decode(Bytes::from_static(b"?")).is_err());
    let mut buf = BytesMut::new();
    buf.put_u8(b'I');
    buf.put_u32(7);
    buf.put_u8(b'N');
    buf.put_u16(1);
    buf.put_u8(b't');
    buf.put_u32(10);
    buf.put_slice(b"abc");
    assert!(decode(buf.freeze()).is_err());
}
