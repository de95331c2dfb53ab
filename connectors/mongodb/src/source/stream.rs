//! The change stream, read by a task of its own into a bounded channel, so that `poll` only ever
//! awaits a channel receive (cancel-safe) and a cursor is never dropped mid-request.

use std::time::Duration;

use mongodb::Client;
use mongodb::bson::{Bson, Document, Timestamp, doc};
use sluice_api::{ConnectError, ConnectResult};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::config::{SourceConfig, Target};
use super::cursor::{Batch, CursorError, RawCursor};

/// How long `stop` waits for the reader to notice cancellation.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// Where a new change stream starts.
#[derive(Debug, Clone, PartialEq)]
pub enum StartAt {
    /// Changes after the stream opens.
    Now,
    /// Changes after this resume token.
    After(Document),
    /// Changes at or after this operation time.
    OperationTime(Timestamp),
}

/// What the reader hands over, in stream order.
#[derive(Debug)]
pub enum StreamItem {
    /// One change event.
    Event(Document),
    /// The end of a server batch; the token resumes after everything seen so far, filtered-out
    /// events included (the postBatchResumeToken). `empty`: the server had nothing for now.
    BatchEnd {
        token: Option<Document>,
        empty: bool,
    },
    /// The server no longer has the stream's resume point (the message says why).
    ResumePointLost(String),
}

/// The open change stream and the task reading it.
#[derive(Debug)]
pub struct StreamReader {
    items: mpsc::Receiver<ConnectResult<StreamItem>>,
    cancel: CancellationToken,
    handle: Option<JoinHandle<()>>,
}

/// The `aggregate` command that opens the change stream of `config.target` from `start`:
/// `(database to run it on, command)`.
pub fn open_command(config: &SourceConfig, start: &StartAt) -> (String, Document) {
    let mut spec = Document::new();
    if config.target == Target::Deployment {
        spec.insert("allChangesForCluster", true);
    }
    if let Some(mode) = config.full_document.as_deref().filter(|m| *m != "default") {
        spec.insert("fullDocument", mode);
    }
    if let Some(mode) = &config.full_document_before_change {
        spec.insert("fullDocumentBeforeChange", mode.as_str());
    }
    match start {
        StartAt::Now => {}
        StartAt::After(token) => {
            spec.insert("resumeAfter", token.clone());
        }
        StartAt::OperationTime(ts) => {
            spec.insert("startAtOperationTime", *ts);
        }
    }
    let mut pipeline = vec![Bson::Document(doc! {"$changeStream": spec})];
    pipeline.extend(config.pipeline.iter().cloned().map(Bson::Document));
    let mut cursor = Document::new();
    if let Some(size) = config.batch_size {
        cursor.insert("batchSize", i64::from(size));
    }
    let (db, aggregate) = match &config.target {
        Target::Deployment => ("admin".to_string(), Bson::Int32(1)),
        Target::Database(db) => (db.clone(), Bson::Int32(1)),
        Target::Collection(db, coll) => (db.clone(), Bson::String(coll.clone())),
    };
    let mut command = doc! {"aggregate": aggregate, "pipeline": pipeline, "cursor": cursor};
    if let Some(collation) = &config.collation {
        command.insert("collation", collation.clone());
    }
    (db, command)
}

/// Opens the change stream. It exists on the server once this returns: changes made
/// afterwards will be read.
pub async fn open(
    client: &Client,
    config: &SourceConfig,
    start: &StartAt,
) -> Result<(RawCursor, Batch), CursorError> {
    let (db, command) = open_command(config, start);
    RawCursor::open(
        client,
        &db,
        command,
        config.batch_size,
        Some(config.await_time),
    )
    .await
}

impl StreamReader {
    /// Starts reading the stream opened as `cursor` with its `first` batch; at most `capacity`
    /// items wait for `poll`.
    pub fn spawn(mut cursor: RawCursor, first: Batch, capacity: usize) -> Self {
        let (tx, items) = mpsc::channel(capacity.max(1));
        let cancel = CancellationToken::new();
        let stop = cancel.clone();
        let handle = tokio::spawn(async move {
            let mut batch = first;
            loop {
                if !hand_over(&tx, &stop, batch).await {
                    cursor.close().await;
                    return;
                }
                let next = tokio::select! {
                    biased;
                    _ = stop.cancelled() => None,
                    next = cursor.next() => Some(next),
                };
                let item = match next {
                    None => {
                        cursor.close().await;
                        return;
                    }
                    Some(Ok(next)) if next.exhausted && next.documents.is_empty() => {
                        Err(ConnectError::retriable(
                            "the MongoDB change stream was closed by the server (invalidated or dropped)",
                        ))
                    }
                    Some(Ok(next)) => {
                        batch = next;
                        continue;
                    }
                    Some(Err(err)) if err.is_lost_resume_point() => {
                        Ok(StreamItem::ResumePointLost(err.to_string()))
                    }
                    Some(Err(err)) => {
                        Err(err.into_connect("cannot read the MongoDB change stream"))
                    }
                };
                let _ = send(&tx, &stop, item).await;
                cursor.close().await;
                return;
            }
        });
        StreamReader {
            items,
            cancel,
            handle: Some(handle),
        }
    }

