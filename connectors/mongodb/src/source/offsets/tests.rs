use mongodb::bson::doc;
use sluice_api::Props;

use super::*;

fn config(pairs: &[(&str, &str)]) -> SourceConfig {
    let props: Props = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    SourceConfig::parse(&props).expect("valid config")
}

fn text(map: &OffsetMap) -> String {
    serde_json::Value::Object(map.clone()).to_string()
}

#[test]
fn partition_names_hosts_and_namespace_like_the_official_connector() {
    let c = config(&[
        (
            "connection.uri",
            "mongodb://user:secret@h1:27017,h2:27018/admin?replicaSet=rs0",
        ),
        ("database", "shop"),
        ("collection", "orders"),
    ]);
    assert_eq!(
        text(&partition(&c)),
        r#"{"ns":"mongodb://h1:27017,h2:27018/shop.orders"}"#
    );
    assert_eq!(
        default_partition_name(
            "mongodb+srv://cluster0.example.net/?retryWrites=true",
            "shop",
            ""
        ),
        "mongodb+srv://cluster0.example.net/shop"
    );
    assert_eq!(
        default_partition_name("mongodb://h1", "", ""),
        "mongodb://h1/"
    );
    let named = config(&[("offset.partition.name", "fresh-start")]);
    assert_eq!(text(&partition(&named)), r#"{"ns":"fresh-start"}"#);
    assert_eq!(
        text(&legacy_partition(&c)),
        r#"{"ns":"mongodb://user:secret@h1:27017,h2:27018/admin?replicaSet=rs0/shop.orders"}"#
    );
}

#[test]
fn offsets_hold_the_token_as_relaxed_json() {
    let token = doc! {"_data": "8265A1B2C3000000012B"};
    let offset = event_offset(&token, false);
    assert_eq!(
        text(&offset),
        r#"{"_id":"{\"_data\": \"8265A1B2C3000000012B\"}"}"#
    );
    let copying = event_offset(&doc! {"_id": "a", "copyingData": true}, true);
    assert_eq!(copying["copy"], "true");
    let beat = heartbeat_offset(r#"{"_data": "x"}"#);
    assert_eq!(beat["HEARTBEAT"], "true");
    assert_eq!(decode(&offset).unwrap(), Stored::Token(token.clone()));
    assert_eq!(decode(&beat).unwrap(), Stored::Token(doc! {"_data": "x"}));
    assert_eq!(decode(&copying).unwrap(), Stored::Copying);
    assert_eq!(decode(&OffsetMap::new()).unwrap(), Stored::Nothing);
}

#[test]
fn stored_offsets_are_found_under_the_current_or_the_legacy_partition() {
    let c = config(&[
        ("connection.uri", "mongodb://h1/"),
        ("database", "db"),
        ("collection", "c"),
    ]);
    let snapshot = OffsetSnapshot::new([(
        legacy_partition(&c),
        event_offset(&doc! {"_data": "old"}, false),
    )]);
    assert_eq!(
        stored(&c, &snapshot).unwrap(),
        Stored::Token(doc! {"_data": "old"})
    );
    let snapshot = OffsetSnapshot::new([
        (
            legacy_partition(&c),
            event_offset(&doc! {"_data": "old"}, false),
        ),
        (partition(&c), event_offset(&doc! {"_data": "new"}, false)),
    ]);
    assert_eq!(
        stored(&c, &snapshot).unwrap(),
        Stored::Token(doc! {"_data": "new"})
    );
    assert_eq!(
        stored(&c, &OffsetSnapshot::default()).unwrap(),
        Stored::Nothing
    );
}

#[test]
fn bad_stored_tokens_name_the_recovery() {
    let mut offset = OffsetMap::new();
    offset.insert("_id".into(), "{not json".into());
    let err = decode(&offset).unwrap_err();
    assert!(!err.is_retriable());
    assert!(err.to_string().contains("offset.partition.name"), "{err}");
    offset.insert("_id".into(), 5.into());
    assert!(decode(&offset).is_err());
}
