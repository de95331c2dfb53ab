//! MongoDB driver errors classified once: retriable (network, elections, shutdowns, timeouts),
//! a lost resume point (the stored token is gone from the oplog), or fatal.

use mongodb::error::{Error, ErrorKind};
use sluice_api::ConnectError;

/// Codes after which the same operation may succeed: network trouble, a primary stepping down
/// or shutting down, stale routing, time limits, a killed cursor.
const RETRIABLE_CODES: [i32; 19] = [
    6, 7, 43, 63, 89, 91, 133, 150, 189, 234, 262, 9001, 10107, 11600, 11602, 13388, 13435, 13436,
    50,
];

/// Codes meaning the change stream cannot continue from the requested point:
/// InvalidResumeToken, ChangeStreamFatalError, ChangeStreamHistoryLost, BSONObjectTooLarge
/// (the same set the official connector treats as an invalid stream).
const LOST_RESUME_POINT_CODES: [i32; 4] = [260, 280, 286, 10334];

/// The documented ways out of a lost resume token.
pub const RECOVERY: &str = "the stored resume token is no longer in the oplog, so changes may have been missed; \
     to start again from the latest change either set a new `offset.partition.name`, set \
     `errors.tolerance=all` (or `mongo.errors.tolerance=all`) to restart without the token, or delete \
     the connector's stored offset; `startup.mode=copy_existing` then re-reads all existing data";

/// The server code and message of a command error.
fn command(err: &Error) -> Option<(i32, &str)> {
    match err.kind.as_ref() {
        ErrorKind::Command(cmd) => Some((cmd.code, cmd.message.as_str())),
        _ => None,
    }
}

/// Whether `err` says the requested resume point no longer exists, as the official connector
/// decides it: by code, or by a message about a resume token or point not being found.
pub fn is_lost_resume_point(err: &Error) -> bool {
    match command(err) {
        Some((code, message)) => lost_resume_point(code, message),
        None => lost_resume_point(0, &err.to_string()),
    }
}

/// The rule behind [`is_lost_resume_point`], on a code and message.
pub fn lost_resume_point(code: i32, message: &str) -> bool {
    if LOST_RESUME_POINT_CODES.contains(&code) {
        return true;
    }
    let message = message.to_lowercase();
    (message.contains("resume token") || message.contains("resume point"))
        && [
            "not found",
            "does not exist",
            "invalid resume token",
            "no longer be in the oplog",
        ]
        .iter()
        .any(|m| message.contains(m))
}

/// Turns a driver error into a classified `ConnectError` whose message starts with `context`.
pub fn classify(err: Error, context: &str) -> ConnectError {
    let retriable = match err.kind.as_ref() {
        ErrorKind::Io(_)
        | ErrorKind::ConnectionPoolCleared { .. }
        | ErrorKind::ServerSelection { .. }
        | ErrorKind::DnsResolve { .. } => true,
        ErrorKind::Command(cmd) => RETRIABLE_CODES.contains(&cmd.code),
        _ => {
            err.contains_label("RetryableWriteError")
                || err.contains_label("ResumableChangeStreamError")
        }
    };
    let message = match command(&err) {
        Some((code, message)) => format!("{context}: {message} (code {code})"),
        None => format!("{context}: {err}"),
    };
    let classified = if retriable {
        ConnectError::retriable(message)
    } else {
        ConnectError::fatal(message)
    };
    classified.caused_by(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_a_lost_resume_point() {
        assert!(lost_resume_point(286, "Error on remote shard"));
        assert!(lost_resume_point(260, ""));
        assert!(lost_resume_point(
            0,
            "Command failed: resume token was not found"
        ));
        assert!(lost_resume_point(
            1,
            "The resume point may no longer be in the oplog."
        ));
        assert!(!lost_resume_point(11600, "interrupted at shutdown"));
        assert!(!lost_resume_point(2, "bad resume token format"));
    }
}
