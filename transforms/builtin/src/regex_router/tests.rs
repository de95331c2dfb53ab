use super::*;

fn props(regex: &str, replacement: &str) -> Props {
    [(REGEX, regex), (REPLACEMENT, replacement)]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn route(regex: &str, replacement: &str, topic: &str) -> String {
    let mut router = (PLUGIN.create)(&props(regex, replacement)).unwrap();
    router.apply(Record::new(topic)).unwrap().unwrap().topic
}

#[test]
fn renames_matching_topics() {
    assert_eq!(route("(.*)-(.*)", "$2_$1", "orders-eu"), "eu_orders");
    assert_eq!(
        route("(.*)\\.updated", "$1a", "vehicle.updated"),
        "vehiclea"
    );
    assert_eq!(
        route("prod\\.(.*)", "staging.$1", "prod.orders"),
        "staging.orders"
    );
}

#[test]
fn regex_must_match_the_whole_topic() {
    assert_eq!(route("orders", "x", "orders-eu"), "orders-eu");
    assert_eq!(route("eu", "x", "orders-eu"), "orders-eu");
    // `find` alone would stop at "a"; `matches` backtracks to the second alternative.
    assert_eq!(route("a|ab", "x", "ab"), "xb");
    // Inline flags stay inside the anchoring group.
    assert_eq!(route("(?i)ORDERS", "o", "orders"), "o");
    // A verbose-mode comment at the end does not swallow the anchoring.
    assert_eq!(
        route("(?x) (orders) # the topic", "$1-x", "orders"),
        "orders-x"
    );
    assert_eq!(
        route("(?x) (orders) # the topic", "$1-x", "orders2"),
        "orders2"
    );
}

#[test]
fn replacement_follows_replace_first() {
    // Java's `replaceFirst` searches again and the lazy group matches the empty string first.
    assert_eq!(route("(.*?)", "[$1]", "abc"), "[]abc");
    assert_eq!(route("(.*)", "", "abc"), "");
}

#[test]
fn other_record_fields_are_kept() {
    let mut router = (PLUGIN.create)(&props("(.*)", "$1-copy")).unwrap();
    let mut record = Record::new("t").with_value(None, "v".into());
    record.partition = Some(1);
    let out = router.apply(record.clone()).unwrap().unwrap();
    assert_eq!(
        out,
        Record {
            topic: "t-copy".into(),
            ..record
        }
    );
}

#[test]
fn config_errors() {
    let err = RegexRouter::new(&Props::new()).unwrap_err();
    let keys: Vec<_> = err.issues().iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, [REGEX, REPLACEMENT]);

    let err = RegexRouter::new(&props("(unclosed", "x")).unwrap_err();
    assert_eq!(err.issues()[0].key, REGEX);

    let err = RegexRouter::new(&props("(a)", "$2")).unwrap_err();
    assert_eq!(err.issues()[0].key, REPLACEMENT);
    assert_eq!(
        err.issues()[0].reason,
        "invalid value '$2': no group 2 (the regex has 1)"
    );

    assert!(
        config_def().parse(&props("(?<=a)b", "x")).is_err(),
        "look-behind is not supported"
    );
}
