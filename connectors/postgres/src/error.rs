//! PostgreSQL errors classified once: retriable (connection trouble, serialization failures,
//! deadlocks, shutdowns), record-level (bad data, constraint violations) or fatal (everything
//! else: missing tables, syntax, permissions).

use sluice_api::ConnectError;
use tokio_postgres::error::SqlState;

/// Turns a driver error into a classified `ConnectError` whose message starts with `context`.
pub fn classify(err: &tokio_postgres::Error, context: &str) -> ConnectError {
    let message = match err.as_db_error() {
        Some(db) => format!(
            "{context}: {} (SQLSTATE {})",
            db.message(),
            db.code().code()
        ),
        None => format!("{context}: {err}"),
    };
    let cause = std::io::Error::other(err.to_string());
    let classified = match err.code() {
        None => ConnectError::retriable(message),
        Some(code) if is_retriable(code) => ConnectError::retriable(message),
        Some(code) if is_data_error(code) => ConnectError::data(message),
        Some(_) => ConnectError::fatal(message),
    };
    classified.caused_by(cause)
}

/// Failures that may pass when the same statement runs again, possibly on a new connection.
pub fn is_retriable(code: &SqlState) -> bool {
    let code = code.code();
    code == SqlState::T_R_SERIALIZATION_FAILURE.code()
        || code == SqlState::T_R_DEADLOCK_DETECTED.code()
        || code == SqlState::LOCK_NOT_AVAILABLE.code()
        || code == SqlState::QUERY_CANCELED.code()
        // 08: connection exception; 53: insufficient resources; 57P: operator intervention
        // (admin shutdown, crash shutdown, cannot connect now); 58: system error.
        || code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57P")
        || code.starts_with("58")
}

/// Failures caused by the data of a record: 22 data exception, 23 integrity constraint violation.
pub fn is_data_error(code: &SqlState) -> bool {
    let code = code.code();
    code.starts_with("22") || code.starts_with("23")
}

/// Whether the connection is gone and must be made anew.
pub fn is_connection_lost(err: &tokio_postgres::Error) -> bool {
    err.is_closed()
        || err
            .code()
            .is_none_or(|code| code.code().starts_with("08") || code.code().starts_with("57P"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_are_classified() {
        assert!(is_retriable(&SqlState::T_R_DEADLOCK_DETECTED));
        assert!(is_retriable(&SqlState::T_R_SERIALIZATION_FAILURE));
        assert!(is_retriable(&SqlState::ADMIN_SHUTDOWN));
        assert!(is_retriable(&SqlState::CONNECTION_FAILURE));
        assert!(is_data_error(&SqlState::NOT_NULL_VIOLATION));
        assert!(is_data_error(&SqlState::NUMERIC_VALUE_OUT_OF_RANGE));
        assert!(!is_retriable(&SqlState::UNDEFINED_TABLE));
        assert!(!is_data_error(&SqlState::UNDEFINED_TABLE));
    }
}
