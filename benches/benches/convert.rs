//! JsonConverter encode/decode of a datagen-shaped record (`vehicle.location.updated`), with
//! and without the schema envelope: the per-record conversion cost of every Sluice pipeline.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sluice_api::{Converter, Props, Struct, Value};
use sluice_runtime::converters::json::{JsonConverter, SCHEMAS_ENABLE_CONFIG};

const TOPIC: &str = "vehicle.location.updated";

fn converter(schemas_enable: bool) -> JsonConverter {
    let props: Props = [(
        SCHEMAS_ENABLE_CONFIG.to_string(),
        schemas_enable.to_string(),
    )]
    .into_iter()
    .collect();
    JsonConverter::from_props(&props).expect("valid converter settings")
}

/// A record as datagen builds it.
fn event() -> Value {
    Value::Struct(
        Struct::new()
            .with(
                "eventId",
                Value::String("5f0c9a52-8a4e-4b7e-9a7b-2f6f8c1d3e4a".into()),
            )
            .with("timestamp", Value::Timestamp(1_704_067_200_000))
            .with("vin", Value::String("WVWZZZ1JZXW000001".into()))
            .with("latitude", Value::Float64(52.370216))
            .with("longitude", Value::Float64(4.895168))
            .with("speed", Value::Float64(87.3)),
    )
}

fn bench_convert(c: &mut Criterion) {
    let schema = sluice_connector_datagen::value_schema();
    let value = event();
    for schemas_enable in [true, false] {
        let conv = converter(schemas_enable);
        let bytes = conv
            .from_connect(TOPIC, Some(&schema), &value)
            .expect("encode")
            .expect("not null");
        let mut group =
            c.benchmark_group(format!("json_converter/schemas.enable={schemas_enable}"));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("encode", |b| {
            b.iter(|| {
                conv.from_connect(
                    black_box(TOPIC),
                    Some(black_box(&schema)),
                    black_box(&value),
                )
            })
        });
        group.bench_function("decode", |b| {
            b.iter(|| conv.to_connect(black_box(TOPIC), Some(black_box(&bytes))))
        });
        group.finish();
    }
}

criterion_group!(benches, bench_convert);
criterion_main!(benches);
