//! The built-in converters, byte-compatible with Kafka Connect's: JsonConverter,
//! StringConverter and ByteArrayConverter.

pub mod bytearray;
pub mod json;
pub mod string;

use sluice_api::config::{ConfigDef, Props};
use sluice_api::{ConnectError, ConnectResult};

/// Parses a converter's settings, reporting every problem as a config error.
fn parse(def: &ConfigDef, props: &Props) -> ConnectResult<sluice_api::ParsedConfig> {
    def.parse(props).map_err(ConnectError::from)
}
