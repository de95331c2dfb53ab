use super::*;
use mongodb::bson::doc;
use sluice_api::config::props;

use crate::sink::config::SinkConfig;

fn settings(pairs: &[(&str, &str)]) -> TopicSettings {
    let mut all = vec![("database", "shop")];
    all.extend_from_slice(pairs);
    SinkConfig::parse(&props(&all)).unwrap().defaults
}

fn ns(db: &str, coll: &str) -> Namespace {
    Namespace {
        database: db.into(),
        collection: coll.into(),
    }
}

#[test]
fn default_mapper_uses_the_collection_or_the_topic() {
    let doc = SinkDocument::new(None, Some(doc! {"a": 1}));
    assert_eq!(
        resolve(&settings(&[]), "orders", &doc),
        Ok(ns("shop", "orders"))
    );
    let s = settings(&[("collection", "all")]);
    assert_eq!(resolve(&s, "orders", &doc), Ok(ns("shop", "all")));
}

#[test]
fn field_path_mapper_reads_key_and_value_fields() {
    let s = settings(&[
        (
            "namespace.mapper",
            "com.mongodb.kafka.connect.sink.namespace.mapping.FieldPathNamespaceMapper",
        ),
        ("namespace.mapper.key.database.field", "tenant"),
        ("namespace.mapper.value.collection.field", "meta.kind"),
    ]);
    let doc = SinkDocument::new(
        Some(doc! {"tenant": "acme"}),
        Some(doc! {"meta": {"kind": "invoices"}}),
    );
    assert_eq!(resolve(&s, "t", &doc), Ok(ns("acme", "invoices")));
    // Missing fields fall back to the defaults unless told to fail.
    let doc = SinkDocument::new(None, Some(doc! {"meta": {"kind": 5}}));
    assert_eq!(resolve(&s, "t", &doc), Ok(ns("shop", "t")));
    let strict = settings(&[
        ("namespace.mapper", "FieldPathNamespaceMapper"),
        ("namespace.mapper.value.collection.field", "meta.kind"),
        ("namespace.mapper.error.if.invalid", "true"),
    ]);
    let err = resolve(&strict, "t", &doc).unwrap_err();
    assert!(err.contains("holds a int"), "{err}");
}

#[test]
fn invalid_names_from_records_are_rejected() {
    let s = settings(&[
        ("namespace.mapper", "FieldPathNamespaceMapper"),
        ("namespace.mapper.value.database.field", "db"),
    ]);
    let doc = SinkDocument::new(None, Some(doc! {"db": "bad/name"}));
    assert!(
        resolve(&s, "t", &doc)
            .unwrap_err()
            .contains("not a valid database name")
    );
    let doc = SinkDocument::new(None, Some(doc! {}));
    let bad = settings(&[("collection", "a$b")]);
    assert!(
        resolve(&bad, "t", &doc)
            .unwrap_err()
            .contains("not a valid collection name")
    );
}
