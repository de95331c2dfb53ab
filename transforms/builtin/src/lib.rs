//! Sluice's built-in single-message transforms, compatible with Kafka Connect's SMTs of the same
//! name and config keys. Each module exposes `TransformPlugin` constants for the registry.

pub mod cast;
mod common;
pub mod drop_headers;
pub mod extract_field;
pub mod extract_new_record_state;
pub mod filter;
pub mod flatten;
pub mod header_from;
pub mod hoist_field;
pub mod insert_field;
pub mod insert_header;
pub mod mask_field;
pub mod predicates;
pub mod regex_router;
pub mod replace_field;
pub mod set_schema_metadata;
pub mod timestamp_converter;
pub mod timestamp_router;
pub mod value_to_key;
