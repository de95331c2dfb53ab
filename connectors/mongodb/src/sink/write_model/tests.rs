use super::*;

fn processed() -> SinkDocument {
    SinkDocument::new(
        Some(doc! {"_id": "k1", "id": 1}),
        Some(doc! {"_id": "v1", "name": "a", "n": 2}),
    )
}

fn business() -> SinkDocument {
    SinkDocument::new(
        None,
        Some(doc! {"_id": {"name": "a", "last": "b"}, "name": "a", "last": "b", "n": 2}),
    )
}

#[test]
fn every_official_class_name_resolves() {
    for (kind, name) in ALL {
        assert_eq!(
            WriteModelKind::from_class(&format!("{PACKAGE}.{name}")),
            Some(kind)
        );
    }
    assert_eq!(WriteModelKind::from_class("com.example.Custom"), None);
    assert_eq!(
        DeleteModelKind::from_class(&format!("{PACKAGE}.DeleteOneDefaultStrategy")),
        Some(DeleteModelKind::DeleteOneDefault)
    );
}

#[test]
fn replace_one_default_upserts_by_id() {
    let model = WriteModelKind::ReplaceOneDefault
        .build(&processed())
        .unwrap();
    assert_eq!(
        model,
        WriteModel::Replace {
            filter: doc! {"_id": "v1"},
            replacement: doc! {"_id": "v1", "name": "a", "n": 2},
            upsert: true
        }
    );
    assert_eq!(
        model.statement(),
        doc! {"q": {"_id": "v1"}, "u": {"_id": "v1", "name": "a", "n": 2}, "upsert": true, "multi": false}
    );
    let no_id = SinkDocument::new(None, Some(doc! {"a": 1}));
    assert!(
        WriteModelKind::ReplaceOneDefault
            .build(&no_id)
            .unwrap_err()
            .contains("no _id")
    );
}

#[test]
fn business_key_strategies_filter_on_the_id_fields() {
    let model = WriteModelKind::ReplaceOneBusinessKey
        .build(&business())
        .unwrap();
    assert_eq!(
        model,
        WriteModel::Replace {
            filter: doc! {"name": "a", "last": "b"},
            replacement: doc! {"name": "a", "last": "b", "n": 2},
            upsert: true
        }
    );
    assert_eq!(
        WriteModelKind::DeleteOneBusinessKey
            .build(&business())
            .unwrap(),
        WriteModel::Delete {
            filter: doc! {"name": "a", "last": "b"}
        }
    );
    let err = WriteModelKind::ReplaceOneBusinessKey
        .build(&processed())
        .unwrap_err();
    assert!(err.contains("PartialValueStrategy"), "{err}");
}

#[test]
fn update_strategies_set_fields_and_timestamps() {
    assert_eq!(
        WriteModelKind::UpdateOneDefault
            .build(&processed())
            .unwrap(),
        WriteModel::Update {
            filter: doc! {"_id": "v1"},
            update: doc! {"$set": {"name": "a", "n": 2}},
            upsert: true
        }
    );
    let WriteModel::Update {
        filter,
        update,
        upsert,
    } = WriteModelKind::UpdateOneTimestamps
        .build(&processed())
        .unwrap()
    else {
        panic!("not an update");
    };
    assert_eq!((filter, upsert), (doc! {"_id": "v1"}, true));
    let set = update.get_document("$set").unwrap();
    assert_eq!(set.get_str("name"), Ok("a"));
    assert!(!set.contains_key("_id"));
    let modified = set.get_datetime(MODIFIED_TS).unwrap();
    let inserted = update
        .get_document("$setOnInsert")
        .unwrap()
        .get_datetime(INSERTED_TS)
        .unwrap();
    assert_eq!(modified, inserted);
    let WriteModel::Update { filter, .. } = WriteModelKind::UpdateOneBusinessKeyTimestamp
        .build(&business())
        .unwrap()
    else {
        panic!("not an update");
    };
    assert_eq!(filter, doc! {"name": "a", "last": "b"});
}

#[test]
fn insert_and_delete_by_key() {
    assert_eq!(
        WriteModelKind::InsertOneDefault
            .build(&processed())
            .unwrap(),
        WriteModel::Insert(doc! {"_id": "v1", "name": "a", "n": 2})
    );
    assert_eq!(
        WriteModelKind::DeleteOneDefault
            .build(&processed())
            .unwrap(),
        WriteModel::Delete {
            filter: doc! {"_id": "k1"}
        }
    );
    let key_without_id = SinkDocument::new(Some(doc! {"id": 1}), None);
    assert_eq!(
        WriteModelKind::DeleteOneDefault
            .build(&key_without_id)
            .unwrap(),
        WriteModel::Delete {
            filter: doc! {"_id": {"id": 1}}
        }
    );
    assert_eq!(
        WriteModel::Delete {
            filter: doc! {"_id": 1}
        }
        .statement(),
        doc! {"q": {"_id": 1}, "limit": 1}
    );
    assert_eq!(WriteModel::Insert(doc! {}).command(), CommandKind::Insert);
}
