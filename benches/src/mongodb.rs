//! `mongodb-sink`: a pre-filled topic of schemaless JSON documents (the elasticsearch-sink
//! documents with an `_id`) written by Sluice's MongoDB sink as ReplaceOne upserts by `_id`,
//! against a raw loader sending the same documents with the Rust driver as `update` commands of
//! `BATCH` replace-upserts each (what a driver's `bulk_write` of `ReplaceOne(upsert)` models
//! sends), one at a time, into another collection of the same server. Both sides are timed the
//! same way: until their collection holds N documents.

use std::path::Path;
use std::time::{Duration, Instant};

use mongodb::bson::{Bson, Document, doc};
use mongodb::{Client, Collection};
use serde_json::Value as Json;

use crate::common::{
    BenchResult, RunResult, Settings, documents_bytes, measure, prefill_documents, self_command,
    sluice_command, unique, worker_yaml, write,
};
use crate::elasticsearch;

const PIPELINE: &str = "mongodb-sink";
/// Replace-upserts per command of the raw loader, Sluice's `max.batch.size` and the consumer's
/// `max.poll.records` (so that each `put` is one command).
pub const BATCH: u64 = 1_000;
/// How often the progress of a run is read; each read is a count on the server under test.
const COUNT_EVERY: Duration = Duration::from_millis(250);

/// The server under test: `MONGODB_URI`, else the local server.
pub fn server_uri() -> String {
    std::env::var("MONGODB_URI")
        .unwrap_or_else(|_| "mongodb://127.0.0.1:27017/?directConnection=true".into())
}

/// Document `n` as the topic carries it: the elasticsearch-sink document with `"_id": n` first.
pub fn document(n: u64) -> String {
    let body = elasticsearch::document(n);
    format!("{{\"_id\":{n},{}", &body[1..])
}

/// Document `n` as BSON, typed as the sink types schemaless JSON (integers as 64-bit longs).
pub fn bson_document(n: u64) -> BenchResult<Document> {
    let json: Json = serde_json::from_str(&document(n)).map_err(|e| e.to_string())?;
    match json_to_bson(&json) {
        Bson::Document(doc) => Ok(doc),
        other => Err(format!("document {n} is not an object: {other}")),
    }
}

fn json_to_bson(json: &Json) -> Bson {
    match json {
        Json::Null => Bson::Null,
        Json::Bool(b) => Bson::Boolean(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Bson::Int64(i),
            None => Bson::Double(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Bson::String(s.clone()),
        Json::Array(items) => Bson::Array(items.iter().map(json_to_bson).collect()),
        Json::Object(map) => Bson::Document(
            map.iter()
                .map(|(k, v)| (k.clone(), json_to_bson(v)))
                .collect(),
        ),
    }
}

/// A blocking handle on the server: a runtime and a client.
struct Server {
    runtime: tokio::runtime::Runtime,
    client: Client,
}

impl Server {
    fn connect(uri: &str) -> BenchResult<Server> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start a runtime: {e}"))?;
        let client = runtime
            .block_on(Client::with_uri_str(uri))
            .map_err(|e| format!("cannot connect to {uri}: {e}"))?;
        Ok(Server { runtime, client })
    }

    fn collection(&self, database: &str, name: &str) -> Collection<Document> {
        self.client.database(database).collection(name)
    }

    /// Documents in a collection (the `count` command: metadata on MongoDB, so that reading
    /// progress costs the server little); 0 when it cannot tell.
    fn count(&self, database: &str, name: &str) -> u64 {
        let collection = self.collection(database, name);
        self.runtime
            .block_on(async { collection.estimated_document_count().await })
            .unwrap_or(0)
    }

    fn find(&self, database: &str, name: &str, id: u64) -> BenchResult<Document> {
        let collection = self.collection(database, name);
        let filter = doc! {"_id": Bson::Int64(id as i64)};
        self.runtime
            .block_on(async { collection.find_one(filter).await })
            .map_err(|e| format!("find in {database}.{name}: {e}"))?
            .ok_or_else(|| format!("{database}.{name} has no document {id}"))
    }

    fn drop_database(&self, database: &str) {
        let db = self.client.database(database);
        if let Err(e) = self.runtime.block_on(async { db.drop().await }) {
            eprintln!("{PIPELINE}: cannot drop {database}: {e}");
        }
    }
}

/// Counts a collection at most every [`COUNT_EVERY`], as the progress of a measured run.
struct Counter<'a> {
    server: &'a Server,
    database: &'a str,
    collection: &'a str,
    last: Option<(Instant, u64)>,
}

impl Counter<'_> {
    fn total(&mut self) -> u64 {
        if let Some((at, count)) = self.last
            && at.elapsed() < COUNT_EVERY
        {
            return count;
        }
        let count = self.server.count(self.database, self.collection);
        self.last = Some((Instant::now(), count));
        count
    }
}

pub fn run(settings: &Settings, dir: &Path) -> BenchResult<(RunResult, RunResult)> {
    let id = unique("bench-mongo");
    let uri = server_uri();
    let server = Server::connect(&uri)?;
    let database = id.replace('-', "_");
    let topic = format!("{id}-src");
    crate::common::create_topics(&settings.bootstrap, &[&topic], settings.partitions)?;
    let result = (|| {
        prefill_documents(settings, PIPELINE, &topic, document)?;
        let sluice = run_sluice(settings, dir, &id, &topic, &uri, &server, &database)?;
        let raw = run_raw(settings, dir, &uri, &server, &database)?;
        check(settings, &server, &database)?;
        Ok((sluice, raw))
    })();
    if !settings.keep {
        server.drop_database(&database);
    }
    result
}

