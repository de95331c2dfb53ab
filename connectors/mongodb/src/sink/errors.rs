//! Which MongoDB failures may succeed when tried again.

use mongodb::error::{Error, ErrorKind};
use sluice_api::ConnectError;

/// Server error codes that mean "not now" rather than "never": elections, shutdowns, network
/// trouble between servers, timeouts and write conflicts.
const RETRIABLE_CODES: &[i32] = &[
    6,     // HostUnreachable
    7,     // HostNotFound
    50,    // MaxTimeMSExpired
    89,    // NetworkTimeout
    91,    // ShutdownInProgress
    112,   // WriteConflict
    134,   // ReadConcernMajorityNotAvailableYet
    189,   // PrimarySteppedDown
    262,   // ExceededTimeLimit
    9001,  // SocketException
    10107, // NotWritablePrimary
    11600, // InterruptedAtShutdown
    11602, // InterruptedDueToReplStateChange
    13435, // NotPrimaryNoSecondaryOk
    13436, // NotPrimaryOrSecondary
    64,    // WriteConcernFailed
    100,   // UnsatisfiableWriteConcern
];

/// Whether a server error code is worth retrying.
pub fn is_retriable_code(code: i32) -> bool {
    RETRIABLE_CODES.contains(&code)
}

/// A driver error as a connector error, retriable or fatal.
pub fn classify(err: Error, what: &str) -> ConnectError {
    let retriable = err.contains_label("RetryableWriteError")
        || err.contains_label("TransientTransactionError")
        || match err.kind.as_ref() {
            ErrorKind::Io(_)
            | ErrorKind::ConnectionPoolCleared { .. }
            | ErrorKind::ServerSelection { .. }
            | ErrorKind::DnsResolve { .. } => true,
            ErrorKind::Command(command) => is_retriable_code(command.code),
            _ => false,
        };
    let message = format!("{what}: {err}");
    if retriable {
        ConnectError::retriable(message).caused_by(err)
    } else {
        ConnectError::fatal(message).caused_by(err)
    }
}
