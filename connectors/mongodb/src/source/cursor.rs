//! Server cursors driven by plain `aggregate`/`find`/`getMore`/`killCursors` commands on one
//! session, for change streams, copies and collection listings.
//!
//! Going through commands rather than the driver's cursor types gives the task every batch's
//! `postBatchResumeToken` and full control of resuming, and it accepts replies whose cursor id
//! is a 32-bit integer, which some MongoDB-wire servers send and the driver's cursors reject.

use std::time::Duration;

use mongodb::bson::{Bson, Document, doc};
use mongodb::{Client, ClientSession};
use sluice_api::ConnectError;

use super::error::{classify, is_lost_resume_point};

/// Why a cursor command failed.
#[derive(Debug)]
pub enum CursorError {
    /// The driver or the server reported an error.
    Driver(mongodb::error::Error),
    /// The reply did not have the shape of a cursor reply.
    BadReply(String),
}

impl From<mongodb::error::Error> for CursorError {
    fn from(err: mongodb::error::Error) -> Self {
        CursorError::Driver(err)
    }
}

impl CursorError {
    /// Whether the server no longer has the requested resume point.
    pub fn is_lost_resume_point(&self) -> bool {
        matches!(self, CursorError::Driver(err) if is_lost_resume_point(err))
    }

    /// The classified error, its message starting with `context`.
    pub fn into_connect(self, context: &str) -> ConnectError {
        match self {
            CursorError::Driver(err) => classify(err, context),
            CursorError::BadReply(reason) => {
                ConnectError::fatal(format!("{context}: unexpected server reply: {reason}"))
            }
        }
    }
}

impl std::fmt::Display for CursorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CursorError::Driver(err) => write!(f, "{err}"),
            CursorError::BadReply(reason) => write!(f, "unexpected server reply: {reason}"),
        }
    }
}

/// One batch of a cursor.
#[derive(Debug, Default)]
pub struct Batch {
    pub documents: Vec<Document>,
    /// Where a change stream resumes after this batch (filtered-out events included).
    pub post_batch_resume_token: Option<Document>,
    /// The server closed the cursor: no batch follows.
    pub exhausted: bool,
}

/// An open server cursor.
#[derive(Debug)]
pub struct RawCursor {
    client: Client,
    session: ClientSession,
    db: String,
    /// The collection part of the cursor's namespace, which `getMore` names.
    collection: String,
    id: i64,
    batch_size: Option<u32>,
    max_await: Option<Duration>,
}

impl RawCursor {
    /// Runs a cursor-creating `command` on `db` and returns the cursor with its first batch.
    pub async fn open(
        client: &Client,
        db: &str,
        command: Document,
        batch_size: Option<u32>,
        max_await: Option<Duration>,
    ) -> Result<(RawCursor, Batch), CursorError> {
        let mut session = client.start_session().await?;
        let reply = client
            .database(db)
            .run_command(command)
            .session(&mut session)
            .await?;
        let (id, ns, batch) = parse_reply(&reply, "firstBatch")?;
        let collection = ns
            .split_once('.')
            .map_or(ns.as_str(), |(_, c)| c)
            .to_string();
        let cursor = RawCursor {
            client: client.clone(),
            session,
            db: db.to_string(),
            collection,
            id,
            batch_size,
            max_await,
        };
        Ok((cursor, batch))
    }

    /// The next batch (waiting up to the await time on a tailable cursor); an exhausted empty
    /// batch once the server closed the cursor.
    pub async fn next(&mut self) -> Result<Batch, CursorError> {
        if self.id == 0 {
            return Ok(Batch {
                exhausted: true,
                ..Batch::default()
            });
        }
        let mut command = doc! {"getMore": self.id, "collection": self.collection.clone()};
        if let Some(size) = self.batch_size {
            command.insert("batchSize", i64::from(size));
        }
        if let Some(wait) = self.max_await {
            command.insert(
                "maxTimeMS",
                i64::try_from(wait.as_millis()).unwrap_or(i64::MAX),
            );
        }
        let reply = self
            .client
            .database(&self.db)
            .run_command(command)
            .session(&mut self.session)
            .await?;
        let (id, _, batch) = parse_reply(&reply, "nextBatch")?;
        self.id = id;
        Ok(batch)
    }

    /// Kills the cursor on the server if it is still open; failures only cost a server-side
    /// timeout, so they are logged and dropped.
    pub async fn close(mut self) {
        if self.id == 0 {
            return;
        }
        let command = doc! {"killCursors": self.collection.clone(), "cursors": [self.id]};
        let killed = tokio::time::timeout(
            Duration::from_secs(5),
            self.client
                .database(&self.db)
                .run_command(command)
                .session(&mut self.session),
        )
        .await;
        if !matches!(killed, Ok(Ok(_))) {
            tracing::debug!(cursor = self.id, "could not kill the MongoDB cursor");
        }
    }
}

/// `(cursor id, namespace, batch)` of a cursor reply; `field` is `firstBatch` or `nextBatch`.
pub fn parse_reply(reply: &Document, field: &str) -> Result<(i64, String, Batch), CursorError> {
    let bad = |reason: &str| CursorError::BadReply(reason.to_string());
    let cursor = reply
        .get_document("cursor")
        .map_err(|_| bad("no cursor document"))?;
    let id = match cursor.get("id") {
        Some(Bson::Int64(id)) => *id,
        Some(Bson::Int32(id)) => i64::from(*id),
        _ => return Err(bad("no integer cursor id")),
    };
    let ns = cursor.get_str("ns").unwrap_or_default().to_string();
    let documents = match cursor.get(field) {
        Some(Bson::Array(items)) => items
            .iter()
            .map(|item| match item {
                Bson::Document(doc) => Ok(doc.clone()),
                _ => Err(bad("a batch item is not a document")),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(CursorError::BadReply(format!("no {field} array"))),
    };
    let post_batch_resume_token = cursor.get_document("postBatchResumeToken").ok().cloned();
    Ok((
        id,
        ns,
        Batch {
            documents,
            post_batch_resume_token,
            exhausted: id == 0,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cursor_replies_with_either_id_width() {
        let reply = doc! {"ok": 1, "cursor": {
            "id": 1006_i32, "ns": "db.coll", "firstBatch": [{"a": 1}],
            "postBatchResumeToken": {"_data": "nx:1"},
        }};
        let (id, ns, batch) = parse_reply(&reply, "firstBatch").unwrap();
        assert_eq!((id, ns.as_str()), (1006, "db.coll"));
        assert_eq!(batch.documents, [doc! {"a": 1}]);
        assert_eq!(batch.post_batch_resume_token, Some(doc! {"_data": "nx:1"}));
        assert!(!batch.exhausted);
        let done = doc! {"cursor": {"id": 0_i64, "ns": "db.coll", "nextBatch": []}};
        assert!(parse_reply(&done, "nextBatch").unwrap().2.exhausted);
        assert!(parse_reply(&doc! {"ok": 1}, "nextBatch").is_err());
        assert!(parse_reply(&done, "firstBatch").is_err());
    }
}
