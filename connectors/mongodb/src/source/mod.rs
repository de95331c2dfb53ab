//! The change-stream source, compatible with the official MongoDB Kafka source connector
//! (`com.mongodb.kafka.connect.MongoSourceConnector`): the same config keys, record shapes,
//! topic names and offsets, so its configs run unchanged and its stored offsets resume.
//!
//! - One task watches a collection, a database or the whole deployment; each change event
//!   becomes a record on `<prefix>.<db>.<coll>` (or per `topic.namespace.map`) whose value is
//!   the event (or its `fullDocument`) as JSON text and whose key is `{"_id": <resume token>}`.
//! - Partition `{"ns": "mongodb://<hosts>/<db>.<coll>"}` (or `offset.partition.name`), offset
//!   `{"_id": "<resume token JSON>"}`: a restart resumes after the last committed event.
//! - `startup.mode=copy_existing` opens the stream first, copies every document as an insert
//!   event, then streams from the token taken before the copy: nothing written during the copy
//!   is lost (some changes may appear twice).
//! - `heartbeat.interval.ms` publishes the postBatchResumeToken of a quiet stream, so the stored
//!   token stays within the oplog.

mod config;
mod connector;
mod copy_existing;
mod cursor;
mod error;
mod json;
mod offsets;
mod record;
mod schema;
mod stream;
mod task;
mod topic;

pub use connector::MongoSourceConnector;
