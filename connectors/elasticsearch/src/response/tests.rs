use super::*;

fn parse(text: &str) -> Json {
    serde_json::from_str(text).unwrap()
}

fn op(action: Action, id: &str) -> Operation {
    Operation {
        index: "orders".into(),
        id: Some(id.into()),
        action,
        versioned: false,
        lines: Vec::new(),
    }
}

#[test]
fn only_the_rejected_items_of_a_mixed_response_are_retried() {
    let body = parse(include_str!("../fixtures/bulk_mixed.json"));
    let outcomes = classify(&body, &[true; 7]).unwrap();
    assert!(matches!(outcomes[0], Outcome::Written));
    assert!(matches!(outcomes[1], Outcome::Retry(_)));
    assert!(
        matches!(&outcomes[2], Outcome::Malformed(r) if r.starts_with("mapper_parsing_exception")),
        "{:?}",
        outcomes[2]
    );
    assert!(matches!(outcomes[3], Outcome::Written));
    assert!(matches!(outcomes[4], Outcome::Retry(_)));
    assert!(
        matches!(outcomes[5], Outcome::Written),
        "a delete of a missing document is done"
    );
    assert!(matches!(outcomes[6], Outcome::Retry(_)));
    let ops: Vec<Operation> = (1..=7).map(|i| op(Action::Index, &i.to_string())).collect();
    let refs: Vec<&Operation> = ops.iter().collect();
    assert_eq!(to_resend(&outcomes, &refs), [1, 4, 6]);
}

#[test]
fn version_conflicts_are_replays_only_for_external_versions() {
    let body = parse(include_str!("../fixtures/bulk_replay.json"));
    let outcomes = classify(&body, &[true, false, true, true]).unwrap();
    assert_eq!(outcomes[0], Outcome::Replayed);
    assert!(matches!(outcomes[1], Outcome::Malformed(_)));
    assert!(
        matches!(&outcomes[2], Outcome::Failed(r) if r.contains("index_closed_exception")),
        "{:?}",
        outcomes[2]
    );
    assert!(matches!(outcomes[3], Outcome::Malformed(_)));
}

#[test]
fn later_updates_of_a_retried_document_are_sent_again() {
    let body = parse(include_str!("../fixtures/bulk_updates.json"));
    let outcomes = classify(&body, &[false; 3]).unwrap();
    let ops = [
        op(Action::Update, "k"),
        op(Action::Update, "other"),
        op(Action::Update, "k"),
    ];
    let refs: Vec<&Operation> = ops.iter().collect();
    assert_eq!(to_resend(&outcomes, &refs), [0, 2]);
}

#[test]
fn responses_that_do_not_match_the_request_are_errors() {
    let body = parse(include_str!("../fixtures/bulk_updates.json"));
    assert!(classify(&body, &[false; 2]).is_err());
    assert!(classify(&parse(r#"{"error":"x"}"#), &[false]).is_err());
}

#[test]
fn request_statuses() {
    assert_eq!(request_status(200), RequestStatus::Items);
    assert_eq!(request_status(429), RequestStatus::Retry);
    assert_eq!(request_status(503), RequestStatus::Retry);
    assert_eq!(request_status(401), RequestStatus::Fail);
    assert_eq!(request_status(400), RequestStatus::Fail);
}
