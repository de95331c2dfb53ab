//! `document.id.strategy`: how a document's `_id` is built, with the official strategies'
//! class names and behaviour.

use mongodb::bson::{Binary, Bson, Document, Uuid, oid::ObjectId};
use sluice_api::Record;

use super::config::class_matches;
use super::document::SinkDocument;
use super::projection::Projection;

const PACKAGE: &str = "com.mongodb.kafka.connect.sink.processor.id.strategy";

/// The strategies of the official connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdStrategyKind {
    /// A new ObjectId.
    BsonOid,
    /// The whole key document.
    FullKey,
    /// The key document projected.
    PartialKey,
    /// The value document projected.
    PartialValue,
    /// The key's `_id` field.
    ProvidedInKey,
    /// The value's `_id` field.
    ProvidedInValue,
    /// A random UUID, as a string or BSON binary subtype 4.
    Uuid,
    /// `topic-partition-offset`.
    KafkaMetaData,
}

const ALL: [(IdStrategyKind, &str); 8] = [
    (IdStrategyKind::BsonOid, "BsonOidStrategy"),
    (IdStrategyKind::FullKey, "FullKeyStrategy"),
    (IdStrategyKind::PartialKey, "PartialKeyStrategy"),
    (IdStrategyKind::PartialValue, "PartialValueStrategy"),
    (IdStrategyKind::ProvidedInKey, "ProvidedInKeyStrategy"),
    (IdStrategyKind::ProvidedInValue, "ProvidedInValueStrategy"),
    (IdStrategyKind::Uuid, "UuidStrategy"),
    (IdStrategyKind::KafkaMetaData, "KafkaMetaDataStrategy"),
];

impl IdStrategyKind {
    /// The strategy named by its full class name (or simple name).
    pub fn from_class(class: &str) -> Option<Self> {
        ALL.iter()
            .find(|(_, name)| class_matches(class, PACKAGE, name))
            .map(|(kind, _)| *kind)
    }

    pub fn class_name(self) -> &'static str {
        ALL.iter()
            .find(|(kind, _)| *kind == self)
            .map_or("", |(_, name)| name)
    }

    /// Whether the `_id` comes from the record key, as deletes by key need.
    pub fn uses_key(self) -> bool {
        matches!(
            self,
            IdStrategyKind::FullKey | IdStrategyKind::PartialKey | IdStrategyKind::ProvidedInKey
        )
    }
}

/// A configured id strategy.
#[derive(Debug, Clone)]
pub struct IdStrategy {
    pub kind: IdStrategyKind,
    /// Whether the strategy's `_id` replaces one the value already has.
    pub overwrite_existing: bool,
    pub uuid_binary: bool,
    pub partial_key: Projection,
    pub partial_value: Projection,
}

impl IdStrategy {
    /// A strategy with default settings.
    #[cfg(test)]
    pub fn of(kind: IdStrategyKind) -> Self {
        use super::projection::ProjectionType;
        IdStrategy {
            kind,
            overwrite_existing: false,
            uuid_binary: false,
            partial_key: Projection::new(ProjectionType::None, Vec::new()),
            partial_value: Projection::new(ProjectionType::None, Vec::new()),
        }
    }

    /// The `_id` of `doc`; `Err` is the record-level reason.
    pub fn generate(&self, doc: &SinkDocument, record: &Record) -> Result<Bson, String> {
        match self.kind {
            IdStrategyKind::BsonOid => Ok(Bson::ObjectId(ObjectId::new())),
            IdStrategyKind::Uuid => {
                let uuid = Uuid::new();
                Ok(if self.uuid_binary {
                    Bson::Binary(Binary::from_uuid(uuid))
                } else {
                    Bson::String(uuid.to_string())
                })
            }
            IdStrategyKind::KafkaMetaData => Ok(Bson::String(format!(
                "{}-{}-{}",
                record.topic,
                record.partition.unwrap_or(0),
                record.kafka_offset.unwrap_or(-1)
            ))),
            IdStrategyKind::FullKey => Ok(Bson::Document(
                doc.key().map_err(for_strategy(self))?.clone(),
            )),
            IdStrategyKind::PartialKey => {
                let mut key = doc.key().map_err(for_strategy(self))?.clone();
                self.partial_key.apply(&mut key, false);
                Ok(Bson::Document(key))
            }
            IdStrategyKind::PartialValue => {
                let mut value = doc
                    .value
                    .clone()
                    .ok_or_else(|| "PartialValueStrategy needs a value document".to_string())?;
                self.partial_value.apply(&mut value, false);
                Ok(Bson::Document(value))
            }
            IdStrategyKind::ProvidedInKey => {
                provided(doc.key().map_err(for_strategy(self))?, "key")
            }
            IdStrategyKind::ProvidedInValue => match &doc.value {
                Some(value) => provided(value, "value"),
                None => Err("ProvidedInValueStrategy needs a value document".to_string()),
            },
        }
    }
}

fn for_strategy(strategy: &IdStrategy) -> impl Fn(String) -> String + '_ {
    move |reason| {
        format!(
            "{} needs a key document: {reason}",
            strategy.kind.class_name()
        )
    }
}

fn provided(doc: &Document, side: &str) -> Result<Bson, String> {
    match doc.get("_id") {
        None => Err(format!(
            "the {side} document has no _id field (ProvidedIn{}Strategy)",
            capitalise(side)
        )),
        Some(Bson::Null) => Err(format!("the {side} document's _id is null")),
        Some(id) => Ok(id.clone()),
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