    /// The next item, waiting at most `wait`; `Ok(None)` when nothing came in time. Cancel-safe.
    pub async fn next(&mut self, wait: Duration) -> ConnectResult<Option<StreamItem>> {
        match tokio::time::timeout(wait, self.items.recv()).await {
            Err(_) => Ok(None),
            Ok(Some(item)) => item.map(Some),
            Ok(None) => Err(ConnectError::retriable(
                "the MongoDB change stream reader stopped",
            )),
        }
    }

    /// The next item if one is waiting.
    pub fn try_next(&mut self) -> ConnectResult<Option<StreamItem>> {
        match self.items.try_recv() {
            Ok(item) => item.map(Some),
            Err(mpsc::error::TryRecvError::Empty) => Ok(None),
            Err(mpsc::error::TryRecvError::Disconnected) => Err(ConnectError::retriable(
                "the MongoDB change stream reader stopped",
            )),
        }
    }

    /// Stops the reader and waits (briefly) for it to close the cursor.
    pub async fn stop(mut self) {
        self.cancel.cancel();
        if let Some(handle) = self.handle.take() {
            let _ = tokio::time::timeout(STOP_TIMEOUT, handle).await;
        }
    }
}

impl Drop for StreamReader {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Sends a batch's events, then where the batch leaves the stream; `false` when the reader
/// should end.
async fn hand_over(
    tx: &mpsc::Sender<ConnectResult<StreamItem>>,
    stop: &CancellationToken,
    batch: Batch,
) -> bool {
    let empty = batch.documents.is_empty();
    let last_id = batch
        .documents
        .last()
        .and_then(|event| event.get_document("_id").ok().cloned());
    for event in batch.documents {
        if !send(tx, stop, Ok(StreamItem::Event(event))).await {
            return false;
        }
    }
    let token = batch.post_batch_resume_token.or(last_id);
    send(tx, stop, Ok(StreamItem::BatchEnd { token, empty })).await
}

/// Sends unless cancelled; `false` when the reader should end.
async fn send(
    tx: &mpsc::Sender<ConnectResult<StreamItem>>,
    stop: &CancellationToken,
    item: ConnectResult<StreamItem>,
) -> bool {
    tokio::select! {
        biased;
        _ = stop.cancelled() => false,
        sent = tx.send(item) => sent.is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::config::SourceConfig;

    fn config(pairs: &[(&str, &str)]) -> SourceConfig {
        let props = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SourceConfig::parse(&props).unwrap()
    }

    #[test]
    fn open_commands_watch_the_configured_target() {
        let c = config(&[
            ("database", "shop"),
            ("collection", "orders"),
            ("publish.full.document.only", "true"),
            ("pipeline", r#"[{"$match": {"operationType": "insert"}}]"#),
            ("batch.size", "50"),
        ]);
        let (db, cmd) = open_command(&c, &StartAt::After(doc! {"_data": "82"}));
        assert_eq!(db, "shop");
        assert_eq!(
            cmd,
            doc! {
                "aggregate": "orders",
                "pipeline": [
                    {"$changeStream": {"fullDocument": "updateLookup", "resumeAfter": {"_data": "82"}}},
                    {"$match": {"operationType": "insert"}},
                ],
                "cursor": {"batchSize": 50_i64},
            }
        );
        let (db, cmd) = open_command(
            &config(&[]),
            &StartAt::OperationTime(Timestamp {
                time: 5,
                increment: 1,
            }),
        );
        assert_eq!(db, "admin");
        assert_eq!(cmd.get_i32("aggregate"), Ok(1));
        let stage = cmd.get_array("pipeline").unwrap()[0]
            .as_document()
            .unwrap()
            .get_document("$changeStream")
            .unwrap()
            .clone();
        assert_eq!(
            stage,
            doc! {"allChangesForCluster": true, "startAtOperationTime": Timestamp { time: 5, increment: 1 }}
        );
        let (db, cmd) = open_command(
            &config(&[
                ("database", "shop"),
                ("change.stream.full.document.before.change", "required"),
            ]),
            &StartAt::Now,
        );
        assert_eq!(db, "shop");
        assert_eq!(cmd.get_i32("aggregate"), Ok(1));
        let stage = cmd.get_array("pipeline").unwrap()[0]
            .as_document()
            .unwrap()
            .get_document("$changeStream")
            .unwrap()
            .clone();
        assert_eq!(stage, doc! {"fullDocumentBeforeChange": "required"});
    }
}
