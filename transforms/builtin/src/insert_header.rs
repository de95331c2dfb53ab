//! InsertHeader: adds a header with a fixed value to every record, after any headers of the same
//! name. The value is `value.literal` read as Kafka Connect's `Values.parseString` reads it: `42`
//! becomes an int8, `true` a boolean, `2019-08-23` a Date, `[1, 2]` an array, and so on; text
//! that is no such literal stays a string.

mod literal;
mod merge;
mod number;
mod temporal;

use std::sync::Arc;

use sluice_api::config::ConfigValue;
use sluice_api::{
    ConfigDef, ConfigErrors, ConfigType, ConnectResult, Header, Importance, Props, Record,
    SchemaRef, Transform, TransformPlugin, Value,
};

pub use literal::{Literal, parse_literal};

pub const HEADER: &str = "header";
pub const VALUE_LITERAL: &str = "value.literal";

/// `InsertHeader`.
pub const PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: |props| Ok(Box::new(InsertHeader::new(props)?)),
};

/// Every key InsertHeader accepts, as Kafka Connect defines them.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            HEADER,
            ConfigType::String,
            Importance::High,
            "The name of the header.",
        )
        .required(
            VALUE_LITERAL,
            ConfigType::String,
            Importance::High,
            "The literal value that is to be set as the header value on all records.",
        )
}

/// The validated InsertHeader settings: the header with its parsed schema and value.
#[derive(Debug, Clone, PartialEq)]
pub struct InsertHeaderConfig {
    pub header: String,
    pub schema: Option<SchemaRef>,
    pub value: Value,
}

impl InsertHeaderConfig {
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = config_def().parse(props)?;
        // Empty strings are legitimate here, so read the raw values.
        let string = |key: &str| match parsed.get(key) {
            Some(ConfigValue::String(s)) => s.clone(),
            _ => String::new(),
        };
        let (schema, value) = parse_literal(&string(VALUE_LITERAL));
        Ok(InsertHeaderConfig {
            header: string(HEADER),
            schema: schema.map(Arc::new),
            value,
        })
    }
}

/// The InsertHeader transform.
#[derive(Debug)]
pub struct InsertHeader {
    config: InsertHeaderConfig,
}

impl InsertHeader {
    pub fn new(props: &Props) -> Result<Self, ConfigErrors> {
        Ok(InsertHeader {
            config: InsertHeaderConfig::parse(props)?,
        })
    }
}

impl Transform for InsertHeader {
    fn apply(&mut self, mut record: Record) -> ConnectResult<Option<Record>> {
        let config = &self.config;
        record.headers.push(Header {
            key: config.header.clone(),
            schema: config.schema.clone(),
            value: config.value.clone(),
        });
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests;
