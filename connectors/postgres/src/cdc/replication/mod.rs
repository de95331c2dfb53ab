//! The streaming replication protocol, spoken directly: tokio-postgres has no replication mode,
//! and a small client over `postgres_protocol` keeps full control of the slot's exported
//! snapshot and of when the flushed LSN is reported.

mod connection;
mod wire;

pub use connection::{ReplicationConnection, ReplicationMessage};
