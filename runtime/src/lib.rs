//! The Sluice engine: worker, task loops, offset stores, converters and the plugin registry.

pub mod cli;
pub mod client;
pub mod config;
pub mod converters;
pub mod distributed;
pub mod errors;
pub mod herder;
pub mod logging;
pub mod metrics;
pub mod offsets;
pub mod registry;
pub mod rest;
pub mod standalone;
pub mod transform_cli;
pub mod worker;
