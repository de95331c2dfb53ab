//! Error handling shared by source and sink tasks: retries, tolerance, logging and the
//! dead-letter queue, configured by Kafka Connect's `errors.*` keys.

pub mod dlq;
pub mod handler;
pub mod policy;
pub mod retry;

pub use dlq::{DeadLetterQueue, FailedRecord, Failure, Stage};
pub use handler::ErrorHandler;
pub use policy::{ErrorPolicy, error_config_def};
pub use retry::Retrier;
