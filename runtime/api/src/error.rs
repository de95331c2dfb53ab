//! Errors that cross the plugin boundary, classified once: retriable or not, record or task.

use crate::config::ConfigErrors;

/// Any error a plugin may carry as its cause.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Result type of the plugin API.
pub type ConnectResult<T> = Result<T, ConnectError>;

/// An error reported by a connector, task, transform or converter.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The configuration is invalid; every problem is listed.
    #[error(transparent)]
    Config(#[from] ConfigErrors),
    /// May succeed when tried again (connection lost, broker unavailable, timeout).
    #[error("{message}")]
    Retriable {
        message: String,
        #[source]
        source: Option<BoxError>,
    },
    /// One record cannot be processed (bad data); other records are unaffected.
    #[error("{message}")]
    Data {
        message: String,
        #[source]
        source: Option<BoxError>,
    },
    /// The task cannot go on; retrying will not help.
    #[error("{message}")]
    Fatal {
        message: String,
        #[source]
        source: Option<BoxError>,
    },
}

impl ConnectError {
    pub fn retriable(message: impl Into<String>) -> Self {
        ConnectError::Retriable {
            message: message.into(),
            source: None,
        }
    }

    pub fn data(message: impl Into<String>) -> Self {
        ConnectError::Data {
            message: message.into(),
            source: None,
        }
    }

    pub fn fatal(message: impl Into<String>) -> Self {
        ConnectError::Fatal {
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the underlying cause, keeping the classification.
    pub fn caused_by(mut self, cause: impl Into<BoxError>) -> Self {
        match &mut self {
            ConnectError::Retriable { source, .. }
            | ConnectError::Data { source, .. }
            | ConnectError::Fatal { source, .. } => *source = Some(cause.into()),
            ConnectError::Config(_) => {}
        }
        self
    }

    /// Whether trying the same operation again may succeed.
    pub fn is_retriable(&self) -> bool {
        matches!(self, ConnectError::Retriable { .. })
    }

    /// Whether the error concerns one record rather than the whole task.
    pub fn is_record_level(&self) -> bool {
        matches!(self, ConnectError::Data { .. })
    }

    /// The Kafka Connect exception class this error corresponds to, for dead-letter headers
    /// that existing tooling reads.
    pub fn exception_class(&self) -> &'static str {
        match self {
            ConnectError::Config(_) => "org.apache.kafka.common.config.ConfigException",
            ConnectError::Retriable { .. } => "org.apache.kafka.connect.errors.RetriableException",
            ConnectError::Data { .. } => "org.apache.kafka.connect.errors.DataException",
            ConnectError::Fatal { .. } => "org.apache.kafka.connect.errors.ConnectException",
        }
    }

    /// The message followed by each cause, one per line, for logs and task status traces.
    pub fn trace(&self) -> String {
        let mut out = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(err) = cause {
            out.push_str("\ncaused by: ");
            out.push_str(&err.to_string());
            cause = err.source();
        }
        out
    }
}
