use std::sync::Arc;

use sluice_api::{Field, Schema, Struct};

use super::*;

fn context(path: &str) -> SinkTaskContext {
    let config: Props = [("file".to_string(), path.to_string())]
        .into_iter()
        .collect();
    SinkTaskContext {
        connector: "file-sink".into(),
        task_id: 0,
        config,
        reporter: std::sync::Arc::new(sluice_api::NoTolerance),
    }
}

fn record(value: Value) -> Record {
    Record::new("t").with_value(None, value)
}

#[tokio::test]
async fn writes_one_line_per_record_and_flushes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.txt");
    std::fs::write(&path, "existing\n").unwrap();
    let path_str = path.to_str().unwrap();

    let mut task = FileSinkTask::default();
    task.start(context(path_str)).await.unwrap();
    // Field order is the schema's, not alphabetical.
    let schema = Arc::new(Schema::structure(vec![
        Field::new("name", Schema::string()),
        Field::new("id", Schema::int32()),
    ]));
    let value = Struct::new()
        .with("name", Value::from("a"))
        .with("id", Value::Int32(1));
    let records = vec![
        record(Value::from("plain text")),
        record(Value::Null),
        Record::new("t").with_value(Some(schema), Value::Struct(value)),
        record(Value::Map(vec![(Value::from("k"), Value::Int64(2))])),
    ];
    task.put(&records).await.unwrap();
    task.flush(&PartitionOffsets::new()).await.unwrap();

    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        written,
        "existing\nplain text\nnull\n{\"name\":\"a\",\"id\":1}\n{\"k\":2}\n"
    );
    task.stop().await.unwrap();
}

#[tokio::test]
async fn a_bad_record_fails_the_whole_batch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.txt");
    let mut task = FileSinkTask::default();
    task.start(context(path.to_str().unwrap())).await.unwrap();
    let mismatched =
        Record::new("t").with_value(Some(Arc::new(Schema::int32())), Value::Boolean(true));
    assert!(
        task.put(&[record(Value::from("ok")), mismatched])
            .await
            .is_err()
    );
    task.flush(&PartitionOffsets::new()).await.unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
}

#[tokio::test]
async fn stop_writes_buffered_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.txt");
    let mut task = FileSinkTask::default();
    task.start(context(path.to_str().unwrap())).await.unwrap();
    task.put(&[record(Value::from("x"))]).await.unwrap();
    task.stop().await.unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "x\n");
}

#[tokio::test]
async fn unopenable_file_is_retriable_until_it_can_be_opened() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing-dir");
    let path = missing.join("out.txt");
    let path_str = path.to_str().unwrap();
    let mut task = FileSinkTask::default();
    task.start(context(path_str)).await.unwrap();
    let batch = [record(Value::String("x".into()))];
    let err = task.put(&batch).await.unwrap_err();
    assert!(err.is_retriable());
    assert!(err.to_string().contains(path_str), "{err}");

    std::fs::create_dir(&missing).unwrap();
    task.put(&batch).await.unwrap();
    task.flush(&PartitionOffsets::new()).await.unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "x\n");
}

#[tokio::test]
async fn empty_file_setting_is_rejected() {
    let err = FileSinkTask::default()
        .start(context(""))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::Config(_)), "{err}");
}

#[tokio::test]
async fn put_before_start_fails() {
    assert!(
        FileSinkTask::default()
            .put(&[record(Value::from("x"))])
            .await
            .is_err()
    );
}
