//! Worker and connector configuration: files, typed definitions and validation.

pub mod connector;
pub mod files;
pub mod properties;
pub mod providers;
pub mod worker;

pub use connector::{ConnectorSpec, ConverterSpec, PredicateSpec, SinkTopics, TransformSpec};
pub use files::{ConnectorFile, read_connector_file, read_worker_file};
pub use worker::{OffsetStorage, WorkerConfig};
