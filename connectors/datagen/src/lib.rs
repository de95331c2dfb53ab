//! The datagen source connector: deterministic synthetic `vehicle.location.updated` events for
//! demos, tests and benchmarks.
//!
//! Each task produces its own numbered sequence: record `seq` of task `t` is a pure function of
//! `(seed, t, seq)`, so two runs with the same settings produce the same records (with
//! `timestamp.mode=sequence`, the default, including the timestamps: 2024-01-01T00:00:00Z plus one
//! second per sequence number; with `timestamp.mode=now` the wall clock is used instead).
//!
//! Offsets: source partition `{"task": <task id>}`, offset `{"seq": <sequence number>}`; a task
//! resumes right after the stored sequence number, and `iterations` bounds the total per task.

mod config;
mod connector;
mod event;
mod fleet;
mod pacing;
mod rng;
mod task;

use sluice_api::SourceConnector;

pub use config::{DatagenConfig, TimestampMode, config_def};
pub use event::{EVENT_NAME, value_schema};

/// The datagen source connector.
pub fn source() -> Box<dyn SourceConnector> {
    Box::new(connector::DatagenConnector::default())
}