/// Both collections hold N documents, and the first and last are the same on both sides.
fn check(settings: &Settings, server: &Server, database: &str) -> BenchResult<()> {
    for collection in ["sluice", "raw"] {
        let count = server.count(database, collection);
        if count != settings.records {
            return Err(format!(
                "{database}.{collection} holds {count} documents, expected {}",
                settings.records
            ));
        }
    }
    for n in [0, settings.records - 1] {
        let expected = bson_document(n)?;
        let (a, b) = (
            server.find(database, "sluice", n)?,
            server.find(database, "raw", n)?,
        );
        // Compared as relaxed Extended JSON: a server may hand small longs back as ints.
        let json = |d: &Document| Bson::Document(d.clone()).into_relaxed_extjson();
        if json(&a) != json(&expected) || json(&b) != json(&expected) {
            return Err(format!(
                "document {n} differs: sluice {a}, raw {b}, sent {expected}"
            ));
        }
    }
    Ok(())
}

fn run_sluice(
    settings: &Settings,
    dir: &Path,
    id: &str,
    topic: &str,
    uri: &str,
    server: &Server,
    database: &str,
) -> BenchResult<RunResult> {
    let worker = write(
        dir,
        "worker.yaml",
        &format!(
            "{}consumer.max.poll.records: {BATCH}\n",
            worker_yaml(settings, dir)
        ),
    )?;
    let connector = write(
        dir,
        "mongodb-sink.yaml",
        &format!(
            "name: {id}-sink\n\
             connector.class: com.mongodb.kafka.connect.MongoSinkConnector\n\
             topics: {topic}\nconnection.uri: '{uri}'\ndatabase: {database}\ncollection: sluice\n\
             document.id.strategy: com.mongodb.kafka.connect.sink.processor.id.strategy.ProvidedInValueStrategy\n\
             max.batch.size: {BATCH}\ntasks.max: {tasks}\n",
            tasks = settings.partitions
        ),
    )?;
    let mut counter = Counter {
        server,
        database,
        collection: "sluice",
        last: None,
    };
    eprintln!(
        "{PIPELINE}: sluice mongodb-sink, {topic} → {database}.sluice (ReplaceOne upserts, max.batch.size {BATCH})"
    );
    let (progress, usage) = measure(
        settings,
        "sluice",
        sluice_command(settings, &worker, &[connector]),
        &dir.join("sluice-mongodb.log"),
        "documents written",
        || counter.total(),
    )?;
    Ok(RunResult {
        pipeline: PIPELINE,
        implementation: "sluice",
        records: settings.records,
        bytes: documents_bytes(settings.records, document),
        progress,
        usage,
    })
}

fn run_raw(
    settings: &Settings,
    dir: &Path,
    uri: &str,
    server: &Server,
    database: &str,
) -> BenchResult<RunResult> {
    let mut command = self_command()?;
    command
        .arg("raw-mongo")
        .args(["--uri", uri, "--database", database, "--collection", "raw"])
        .args(["--records", &settings.records.to_string()]);
    eprintln!(
        "{PIPELINE}: raw loader, the same documents into {database}.raw ({BATCH} ReplaceOne upserts per command, one at a time)"
    );
    let mut counter = Counter {
        server,
        database,
        collection: "raw",
        last: None,
    };
    let (progress, usage) = measure(
        settings,
        "raw",
        command,
        &dir.join("raw-mongo.log"),
        "documents written",
        || counter.total(),
    )?;
    Ok(RunResult {
        pipeline: PIPELINE,
        implementation: "raw bulk",
        records: settings.records,
        bytes: documents_bytes(settings.records, document),
        progress,
        usage,
    })
}

/// The raw baseline: `update` commands of `BATCH` ordered replace-upserts by `_id`, one after
/// the other, each checked for write errors; then it waits for the bench to close stdin.
pub fn raw_mongo(uri: &str, database: &str, collection: &str, records: u64) -> BenchResult<()> {
    let server = Server::connect(uri)?;
    let db = server.client.database(database);
    let mut n = 0;
    while n < records {
        let end = (n + BATCH).min(records);
        let mut updates = Vec::with_capacity(BATCH as usize);
        for i in n..end {
            let document = bson_document(i)?;
            updates.push(doc! {
                "q": {"_id": Bson::Int64(i as i64)},
                "u": document,
                "upsert": true,
            });
        }
        let command = doc! {"update": collection, "updates": updates, "ordered": true};
        let reply = server
            .runtime
            .block_on(async { db.run_command(command).await })
            .map_err(|e| format!("raw: update command failed: {e}"))?;
        if let Ok(errors) = reply.get_array("writeErrors")
            && let Some(first) = errors.first()
        {
            return Err(format!("raw: write errors, e.g. {first}"));
        }
        n = end;
    }
    eprintln!("raw: sent {records} documents");
    // Stay alive until the bench has read the clock and the usage.
    let _ = std::io::Read::read(&mut std::io::stdin(), &mut [0u8; 1]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_carry_their_id_first_and_read_as_longs() {
        assert!(document(7).starts_with("{\"_id\":7,\"id\":7,"));
        let doc = bson_document(7).unwrap();
        assert_eq!(doc.get("_id"), Some(&Bson::Int64(7)));
        assert_eq!(doc.get("temperature"), Some(&Bson::Double(15.07)));
        assert_eq!(doc.keys().next().map(String::as_str), Some("_id"));
    }
}
