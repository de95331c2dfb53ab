//! The PostgreSQL connectors, compatible with Confluent's JDBC connector configs.
//!
//! Sink (`io.confluent.connect.jdbc.JdbcSinkConnector`): records become rows, written a batch
//! at a time with COPY into a session-local staging table and one merge statement per batch
//! (`INSERT … SELECT … ON CONFLICT`, `UPDATE … FROM`, `DELETE … USING`); `insert.mode`,
//! `pk.mode`/`pk.fields`, `auto.create`/`auto.evolve`, `delete.enabled`, `table.name.format`,
//! `batch.size`, `max.retries`/`retry.backoff.ms`; values carrying a Debezium change envelope
//! are applied as upserts and deletes without the unwrap SMT.
//!
//! Source (`io.confluent.connect.jdbc.JdbcSourceConnector`): tables or a custom `query` polled
//! in `bulk`, `incrementing`, `timestamp` or `timestamp+incrementing` mode, with offsets in the
//! Confluent format so a restart resumes where the last acknowledged row left off.
//!
//! CDC source (`io.debezium.connector.postgresql.PostgresConnector`): logical replication with
//! `pgoutput` over the streaming replication protocol, a consistent snapshot at the slot's
//! start, and Debezium's change events and offsets.

mod cdc;
mod connection;
mod error;
mod ident;
mod sink;
mod source;

use sluice_api::{SinkConnector, SourceConnector};

pub use connection::{ConnectionConfig, parse_url};
pub use ident::TableId;

/// The PostgreSQL sink connector.
pub fn sink() -> Box<dyn SinkConnector> {
    Box::new(sink::PostgresSinkConnector::default())
}

/// The PostgreSQL query-based source connector.
pub fn source() -> Box<dyn SourceConnector> {
    Box::new(source::PostgresSourceConnector::default())
}

/// The PostgreSQL change-data-capture source (Debezium-compatible events).
pub fn cdc_source() -> Box<dyn SourceConnector> {
    Box::new(cdc::PostgresCdcConnector::default())
}
