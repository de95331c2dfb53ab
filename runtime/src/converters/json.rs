//! JsonConverter: Connect data as JSON, with or without the `{"schema","payload"}` envelope,
//! byte for byte as Kafka Connect writes it (see `sluice_api::json`).

use std::sync::{Arc, Mutex};

use sluice_api::config::{ConfigDef, ConfigType, Importance, Props, Validator};
use sluice_api::json::{self, DecimalFormat, JsonOptions};
use sluice_api::{ConnectResult, Converter, ConverterPlugin, Schema, SchemaRef, Value};

pub const PLUGIN: ConverterPlugin = ConverterPlugin { config_def, create };

pub const SCHEMAS_ENABLE_CONFIG: &str = "schemas.enable";
pub const SCHEMAS_CACHE_SIZE_CONFIG: &str = "schemas.cache.size";
pub const DECIMAL_FORMAT_CONFIG: &str = "decimal.format";
pub const REPLACE_NULL_WITH_DEFAULT_CONFIG: &str = "replace.null.with.default";

/// The schemas remembered per direction. Streams usually carry one or a few schemas; a short
/// list compared most-recent-first avoids hashing schemas (which hold floats) and keeps a
/// miss cheap.
const MAX_CACHED_SCHEMAS: usize = 16;

pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .optional(
            SCHEMAS_ENABLE_CONFIG,
            ConfigType::Boolean,
            Some("true"),
            Importance::High,
            "Include schemas within each of the serialized values and keys.",
        )
        .in_group("Schemas")
        .optional(
            SCHEMAS_CACHE_SIZE_CONFIG,
            ConfigType::Int,
            Some("1000"),
            Importance::High,
            "The maximum number of schemas that can be cached in this converter instance.",
        )
        .validate(Validator::AtLeast(0))
        .in_group("Schemas")
        .optional(
            DECIMAL_FORMAT_CONFIG,
            ConfigType::String,
            Some("BASE64"),
            Importance::Low,
            "Controls which format this converter will serialize decimals in. This value is case insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
        )
        .validate(Validator::OneOf(vec!["BASE64".into(), "NUMERIC".into()]))
        .in_group("Serialization")
        .optional(
            REPLACE_NULL_WITH_DEFAULT_CONFIG,
            ConfigType::Boolean,
            Some("true"),
            Importance::Low,
            "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.",
        )
        .in_group("Serialization")
}

fn create(props: &Props, _is_key: bool) -> ConnectResult<Box<dyn Converter>> {
    Ok(Box::new(JsonConverter::from_props(props)?))
}

type WrittenSchema = (Schema, Arc<[u8]>);
type ReadSchema = (Box<[u8]>, Option<SchemaRef>);

pub struct JsonConverter {
    schemas_enable: bool,
    opts: JsonOptions,
    cache_size: usize,
    /// Schema → its rendered JSON, for writing envelopes.
    written: Mutex<Vec<WrittenSchema>>,
    /// Raw schema JSON → the parsed schema, for reading envelopes; also lets records that
    /// share a schema share one `SchemaRef`.
    read: Mutex<Vec<ReadSchema>>,
}

impl JsonConverter {
    pub fn new(schemas_enable: bool, opts: JsonOptions, cache_size: usize) -> Self {
        JsonConverter {
            schemas_enable,
            opts,
            cache_size: cache_size.min(MAX_CACHED_SCHEMAS),
            written: Mutex::new(Vec::new()),
            read: Mutex::new(Vec::new()),
        }
    }

    /// Builds from the converter's settings (prefix removed).
    pub fn from_props(props: &Props) -> ConnectResult<Self> {
        let config = super::parse(&config_def(), props)?;
        let opts = JsonOptions {
            decimal_format: DecimalFormat::parse(&config.string(DECIMAL_FORMAT_CONFIG))
                .unwrap_or_default(),
            replace_null_with_default: config.bool(REPLACE_NULL_WITH_DEFAULT_CONFIG),
        };
        let cache_size = usize::try_from(config.int(SCHEMAS_CACHE_SIZE_CONFIG)).unwrap_or(0);
        Ok(Self::new(
            config.bool(SCHEMAS_ENABLE_CONFIG),
            opts,
            cache_size,
        ))
    }

    fn schema_json(&self, schema: &Schema) -> ConnectResult<Arc<[u8]>> {
        let mut cache = self.written.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = cache.iter().position(|(s, _)| s == schema) {
            cache[..=i].rotate_right(1);
            return Ok(cache[0].1.clone());
        }
        let rendered: Arc<[u8]> = json::schema_to_json_bytes(schema, &self.opts)?.into();
        remember(
            &mut cache,
            self.cache_size,
            (schema.clone(), rendered.clone()),
        );
        Ok(rendered)
    }

    /// The schema and payload bytes of an envelope written as `{"schema":S,"payload":P}` whose
    /// `S` is byte for byte a cached schema, found without parsing `S` again. Streams repeat one
    /// schema in every record, and parsing it dominated decoding.
    fn known_schema_payload<'a>(&self, data: &'a [u8]) -> Option<(Option<SchemaRef>, &'a [u8])> {
        const PAYLOAD: &[u8] = b",\"payload\":";
        let rest = data.strip_prefix(b"{\"schema\":")?;
        let mut cache = self.read.lock().unwrap_or_else(|e| e.into_inner());
        let i = cache
            .iter()
            .position(|(raw, _)| rest.starts_with(raw) && rest[raw.len()..].starts_with(PAYLOAD))?;
        let payload = rest[cache[i].0.len() + PAYLOAD.len()..].strip_suffix(b"}")?;
        cache[..=i].rotate_right(1);
        Some((cache[0].1.clone(), payload))
    }

    fn read_schema(&self, envelope: &json::Envelope<'_>) -> ConnectResult<Option<SchemaRef>> {
        let raw = envelope.schema_json();
        let mut cache = self.read.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = cache.iter().position(|(r, _)| **r == *raw) {
            cache[..=i].rotate_right(1);
            return Ok(cache[0].1.clone());
        }
        let schema = envelope.schema(&self.opts)?.map(Arc::new);
        remember(&mut cache, self.cache_size, (raw.into(), schema.clone()));
        Ok(schema)
    }
}

