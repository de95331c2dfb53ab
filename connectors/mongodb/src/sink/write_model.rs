//! `writemodel.strategy`: the write each document becomes, with the official strategies'
//! class names and filters.

use mongodb::bson::{Bson, DateTime, Document, doc};

use super::config::class_matches;
use super::document::SinkDocument;

const PACKAGE: &str = "com.mongodb.kafka.connect.sink.writemodel.strategy";
/// Fields the timestamp strategies maintain.
pub const MODIFIED_TS: &str = "_modifiedTS";
pub const INSERTED_TS: &str = "_insertedTS";

/// One write of a bulk write.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteModel {
    Insert(Document),
    Replace {
        filter: Document,
        replacement: Document,
        upsert: bool,
    },
    Update {
        filter: Document,
        update: Document,
        upsert: bool,
    },
    Delete {
        filter: Document,
    },
}

/// The command a write model is sent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandKind {
    Insert,
    Update,
    Delete,
}

impl WriteModel {
    pub fn command(&self) -> CommandKind {
        match self {
            WriteModel::Insert(_) => CommandKind::Insert,
            WriteModel::Replace { .. } | WriteModel::Update { .. } => CommandKind::Update,
            WriteModel::Delete { .. } => CommandKind::Delete,
        }
    }

    /// The statement of this write in its `insert`, `update` or `delete` command.
    pub fn statement(&self) -> Document {
        match self {
            WriteModel::Insert(d) => d.clone(),
            WriteModel::Replace {
                filter,
                replacement,
                upsert,
            } => {
                doc! {"q": filter.clone(), "u": replacement.clone(), "upsert": *upsert, "multi": false}
            }
            WriteModel::Update {
                filter,
                update,
                upsert,
            } => doc! {"q": filter.clone(), "u": update.clone(), "upsert": *upsert, "multi": false},
            WriteModel::Delete { filter } => doc! {"q": filter.clone(), "limit": 1},
        }
    }
}

/// The strategies for records with a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteModelKind {
    /// `DefaultWriteModelStrategy` and `ReplaceOneDefaultStrategy`: ReplaceOne by `_id`, upsert.
    ReplaceOneDefault,
    /// ReplaceOne with the `_id` document (a PartialValueStrategy projection) as the filter.
    ReplaceOneBusinessKey,
    /// UpdateOne `$set` by `_id`, upsert.
    UpdateOneDefault,
    /// UpdateOne `$set` plus `_modifiedTS`, `$setOnInsert` `_insertedTS`, by `_id`, upsert.
    UpdateOneTimestamps,
    /// As UpdateOneTimestamps, filtered by the business key.
    UpdateOneBusinessKeyTimestamp,
    InsertOneDefault,
    /// DeleteOne by the key (its `_id` field, or the whole key).
    DeleteOneDefault,
    /// DeleteOne with the business key as the filter.
    DeleteOneBusinessKey,
}

const ALL: [(WriteModelKind, &str); 9] = [
    (
        WriteModelKind::ReplaceOneDefault,
        "DefaultWriteModelStrategy",
    ),
    (
        WriteModelKind::ReplaceOneDefault,
        "ReplaceOneDefaultStrategy",
    ),
    (
        WriteModelKind::ReplaceOneBusinessKey,
        "ReplaceOneBusinessKeyStrategy",
    ),
    (WriteModelKind::UpdateOneDefault, "UpdateOneDefaultStrategy"),
    (
        WriteModelKind::UpdateOneTimestamps,
        "UpdateOneTimestampsStrategy",
    ),
    (
        WriteModelKind::UpdateOneBusinessKeyTimestamp,
        "UpdateOneBusinessKeyTimestampStrategy",
    ),
    (WriteModelKind::InsertOneDefault, "InsertOneDefaultStrategy"),
    (WriteModelKind::DeleteOneDefault, "DeleteOneDefaultStrategy"),
    (
        WriteModelKind::DeleteOneBusinessKey,
        "DeleteOneBusinessKeyStrategy",
    ),
];

