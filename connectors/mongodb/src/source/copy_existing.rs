//! `startup.mode=copy_existing`: every document of every namespace the stream covers, as an
//! insert event shaped like the official connector's copy events, one collection after another.
//!
//! With no change-stream `pipeline`, the documents are read with `find` (or the
//! `startup.mode.copy.existing.pipeline` aggregation) and shaped here. With a `pipeline`, the
//! whole copy runs as the official connector's aggregation (copy pipeline, a `$replaceRoot` into
//! the event shape, then the change-stream pipeline), so that the pipeline filters and reshapes
//! copied documents exactly as it does change events.

use std::collections::VecDeque;

use mongodb::Client;
use mongodb::bson::{Document, doc};
use regex::Regex;
use sluice_api::{ConnectError, ConnectResult};

use super::config::{CopyExisting, SourceConfig, Target};
use super::cursor::{CursorError, RawCursor};
use super::error::classify;
use super::record::copy_event;

/// Databases that hold the server's own data, never copied.
const SYSTEM_DATABASES: [&str; 3] = ["admin", "config", "local"];

/// The namespaces left to copy and the cursor over the current one.
#[derive(Debug)]
pub struct Copier {
    pending: VecDeque<(String, String)>,
    current: Option<Current>,
    settings: CopyExisting,
    stream_pipeline: Vec<Document>,
}

#[derive(Debug)]
struct Current {
    db: String,
    coll: String,
    cursor: RawCursor,
    /// Documents of the last batch not handed on yet.
    buffer: VecDeque<Document>,
    exhausted: bool,
    /// Whether the cursor yields finished events (server-side shaping) or plain documents.
    shaped: bool,
}

impl Copier {
    /// Lists what to copy.
    pub async fn new(
        client: &Client,
        config: &SourceConfig,
        settings: &CopyExisting,
    ) -> ConnectResult<Self> {
        let filter = match &settings.namespace_regex {
            Some(regex) => Some(Regex::new(&format!("^(?:{regex})$")).map_err(|e| {
                ConnectError::fatal(format!("startup.mode.copy.existing.namespace.regex: {e}"))
            })?),
            None => None,
        };
        let namespaces = namespaces(client, &config.target).await?;
        let pending: VecDeque<_> = namespaces
            .into_iter()
            .filter(|(db, coll)| {
                filter
                    .as_ref()
                    .is_none_or(|re| re.is_match(&format!("{db}.{coll}")))
            })
            .collect();
        tracing::info!(
            namespaces = %pending.iter().map(|(db, coll)| format!("{db}.{coll}")).collect::<Vec<_>>().join(", "),
            "copying existing MongoDB data"
        );
        Ok(Copier {
            pending,
            current: None,
            settings: settings.clone(),
            stream_pipeline: config.pipeline.clone(),
        })
    }

    /// Up to `max` copy events; `None` once every namespace is copied.
    pub async fn next_batch(
        &mut self,
        client: &Client,
        max: usize,
    ) -> ConnectResult<Option<Vec<Document>>> {
        let mut batch = Vec::new();
        loop {
            if self.current.is_none() {
                let Some((db, coll)) = self.pending.pop_front() else {
                    return Ok((!batch.is_empty()).then_some(batch));
                };
                self.current =
                    Some(open(&self.settings, &self.stream_pipeline, client, db, coll).await?);
            }
            let Some(current) = self.current.as_mut() else {
                continue;
            };
            while batch.len() < max {
                if let Some(doc) = current.buffer.pop_front() {
                    batch.push(if current.shaped {
                        doc
                    } else {
                        copy_event(&current.db, &current.coll, doc)
                    });
                    continue;
                }
                if current.exhausted {
                    break;
                }
                let next = current.cursor.next().await.map_err(|e| {
                    e.into_connect(&format!("cannot copy {}.{}", current.db, current.coll))
                })?;
                current.exhausted = next.exhausted;
                current.buffer.extend(next.documents);
            }
            if batch.len() >= max {
                return Ok(Some(batch));
            }
            if let Some(done) = self.current.take() {
                tracing::info!(db = %done.db, coll = %done.coll, "copied existing documents");
                done.cursor.close().await;
            }
        }
    }
}

/// A cursor over the documents (or server-shaped events) of one collection.
async fn open(
    settings: &CopyExisting,
    stream_pipeline: &[Document],
    client: &Client,
    db: String,
    coll: String,
) -> ConnectResult<Current> {
    let shaped = !stream_pipeline.is_empty();
    let command = if shaped || !settings.pipeline.is_empty() {
        let mut pipeline = settings.pipeline.clone();
        if shaped {
            pipeline.push(shape_stage(&db, &coll));
            pipeline.extend(stream_pipeline.iter().cloned());
        }
        doc! {
            "aggregate": coll.as_str(),
            "pipeline": pipeline,
            "cursor": {},
            "allowDiskUse": settings.allow_disk_use,
        }
    } else {
        doc! {"find": coll.as_str(), "filter": {}}
    };
    let (cursor, first) = RawCursor::open(client, &db, command, None, None)
        .await
        .map_err(|e| e.into_connect(&format!("cannot copy {db}.{coll}")))?;
    Ok(Current {
        db,
        coll,
        cursor,
        buffer: first.documents.into(),
        exhausted: first.exhausted,
        shaped,
    })
}

/// The stage that turns a document into a copy event on the server.
pub fn shape_stage(db: &str, coll: &str) -> Document {
    doc! {
        "$replaceRoot": {
            "newRoot": {
                "_id": { "_id": "$_id", "copyingData": true },
                "operationType": "insert",
                "ns": { "db": db, "coll": coll },
                "documentKey": { "_id": "$_id" },
                "fullDocument": "$$ROOT",
            }
        }
    }
}

/// Every collection (not view, not `system.*`) the target covers.
async fn namespaces(client: &Client, target: &Target) -> ConnectResult<Vec<(String, String)>> {
    let databases = match target {
        Target::Collection(db, coll) => return Ok(vec![(db.clone(), coll.clone())]),
        Target::Database(db) => vec![db.clone()],
        Target::Deployment => client
            .list_database_names()
            .await
            .map_err(|e| classify(e, "cannot list the databases to copy"))?
            .into_iter()
            .filter(|db| !SYSTEM_DATABASES.contains(&db.as_str()))
            .collect(),
    };
    let mut found = Vec::new();
    for db in databases {
        let mut names = collections(client, &db).await?;
        names.sort();
        found.extend(names.into_iter().map(|coll| (db.clone(), coll)));
    }
    Ok(found)
}

async fn collections(client: &Client, db: &str) -> ConnectResult<Vec<String>> {
    let context = format!("cannot list the collections of {db}");
    let listed = async {
        let command =
            doc! {"listCollections": 1, "filter": {"type": "collection"}, "nameOnly": true};
        let (mut cursor, mut batch) = RawCursor::open(client, db, command, None, None).await?;
        let mut names = Vec::new();
        loop {
            for spec in &batch.documents {
                let is_collection = spec.get_str("type").is_ok_and(|t| t == "collection");
                if let (true, Ok(name)) = (is_collection, spec.get_str("name")) {
                    names.push(name.to_string());
                }
            }
            if batch.exhausted {
                break;
            }
            batch = cursor.next().await?;
        }
        cursor.close().await;
        Ok::<_, CursorError>(names)
    };
    let names = listed.await.map_err(|e| e.into_connect(&context))?;
    Ok(names
        .into_iter()
        .filter(|name| !name.starts_with("system."))
        .collect())
}
