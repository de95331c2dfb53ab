//! `change.data.capture.handler`: change events applied as writes instead of documents.

mod change_stream;
mod debezium;

use super::config::class_matches;
use super::document::SinkDocument;
use super::write_model::WriteModel;

const PACKAGE: &str = "com.mongodb.kafka.connect.sink.cdc";

/// The supported handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CdcHandler {
    /// Debezium relational envelopes (`debezium.rdbms.RdbmsHandler` and its MySQL and
    /// PostgreSQL variants, which map events the same way).
    DebeziumRdbms,
    /// MongoDB change-stream events (`mongodb.ChangeStreamHandler`).
    ChangeStream,
}

impl CdcHandler {
    pub fn from_class(class: &str) -> Option<Self> {
        let rdbms = [
            "debezium.rdbms.RdbmsHandler",
            "debezium.rdbms.postgres.PostgresHandler",
            "debezium.rdbms.mysql.MysqlHandler",
        ];
        if rdbms.iter().any(|name| class_matches(class, PACKAGE, name)) {
            return Some(CdcHandler::DebeziumRdbms);
        }
        if class_matches(class, PACKAGE, "mongodb.ChangeStreamHandler") {
            return Some(CdcHandler::ChangeStream);
        }
        None
    }

    /// The write of one event; `Ok(None)` when the event writes nothing (tombstones, and
    /// change-stream events such as `drop` that have no document to change).
    pub fn handle(self, doc: &SinkDocument) -> Result<Option<WriteModel>, String> {
        match self {
            CdcHandler::DebeziumRdbms => debezium::handle(doc),
            CdcHandler::ChangeStream => change_stream::handle(doc),
        }
    }
}

#[cfg(test)]
mod tests;
