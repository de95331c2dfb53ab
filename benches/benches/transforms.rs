//! Every built-in single-message transform on a 1 KiB order record, schemaless (a map decoded
//! from JSON as JsonConverter with `schemas.enable=false` reads it) and with a struct schema
//! (23 fields, a nested struct, a Timestamp), plus a chain of three.
//!
//! `<transform>`: each iteration clones the input record, applies the transform and drops the
//! output; `clone only` measures the clone and drop alone, so that the difference is the
//! transform's cost. `<transform> (apply only)` times the transform alone (criterion's
//! `iter_batched`: the clones are made, and the outputs dropped, outside the timing), which holds
//! up better on a busy machine than a difference of two measurements taken minutes apart.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sluice_api::config::props;
use sluice_api::json::{JsonOptions, from_json_bytes};
use sluice_api::{Field, Header, Record, Schema, SchemaRef, Transform, Value};
use sluice_runtime::registry::Registry;

const TOPIC: &str = "shop.orders";

/// One order, as an e-commerce service would publish it: 1 KiB of JSON.
const ORDER_JSON: &str = r#"{"order_id":"5f0c9a52-8a4e-4b7e-9a7b-2f6f8c1d3e4a","order_number":100234567,"created_at":1704067200123,"status":"PAID","channel":"web","currency":"EUR","subtotal":249.97,"tax":52.49,"shipping":4.95,"discount":10.0,"total":297.41,"item_count":3,"gift":false,"payment_method":"card","card_last4":"4242","coupon_code":"WINTER24","customer":{"customer_id":881234,"name":"Anne Kretchmar","email":"annek@noanswer.org","phone":"+31 20 123 4567","tier":"gold","since":"2019-04-12"},"shipping_address":"Keizersgracht 123, 1015 CJ Amsterdam, Netherlands","billing_address":"Keizersgracht 123, 1015 CJ Amsterdam, Netherlands","ip_address":"203.0.113.42","user_agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36","notes":"Please leave the parcel with the neighbours at number 125 if nobody answers the door; ring twice and wait a minute. The side door is open until 18:00 on weekdays; use it for large boxes.","tags":["priority","newsletter","returning-customer"]}"#;

/// Debezium's `source` block for the same row, as its PostgreSQL connector writes it.
const SOURCE_JSON: &str = r#"{"version":"2.5.0.Final","connector":"postgresql","name":"dbserver1","ts_ms":1704067200456,"snapshot":"false","db":"shop","schema":"public","table":"orders","txId":5571,"lsn":24023128}"#;

fn order_schema() -> Schema {
    let customer = Schema::structure(vec![
        Field::new("customer_id", Schema::int64()),
        Field::new("name", Schema::string()),
        Field::new("email", Schema::string()),
        Field::new("phone", Schema::string().optional()),
        Field::new("tier", Schema::string()),
        Field::new("since", Schema::string()),
    ])
    .named("dbserver1.shop.Customer");
    Schema::structure(vec![
        Field::new("order_id", Schema::string()),
        Field::new("order_number", Schema::int64()),
        Field::new("created_at", Schema::timestamp()),
        Field::new("status", Schema::string()),
        Field::new("channel", Schema::string()),
        Field::new("currency", Schema::string()),
        Field::new("subtotal", Schema::float64()),
        Field::new("tax", Schema::float64()),
        Field::new("shipping", Schema::float64()),
        Field::new("discount", Schema::float64()),
        Field::new("total", Schema::float64()),
        Field::new("item_count", Schema::int32()),
        Field::new("gift", Schema::boolean()),
        Field::new("payment_method", Schema::string()),
        Field::new("card_last4", Schema::string().optional()),
        Field::new("coupon_code", Schema::string().optional()),
        Field::new("customer", customer),
        Field::new("shipping_address", Schema::string()),
        Field::new("billing_address", Schema::string()),
        Field::new("ip_address", Schema::string().optional()),
        Field::new("user_agent", Schema::string().optional()),
        Field::new("notes", Schema::string().optional()),
        Field::new("tags", Schema::array(Schema::string())),
    ])
    .named("dbserver1.shop.orders.Value")
}

