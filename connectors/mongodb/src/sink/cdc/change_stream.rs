//! MongoDB change-stream events, applied as the official `ChangeStreamHandler` applies them:
//! by `documentKey`, `insert` and `replace` (and `update` with a `fullDocument`) replace with
//! upsert, other updates apply `updateDescription`, `delete` deletes; events without a
//! document to change (`drop`, `rename`, `invalidate`…) write nothing.

use mongodb::bson::{Bson, Document};

use crate::sink::document::SinkDocument;
use crate::sink::write_model::WriteModel;

pub fn handle(doc: &SinkDocument) -> Result<Option<WriteModel>, String> {
    let Some(event) = doc.value.as_ref().filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let op = match event.get("operationType") {
        Some(Bson::String(op)) => op.as_str(),
        Some(_) => return Err("change event field 'operationType' is not a string".to_string()),
        None => return Err("not a change-stream event: no 'operationType' field".to_string()),
    };
    let model = match op {
        "insert" | "replace" => replace(event)?,
        "update" => match event.get("fullDocument") {
            Some(Bson::Document(_)) => replace(event)?,
            _ => match update(event)? {
                Some(model) => model,
                None => return Ok(None),
            },
        },
        "delete" => WriteModel::Delete {
            filter: document_key(event)?,
        },
        other => {
            tracing::warn!(
                operation = other,
                "change-stream event with no document to write; skipped"
            );
            return Ok(None);
        }
    };
    Ok(Some(model))
}

fn document_key(event: &Document) -> Result<Document, String> {
    match event.get("documentKey") {
        Some(Bson::Document(key)) if key.contains_key("_id") => Ok(key.clone()),
        _ => Err("the change event has no 'documentKey' document with an _id".to_string()),
    }
}

fn replace(event: &Document) -> Result<WriteModel, String> {
    let filter = document_key(event)?;
    let full = match event.get("fullDocument") {
        Some(Bson::Document(full)) => full.clone(),
        _ => return Err("the change event has no 'fullDocument' document".to_string()),
    };
    let replacement = match filter.get("_id") {
        Some(id) => crate::sink::post_processor::with_id_first(id.clone(), full),
        None => full,
    };
    Ok(WriteModel::Replace {
        filter,
        replacement,
        upsert: true,
    })
}

/// `$set` of the updated fields, `$unset` of the removed ones, and `$push` with `$slice` for
/// arrays the change truncated.
fn update(event: &Document) -> Result<Option<WriteModel>, String> {
    let filter = document_key(event)?;
    let description = match event.get("updateDescription") {
        Some(Bson::Document(d)) => d,
        _ => {
            return Err(
                "the update event has neither 'fullDocument' nor 'updateDescription'".to_string(),
            );
        }
    };
    let mut update = Document::new();
    if let Some(Bson::Document(set)) = description.get("updatedFields")
        && !set.is_empty()
    {
        update.insert("$set", set.clone());
    }
    if let Some(Bson::Array(removed)) = description.get("removedFields") {
        let mut unset = Document::new();
        for field in removed {
            match field {
                Bson::String(name) => {
                    unset.insert(name.clone(), "");
                }
                _ => return Err("'removedFields' holds a non-string".to_string()),
            }
        }
        if !unset.is_empty() {
            update.insert("$unset", unset);
        }
    }
    if let Some(Bson::Array(truncated)) = description.get("truncatedArrays") {
        let mut push = Document::new();
        for entry in truncated {
            let (Some(Bson::String(field)), Some(size)) = (
                entry.as_document().and_then(|e| e.get("field")),
                entry.as_document().and_then(|e| e.get("newSize")),
            ) else {
                return Err("'truncatedArrays' entries need 'field' and 'newSize'".to_string());
            };
            let mut slice = Document::new();
            slice.insert("$each", Bson::Array(Vec::new()));
            slice.insert("$slice", size.clone());
            push.insert(field.clone(), slice);
        }
        if !push.is_empty() {
            update.insert("$push", push);
        }
    }
    if update.is_empty() {
        return Ok(None);
    }
    Ok(Some(WriteModel::Update {
        filter,
        update,
        upsert: false,
    }))
}
