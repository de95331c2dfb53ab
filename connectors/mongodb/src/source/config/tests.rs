use mongodb::bson::Bson;

use super::*;

fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn parse(pairs: &[(&str, &str)]) -> SourceConfig {
    SourceConfig::parse(&props(pairs)).expect("valid config")
}

/// The keys named by the errors of an invalid config, in order.
fn error_keys(pairs: &[(&str, &str)]) -> Vec<String> {
    let err = SourceConfig::parse(&props(pairs)).expect_err("invalid config");
    err.issues().iter().map(|i| i.key.clone()).collect()
}

fn reason(pairs: &[(&str, &str)], key: &str) -> String {
    let err = SourceConfig::parse(&props(pairs)).expect_err("invalid config");
    err.issues()
        .iter()
        .find(|i| i.key == key)
        .map(|i| i.reason.clone())
        .unwrap_or_else(|| panic!("no error for {key}: {err}"))
}

#[test]
fn defaults_match_the_official_connector() {
    let c = parse(&[]);
    assert_eq!(c.uri, DEFAULT_URI);
    assert_eq!(c.target, Target::Deployment);
    assert_eq!(c.startup, StartupMode::Latest);
    assert_eq!(c.max_batch, 1000);
    assert_eq!(c.await_time, Duration::from_millis(5000));
    assert_eq!(c.heartbeat_interval, None);
    assert_eq!(c.heartbeat_topic, "__mongodb_heartbeats");
    assert_eq!(c.formatter, JsonFormatter::Default);
    assert_eq!(
        (c.key_format, c.value_format),
        (OutputFormat::Json, OutputFormat::Json)
    );
    assert!(c.pipeline.is_empty() && !c.full_document_only && !c.tolerate_errors);
    assert_eq!(c.full_document, None);
}

#[test]
fn database_and_collection_choose_the_target() {
    let db = parse(&[(DATABASE, "shop")]);
    assert_eq!(db.target, Target::Database("shop".into()));
    let coll = parse(&[(DATABASE, "shop"), (COLLECTION, "orders")]);
    assert_eq!(
        coll.target,
        Target::Collection("shop".into(), "orders".into())
    );
    assert_eq!(
        reason(&[(COLLECTION, "orders")], COLLECTION),
        "requires 'database' to be set"
    );
}