/// Puts an entry first, dropping the least recently used one when full.
fn remember<T>(cache: &mut Vec<T>, capacity: usize, entry: T) {
    if capacity == 0 {
        return;
    }
    cache.truncate(capacity - 1);
    cache.insert(0, entry);
}

impl Converter for JsonConverter {
    fn from_connect(
        &self,
        _topic: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        // Only "no schema and no value" is a Kafka null; an optional schema with a null value
        // still writes an envelope (or `null`).
        if schema.is_none() && value.is_null() {
            return Ok(None);
        }
        if !self.schemas_enable {
            return json::to_json_bytes(schema, value, &self.opts).map(Some);
        }
        let schema_json = schema.map(|s| self.schema_json(s)).transpose()?;
        json::envelope_with_schema_json(schema_json.as_deref(), schema, value, &self.opts).map(Some)
    }

    fn to_connect(
        &self,
        _topic: &str,
        data: Option<&[u8]>,
    ) -> ConnectResult<(Option<SchemaRef>, Value)> {
        let Some(data) = data else {
            return Ok((None, Value::Null));
        };
        if !self.schemas_enable {
            return Ok((None, json::from_json_bytes(None, data, &self.opts)?));
        }
        if let Some((schema, payload)) = self.known_schema_payload(data) {
            // A payload slice that is not one JSON value (extra members after it, say) takes
            // the full path below, which reports the error as JsonConverter does.
            if let Ok(value) = json::from_json_bytes(schema.as_deref(), payload, &self.opts) {
                return Ok((schema, value));
            }
        }
        let envelope = json::parse_envelope(data)?;
        let schema = self.read_schema(&envelope)?;
        let value = envelope.payload(schema.as_deref(), &self.opts)?;
        Ok((schema, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn converter(pairs: &[(&str, &str)]) -> JsonConverter {
        let props = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        JsonConverter::from_props(&props).unwrap()
    }

    #[test]
    fn a_cached_schema_decodes_like_a_parsed_one() {
        let c = converter(&[]);
        let doc = br#"{"schema":{"type":"struct","fields":[{"field":"a","type":"int32","optional":false}],"optional":false},"payload":{"a":7}}"#;
        let first = c.to_connect("t", Some(doc)).unwrap();
        let second = c.to_connect("t", Some(doc)).unwrap();
        assert_eq!(first, second);
        assert!(Arc::ptr_eq(
            first.0.as_ref().unwrap(),
            second.0.as_ref().unwrap()
        ));
        // Extra members after the payload are still refused.
        let extra = br#"{"schema":{"type":"struct","fields":[{"field":"a","type":"int32","optional":false}],"optional":false},"payload":{"a":7},"x":1}"#;
        assert!(c.to_connect("t", Some(extra)).is_err());
    }

    #[test]
    fn kafka_null_only_without_schema_and_value() {
        let c = converter(&[]);
        assert_eq!(c.from_connect("t", None, &Value::Null).unwrap(), None);
        let optional = Schema::string().optional();
        let bytes = c
            .from_connect("t", Some(&optional), &Value::Null)
            .unwrap()
            .unwrap();
        assert_eq!(
            bytes,
            br#"{"schema":{"type":"string","optional":true},"payload":null}"#
        );
        assert_eq!(c.to_connect("t", None).unwrap(), (None, Value::Null));
    }

    #[test]
    fn caches_keep_output_identical_and_share_schemas() {
        let c = converter(&[]);
        let schema = Schema::int32().named("n");
        let first = c
            .from_connect("t", Some(&schema), &Value::Int32(1))
            .unwrap()
            .unwrap();
        let second = c
            .from_connect("t", Some(&schema), &Value::Int32(2))
            .unwrap()
            .unwrap();
        assert_eq!(
            first,
            br#"{"schema":{"type":"int32","optional":false,"name":"n"},"payload":1}"#
        );
        assert_eq!(
            second,
            br#"{"schema":{"type":"int32","optional":false,"name":"n"},"payload":2}"#
        );
        let (a, _) = c.to_connect("t", Some(&first)).unwrap();
        let (b, value) = c.to_connect("t", Some(&second)).unwrap();
        assert!(Arc::ptr_eq(a.as_ref().unwrap(), b.as_ref().unwrap()));
        assert_eq!((b.as_deref(), value), (Some(&schema), Value::Int32(2)));
    }

    #[test]
    fn settings_are_validated() {
        let props: Props = [("decimal.format".to_string(), "hex".to_string())].into();
        let err = JsonConverter::from_props(&props).err().unwrap();
        assert!(
            err.to_string()
                .contains("decimal.format: invalid value 'hex'"),
            "{err}"
        );
        let c = converter(&[("decimal.format", "numeric"), ("schemas.enable", "false")]);
        let schema = Schema::decimal(2);
        let d = Value::Decimal(sluice_api::data::Decimal {
            unscaled: 1050,
            scale: 2,
        });
        assert_eq!(
            c.from_connect("t", Some(&schema), &d).unwrap().unwrap(),
            b"10.50"
        );
        let c = converter(&[("schemas.cache.size", "0")]);
        assert!(c.from_connect("t", Some(&schema), &d).is_ok());
    }
}
