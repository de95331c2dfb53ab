use mongodb::bson::{Bson, Document, doc};

use super::*;

fn debezium(key: Option<Document>, value: Document) -> Result<Option<WriteModel>, String> {
    CdcHandler::DebeziumRdbms.handle(&SinkDocument::new(key, Some(value)))
}

#[test]
fn debezium_creates_and_snapshots_upsert_by_key_columns() {
    for op in ["c", "r"] {
        let model = debezium(
            Some(doc! {"id": 1}),
            doc! {"op": op, "before": Bson::Null, "after": {"id": 1, "name": "a"}},
        );
        assert_eq!(
            model,
            Ok(Some(WriteModel::Replace {
                filter: doc! {"_id": {"id": 1}},
                replacement: doc! {"_id": {"id": 1}, "id": 1, "name": "a"},
                upsert: true
            })),
            "{op}"
        );
    }
}

#[test]
fn debezium_updates_replace_and_deletes_delete() {
    let update = debezium(
        Some(doc! {"id": 1, "region": "eu"}),
        doc! {"op": "u", "before": {"id": 1, "name": "a"}, "after": {"id": 1, "name": "b"}},
    );
    assert_eq!(
        update,
        Ok(Some(WriteModel::Replace {
            filter: doc! {"_id": {"id": 1, "region": "eu"}},
            replacement: doc! {"_id": {"id": 1, "region": "eu"}, "id": 1, "name": "b"},
            upsert: true
        }))
    );
    let delete = debezium(
        Some(doc! {"id": 1}),
        doc! {"op": "d", "before": {"id": 1}, "after": Bson::Null},
    );
    assert_eq!(
        delete,
        Ok(Some(WriteModel::Delete {
            filter: doc! {"_id": {"id": 1}}
        }))
    );
}

#[test]
fn debezium_without_key_columns() {
    let Ok(Some(WriteModel::Replace {
        filter,
        replacement,
        ..
    })) = debezium(None, doc! {"op": "c", "after": {"name": "a"}})
    else {
        panic!("create without key");
    };
    assert!(matches!(filter.get("_id"), Some(Bson::ObjectId(_))));
    assert_eq!(replacement.get("_id"), filter.get("_id"));
    assert_eq!(
        debezium(
            None,
            doc! {"op": "u", "before": {"name": "a"}, "after": {"name": "b"}}
        ),
        Ok(Some(WriteModel::Replace {
            filter: doc! {"name": "a"},
            replacement: doc! {"name": "b"},
            upsert: true
        }))
    );
    assert_eq!(
        debezium(None, doc! {"op": "d", "before": {"name": "b"}}),
        Ok(Some(WriteModel::Delete {
            filter: doc! {"name": "b"}
        }))
    );
    assert!(
        debezium(None, doc! {"op": "d", "before": Bson::Null})
            .unwrap_err()
            .contains("before")
    );
}

#[test]
fn debezium_tombstones_are_skipped_and_bad_events_rejected() {
    assert_eq!(
        CdcHandler::DebeziumRdbms.handle(&SinkDocument::new(Some(doc! {"id": 1}), None)),
        Ok(None)
    );
    assert!(
        debezium(None, doc! {"after": {"a": 1}})
            .unwrap_err()
            .contains("no 'op'")
    );
    assert!(
        debezium(None, doc! {"op": "x"})
            .unwrap_err()
            .contains("unknown")
    );
    assert!(
        debezium(Some(doc! {"id": 1}), doc! {"op": "c", "after": Bson::Null})
            .unwrap_err()
            .contains("after")
    );
}

fn change(event: Document) -> Result<Option<WriteModel>, String> {
    CdcHandler::ChangeStream.handle(&SinkDocument::new(None, Some(event)))
}

#[test]
fn change_stream_inserts_replaces_and_deletes_by_document_key() {
    for op in ["insert", "replace"] {
        assert_eq!(
            change(
                doc! {"operationType": op, "documentKey": {"_id": 5}, "fullDocument": {"a": 1, "_id": 5}}
            ),
            Ok(Some(WriteModel::Replace {
                filter: doc! {"_id": 5},
                replacement: doc! {"_id": 5, "a": 1},
                upsert: true
            }))
        );
    }
    assert_eq!(
        change(doc! {"operationType": "delete", "documentKey": {"_id": 5}}),
        Ok(Some(WriteModel::Delete {
            filter: doc! {"_id": 5}
        }))
    );
    assert_eq!(change(doc! {"operationType": "drop"}), Ok(None));
    assert!(
        change(doc! {"operationType": "delete"})
            .unwrap_err()
            .contains("documentKey")
    );
    assert!(
        change(doc! {"fullDocument": {}})
            .unwrap_err()
            .contains("operationType")
    );
}

#[test]
fn change_stream_updates_apply_the_description() {
    let model = change(doc! {
        "operationType": "update",
        "documentKey": {"_id": 5},
        "updateDescription": {
            "updatedFields": {"a": 2, "b.c": 3},
            "removedFields": ["old"],
            "truncatedArrays": [{"field": "arr", "newSize": 2}],
        },
    });
    assert_eq!(
        model,
        Ok(Some(WriteModel::Update {
            filter: doc! {"_id": 5},
            update: doc! {
                "$set": {"a": 2, "b.c": 3},
                "$unset": {"old": ""},
                "$push": {"arr": {"$each": [], "$slice": 2}},
            },
            upsert: false
        }))
    );
    // With updateLookup the full document wins.
    let full = change(doc! {
        "operationType": "update", "documentKey": {"_id": 5},
        "updateDescription": {"updatedFields": {"a": 2}}, "fullDocument": {"_id": 5, "a": 2, "z": 0},
    });
    assert!(matches!(full, Ok(Some(WriteModel::Replace { .. }))));
    let empty = change(
        doc! {"operationType": "update", "documentKey": {"_id": 5}, "updateDescription": {"updatedFields": {}}},
    );
    assert_eq!(empty, Ok(None));
}
