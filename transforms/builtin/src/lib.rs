//! Sluice's built-in single-message transforms, compatible with Kafka Connect's SMTs of the same
//! name and config keys. Each module exposes `TransformPlugin` constants for the registry.

pub mod insert_field;
pub mod regex_router;