/// A Debezium change event (`op` = `c`) whose `after` state is the order.
fn envelope_schema() -> Schema {
    let source = Schema::structure(vec![
        Field::new("version", Schema::string()),
        Field::new("connector", Schema::string()),
        Field::new("name", Schema::string()),
        Field::new("ts_ms", Schema::int64()),
        Field::new("snapshot", Schema::string().optional()),
        Field::new("db", Schema::string()),
        Field::new("schema", Schema::string()),
        Field::new("table", Schema::string()),
        Field::new("txId", Schema::int64().optional()),
        Field::new("lsn", Schema::int64().optional()),
    ])
    .named("io.debezium.connector.postgresql.Source");
    let transaction = Schema::structure(vec![
        Field::new("id", Schema::string()),
        Field::new("total_order", Schema::int64()),
        Field::new("data_collection_order", Schema::int64()),
    ])
    .named("event.block")
    .optional();
    Schema::structure(vec![
        Field::new("before", order_schema().optional()),
        Field::new("after", order_schema().optional()),
        Field::new("source", source),
        Field::new("op", Schema::string()),
        Field::new("ts_ms", Schema::int64().optional()),
        Field::new("transaction", transaction),
    ])
    .named("dbserver1.shop.orders.Envelope")
}

fn envelope_json() -> String {
    format!(
        r#"{{"before":null,"after":{ORDER_JSON},"source":{SOURCE_JSON},"op":"c","ts_ms":1704067200789,"transaction":null}}"#
    )
}

/// A sink record as a Kafka sink task sees it after the value converter: key, value,
/// offset, timestamp and three headers.
fn record(json: &str, schema: Option<Schema>) -> Record {
    let opts = JsonOptions::default();
    let value = from_json_bytes(schema.as_ref(), json.as_bytes(), &opts).expect("valid JSON");
    let key = Value::from("5f0c9a52-8a4e-4b7e-9a7b-2f6f8c1d3e4a");
    let key_schema: Option<SchemaRef> = schema.as_ref().map(|_| Arc::new(Schema::string()));
    let mut record = Record::new(TOPIC)
        .with_key(key_schema, key)
        .with_value(schema.map(Arc::new), value)
        .with_timestamp(1_704_067_200_123);
    record.partition = Some(0);
    record.kafka_offset = Some(4_200_042);
    record.original_topic = Some(TOPIC.to_string());
    record.headers = vec![
        Header::string("trace-id", "4bf92f3577b34da6a3ce929d0e0e4736"),
        Header::string("source-app", "checkout-service"),
        Header::string("content-type", "application/json"),
    ];
    record
}

/// Which input a case runs on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Input {
    Order,
    Envelope,
}

/// A transform (or a chain) by registry name and settings.
struct Case {
    name: &'static str,
    input: Input,
    /// SetSchemaMetadata requires a schema, as in Kafka Connect.
    schemaless: bool,
    chain: &'static [(&'static str, &'static [(&'static str, &'static str)])],
}

const fn case(
    name: &'static str,
    chain: &'static [(&'static str, &'static [(&'static str, &'static str)])],
) -> Case {
    Case {
        name,
        input: Input::Order,
        schemaless: true,
        chain,
    }
}

