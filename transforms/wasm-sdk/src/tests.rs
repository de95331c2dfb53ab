use std::borrow::Cow;
use std::cell::RefCell;

use sluice_wasm_abi::{BatchWriter, OutcomeReader, RecordFields};

use crate::*;

/// Chooses the outcome from the value, so one plugin covers every case.
struct Scripted {
    tag: Option<String>,
}

impl Transform for Scripted {
    fn init(config: &Config) -> Result<Self, String> {
        if config.parse("fail", false)? {
            return Err("told to fail".into());
        }
        Ok(Scripted {
            tag: config.get("tag").map(str::to_owned),
        })
    }

    fn transform<'a>(&mut self, record: RecordRef<'a>) -> Outcome<'a> {
        counter_add("seen", 1);
        match record.value {
            Some(b"drop") => Outcome::Drop,
            Some(b"fail") => Outcome::Fail("refused".into()),
            Some(b"upper") => {
                let value = record.value.unwrap().to_ascii_uppercase();
                Outcome::Replace(Record::from(record).with_value(value))
            }
            Some(b"route") => Outcome::Replace(Record::from(record).with_topic("routed")),
            Some(b"null") => Outcome::Replace(
                Record::from(record)
                    .with_key(None::<&[u8]>)
                    .with_value(None::<&[u8]>)
                    .with_header("gone", None::<&[u8]>),
            ),
            Some(b"split") => Outcome::FanOut(
                ["a", "b", "c"]
                    .iter()
                    .enumerate()
                    .map(|(i, part)| {
                        Record::from(record)
                            .with_value(*part)
                            .with_header("index", i.to_string())
                    })
                    .collect(),
            ),
            Some(b"none") => Outcome::FanOut(vec![]),
            _ => match &self.tag {
                Some(tag) => {
                    log(Level::Debug, "tagging");
                    Outcome::Replace(Record::from(record).with_header("tag", tag.clone()))
                }
                None => Outcome::Keep,
            },
        }
    }
}

fn plugin() -> Scripted {
    testing::init(&[]).unwrap()
}

fn full(value: &str) -> Record<'_> {
    Record {
        topic: Cow::Borrowed("orders"),
        partition: Some(2),
        offset: Some(40),
        timestamp: Some(1_700_000_000_000),
        key: Some(Cow::Borrowed(b"k1")),
        value: Some(Cow::Borrowed(value.as_bytes())),
        headers: vec![
            (Cow::Borrowed("trace"), Some(Cow::Borrowed(b"abc"))),
            (Cow::Borrowed("empty"), None),
        ],
    }
}

#[test]
fn keep_drop_fail_one_outcome_each_in_order() {
    let out = testing::run(
        &mut plugin(),
        &[full("x"), full("drop"), full("fail"), full("y")],
    );
    assert_eq!(
        out,
        vec![
            Outcome::Keep,
            Outcome::Drop,
            Outcome::Fail("refused".into()),
            Outcome::Keep
        ]
    );
    assert_eq!(testing::counter("seen"), 4);
}

#[test]
fn replace_writes_every_field_and_header() {
    let out = testing::run_one(&mut plugin(), full("upper"));
    let mut expected = full("UPPER").into_owned();
    expected.value = Some(Cow::Owned(b"UPPER".to_vec()));
    assert_eq!(out, Outcome::Replace(expected));

    let out = testing::run_one(&mut plugin(), full("route"));
    assert_eq!(out, Outcome::Replace(full("route").with_topic("routed")));
}

#[test]
fn nulls_survive_the_round_trip() {
    let out = testing::run_one(&mut plugin(), full("null"));
    let Outcome::Replace(r) = out else {
        panic!("{out:?}")
    };
    assert_eq!((&r.key, &r.value), (&None, &None));
    assert_eq!(r.header("gone"), Some(None));
    assert_eq!(r.header("empty"), Some(None));
    assert_eq!(r.header("trace"), Some(Some(&b"abc"[..])));

    // A record with nothing set at all.
    let out = testing::run_one(&mut plugin(), Record::new("bare"));
    assert_eq!(out, Outcome::Keep);
}

#[test]
fn fan_out_writes_each_record_and_zero_is_empty() {
    let out = testing::run(&mut plugin(), &[full("split"), full("none")]);
    let Outcome::FanOut(records) = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(records.len(), 3);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.topic, "orders");
        assert_eq!(r.key.as_deref(), Some(&b"k1"[..]));
        assert_eq!(r.timestamp, Some(1_700_000_000_000));
        assert_eq!(r.header("index"), Some(Some(i.to_string().as_bytes())));
        assert_eq!(r.header("trace"), Some(Some(&b"abc"[..])));
    }
    let values: Vec<_> = records
        .iter()
        .map(|r| r.value.as_deref().unwrap())
        .collect();
    assert_eq!(values, vec![b"a", b"b", b"c"]);
    assert_eq!(out[1], Outcome::FanOut(vec![]));
}

