use super::*;
use sluice_api::config::props;

const URL: (&str, &str) = (CONNECTION_URL, "http://127.0.0.1:9200");

fn keys(err: &ConfigErrors) -> Vec<&str> {
    err.issues().iter().map(|i| i.key.as_str()).collect()
}

#[test]
fn defaults_match_the_confluent_sink() {
    let config = SinkConfig::parse(&props(&[URL])).unwrap();
    assert_eq!(config.write_method, WriteMethod::Insert);
    assert_eq!(config.null_values, NullValues::Fail);
    assert_eq!(config.malformed, MalformedDocuments::Fail);
    assert_eq!(config.batch_size, 2000);
    assert_eq!(config.bulk_size_bytes, 5 * 1024 * 1024);
    assert_eq!(config.max_in_flight, 5);
    assert_eq!(config.max_retries, 5);
    assert_eq!(config.retry_backoff, Duration::from_millis(100));
    assert_eq!(config.flush_timeout, Duration::from_millis(180_000));
    assert_eq!(config.connection.auth, Auth::None);
    assert!(config.uses_key("t") && config.uses_schema("t"));
    assert!(config.data_stream.is_none());
}

#[test]
fn several_hosts_and_per_topic_overrides() {
    let config = SinkConfig::parse(&props(&[
        (CONNECTION_URL, "http://a:9200, https://b:9200"),
        (TOPIC_KEY_IGNORE, "logs"),
        (TOPIC_SCHEMA_IGNORE, "raw"),
        (TOPIC_TO_INDEX_MAP, "orders:shop-orders,logs:app-logs"),
    ]))
    .unwrap();
    assert_eq!(config.connection.urls, ["http://a:9200", "https://b:9200"]);
    assert!(!config.uses_key("logs") && config.uses_key("orders"));
    assert!(!config.uses_schema("raw") && config.uses_schema("orders"));
    assert_eq!(config.topic_to_index["orders"], "shop-orders");
}

#[test]
fn missing_url_names_the_key() {
    let err = SinkConfig::parse(&props(&[])).unwrap_err();
    assert_eq!(keys(&err), [CONNECTION_URL]);
    let err = SinkConfig::parse(&props(&[(CONNECTION_URL, "localhost:9200")])).unwrap_err();
    assert_eq!(keys(&err), [CONNECTION_URL], "{err}");
}

#[test]
fn bad_values_and_inconsistent_settings_are_all_reported() {
    let err = SinkConfig::parse(&props(&[
        URL,
        (WRITE_METHOD, "merge"),
        (BATCH_SIZE, "0"),
        (KEY_IGNORE, "true"),
        (BEHAVIOR_ON_NULL_VALUES, "delete"),
        (CONNECTION_USERNAME, "elastic"),
        (TOPIC_TO_INDEX_MAP, "orders,a:Bad*Index"),
    ]))
    .unwrap_err();
    assert_eq!(
        keys(&err),
        [
            WRITE_METHOD,
            BATCH_SIZE,
            CONNECTION_PASSWORD,
            BEHAVIOR_ON_NULL_VALUES,
            TOPIC_TO_INDEX_MAP,
            TOPIC_TO_INDEX_MAP
        ],
        "{err}"
    );
}

#[test]
fn api_key_excludes_basic_auth() {
    let err = SinkConfig::parse(&props(&[
        URL,
        (CONNECTION_API_KEY, "id:secret"),
        (CONNECTION_USERNAME, "u"),
        (CONNECTION_PASSWORD, "p"),
    ]))
    .unwrap_err();
    assert_eq!(keys(&err), [CONNECTION_API_KEY]);
    let config = SinkConfig::parse(&props(&[URL, (CONNECTION_API_KEY, "id:secret")])).unwrap();
    assert_eq!(
        config.connection.auth,
        Auth::ApiKey {
            id: "id".into(),
            key: "secret".into()
        }
    );
}

#[test]
fn data_streams_need_a_dataset_and_append_only_writes() {
    let err = SinkConfig::parse(&props(&[URL, (DATA_STREAM_TYPE, "logs")])).unwrap_err();
    assert_eq!(keys(&err), [DATA_STREAM_DATASET]);
    let err = SinkConfig::parse(&props(&[
        URL,
        (DATA_STREAM_TYPE, "LOGS"),
        (DATA_STREAM_DATASET, "Has Space"),
        (WRITE_METHOD, "upsert"),
    ]))
    .unwrap_err();
    assert_eq!(keys(&err), [DATA_STREAM_DATASET, WRITE_METHOD], "{err}");
    let config = SinkConfig::parse(&props(&[
        URL,
        (DATA_STREAM_TYPE, "metrics"),
        (DATA_STREAM_DATASET, "app"),
    ]))
    .unwrap();
    assert!(config.data_stream.is_some() && !config.uses_schema("t"));
}
