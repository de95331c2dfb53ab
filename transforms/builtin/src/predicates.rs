//! Kafka Connect's predicates: conditions under which a transform applies
//! (`transforms.<alias>.predicate`, optionally `negate`d).

use regex::Regex;
use sluice_api::config::{ConfigDef, ConfigErrors, ConfigType, Importance, Validator};
use sluice_api::{Predicate, PredicatePlugin, Props, Record};

/// `TopicNameMatches`: the whole topic name matches `pattern`.
pub const TOPIC_NAME_MATCHES: PredicatePlugin = PredicatePlugin {
    config_def: topic_name_matches_def,
    create: |props| Ok(Box::new(TopicNameMatches::new(props)?)),
};

/// `HasHeaderKey`: the record has at least one header named `name`.
pub const HAS_HEADER_KEY: PredicatePlugin = PredicatePlugin {
    config_def: has_header_key_def,
    create: |props| Ok(Box::new(HasHeaderKey::new(props)?)),
};

/// `RecordIsTombstone`: the record's value is null.
pub const RECORD_IS_TOMBSTONE: PredicatePlugin = PredicatePlugin {
    config_def: ConfigDef::new,
    create: |_| Ok(Box::new(RecordIsTombstone)),
};

fn topic_name_matches_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            "pattern",
            ConfigType::String,
            Importance::Medium,
            "Java regex the whole topic name must match.",
        )
        .validate(Validator::Custom(|value| match value {
            sluice_api::config::ConfigValue::String(pattern) => {
                Regex::new(pattern).map(|_| ()).map_err(|e| e.to_string())
            }
            _ => Ok(()),
        }))
}

fn has_header_key_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            "name",
            ConfigType::String,
            Importance::Medium,
            "Header name.",
        )
        .validate(Validator::NonEmpty)
}

#[derive(Debug)]
pub struct TopicNameMatches {
    pattern: Regex,
}

impl TopicNameMatches {
    pub fn new(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = topic_name_matches_def().parse(props)?;
        let source = parsed.string("pattern");
        // Java's `matches()` needs the whole name to match.
        let pattern = Regex::new(&format!(r"\A(?:{source})\z"))
            .map_err(|e| ConfigErrors::one("pattern", format!("invalid value '{source}': {e}")))?;
        Ok(TopicNameMatches { pattern })
    }
}

impl Predicate for TopicNameMatches {
    fn test(&self, record: &Record) -> bool {
        self.pattern.is_match(&record.topic)
    }
}

#[derive(Debug)]
pub struct HasHeaderKey {
    name: String,
}

impl HasHeaderKey {
    pub fn new(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = has_header_key_def().parse(props)?;
        Ok(HasHeaderKey {
            name: parsed.string("name"),
        })
    }
}

impl Predicate for HasHeaderKey {
    fn test(&self, record: &Record) -> bool {
        record.headers.iter().any(|h| h.key == self.name)
    }
}

#[derive(Debug)]
pub struct RecordIsTombstone;

impl Predicate for RecordIsTombstone {
    fn test(&self, record: &Record) -> bool {
        record.value.is_null()
    }
}

/// A predicate's result for a transform, honouring `negate`.
pub fn applies(predicate: &dyn Predicate, negate: bool, record: &Record) -> bool {
    predicate.test(record) != negate
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::config::props;
    use sluice_api::{Header, Value};

    fn record(topic: &str) -> Record {
        Record::new(topic).with_value(None, Value::from("v"))
    }

    #[test]
    fn topic_name_matches_the_whole_name() {
        let p = (TOPIC_NAME_MATCHES.create)(&props(&[("pattern", "orders|payments")])).unwrap();
        let cases = [
            ("orders", true),
            ("payments", true),
            ("orders-dlq", false),
            ("my-orders", false),
        ];
        for (topic, expected) in cases {
            assert_eq!(p.test(&record(topic)), expected, "{topic}");
        }
    }

    #[test]
    fn has_header_key() {
        let p = (HAS_HEADER_KEY.create)(&props(&[("name", "trace")])).unwrap();
        let mut r = record("t");
        assert!(!p.test(&r));
        r.headers.push(Header::string("trace", "1"));
        assert!(p.test(&r));
    }

    #[test]
    fn record_is_tombstone_and_negate() {
        let p = (RECORD_IS_TOMBSTONE.create)(&Props::new()).unwrap();
        let tombstone = Record::new("t");
        assert!(applies(p.as_ref(), false, &tombstone));
        assert!(!applies(p.as_ref(), true, &tombstone));
        assert!(applies(p.as_ref(), true, &record("t")));
    }

    #[test]
    fn config_errors_name_the_key() {
        let err = TopicNameMatches::new(&props(&[("pattern", "(")])).unwrap_err();
        assert_eq!(err.issues()[0].key, "pattern");
        let err = HasHeaderKey::new(&Props::new()).unwrap_err();
        assert_eq!(err.issues()[0].key, "name");
    }
}