const CASES: &[Case] = &[
    case(
        "Cast",
        &[(
            "cast-value",
            &[("spec", "order_number:string,total:float32,item_count:int64")],
        )],
    ),
    case(
        "DropHeaders",
        &[("drop-headers", &[("headers", "trace-id")])],
    ),
    case(
        "ExtractField",
        &[("extract-field-value", &[("field", "customer")])],
    ),
    case("Filter", &[("filter", &[])]),
    case("Flatten", &[("flatten-value", &[("delimiter", "_")])]),
    case(
        "HeaderFrom",
        &[(
            "header-from-value",
            &[
                ("fields", "order_id,status"),
                ("headers", "order_id,status"),
                ("operation", "copy"),
            ],
        )],
    ),
    case(
        "HoistField",
        &[("hoist-field-value", &[("field", "order")])],
    ),
    case(
        "InsertField",
        &[(
            "insert-field-value",
            &[
                ("topic.field", "kafka_topic"),
                ("partition.field", "kafka_partition"),
                ("offset.field", "kafka_offset"),
                ("timestamp.field", "kafka_timestamp"),
                ("static.field", "pipeline"),
                ("static.value", "sluice"),
            ],
        )],
    ),
    case(
        "InsertHeader",
        &[(
            "insert-header",
            &[("header", "pipeline"), ("value.literal", "sluice")],
        )],
    ),
    case(
        "MaskField",
        &[(
            "mask-field-value",
            &[
                ("fields", "card_last4,ip_address,user_agent"),
                ("replacement", "****"),
            ],
        )],
    ),
    case(
        "RegexRouter",
        &[(
            "regex-router",
            &[("regex", "shop\\.(.*)"), ("replacement", "archive.$1")],
        )],
    ),
    case(
        "ReplaceField",
        &[(
            "replace-field-value",
            &[
                ("exclude", "ip_address,user_agent"),
                ("renames", "order_id:id,created_at:created"),
            ],
        )],
    ),
    Case {
        schemaless: false,
        ..case(
            "SetSchemaMetadata",
            &[(
                "set-schema-metadata-value",
                &[
                    ("schema.name", "com.example.shop.Order"),
                    ("schema.version", "2"),
                ],
            )],
        )
    },
    case(
        "TimestampConverter",
        &[(
            "timestamp-converter-value",
            &[
                ("field", "created_at"),
                ("target.type", "string"),
                ("format", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"),
            ],
        )],
    ),
    case(
        "TimestampRouter",
        &[(
            "timestamp-router",
            &[
                ("topic.format", "${topic}-${timestamp}"),
                ("timestamp.format", "yyyyMMdd"),
            ],
        )],
    ),
    case(
        "ValueToKey",
        &[("value-to-key", &[("fields", "order_id,order_number")])],
    ),
    Case {
        input: Input::Envelope,
        ..case(
            "ExtractNewRecordState",
            &[(
                "extract-new-record-state",
                &[
                    ("delete.tombstone.handling.mode", "rewrite"),
                    ("add.fields", "op,table,source.ts_ms"),
                ],
            )],
        )
    },
    case(
        "chain: ReplaceField, Cast, InsertField",
        &[
            (
                "replace-field-value",
                &[
                    ("exclude", "ip_address,user_agent"),
                    ("renames", "order_id:id"),
                ],
            ),
            ("cast-value", &[("spec", "total:float32,item_count:int64")]),
            (
                "insert-field-value",
                &[
                    ("timestamp.field", "kafka_timestamp"),
                    ("static.field", "pipeline"),
                    ("static.value", "sluice"),
                ],
            ),
        ],
    ),
];

fn build(registry: &Registry, case: &Case) -> Vec<Box<dyn Transform>> {
    case.chain
        .iter()
        .map(|(name, pairs)| {
            let plugin = registry.transform(name).expect("built-in transform");
            (plugin.factory.create)(&props(pairs)).expect("valid transform settings")
        })
        .collect()
}

fn apply(chain: &mut [Box<dyn Transform>], record: Record) -> Option<Record> {
    let mut record = Some(record);
    for transform in chain {
        record = transform.apply(record?).expect("transform applies");
    }
    record
}

fn bench_transforms(c: &mut Criterion) {
    let registry = Registry::builtin();
    let envelope = envelope_json();
    for with_schema in [false, true] {
        let inputs = [
            (
                Input::Order,
                record(ORDER_JSON, with_schema.then(order_schema)),
            ),
            (
                Input::Envelope,
                record(&envelope, with_schema.then(envelope_schema)),
            ),
        ];
        let input = |which: Input| &inputs.iter().find(|(i, _)| *i == which).unwrap().1;

        let mut group = c.benchmark_group(if with_schema {
            "transforms/schema"
        } else {
            "transforms/schemaless"
        });
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(2));
        group.throughput(Throughput::Elements(1));

        group.bench_function("clone only", |b| {
            b.iter(|| black_box(input(Input::Order)).clone())
        });
        group.bench_function("clone only (Debezium envelope)", |b| {
            b.iter(|| black_box(input(Input::Envelope)).clone())
        });
        for case in CASES.iter().filter(|c| with_schema || c.schemaless) {
            let record = input(case.input);
            let mut chain = build(&registry, case);
            // Every case must do its work, not fail or pass the record through untouched.
            let out = apply(&mut chain, record.clone());
            assert!(
                out.as_ref() != Some(record),
                "{} left the record unchanged",
                case.name
            );
            group.bench_function(case.name, |b| {
                b.iter(|| apply(&mut chain, black_box(record).clone()))
            });
            group.bench_function(format!("{} (apply only)", case.name), |b| {
                b.iter_batched(
                    || record.clone(),
                    |record| apply(&mut chain, record),
                    BatchSize::SmallInput,
                )
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench_transforms);
criterion_main!(benches);
