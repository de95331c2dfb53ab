//! Sink behaviour that needs no broker: deliveries to an unreachable cluster time out, and the
//! flush must then fail so that the runtime commits nothing. (The bench and the integration
//! tests exercise it against a real broker.)

use sluice_api::{Header, Schema, Value};

use super::*;
use crate::config::BOOTSTRAP_SERVERS;

/// A task config whose deliveries fail fast: nothing listens on port 1.
fn unreachable(extra: &[(&str, &str)]) -> Props {
    let mut props: Props = [
        ("topics", "in"),
        (BOOTSTRAP_SERVERS, "127.0.0.1:1"),
        ("kafka.producer.message.timeout.ms", "300"),
        ("kafka.producer.linger.ms", "1"),
        ("kafka.producer.log_level", "0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    props.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    props
}

fn ctx(config: Props) -> SinkTaskContext {
    SinkTaskContext {
        connector: "kafka-sink-test".into(),
        task_id: 0,
        config,
        reporter: std::sync::Arc::new(sluice_api::NoTolerance),
    }
}

fn records(n: usize) -> Vec<Record> {
    (0..n)
        .map(|i| {
            let mut record = Record::new("out")
                .with_key(
                    Some(std::sync::Arc::new(Schema::string())),
                    Value::String(format!("k{i}")),
                )
                .with_value(
                    None,
                    Value::Map(vec![(Value::String("n".into()), Value::Int64(i as i64))]),
                )
                .with_timestamp(1_704_067_200_000 + i as i64);
            record.headers.push(Header::string("trace", "t"));
            record.kafka_offset = Some(i as i64);
            record
        })
        .collect()
}

fn sent(task: &KafkaSinkTask) -> u64 {
    task.state.as_ref().map_or(0, |s| s.sent)
}

#[tokio::test]
async fn flush_fails_when_kafka_does_not_acknowledge() {
    let mut task = KafkaSinkTask::default();
    task.start(ctx(unreachable(&[]))).await.unwrap();
    // An empty flush has nothing to wait for.
    task.flush(&PartitionOffsets::new()).await.unwrap();

    task.put(&records(3)).await.unwrap();
    assert_eq!(sent(&task), 3);
    let err = task.flush(&PartitionOffsets::new()).await.unwrap_err();
    assert!(err.is_retriable(), "{err}");
    assert!(err.to_string().contains("did not acknowledge"), "{err}");

    // The failure sticks: later puts send nothing and later flushes fail too.
    task.put(&records(2)).await.unwrap();
    assert_eq!(sent(&task), 3);
    assert!(task.flush(&PartitionOffsets::new()).await.is_err());
    task.stop().await.unwrap();
}

#[tokio::test]
async fn a_full_queue_waits_for_deliveries_instead_of_failing() {
    let mut task = KafkaSinkTask::default();
    task.start(ctx(unreachable(&[(
        "kafka.producer.queue.buffering.max.messages",
        "2",
    )])))
    .await
    .unwrap();
    // Two records fill the queue; the third waits for the first deliveries (which time out).
    tokio::time::timeout(Duration::from_secs(20), task.put(&records(6)))
        .await
        .expect("put returned")
        .unwrap();
    assert!(sent(&task) >= 2, "sent {}", sent(&task));
    assert!(
        task.flush(&PartitionOffsets::new())
            .await
            .unwrap_err()
            .is_retriable()
    );
    task.stop().await.unwrap();
}

#[tokio::test]
async fn unserializable_keys_are_record_errors() {
    let mut task = KafkaSinkTask::default();
    task.start(ctx(unreachable(&[]))).await.unwrap();
    let record = Record::new("out").with_key(
        Some(std::sync::Arc::new(Schema::int32())),
        Value::Boolean(true),
    );
    let err = task.put(&[record]).await.unwrap_err();
    assert!(err.is_record_level(), "{err}");
    assert!(err.to_string().contains("the key of out/-"), "{err}");
    task.stop().await.unwrap();
}

#[tokio::test]
async fn a_task_must_be_started() {
    let mut task = KafkaSinkTask::default();
    let err = task.put(&records(1)).await.unwrap_err();
    assert!(!err.is_retriable());
    assert!(task.flush(&PartitionOffsets::new()).await.is_err());
    task.stop().await.unwrap();
}

#[tokio::test]
async fn invalid_producer_settings_fail_the_start() {
    let mut task = KafkaSinkTask::default();
    let err = task
        .start(ctx(unreachable(&[("kafka.producer.no.such.setting", "1")])))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("invalid producer settings"),
        "{err}"
    );
}

#[tokio::test]
async fn the_connector_validates_and_replicates_its_config() {
    let mut connector = KafkaSinkConnector::default();
    assert!(connector.start(&Props::new()).await.is_err());
    let props = unreachable(&[]);
    connector.start(&props).await.unwrap();
    assert_eq!(
        connector.task_configs(3).unwrap(),
        vec![props.clone(), props.clone(), props]
    );
    assert!(connector.config_def().key(BOOTSTRAP_SERVERS).is_some());
}

#[test]
fn broker_trouble_is_retriable_and_bad_records_are_not() {
    let retriable = |code| is_retriable(&KafkaError::MessageProduction(code));
    assert!(retriable(RDKafkaErrorCode::MessageTimedOut));
    assert!(retriable(RDKafkaErrorCode::NotLeaderForPartition));
    assert!(retriable(RDKafkaErrorCode::BrokerTransportFailure));
    assert!(!retriable(RDKafkaErrorCode::MessageSizeTooLarge));
    assert!(!retriable(RDKafkaErrorCode::TopicAuthorizationFailed));
    assert!(!retriable(RDKafkaErrorCode::Fatal));
}