#[test]
fn with_header_replaces_headers_of_that_name() {
    let r = Record::new("t")
        .with_header("a", "1")
        .with_header("b", "2")
        .with_header("a", "3");
    assert_eq!(
        r.headers,
        vec![
            (Cow::Borrowed("b"), Some(Cow::Borrowed(&b"2"[..]))),
            (Cow::Borrowed("a"), Some(Cow::Borrowed(&b"3"[..]))),
        ]
    );
}

#[test]
fn record_from_ref_borrows() {
    let mut batch = BatchWriter::new();
    batch.record(&RecordFields {
        topic: "t",
        partition: None,
        offset: Some(1),
        timestamp: None,
        key: None,
        value: Some(b"v"),
        header_count: 1,
    });
    batch.header("h", Some(b"x"));
    let bytes = batch.finish().to_vec();
    let r = sluice_wasm_abi::BatchReader::new(&bytes)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let record = Record::from(r);
    assert!(matches!(record.topic, Cow::Borrowed(_)));
    assert!(matches!(record.value, Some(Cow::Borrowed(_))));
    assert!(matches!(record.headers[0].1, Some(Cow::Borrowed(_))));
}

#[test]
fn logs_and_counters_are_captured_and_reset() {
    let mut tagged: Scripted = testing::init(&[("tag", "v2")]).unwrap();
    let out = testing::run(&mut tagged, &[Record::new("t"), Record::new("t")]);
    assert_eq!(
        out[0],
        Outcome::Replace(Record::new("t").with_header("tag", "v2"))
    );
    assert_eq!(
        testing::logs(),
        vec![
            (Level::Debug, "tagging".into()),
            (Level::Debug, "tagging".into())
        ]
    );
    counter_add("other", 5);
    counter_add("other", 2);
    assert_eq!(
        testing::counters(),
        vec![("other".into(), 7), ("seen".into(), 2)]
    );
    testing::reset();
    assert!(testing::logs().is_empty());
    assert!(testing::counters().is_empty());
}

#[test]
fn malformed_batch_is_an_error() {
    let err = run_batch(&mut plugin(), &[1, 0]).unwrap_err();
    assert!(err.starts_with("malformed batch: "), "{err}");
    // Claims one record but holds none.
    let err = run_batch(&mut plugin(), &[1, 0, 0, 0]).unwrap_err();
    assert!(err.starts_with("malformed batch: "), "{err}");
}

#[test]
fn empty_batch_gives_empty_outcomes() {
    let bytes = run_batch(&mut plugin(), &0u32.to_le_bytes()).unwrap();
    assert_eq!(OutcomeReader::new(&bytes).unwrap().len(), 0);
}

#[test]
fn config_accessors_name_the_setting() {
    let config: Config = [
        ("fields", "a,b"),
        ("n", "12"),
        ("bad", "x1"),
        ("blank", " "),
    ]
    .into_iter()
    .collect();
    assert_eq!(config.get("fields"), Some("a,b"));
    assert_eq!(config.get("missing"), None);
    assert_eq!(config.required("fields"), Ok("a,b"));
    assert_eq!(
        config.required("missing"),
        Err("missing required setting `missing`".into())
    );
    assert_eq!(
        config.required("blank"),
        Err("missing required setting `blank`".into())
    );
    assert_eq!(config.parse("n", 0u32), Ok(12));
    assert_eq!(config.parse("missing", 7u32), Ok(7));
    assert_eq!(
        config.parse("bad", 0u32),
        Err("setting `bad`: invalid value `x1`: invalid digit found in string".into())
    );
    assert_eq!(config.iter().count(), 4);
    assert_eq!(
        testing::init::<Scripted>(&[("fail", "true")]).err(),
        Some("told to fail".into())
    );
}

thread_local! {
    static STATE: RefCell<Option<Scripted>> = const { RefCell::new(None) };
}

#[test]
fn exported_functions_keep_state_between_calls() {
    let mut batch = BatchWriter::new();
    batch.record(&RecordFields {
        topic: "t",
        partition: None,
        offset: None,
        timestamp: None,
        key: None,
        value: None,
        header_count: 0,
    });
    let batch = batch.finish().to_vec();
    assert_eq!(
        __private::transform(&STATE, batch.clone()),
        Err("transform called before init".into())
    );
    assert_eq!(
        __private::init(&STATE, vec![("fail".into(), "true".into())]),
        Err("told to fail".into())
    );
    assert!(STATE.with_borrow(Option::is_none));
    __private::init(&STATE, vec![("tag".into(), "v1".into())]).unwrap();
    __private::init(&STATE, vec![("tag".into(), "v2".into())]).unwrap();
    let out = __private::transform(&STATE, batch).unwrap();
    let outcome = OutcomeReader::new(&out).unwrap().next().unwrap().unwrap();
    let sluice_wasm_abi::OutcomeRef::Replace(r) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(r.header("tag"), Some(Some(&b"v2"[..])));
}

export_transform!(Scripted);
