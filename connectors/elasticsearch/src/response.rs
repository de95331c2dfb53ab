//! What a bulk response means for each item sent, decided by pure functions over the parsed
//! response so that every case can be tested from recorded responses.

use serde_json::Value as Json;

use crate::document::{Action, Operation};

/// Item error types that mean the document itself is bad (mapping or parse errors).
const MALFORMED_TYPES: &[&str] = &[
    "strict_dynamic_mapping_exception",
    "mapper_parsing_exception",
    "illegal_argument_exception",
    "action_request_validation_exception",
    "document_parsing_exception",
];

/// Item error types that clear up by themselves, whatever the status says.
const RETRIABLE_TYPES: &[&str] = &[
    "es_rejected_execution_exception",
    "rejected_execution_exception",
    "circuit_breaking_exception",
    "unavailable_shards_exception",
    "no_shard_available_action_exception",
];

const VERSION_CONFLICT: &str = "version_conflict_engine_exception";

/// What became of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Written (or, for a delete, already absent).
    Written,
    /// Rejected as a version conflict although written with an external version: the index
    /// already holds this or a later offset, so the record was written before.
    Replayed,
    /// Rejected for now (429, 502, 503, 504, rejected execution…): send again after a backoff.
    Retry(String),
    /// The document is bad: follows `behavior.on.malformed.documents`.
    Malformed(String),
    /// Anything else: the task fails with this error.
    Failed(String),
}

/// What the HTTP status of a whole bulk request means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStatus {
    /// The body lists one result per item.
    Items,
    /// The cluster is busy or unavailable: send the whole request again.
    Retry,
    /// The request cannot succeed (bad credentials, bad request): the task fails.
    Fail,
}

/// Classifies the HTTP status of a bulk response.
pub fn request_status(status: u16) -> RequestStatus {
    match status {
        200..=299 => RequestStatus::Items,
        408 | 429 | 500 | 502 | 503 | 504 => RequestStatus::Retry,
        _ => RequestStatus::Fail,
    }
}

/// Whether an item status is worth another try.
fn retriable_status(status: u64) -> bool {
    matches!(status, 408 | 429 | 502 | 503 | 504)
}

/// The outcome of every item of a bulk response, in request order. `versioned[i]` says whether
/// item `i` was sent with an external version. `Err` when the body does not match the request
/// (no `items`, or another number of them), which the caller treats as a failed request.
pub fn classify(body: &Json, versioned: &[bool]) -> Result<Vec<Outcome>, String> {
    let items = body
        .get("items")
        .and_then(Json::as_array)
        .ok_or_else(|| "bulk response has no items".to_string())?;
    if items.len() != versioned.len() {
        return Err(format!(
            "bulk response has {} items for {} operations",
            items.len(),
            versioned.len()
        ));
    }
    Ok(items
        .iter()
        .zip(versioned)
        .map(|(item, &versioned)| classify_item(item, versioned))
        .collect())
}

fn classify_item(item: &Json, versioned: bool) -> Outcome {
    // Each item is `{"<action>": {...}}`.
    let Some(result) = item.as_object().and_then(|o| o.values().next()) else {
        return Outcome::Failed(format!("unreadable bulk item: {item}"));
    };
    let status = result.get("status").and_then(Json::as_u64).unwrap_or(0);
    let Some(error) = result.get("error") else {
        return if (200..300).contains(&status) || status == 404 {
            Outcome::Written
        } else if retriable_status(status) {
            Outcome::Retry(format!("status {status}"))
        } else {
            Outcome::Failed(format!("status {status} without an error: {result}"))
        };
    };
    let kind = error.get("type").and_then(Json::as_str).unwrap_or_default();
    let reason = match error.get("reason").and_then(Json::as_str) {
        Some(reason) => format!("{kind}: {reason} (status {status})"),
        None => format!("{error} (status {status})"),
    };
    if kind == VERSION_CONFLICT {
        return if versioned {
            Outcome::Replayed
        } else {
            Outcome::Malformed(reason)
        };
    }
    if retriable_status(status) || RETRIABLE_TYPES.contains(&kind) {
        Outcome::Retry(reason)
    } else if MALFORMED_TYPES.contains(&kind) {
        Outcome::Malformed(reason)
    } else {
        Outcome::Failed(reason)
    }
}

/// Which items to send again: those to retry, and, since partial updates of one document must
/// apply in order, every later update of the same document that went through after an earlier
/// one failed (applying it again after the retried one restores the order).
pub fn to_resend(outcomes: &[Outcome], ops: &[&Operation]) -> Vec<usize> {
    let mut resend = Vec::new();
    let mut held: Vec<(&str, Option<&str>)> = Vec::new();
    for (i, (outcome, op)) in outcomes.iter().zip(ops).enumerate() {
        let doc = (op.index.as_str(), op.id.as_deref());
        let retry = matches!(outcome, Outcome::Retry(_));
        let follows = op.action == Action::Update
            && matches!(outcome, Outcome::Written)
            && held.contains(&doc);
        if retry || follows {
            resend.push(i);
            if op.action == Action::Update && !held.contains(&doc) {
                held.push(doc);
            }
        }
    }
    resend
}

#[cfg(test)]
mod tests;
