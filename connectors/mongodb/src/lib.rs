//! MongoDB connectors compatible with the configs of the official MongoDB Kafka connector
//! (`com.mongodb.kafka.connect.MongoSinkConnector` and `MongoSourceConnector`).

mod sink;
mod source;

use sluice_api::{SinkConnector, SourceConnector};

pub use sink::MongoSinkConnector;
pub use source::MongoSourceConnector;

/// The MongoDB sink connector.
pub fn sink() -> Box<dyn SinkConnector> {
    Box::new(MongoSinkConnector::default())
}

/// The MongoDB change-stream source connector.
pub fn source() -> Box<dyn SourceConnector> {
    Box::new(MongoSourceConnector::default())
}
