//! Converters: between Kafka bytes and Connect data.

use crate::config::{ConfigDef, Props};
use crate::data::{Schema, SchemaRef, Value};
use crate::error::ConnectResult;

/// Serializes and deserializes keys or values.
pub trait Converter: Send + Sync {
    /// Connect data to bytes; `None` for a Kafka null.
    // Named after Kafka Connect's fromConnectData/toConnectData, which users know.
    #[allow(clippy::wrong_self_convention)]
    fn from_connect(
        &self,
        topic: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>>;
    /// Bytes (or a Kafka null) to Connect data.
    fn to_connect(
        &self,
        topic: &str,
        data: Option<&[u8]>,
    ) -> ConnectResult<(Option<SchemaRef>, Value)>;
}

/// How the registry builds a converter from its prefixed settings (prefix removed).
#[derive(Clone, Copy)]
pub struct ConverterPlugin {
    pub config_def: fn() -> ConfigDef,
    /// `is_key` tells a key converter from a value converter.
    pub create: fn(&Props, bool) -> ConnectResult<Box<dyn Converter>>,
}

impl std::fmt::Debug for ConverterPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConverterPlugin")
    }
}
