//! The file connectors, compatible with Kafka Connect's FileStreamSource and FileStreamSink.
//!
//! Source: keys `file`, `topic`, `batch.size` (default 2000); one task whatever `tasks.max`; each
//! line becomes a record with a null key and a string value; source partition
//! `{"filename": <file>}`, offset `{"position": <byte position after the line>}`.
//!
//! Sink: key `file` (topics come from the framework's `topics`); one line per record, strings as
//! they are, `null` for null values, other values as compact JSON; `flush` fsyncs.

mod config;
mod lines;
mod sink;
mod source;
mod source_task;

use sluice_api::{SinkConnector, SourceConnector};

pub use config::{FileSinkConfig, FileSourceConfig, sink_config_def, source_config_def};
pub use source_task::{FILENAME_FIELD, POSITION_FIELD};

/// The file source connector (`FileStreamSource`).
pub fn source() -> Box<dyn SourceConnector> {
    Box::new(source::FileSourceConnector::default())
}

/// The file sink connector (`FileStreamSink`).
pub fn sink() -> Box<dyn SinkConnector> {
    Box::new(sink::FileSinkConnector::default())
}
