use mongodb::bson::doc;

use super::*;

fn mapper(prefix: &str, suffix: &str, sep: &str, map: &str) -> TopicMapper {
    TopicMapper::new(prefix, suffix, sep, map).expect("valid namespace map")
}

#[test]
fn default_topics_join_prefix_namespace_and_suffix() {
    let plain = mapper("", "", ".", "");
    assert_eq!(plain.topic_of("shop", "orders"), "shop.orders");
    assert_eq!(plain.topic_of("shop", ""), "shop");
    assert_eq!(plain.topic_of("", "orders"), "");
    let decorated = mapper("pre", "suf", "-", "");
    assert_eq!(decorated.topic_of("shop", "orders"), "pre-shop-orders-suf");
    let event = doc! {"ns": {"db": "shop", "coll": "orders"}};
    assert_eq!(mapper("p", "", ".", "").topic(&event), "p.shop.orders");
    assert_eq!(plain.topic(&doc! {"operationType": "invalidate"}), "");
}

#[test]
fn namespace_map_matches_collection_then_database_then_regex_then_wildcard() {
    let m = mapper(
        "pre",
        "",
        "-",
        r#"{"*": "fallback", "/shop\\.arch.*": "archive{sep_coll}", "shop": "store", "shop.orders": "orders-topic"}"#,
    );
    assert_eq!(m.topic_of("shop", "orders"), "pre-orders-topic");
    assert_eq!(m.topic_of("shop", "users"), "pre-store-users");
    assert_eq!(m.topic_of("shop", ""), "pre-store");
    assert_eq!(m.topic_of("other", "x"), "pre-fallback");
    let r = mapper(
        "",
        "",
        ".",
        r#"{"/db\\d(?:\\..*)?": "t.{db}{sep_coll_sep}end", "/logs.*": "{coll_sep}x"}"#,
    );
    assert_eq!(r.topic_of("db1", "c"), "t.db1.c.end");
    assert_eq!(r.topic_of("db2", ""), "t.db2end");
    // Regexes match the whole namespace, as Java's Matcher.matches does.
    assert_eq!(r.topic_of("xdb1", "c"), "xdb1.c");
    assert_eq!(r.topic_of("logs", "app"), "app.x");
}

#[test]
fn duplicate_and_empty_entries_follow_the_official_rules() {
    // The last template of a repeated pattern wins; an empty template takes no part.
    let m = mapper("", "", ".", r#"{"a.b": "first", "a.b": "second", "a": ""}"#);
    assert_eq!(m.topic_of("a", "b"), "second");
    assert_eq!(m.topic_of("a", "c"), "a.c");
}

#[test]
fn invalid_maps_are_rejected() {
    assert!(TopicMapper::new("", "", ".", "[]").is_err());
    assert!(TopicMapper::new("", "", ".", r#"{"a": 1}"#).is_err());
    assert!(
        TopicMapper::new("", "", ".", r#"{"/(": "t"}"#)
            .unwrap_err()
            .contains("regular expression")
    );
    assert!(
        TopicMapper::new("", "", ".", r#"{"/a": "{nope}"}"#)
            .unwrap_err()
            .contains("curly")
    );
}
