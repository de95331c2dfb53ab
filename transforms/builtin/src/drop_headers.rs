//! DropHeaders: removes every header whose key is listed, as Kafka Connect does.

use std::collections::HashSet;

use sluice_api::config::Validator;
use sluice_api::{
    ConfigDef, ConfigErrors, ConfigType, ConnectResult, Importance, Props, Record, Transform,
    TransformPlugin,
};

pub const HEADERS: &str = "headers";

/// `DropHeaders`.
pub const PLUGIN: TransformPlugin = TransformPlugin {
    config_def,
    create: |props| Ok(Box::new(DropHeaders::new(props)?)),
};

/// Every key DropHeaders accepts, as Kafka Connect defines them.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            HEADERS,
            ConfigType::List,
            Importance::High,
            "The name of the headers to be removed.",
        )
        .validate(Validator::NonEmpty)
}

/// The validated DropHeaders settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropHeadersConfig {
    pub headers: HashSet<String>,
}

impl DropHeadersConfig {
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = config_def().parse(props)?;
        Ok(DropHeadersConfig {
            headers: parsed.list(HEADERS).into_iter().collect(),
        })
    }
}

/// The DropHeaders transform.
#[derive(Debug)]
pub struct DropHeaders {
    config: DropHeadersConfig,
}

impl DropHeaders {
    pub fn new(props: &Props) -> Result<Self, ConfigErrors> {
        Ok(DropHeaders {
            config: DropHeadersConfig::parse(props)?,
        })
    }
}

impl Transform for DropHeaders {
    fn apply(&mut self, mut record: Record) -> ConnectResult<Option<Record>> {
        record
            .headers
            .retain(|header| !self.config.headers.contains(&header.key));
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use sluice_api::config::props;
    use sluice_api::{Header, Value};

    use super::*;

    fn record(keys: &[&str]) -> Record {
        let mut record = Record::new("t").with_value(None, Value::from("v"));
        record.headers = keys
            .iter()
            .enumerate()
            .map(|(i, key)| Header::string(*key, i.to_string()))
            .collect();
        record
    }

    fn keys(record: &Record) -> Vec<&str> {
        record.headers.iter().map(|h| h.key.as_str()).collect()
    }

    /// The first three cases are Kafka Connect's `DropHeadersTest` (dropExistingHeader,
    /// dropExistingHeaderWithMultipleValues, dropNonExistingHeader): every header with a listed
    /// key goes, in any position, and the others keep their order.
    #[test]
    fn drops_listed_headers() {
        let cases: Vec<(&str, &[&str], &[&str])> = vec![
            ("to-drop", &["existing", "to-drop"], &["existing"]),
            (
                "to-drop",
                &["existing", "to-drop", "to-drop"],
                &["existing"],
            ),
            ("to-drop", &["existing"], &["existing"]),
            ("b", &["b", "a", "b", "c"], &["a", "c"]),
            ("a,b", &["a", "b", "c", "b"], &["c"]),
            ("x", &[], &[]),
        ];
        for (headers, input, expected) in cases {
            let mut transform = (PLUGIN.create)(&props(&[("headers", headers)])).unwrap();
            let out = transform.apply(record(input)).unwrap().unwrap();
            assert_eq!(keys(&out), expected, "{headers} on {input:?}");
            assert_eq!(out.value, Value::from("v"));
        }
        // Dropping keeps the survivors' values.
        let mut transform = (PLUGIN.create)(&props(&[("headers", "a")])).unwrap();
        let out = transform.apply(record(&["a", "b"])).unwrap().unwrap();
        assert_eq!(out.headers, vec![Header::string("b", "1")]);
    }

    #[test]
    fn headers_must_be_listed() {
        for pairs in [&[][..], &[("headers", "")][..]] {
            let err = DropHeadersConfig::parse(&props(pairs)).unwrap_err();
            assert_eq!(err.issues()[0].key, "headers");
        }
    }
}
