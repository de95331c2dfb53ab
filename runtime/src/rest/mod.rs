//! The Kafka Connect–compatible REST API.

pub mod auth;
pub mod tls;
