//! The query-based PostgreSQL source, compatible with Confluent's `JdbcSourceConnector`.
//!
//! The connector lists the tables to read when it starts (`table.types` outside the system
//! schemas, `schema.pattern`, `table.whitelist`/`table.blacklist`) and deals them round-robin
//! to at most `tasks.max` tasks; a custom `query` has one task. Each task polls its tables in
//! the configured `mode` and gives every record the Confluent offset of its own row:
//!
//! - partition `{"table": "<table>"}` (or `{"table": "<schema>.<table>"}` for a name found in
//!   several schemas, which Confluent's bare name would mix up), `{"query": "query"}` for a query;
//! - offset `{"incrementing": n}`, `{"timestamp": ms, "timestamp_nanos": ns}` or all three;
//!   bulk reads have an empty offset. Microsecond timestamps survive the round trip exactly.
//!
//! Values are structs named after the table, one field per column; keys are null.

mod config;
mod connector;
mod decode;
mod describe;
mod discovery;
mod offset;
mod query;
mod reader;
mod task;
mod types;

pub use connector::PostgresSourceConnector;
