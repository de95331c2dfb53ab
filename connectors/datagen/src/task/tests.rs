use std::time::Duration;

use sluice_api::{OffsetSnapshot, Props, SourceTask, SourceTaskContext, Value};
use tokio::time::Instant;

use super::*;

fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn context(task_id: u32, config: Props, offsets: OffsetSnapshot) -> SourceTaskContext {
    SourceTaskContext {
        connector: "gen".into(),
        task_id,
        config,
        offsets,
    }
}

async fn started(config: Props, offsets: OffsetSnapshot) -> DatagenTask {
    let mut task = DatagenTask::default();
    task.start(context(0, config, offsets)).await.unwrap();
    task
}

fn seqs(records: &[Record]) -> Vec<u64> {
    records
        .iter()
        .map(|r| {
            r.source_offset
                .as_ref()
                .and_then(|o| o.get("seq"))
                .and_then(|s| s.as_u64())
                .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn same_settings_same_records() {
    let config = props(&[("batch.size", "20"), ("seed", "9")]);
    let a = started(config.clone(), OffsetSnapshot::default())
        .await
        .poll()
        .await
        .unwrap();
    let b = started(config, OffsetSnapshot::default())
        .await
        .poll()
        .await
        .unwrap();
    assert_eq!(a.len(), 20);
    assert_eq!(a, b);
}

#[tokio::test]
async fn batches_stop_after_iterations() {
    let mut task = started(
        props(&[("iterations", "5"), ("batch.size", "2")]),
        OffsetSnapshot::default(),
    )
    .await;
    assert_eq!(seqs(&task.poll().await.unwrap()), [0, 1]);
    assert_eq!(seqs(&task.poll().await.unwrap()), [2, 3]);
    assert_eq!(seqs(&task.poll().await.unwrap()), [4]);
    assert!(task.poll().await.unwrap().is_empty());
}

#[tokio::test]
async fn resumes_after_the_stored_seq() {
    let config = props(&[("iterations", "6"), ("batch.size", "10")]);
    let fresh = started(config.clone(), OffsetSnapshot::default())
        .await
        .poll()
        .await
        .unwrap();

    let offset: sluice_api::OffsetMap = [("seq".to_string(), 2.into())].into_iter().collect();
    let offsets = OffsetSnapshot::new([(crate::event::source_partition(0), offset)]);
    let resumed = started(config, offsets).await.poll().await.unwrap();

    assert_eq!(seqs(&resumed), [3, 4, 5]);
    assert_eq!(resumed, fresh[3..]);
}

#[tokio::test]
async fn other_tasks_offsets_are_ignored() {
    let offset: sluice_api::OffsetMap = [("seq".to_string(), 7.into())].into_iter().collect();
    let offsets = OffsetSnapshot::new([(crate::event::source_partition(1), offset)]);
    let mut task = started(props(&[("batch.size", "1")]), offsets).await;
    assert_eq!(seqs(&task.poll().await.unwrap()), [0]);
}

#[tokio::test]
async fn invalid_stored_offset_is_fatal() {
    let offset: sluice_api::OffsetMap = [("seq".to_string(), "x".into())].into_iter().collect();
    let offsets = OffsetSnapshot::new([(crate::event::source_partition(0), offset)]);
    let err = DatagenTask::default()
        .start(context(0, Props::new(), offsets))
        .await
        .unwrap_err();
    assert!(!err.is_retriable());
    assert!(err.to_string().contains("seq"), "{err}");
}

#[tokio::test]
async fn invalid_config_is_rejected() {
    let err = DatagenTask::default()
        .start(context(
            0,
            props(&[("rate", "fast")]),
            OffsetSnapshot::default(),
        ))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("rate"), "{err}");
}

#[tokio::test]
async fn poll_before_start_fails() {
    assert!(DatagenTask::default().poll().await.is_err());
}

#[tokio::test(start_paused = true)]
async fn rate_paces_records_from_the_start() {
    let mut task = started(props(&[("rate", "10")]), OffsetSnapshot::default()).await;
    let start = Instant::now();
    assert_eq!(seqs(&task.poll().await.unwrap()), [0]);
    assert_eq!(seqs(&task.poll().await.unwrap()), [1]);
    assert_eq!(Instant::now() - start, Duration::from_millis(100));
    // A late poll gets everything that fell due meanwhile, so the rate does not drift.
    tokio::time::advance(Duration::from_millis(450)).await;
    // 550 ms after the start, records 0 to 5 are due.
    assert_eq!(seqs(&task.poll().await.unwrap()), [2, 3, 4, 5]);
}

#[tokio::test]
async fn keys_are_vins() {
    let records = started(props(&[("batch.size", "3")]), OffsetSnapshot::default())
        .await
        .poll()
        .await
        .unwrap();
    for record in records {
        let Value::String(vin) = &record.key else {
            panic!("key is not a string")
        };
        assert_eq!(vin.len(), 17);
    }
}