#[test]
fn pipeline_is_validated_and_keeps_stage_order() {
    let c = parse(&[(
        PIPELINE,
        r#"[{"$match": {"operationType": "insert"}}, {"$addFields": {"z": 1, "a": {"$date": "2024-01-01T00:00:00Z"}}}]"#,
    )]);
    assert_eq!(c.pipeline.len(), 2);
    let fields = c.pipeline[1].get_document("$addFields").unwrap();
    assert_eq!(fields.keys().collect::<Vec<_>>(), ["z", "a"]);
    assert!(matches!(fields.get("a"), Some(Bson::DateTime(_))));
    assert!(reason(&[(PIPELINE, "[{")], PIPELINE).contains("not valid JSON"));
    assert!(reason(&[(PIPELINE, r#"{"$match": {}}"#)], PIPELINE).contains("JSON array"));
    assert!(reason(&[(PIPELINE, "[1]")], PIPELINE).contains("stage 0"));
}

#[test]
fn every_problem_is_reported_at_once_naming_its_key() {
    let keys = error_keys(&[
        (CONNECTION_URI, "http://localhost"),
        (PIPELINE, "nope"),
        (STARTUP_MODE, "earliest"),
        (OUTPUT_FORMAT_VALUE, "avro"),
        (OUTPUT_JSON_FORMATTER, "com.example.MyJson"),
        (POLL_MAX_BATCH_SIZE, "0"),
        (TOMBSTONE_ON_DELETE, "true"),
        (TOPIC_NAMESPACE_MAP, "[1]"),
        ("server.api.version", "1"),
    ]);
    for key in [
        CONNECTION_URI,
        PIPELINE,
        STARTUP_MODE,
        OUTPUT_FORMAT_VALUE,
        OUTPUT_JSON_FORMATTER,
        POLL_MAX_BATCH_SIZE,
        TOMBSTONE_ON_DELETE,
        TOPIC_NAMESPACE_MAP,
        "server.api.version",
    ] {
        assert!(
            keys.iter().any(|k| k == key),
            "{key} not reported: {keys:?}"
        );
    }
}

#[test]
fn unsupported_values_say_so() {
    assert!(reason(&[(OUTPUT_FORMAT_KEY, "avro")], OUTPUT_FORMAT_KEY).contains("schema"));
    assert!(
        reason(&[(TOPIC_MAPPER, "com.example.Mapper")], TOPIC_MAPPER)
            .contains("DefaultTopicMapper")
    );
    assert!(reason(&[(FULL_DOCUMENT, "always")], FULL_DOCUMENT).contains("updateLookup"));
    assert!(
        reason(
            &[(OUTPUT_SCHEMA_VALUE, r#"{"type": "string"}"#)],
            OUTPUT_SCHEMA_VALUE
        )
        .contains("record schema")
    );
    assert!(
        reason(
            &[(OUTPUT_SCHEMA_KEY, r#"{"type": "record", "name": "k", "fields": [{"name": "e", "type": {"type": "enum", "name": "e", "symbols": ["A"]}}]}"#)],
            OUTPUT_SCHEMA_KEY
        )
        .contains("field 'e'")
    );
}

#[test]
fn schema_output_defaults_to_the_official_schemas() {
    let c = parse(&[
        (OUTPUT_FORMAT_KEY, "SCHEMA"),
        (OUTPUT_FORMAT_VALUE, "schema"),
    ]);
    assert_eq!(c.key_format, OutputFormat::Schema);
    assert_eq!(c.value_format, OutputFormat::Schema);
    assert_eq!(c.key_schema.name.as_deref(), Some("keySchema"));
    assert_eq!(c.value_schema.name.as_deref(), Some("ChangeStream"));
    assert_eq!(c.value_schema.fields().len(), 12);
    assert!(!c.infer_value_schema);
}

#[test]
fn full_document_only_forces_update_lookup() {
    let c = parse(&[
        (PUBLISH_FULL_DOCUMENT_ONLY, "true"),
        (FULL_DOCUMENT, "whenAvailable"),
    ]);
    assert_eq!(c.full_document.as_deref(), Some("updateLookup"));
    let c = parse(&[
        (FULL_DOCUMENT, "UPDATELOOKUP"),
        (FULL_DOCUMENT_BEFORE_CHANGE, "required"),
    ]);
    assert_eq!(c.full_document.as_deref(), Some("updateLookup"));
    assert_eq!(c.full_document_before_change.as_deref(), Some("required"));
}

#[test]
fn startup_modes_and_the_deprecated_copy_existing() {
    let c = parse(&[
        (COPY_EXISTING, "true"),
        (LEGACY_COPY_EXISTING_NAMESPACE_REGEX, "db\\.a.*"),
    ]);
    let StartupMode::CopyExisting(copy) = c.startup else {
        panic!("copy.existing=true means copy_existing: {:?}", c.startup);
    };
    assert_eq!(copy.namespace_regex.as_deref(), Some("db\\.a.*"));
    assert!(copy.allow_disk_use);
    // An explicit startup.mode wins over the deprecated key.
    let c = parse(&[(COPY_EXISTING, "true"), (STARTUP_MODE, "latest")]);
    assert_eq!(c.startup, StartupMode::Latest);
    let c = parse(&[
        (STARTUP_MODE, "copy_existing"),
        (COPY_EXISTING_PIPELINE, r#"[{"$match": {"open": true}}]"#),
        (COPY_EXISTING_ALLOW_DISK_USE, "false"),
    ]);
    let StartupMode::CopyExisting(copy) = c.startup else {
        panic!("copy_existing");
    };
    assert_eq!(copy.pipeline.len(), 1);
    assert!(!copy.allow_disk_use);
    let c = parse(&[(STARTUP_MODE, "timestamp"), (START_AT_OPERATION_TIME, "30")]);
    assert_eq!(
        c.startup,
        StartupMode::Timestamp(Some(Timestamp {
            time: 30,
            increment: 0
        }))
    );
    assert_eq!(
        parse(&[(STARTUP_MODE, "timestamp")]).startup,
        StartupMode::Timestamp(None)
    );
    assert!(
        reason(
            &[(COPY_EXISTING_NAMESPACE_REGEX, "(")],
            COPY_EXISTING_NAMESPACE_REGEX
        )
        .contains("regular expression")
    );
}

#[test]
fn operation_times_in_the_three_official_forms() {
    let ts = |time, increment| Timestamp { time, increment };
    assert_eq!(operation_time("0"), Ok(ts(0, 0)));
    assert_eq!(operation_time("1970-01-01T00:00:30Z"), Ok(ts(30, 0)));
    assert_eq!(
        operation_time(r#"{"$timestamp": {"t": 30, "i": 2}}"#),
        Ok(ts(30, 2))
    );
    assert!(operation_time("yesterday").is_err());
    assert!(operation_time(r#"{"t": 1}"#).is_err());
    assert!(
        reason(
            &[(START_AT_OPERATION_TIME, "soon")],
            START_AT_OPERATION_TIME
        )
        .contains("ISO-8601")
    );
}

#[test]
fn tolerance_comes_from_the_framework_or_the_override() {
    assert!(parse(&[(ERRORS_TOLERANCE, "all")]).tolerate_errors);
    assert!(!parse(&[(ERRORS_TOLERANCE, "all"), (MONGO_ERRORS_TOLERANCE, "none")]).tolerate_errors);
    assert!(parse(&[(MONGO_ERRORS_TOLERANCE, "all")]).tolerate_errors);
    assert!(
        reason(&[(MONGO_ERRORS_TOLERANCE, "some")], MONGO_ERRORS_TOLERANCE).contains("none, all")
    );
}

#[test]
fn heartbeats_and_formats() {
    let c = parse(&[
        (HEARTBEAT_INTERVAL_MS, "1500"),
        (HEARTBEAT_TOPIC_NAME, "beats"),
        (OUTPUT_FORMAT_KEY, "bson"),
        (
            OUTPUT_JSON_FORMATTER,
            "com.mongodb.kafka.connect.source.json.formatter.ExtendedJson",
        ),
        (TOPIC_SEPARATOR, "-"),
        (TOPIC_PREFIX, "p"),
    ]);
    assert_eq!(c.heartbeat_interval, Some(Duration::from_millis(1500)));
    assert_eq!(c.heartbeat_topic, "beats");
    assert_eq!(c.key_format, OutputFormat::Bson);
    assert_eq!(c.formatter, JsonFormatter::Extended);
    assert_eq!(c.topics.topic_of("db", "coll"), "p-db-coll");
}
