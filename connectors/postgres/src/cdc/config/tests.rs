use sluice_api::config::props;

use super::*;

const BASE: [(&str, &str); 4] = [
    (HOSTNAME, "127.0.0.1"),
    (USER, "postgres"),
    (DBNAME, "test"),
    (TOPIC_PREFIX, "server1"),
];

fn with(extra: &[(&str, &str)]) -> Props {
    let mut all = BASE.to_vec();
    all.extend_from_slice(extra);
    props(&all)
}

fn keys(err: &ConfigErrors) -> Vec<&str> {
    err.issues().iter().map(|i| i.key.as_str()).collect()
}

#[test]
fn defaults_match_debezium() {
    let config = CdcConfig::parse(&with(&[])).unwrap();
    assert_eq!(config.slot_name, "debezium");
    assert_eq!(config.publication_name, "dbz_publication");
    assert_eq!(config.publication_mode, PublicationMode::AllTables);
    assert_eq!(config.snapshot_mode, SnapshotMode::Initial);
    assert!(config.tombstones_on_delete);
    assert_eq!(
        config.skipped,
        SkippedOperations {
            truncate: true,
            ..Default::default()
        }
    );
    assert_eq!(config.heartbeat_interval, None);
    assert_eq!(config.heartbeat_topic, "__debezium-heartbeat.server1");
    assert_eq!(config.max_batch_size, 2048);
    assert_eq!(
        config.unavailable_placeholder,
        "__debezium_unavailable_value"
    );
    assert_eq!(config.pg.get_ports(), [5432]);
    assert_eq!(config.dbname, "test");
}

#[test]
fn never_is_an_alias_of_no_data_and_none_skips_nothing() {
    let config = CdcConfig::parse(&with(&[
        (SNAPSHOT_MODE, "never"),
        (SKIPPED_OPERATIONS, "none"),
    ]))
    .unwrap();
    assert_eq!(config.snapshot_mode, SnapshotMode::NoData);
    assert_eq!(config.skipped, SkippedOperations::default());
}

#[test]
fn unsupported_plugins_and_modes_name_the_key() {
    let err = CdcConfig::parse(&with(&[
        (PLUGIN_NAME, "decoderbufs"),
        (SNAPSHOT_MODE, "sometimes"),
        ("decimal.handling.mode", "double"),
    ]))
    .unwrap_err();
    assert_eq!(
        keys(&err),
        [PLUGIN_NAME, SNAPSHOT_MODE, "decimal.handling.mode"]
    );
    assert!(err.to_string().contains("pgoutput"), "{err}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let err = CdcConfig::parse(&props(&[
        (TOPIC_PREFIX, "bad prefix"),
        (SLOT_NAME, "Upper"),
        (TABLE_INCLUDE_LIST, "public.("),
        (HOSTNAME, "h"),
    ]))
    .unwrap_err();
    let found = keys(&err);
    for key in [TOPIC_PREFIX, SLOT_NAME] {
        assert!(found.contains(&key), "{found:?}");
    }
    let err = CdcConfig::parse(&with(&[
        (TABLE_INCLUDE_LIST, "public.("),
        (TABLE_EXCLUDE_LIST, "x"),
    ]))
    .unwrap_err();
    assert_eq!(keys(&err), [TABLE_INCLUDE_LIST, TABLE_EXCLUDE_LIST]);
    let err = CdcConfig::parse(&props(&[(TOPIC_PREFIX, "p")])).unwrap_err();
    assert_eq!(keys(&err), [HOSTNAME]);
}

#[test]
fn a_connection_url_replaces_the_database_keys() {
    let config = CdcConfig::parse(&props(&[
        (CONNECTION_URL, "jdbc:postgresql://db:6432/orders?user=app"),
        (TOPIC_PREFIX, "p"),
    ]))
    .unwrap();
    assert_eq!(config.dbname, "orders");
    assert_eq!(config.pg.get_user(), Some("app"));
    let err = CdcConfig::parse(&props(&[
        (CONNECTION_URL, "postgres://u@db/orders"),
        (HOSTNAME, "x"),
        (TOPIC_PREFIX, "p"),
    ]))
    .unwrap_err();
    assert_eq!(keys(&err), [HOSTNAME]);
}

#[test]
fn table_lists_are_anchored_regular_expressions() {
    let config = CdcConfig::parse(&with(&[(
        TABLE_INCLUDE_LIST,
        "public\\.order.*,sales.items",
    )]))
    .unwrap();
    assert!(config.tables.keeps("public", "orders"));
    assert!(config.tables.keeps("sales", "items"));
    assert!(!config.tables.keeps("sales", "items2"));
    assert!(!config.tables.keeps("xpublic", "orders"));
    let config = CdcConfig::parse(&with(&[(TABLE_EXCLUDE_LIST, "public\\.audit")])).unwrap();
    assert!(!config.tables.keeps("public", "audit"));
    assert!(config.tables.keeps("public", "orders"));
    assert!(!config.tables.keeps("pg_catalog", "pg_class"));
}
