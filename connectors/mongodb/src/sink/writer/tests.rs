use mongodb::bson::doc;

use super::*;

#[test]
fn commands_group_consecutive_kinds_within_limits() {
    let shape = [
        (CommandKind::Update, 100),
        (CommandKind::Update, 100),
        (CommandKind::Delete, 50),
        (CommandKind::Update, 100),
        (CommandKind::Update, MAX_COMMAND_BYTES - ELEMENT_OVERHEAD),
        (CommandKind::Update, 100),
    ];
    assert_eq!(
        commands(&shape),
        [vec![0, 1], vec![2], vec![3], vec![4], vec![5]]
    );
    let many = vec![(CommandKind::Insert, 10); MAX_STATEMENTS + 1];
    let split = commands(&many);
    assert_eq!(split.len(), 2);
    assert_eq!(split[1], [MAX_STATEMENTS]);
    assert!(commands(&[]).is_empty());
}

#[test]
fn a_clean_reply_leaves_nothing_to_do() {
    let outcome = parse_reply(&doc! {"ok": 1.0, "n": 3}, 3, true).unwrap();
    assert_eq!(outcome, ReplyOutcome::default());
}

#[test]
fn ordered_replies_resend_what_follows_the_failure() {
    let reply = doc! {"ok": 1, "n": 1, "writeErrors": [{"index": 1, "code": 11000, "errmsg": "E11000 duplicate key"}]};
    let outcome = parse_reply(&reply, 4, true).unwrap();
    assert_eq!(
        outcome.rejected,
        [(1, "E11000 duplicate key (code 11000)".to_string())]
    );
    assert_eq!(outcome.resend, [2, 3]);
    assert!(outcome.retry.is_none());
    // A retriable statement error resends from that statement on, after a wait.
    let reply =
        doc! {"ok": 1, "writeErrors": [{"index": 2, "code": 112, "errmsg": "WriteConflict"}]};
    let outcome = parse_reply(&reply, 4, true).unwrap();
    assert!(outcome.rejected.is_empty());
    assert_eq!(outcome.resend, [2, 3]);
    assert!(outcome.retry.is_some());
}

#[test]
fn unordered_replies_report_every_failure() {
    let reply = doc! {"ok": 1, "writeErrors": [
        {"index": 3, "code": 2, "errmsg": "bad"},
        {"index": 0, "code": 11000, "errmsg": "dup"},
        {"index": 1, "code": 189, "errmsg": "stepped down"},
    ]};
    let outcome = parse_reply(&reply, 5, false).unwrap();
    assert_eq!(
        outcome.rejected.iter().map(|r| r.0).collect::<Vec<_>>(),
        [0, 3]
    );
    assert_eq!(outcome.resend, [1]);
    assert!(outcome.retry.unwrap().contains("stepped down"));
}

#[test]
fn command_failures_and_write_concern_errors() {
    let outcome = parse_reply(
        &doc! {"ok": 0, "code": 10107, "errmsg": "not primary"},
        2,
        true,
    )
    .unwrap();
    assert_eq!(outcome.resend, [0, 1]);
    assert!(outcome.retry.is_some());
    let err = parse_reply(
        &doc! {"ok": 0, "code": 13, "errmsg": "unauthorized"},
        2,
        true,
    )
    .unwrap_err();
    assert!(err.contains("unauthorized (code 13)"));
    let outcome = parse_reply(
        &doc! {"ok": 1, "writeConcernError": {"code": 64, "errmsg": "waiting for replication timed out"}},
        2,
        true,
    )
    .unwrap();
    assert_eq!(outcome.resend, [0, 1]);
    assert!(outcome.retry.unwrap().contains("write concern"));
    assert!(parse_reply(&doc! {"ok": 1, "writeErrors": [{"code": 2}]}, 2, true).is_err());
}

#[test]
fn oversized_documents_are_refused_before_sending() {
    let big = "x".repeat(MAX_DOCUMENT_BYTES + 2048);
    let err = encode(&WriteModel::Insert(doc! {"_id": 1, "blob": big})).unwrap_err();
    assert!(err.contains("too large"), "{err}");
    assert!(encode(&WriteModel::Insert(doc! {"_id": 1})).is_ok());
}
