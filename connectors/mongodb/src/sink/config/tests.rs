use super::*;
use sluice_api::config::props;

const DB: (&str, &str) = (DATABASE, "shop");
const STRATEGY_PKG: &str = "com.mongodb.kafka.connect.sink.processor.id.strategy";

fn keys(err: &ConfigErrors) -> Vec<&str> {
    err.issues().iter().map(|i| i.key.as_str()).collect()
}

fn parse(pairs: &[(&str, &str)]) -> Result<SinkConfig, ConfigErrors> {
    SinkConfig::parse(&props(pairs))
}

#[test]
fn defaults_match_the_official_sink() {
    let config = parse(&[DB]).unwrap();
    assert_eq!(config.connection_uri, "mongodb://localhost:27017");
    let t = &config.defaults;
    assert_eq!(t.database, "shop");
    assert_eq!(t.collection, "");
    assert_eq!(t.namespace, NamespaceMapper::Default);
    assert_eq!(t.id_strategy.kind, IdStrategyKind::BsonOid);
    assert!(!t.id_strategy.overwrite_existing && !t.id_strategy.uuid_binary);
    assert_eq!(t.write_model, WriteModelKind::ReplaceOneDefault);
    assert_eq!(t.post_processors, [PostProcessor::DocumentIdAdder]);
    assert!(!t.delete_on_null_values);
    assert_eq!(t.max_batch_size, 0);
    assert!(t.ordered);
    assert_eq!(t.max_retries, 1);
    assert_eq!(t.retry_defer, Duration::from_millis(5000));
    assert_eq!(
        (t.rate_limit_every, t.rate_limit_timeout),
        (0, Duration::ZERO)
    );
    assert!(t.cdc.is_none());
}

#[test]
fn missing_database_and_bad_uri_name_their_keys() {
    let err = parse(&[(CONNECTION_URI, "http://localhost")]).unwrap_err();
    assert_eq!(keys(&err), [CONNECTION_URI, DATABASE], "{err}");
}

#[test]
fn official_class_names_are_accepted() {
    let config = parse(&[
        DB,
        (ID_STRATEGY, &format!("{STRATEGY_PKG}.ProvidedInKeyStrategy")),
        (
            WRITEMODEL_STRATEGY,
            "com.mongodb.kafka.connect.sink.writemodel.strategy.UpdateOneTimestampsStrategy",
        ),
        (DELETE_ON_NULL_VALUES, "true"),
        (
            POST_PROCESSOR_CHAIN,
            "com.mongodb.kafka.connect.sink.processor.DocumentIdAdder,com.mongodb.kafka.connect.sink.processor.BlockListValueProjector",
        ),
        (VALUE_PROJECTION_TYPE, "BlockList"),
        (VALUE_PROJECTION_LIST, "secret,nested.pin"),
        (MAX_BATCH_SIZE, "100"),
        (BULK_WRITE_ORDERED, "false"),
    ])
    .unwrap();
    let t = &config.defaults;
    assert_eq!(t.id_strategy.kind, IdStrategyKind::ProvidedInKey);
    assert_eq!(t.write_model, WriteModelKind::UpdateOneTimestamps);
    assert_eq!(t.post_processors.len(), 2);
    assert!(
        matches!(&t.post_processors[1], PostProcessor::ValueProjector(p) if p.ty == ProjectionType::BlockList)
    );
    assert_eq!((t.max_batch_size, t.ordered), (100, false));
}

#[test]
fn unknown_classes_are_errors_naming_their_keys() {
    let err = parse(&[
        DB,
        (ID_STRATEGY, "com.example.MyStrategy"),
        (WRITEMODEL_STRATEGY, "Nope"),
        (NAMESPACE_MAPPER, "com.example.Mapper"),
        (
            CDC_HANDLER,
            "com.mongodb.kafka.connect.sink.cdc.qlik.QlikCdcHandler",
        ),
        (
            POST_PROCESSOR_CHAIN,
            "com.mongodb.kafka.connect.sink.processor.field.renaming.RenameByMapping",
        ),
        (DELETE_WRITEMODEL_STRATEGY, "DeleteOneBusinessKeyStrategy"),
    ])
    .unwrap_err();
    let mut found = keys(&err);
    found.sort();
    let mut expected = vec![
        CDC_HANDLER,
        DELETE_WRITEMODEL_STRATEGY,
        ID_STRATEGY,
        NAMESPACE_MAPPER,
        POST_PROCESSOR_CHAIN,
        WRITEMODEL_STRATEGY,
    ];
    expected.sort();
    assert_eq!(found, expected, "{err}");
    assert!(
        err.to_string()
            .contains("'com.example.MyStrategy' is not a class")
    );
}

#[test]
fn delete_on_null_values_needs_a_key_based_id() {
    let err = parse(&[DB, (DELETE_ON_NULL_VALUES, "true")]).unwrap_err();
    assert_eq!(keys(&err), [DELETE_ON_NULL_VALUES]);
    assert!(err.to_string().contains("BsonOidStrategy"), "{err}");
    for strategy in ["FullKeyStrategy", "ProvidedInKeyStrategy"] {
        parse(&[DB, (DELETE_ON_NULL_VALUES, "true"), (ID_STRATEGY, strategy)]).unwrap();
    }
    parse(&[
        DB,
        (DELETE_ON_NULL_VALUES, "true"),
        (ID_STRATEGY, "PartialKeyStrategy"),
        (ID_PARTIAL_KEY_TYPE, "AllowList"),
        (ID_PARTIAL_KEY_LIST, "id"),
    ])
    .unwrap();
}

