//! Distributed mode: workers sharing connectors and tasks through Kafka's group coordinator,
//! with configs, offsets and status in Kafka topics, in Kafka Connect's formats.

pub mod assignor;
pub mod config_log;
pub mod config_store;
pub mod coordinator;
pub mod herder;
pub mod membership;
pub mod mode;
pub mod protocol;
pub mod settings;
pub mod status_log;
pub mod status_store;
pub mod topics;
