use crate::*;

fn fields<'a>(topic: &'a str, value: Option<&'a [u8]>, header_count: u32) -> RecordFields<'a> {
    RecordFields {
        topic,
        partition: Some(3),
        offset: Some(42),
        timestamp: Some(1_700_000_000_000),
        key: Some(b"k"),
        value,
        header_count,
    }
}

#[test]
fn batch_round_trip() {
    let mut writer = BatchWriter::new();
    writer.record(&fields("orders", Some(b"{\"a\":1}"), 2));
    writer.header("trace", Some(b"abc"));
    writer.header("empty", None);
    writer.record(&RecordFields {
        topic: "t",
        partition: None,
        offset: None,
        timestamp: None,
        key: None,
        value: None,
        header_count: 0,
    });
    assert_eq!(writer.len(), 2);
    let bytes = writer.finish().to_vec();

    let mut reader = BatchReader::new(&bytes).unwrap();
    assert_eq!(reader.len(), 2);
    let first = reader.next().unwrap().unwrap();
    assert_eq!(first.topic, "orders");
    assert_eq!(first.partition, Some(3));
    assert_eq!(first.offset, Some(42));
    assert_eq!(first.timestamp, Some(1_700_000_000_000));
    assert_eq!(first.key, Some(&b"k"[..]));
    assert_eq!(first.value, Some(&b"{\"a\":1}"[..]));
    let headers: Vec<_> = first.headers().collect();
    assert_eq!(headers, vec![("trace", Some(&b"abc"[..])), ("empty", None)]);
    assert_eq!(first.header("empty"), Some(None));
    assert_eq!(first.header("missing"), None);

    let second = reader.next().unwrap().unwrap();
    assert_eq!(
        (second.partition, second.offset, second.timestamp),
        (None, None, None)
    );
    assert_eq!((second.key, second.value), (None, None));
    assert!(reader.next().is_none());
}

#[test]
fn writer_reuse_starts_empty() {
    let mut writer = BatchWriter::new();
    writer.record(&fields("a", None, 0));
    writer.finish();
    writer.clear();
    assert_eq!(BatchReader::new(writer.finish()).unwrap().len(), 0);
}

#[test]
fn outcomes_round_trip() {
    let mut out = OutcomeWriter::with_capacity(5);
    out.keep();
    out.drop();
    out.replace(&fields("routed", Some(b"v2"), 1));
    out.header("h", Some(b"1"));
    out.fan_out(2);
    out.record(&fields("a", Some(b"1"), 0));
    out.record(&fields("b", Some(b"2"), 0));
    out.fail("bad record");
    assert_eq!(out.len(), 5);
    let bytes = out.into_bytes();

    let outcomes: Vec<_> = OutcomeReader::new(&bytes)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(matches!(outcomes[0], OutcomeRef::Keep));
    assert!(matches!(outcomes[1], OutcomeRef::Drop));
    match &outcomes[2] {
        OutcomeRef::Replace(r) => {
            assert_eq!((r.topic, r.value), ("routed", Some(&b"v2"[..])));
            assert_eq!(
                r.headers().collect::<Vec<_>>(),
                vec![("h", Some(&b"1"[..]))]
            );
        }
        other => panic!("{other:?}"),
    }
    match &outcomes[3] {
        OutcomeRef::FanOut(records) => {
            let topics: Vec<_> = records.clone().map(|r| r.unwrap().topic).collect();
            assert_eq!(topics, vec!["a", "b"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(outcomes[4], OutcomeRef::Fail("bad record")));
}

#[test]
fn truncated_and_corrupt_buffers_are_errors() {
    let mut writer = BatchWriter::new();
    writer.record(&fields("orders", Some(b"value"), 0));
    let bytes = writer.finish().to_vec();
    for cut in 0..bytes.len() {
        let result = BatchReader::new(&bytes[..cut]).and_then(|r| r.collect::<Result<Vec<_>, _>>());
        assert!(result.is_err(), "cut at {cut} read as valid");
    }
    assert_eq!(
        OutcomeReader::new(&[1, 0, 0, 0, 9])
            .unwrap()
            .next()
            .unwrap()
            .unwrap_err()
            .reason,
        "unknown outcome tag"
    );
    let mut negative = bytes.clone();
    // The key length sits after offset, timestamp, partition and the topic.
    let key_at = 4 + 8 + 8 + 4 + 4 + "orders".len();
    negative[key_at..key_at + 4].copy_from_slice(&(-7i32).to_le_bytes());
    let err = BatchReader::new(&negative)
        .unwrap()
        .next()
        .unwrap()
        .unwrap_err();
    assert_eq!(err.reason, "negative length");
}

#[test]
fn a_count_the_buffer_cannot_hold_reserves_nothing() {
    // Four billion records claimed, none present: collecting must not trust the count.
    let claimed = u32::MAX.to_le_bytes();
    let outcomes: Vec<_> = OutcomeReader::new(&claimed).unwrap().collect();
    assert_eq!(outcomes.len(), 1);
    assert!(outcomes[0].is_err());
    let records: Vec<_> = BatchReader::new(&claimed).unwrap().collect();
    assert_eq!(records.len(), 1);
}