impl WriteModelKind {
    pub fn from_class(class: &str) -> Option<Self> {
        ALL.iter()
            .find(|(_, name)| class_matches(class, PACKAGE, name))
            .map(|(kind, _)| *kind)
    }

    /// The write of a processed document (its value carries the `_id` the post processors set).
    pub fn build(self, doc: &SinkDocument) -> Result<WriteModel, String> {
        match self {
            WriteModelKind::DeleteOneDefault => return delete_by_key(doc),
            WriteModelKind::InsertOneDefault => {
                return Ok(WriteModel::Insert(value(doc)?.clone()));
            }
            _ => {}
        }
        let mut value = value(doc)?.clone();
        let id = value
            .get("_id")
            .cloned()
            .ok_or_else(|| "the value document has no _id field".to_string())?;
        let now = || Bson::DateTime(DateTime::now());
        Ok(match self {
            WriteModelKind::ReplaceOneDefault => WriteModel::Replace {
                filter: id_filter(id),
                replacement: value,
                upsert: true,
            },
            WriteModelKind::ReplaceOneBusinessKey => {
                let key = business_key(&id)?;
                value.remove("_id");
                WriteModel::Replace {
                    filter: key,
                    replacement: value,
                    upsert: true,
                }
            }
            WriteModelKind::UpdateOneDefault => {
                value.remove("_id");
                let update = if value.is_empty() {
                    doc! {"$setOnInsert": {"_id": id.clone()}}
                } else {
                    doc! {"$set": value}
                };
                WriteModel::Update {
                    filter: id_filter(id),
                    update,
                    upsert: true,
                }
            }
            WriteModelKind::UpdateOneTimestamps | WriteModelKind::UpdateOneBusinessKeyTimestamp => {
                let filter = if self == WriteModelKind::UpdateOneTimestamps {
                    id_filter(id)
                } else {
                    business_key(&id)?
                };
                value.remove("_id");
                let stamp = now();
                value.insert(MODIFIED_TS, stamp.clone());
                WriteModel::Update {
                    filter,
                    update: doc! {"$set": value, "$setOnInsert": {INSERTED_TS: stamp}},
                    upsert: true,
                }
            }
            WriteModelKind::DeleteOneBusinessKey => WriteModel::Delete {
                filter: business_key(&id)?,
            },
            WriteModelKind::DeleteOneDefault | WriteModelKind::InsertOneDefault => {
                unreachable!("handled above")
            }
        })
    }
}

/// The strategies for tombstones (`delete.writemodel.strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteModelKind {
    /// DeleteOne by the `_id` the id strategy builds from the key.
    DeleteOneDefault,
}

impl DeleteModelKind {
    pub fn from_class(class: &str) -> Option<Self> {
        class_matches(class, PACKAGE, "DeleteOneDefaultStrategy")
            .then_some(DeleteModelKind::DeleteOneDefault)
    }
}

/// `{_id: id}`.
pub fn id_filter(id: Bson) -> Document {
    doc! {"_id": id}
}

fn value(doc: &SinkDocument) -> Result<&Document, String> {
    doc.value
        .as_ref()
        .ok_or_else(|| "the record has no value document".to_string())
}

fn business_key(id: &Bson) -> Result<Document, String> {
    match id {
        Bson::Document(key) if !key.is_empty() => Ok(key.clone()),
        _ => Err(
            "the business key strategies need the _id to be a document of the key fields (use PartialValueStrategy)"
                .to_string(),
        ),
    }
}

/// DeleteOneDefaultStrategy used as `writemodel.strategy`: the key's `_id` field, or the key.
fn delete_by_key(doc: &SinkDocument) -> Result<WriteModel, String> {
    let key = doc.key()?;
    let filter = match key.get("_id") {
        Some(id) => id_filter(id.clone()),
        None => id_filter(Bson::Document(key.clone())),
    };
    Ok(WriteModel::Delete { filter })
}

#[cfg(test)]
mod tests;