#[test]
fn partial_strategies_need_a_projection() {
    let err = parse(&[DB, (ID_STRATEGY, "PartialValueStrategy")]).unwrap_err();
    assert_eq!(keys(&err), [ID_PARTIAL_VALUE_TYPE]);
    let err = parse(&[DB, (ID_PARTIAL_KEY_TYPE, "sideways")]).unwrap_err();
    assert_eq!(keys(&err), [ID_PARTIAL_KEY_TYPE]);
}

#[test]
fn projectors_need_a_matching_projection_type() {
    let err = parse(&[DB, (POST_PROCESSOR_CHAIN, "AllowListValueProjector")]).unwrap_err();
    assert_eq!(keys(&err), [VALUE_PROJECTION_TYPE], "{err}");
}

#[test]
fn field_path_mapper_reads_one_side_per_name() {
    let mapper = "com.mongodb.kafka.connect.sink.namespace.mapping.FieldPathNamespaceMapper";
    let config = parse(&[
        DB,
        (NAMESPACE_MAPPER, mapper),
        (MAPPER_VALUE_COLLECTION_FIELD, "meta.coll"),
        (MAPPER_ERROR_IF_INVALID, "true"),
    ])
    .unwrap();
    assert_eq!(
        config.defaults.namespace,
        NamespaceMapper::FieldPath {
            database: None,
            collection: Some(crate::sink::namespace::FieldSource::Value(
                "meta.coll".into()
            )),
            error_if_invalid: true,
        }
    );
    let err = parse(&[
        DB,
        (NAMESPACE_MAPPER, mapper),
        (MAPPER_KEY_DATABASE_FIELD, "db"),
        (MAPPER_VALUE_DATABASE_FIELD, "db"),
    ])
    .unwrap_err();
    assert_eq!(keys(&err), [MAPPER_KEY_DATABASE_FIELD]);
    let err = parse(&[DB, (NAMESPACE_MAPPER, mapper)]).unwrap_err();
    assert_eq!(keys(&err), [NAMESPACE_MAPPER]);
}

#[test]
fn topic_overrides_apply_to_their_topic_only() {
    let config = parse(&[
        DB,
        ("topic.override.orders.v2.collection", "orders"),
        (
            "topic.override.orders.v2.document.id.strategy",
            "ProvidedInValueStrategy",
        ),
        (
            "topic.override.orders.v2.document.id.strategy.partial.key.projection.list",
            "a",
        ),
        ("topic.override.logs.max.batch.size", "10"),
    ])
    .unwrap();
    let orders = config.for_topic("orders.v2");
    assert_eq!(orders.collection, "orders");
    assert_eq!(orders.id_strategy.kind, IdStrategyKind::ProvidedInValue);
    assert_eq!(config.for_topic("logs").max_batch_size, 10);
    let other = config.for_topic("other");
    assert_eq!(other.collection, "");
    assert_eq!(other.id_strategy.kind, IdStrategyKind::BsonOid);
}

#[test]
fn bad_overrides_name_the_override_key() {
    let err = parse(&[
        DB,
        ("topic.override.t.writemodel.strategy", "Bogus"),
        ("topic.override.t.connection.uri", "mongodb://other"),
        ("topic.override.t.delete.on.null.values", "true"),
    ])
    .unwrap_err();
    let mut found = keys(&err);
    found.sort();
    assert_eq!(
        found,
        [
            "topic.override.t.connection.uri",
            "topic.override.t.delete.on.null.values",
            "topic.override.t.writemodel.strategy",
        ],
        "{err}"
    );
}

#[test]
fn unsupported_features_are_errors() {
    let err = parse(&[
        DB,
        ("timeseries.timefield", "ts"),
        ("mongo.errors.tolerance", "all"),
        ("field.renamer.mapping", "[]"),
    ])
    .unwrap_err();
    let mut found = keys(&err);
    found.sort();
    assert_eq!(
        found,
        [
            "field.renamer.mapping",
            "mongo.errors.tolerance",
            "timeseries.timefield"
        ]
    );
}

#[test]
fn cdc_handlers_by_class() {
    for (class, handler) in [
        (
            "com.mongodb.kafka.connect.sink.cdc.debezium.rdbms.RdbmsHandler",
            CdcHandler::DebeziumRdbms,
        ),
        (
            "com.mongodb.kafka.connect.sink.cdc.debezium.rdbms.postgres.PostgresHandler",
            CdcHandler::DebeziumRdbms,
        ),
        (
            "com.mongodb.kafka.connect.sink.cdc.debezium.rdbms.mysql.MysqlHandler",
            CdcHandler::DebeziumRdbms,
        ),
        (
            "com.mongodb.kafka.connect.sink.cdc.mongodb.ChangeStreamHandler",
            CdcHandler::ChangeStream,
        ),
    ] {
        let config = parse(&[DB, (CDC_HANDLER, class)]).unwrap();
        assert_eq!(config.defaults.cdc, Some(handler), "{class}");
    }
    let err = parse(&[
        DB,
        (
            CDC_HANDLER,
            "com.mongodb.kafka.connect.sink.cdc.debezium.mongodb.MongoDbHandler",
        ),
    ])
    .unwrap_err();
    assert_eq!(keys(&err), [CDC_HANDLER]);
}
