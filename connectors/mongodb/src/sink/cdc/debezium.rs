//! Debezium relational change events (`before`, `after`, `op`), mapped as the official
//! `RdbmsHandler` maps them: the filter is `{_id: {<key columns>}}`; `c` and `r` replace with
//! upsert (so a replayed snapshot or create changes nothing), `u` replaces with upsert, `d`
//! deletes. Without key columns a create gets a new ObjectId and updates and deletes filter on
//! the `before` row.

use mongodb::bson::{Bson, Document, oid::ObjectId};

use crate::sink::document::SinkDocument;
use crate::sink::write_model::WriteModel;

pub fn handle(doc: &SinkDocument) -> Result<Option<WriteModel>, String> {
    let Some(value) = doc.value.as_ref().filter(|v| !v.is_empty()) else {
        // Tombstones follow deletes for log compaction; the delete already happened.
        return Ok(None);
    };
    let key = doc.key_or_empty()?;
    let op = match value.get("op") {
        Some(Bson::String(op)) => op.as_str(),
        Some(_) => return Err("Debezium event field 'op' is not a string".to_string()),
        None => return Err("not a Debezium change event: no 'op' field".to_string()),
    };
    let model = match op {
        "c" | "r" => {
            let filter = filter(&key, value, true)?;
            WriteModel::Replace {
                replacement: replacement(value, &filter)?,
                filter,
                upsert: true,
            }
        }
        "u" => {
            let filter = filter(&key, value, false)?;
            WriteModel::Replace {
                replacement: replacement(value, &filter)?,
                filter,
                upsert: true,
            }
        }
        "d" => WriteModel::Delete {
            filter: filter(&key, value, false)?,
        },
        other => return Err(format!("unknown Debezium operation '{other}'")),
    };
    Ok(Some(model))
}

fn filter(key: &Document, value: &Document, create: bool) -> Result<Document, String> {
    if !key.is_empty() {
        let mut filter = Document::new();
        filter.insert("_id", Bson::Document(key.clone()));
        return Ok(filter);
    }
    if create {
        let mut filter = Document::new();
        filter.insert("_id", Bson::ObjectId(ObjectId::new()));
        return Ok(filter);
    }
    match value.get("before") {
        Some(Bson::Document(before)) if !before.is_empty() => Ok(before.clone()),
        _ => Err(
            "an update or delete of a table without key columns needs a non-empty 'before' document"
                .to_string(),
        ),
    }
}

fn replacement(value: &Document, filter: &Document) -> Result<Document, String> {
    let after = match value.get("after") {
        Some(Bson::Document(after)) if !after.is_empty() => after,
        _ => return Err("the event needs a non-empty 'after' document".to_string()),
    };
    let mut out = Document::new();
    if let Some(id) = filter.get("_id") {
        out.insert("_id", id.clone());
    }
    for (k, v) in after {
        if k != "_id" || !out.contains_key("_id") {
            out.insert(k.clone(), v.clone());
        }
    }
    Ok(out)
}
