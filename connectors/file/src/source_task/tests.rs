use std::io::Write;

use sluice_api::{OffsetSnapshot, Props};

use super::*;

fn context(path: &str, batch_size: usize, offsets: OffsetSnapshot) -> SourceTaskContext {
    let config: Props = [
        ("file", path.to_string()),
        ("topic", "lines".to_string()),
        ("batch.size", batch_size.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    SourceTaskContext {
        connector: "file-source".into(),
        task_id: 0,
        config,
        offsets,
    }
}

async fn started(path: &str, batch_size: usize, offsets: OffsetSnapshot) -> FileSourceTask {
    let mut task = FileSourceTask::default();
    task.start(context(path, batch_size, offsets))
        .await
        .unwrap();
    task
}

fn lines_and_positions(records: &[Record]) -> Vec<(String, u64)> {
    records
        .iter()
        .map(|r| {
            let line = r.value.as_str().unwrap().to_string();
            let position = r
                .source_offset
                .as_ref()
                .and_then(|o| o.get(POSITION_FIELD))
                .and_then(|p| p.as_u64())
                .unwrap();
            (line, position)
        })
        .collect()
}

fn append(path: &std::path::Path, text: &str) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

#[tokio::test]
async fn reads_lines_with_kafka_connect_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.txt");
    append(&path, "first\r\nsecond\nthird\n");
    let path_str = path.to_str().unwrap();
    let mut task = started(path_str, 100, OffsetSnapshot::default()).await;

    let records = task.poll().await.unwrap();
    assert_eq!(
        lines_and_positions(&records),
        [
            ("first".to_string(), 7),
            ("second".to_string(), 14),
            ("third".to_string(), 20)
        ]
    );
    let record = &records[0];
    assert_eq!(record.topic, "lines");
    assert_eq!(record.key, Value::Null);
    assert_eq!(record.key_schema, None);
    assert_eq!(record.value_schema.as_deref(), Some(&Schema::string()));
    assert_eq!(record.source_partition, Some(source_partition(path_str)));
    assert!(record.timestamp.is_some());
}

#[tokio::test]
async fn batches_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.txt");
    append(&path, "a\nb\nc\n");
    let mut task = started(path.to_str().unwrap(), 2, OffsetSnapshot::default()).await;
    assert_eq!(
        lines_and_positions(&task.poll().await.unwrap()),
        [("a".into(), 2), ("b".into(), 4)]
    );
    assert_eq!(
        lines_and_positions(&task.poll().await.unwrap()),
        [("c".to_string(), 6)]
    );
}

#[tokio::test]
async fn tails_and_waits_for_the_end_of_a_partial_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.txt");
    append(&path, "one\ntw");
    let mut task = started(path.to_str().unwrap(), 100, OffsetSnapshot::default()).await;
    assert_eq!(
        lines_and_positions(&task.poll().await.unwrap()),
        [("one".to_string(), 4)]
    );

    append(&path, "o\n");
    assert_eq!(
        lines_and_positions(&task.poll().await.unwrap()),
        [("two".to_string(), 8)]
    );
}

#[tokio::test]
async fn resumes_at_the_stored_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.txt");
    append(&path, "first\nsecond\nthird\n");
    let path_str = path.to_str().unwrap();
    let offset: OffsetMap = [(POSITION_FIELD.to_string(), 6.into())]
        .into_iter()
        .collect();
    let offsets = OffsetSnapshot::new([(source_partition(path_str), offset)]);
    let mut task = started(path_str, 100, offsets).await;
    assert_eq!(
        lines_and_positions(&task.poll().await.unwrap()),
        [("second".to_string(), 13), ("third".to_string(), 19)]
    );
}

#[tokio::test]
async fn waits_for_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("later.txt");
    let mut task = started(path.to_str().unwrap(), 100, OffsetSnapshot::default()).await;
    assert!(task.poll().await.unwrap().is_empty());
    append(&path, "hello\n");
    assert_eq!(
        lines_and_positions(&task.poll().await.unwrap()),
        [("hello".to_string(), 6)]
    );
}

#[tokio::test]
async fn wrong_offset_type_is_fatal() {
    let offset: OffsetMap = [(POSITION_FIELD.to_string(), "6".into())]
        .into_iter()
        .collect();
    let offsets = OffsetSnapshot::new([(source_partition("/tmp/x"), offset)]);
    let err = FileSourceTask::default()
        .start(context("/tmp/x", 10, offsets))
        .await
        .unwrap_err();
    assert!(!err.is_retriable());
    assert!(err.to_string().contains("incorrect type"), "{err}");
}

#[tokio::test]
async fn read_errors_are_retriable_and_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap().to_string();
    // A directory opens on Linux but cannot be read.
    let mut task = started(&path, 10, OffsetSnapshot::default()).await;
    let err = task.poll().await.unwrap_err();
    assert!(err.is_retriable());
    assert!(err.to_string().contains(&path), "{err}");
}

#[tokio::test]
async fn a_cancelled_poll_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.txt");
    append(&path, "a\npart");
    let mut task = started(path.to_str().unwrap(), 100, OffsetSnapshot::default()).await;
    assert_eq!(
        lines_and_positions(&task.poll().await.unwrap()),
        [("a".to_string(), 2)]
    );
    // The next poll finds no complete line and waits; cancel it there.
    let cancelled = tokio::time::timeout(Duration::from_millis(50), task.poll()).await;
    assert!(cancelled.is_err());
    append(&path, "ial\n");
    assert_eq!(
        lines_and_positions(&task.poll().await.unwrap()),
        [("partial".to_string(), 10)]
    );
}
