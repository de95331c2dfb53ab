//! PostgreSQL change-data-capture, compatible with Debezium's PostgreSQL connector
//! (`io.debezium.connector.postgresql.PostgresConnector`).
//!
//! Changes are read with the streaming replication protocol from a logical slot decoded by
//! `pgoutput`; a first start takes a consistent snapshot at the slot's starting point (the
//! slot's exported snapshot imported into a REPEATABLE READ transaction), so that snapshot and
//! stream join with no gap and no overlap. Every event has Debezium's envelope and schemas,
//! topics are `<topic.prefix>.<schema>.<table>`, offsets are Debezium's, and the slot is told
//! a position only once the runtime stored the offset covering it (see `acks`).

mod acks;
mod catalog;
mod changes;
mod config;
mod connector;
mod event;
mod lsn;
mod offsets;
mod pgoutput;
mod publication;
mod replication;
mod slot;
mod snapshot;
mod stream;
mod table;
mod task;
mod types;

pub use connector::PostgresCdcConnector;
