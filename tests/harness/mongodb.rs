//! MongoDB helpers for integration tests: the server under test, unique database names, and
//! reading documents back through the Rust driver.

use std::future::IntoFuture;
use std::sync::OnceLock;

use mongodb::bson::{Bson, Document, doc};
use mongodb::{Client, Collection};

/// The server under test (`MONGODB_URI`, default the local server).
pub fn uri() -> String {
    std::env::var("MONGODB_URI")
        .unwrap_or_else(|_| "mongodb://127.0.0.1:27017/?directConnection=true".to_string())
}

/// `host:port` of the (first) server in `uri()`.
pub fn host_port() -> String {
    let uri = uri();
    let hosts = uri.trim_start_matches("mongodb://");
    let host = hosts.split(['/', '?', ',']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, host)| host);
    if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:27017")
    }
}

/// Runs a driver future to completion on the harness's runtime, which outlives every client.
pub fn run<F: IntoFuture>(future: F) -> F::Output {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("tokio runtime for the MongoDB harness")
        })
        .block_on(future.into_future())
}

/// A client of the server under test, shared by the tests of one binary.
pub fn client() -> Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT
        .get_or_init(|| run(Client::with_uri_str(uri())).expect("MongoDB client"))
        .clone()
}

/// A database name no other test run uses (MongoDB allows at most 63 characters, no dots).
pub fn unique_database(prefix: &str) -> String {
    let name = super::unique(prefix).replace(['.', ' ', '/', '\\', '$', '"'], "_");
    name.chars().take(63).collect()
}

fn collection(database: &str, name: &str) -> Collection<Document> {
    client().database(database).collection(name)
}

/// Every document of a collection, ordered by the Extended JSON text of its `_id`.
pub fn documents(database: &str, name: &str) -> Vec<Document> {
    use futures::TryStreamExt;
    // Made outside `run`: the first call creates the client, which needs `run` itself.
    let collection = collection(database, name);
    let mut docs: Vec<Document> = run(async {
        collection
            .find(doc! {})
            .await
            .expect("find")
            .try_collect()
            .await
            .expect("read documents")
    });
    docs.sort_by_key(id_text);
    docs
}

/// The document whose `_id` is `id`.
pub fn document(database: &str, name: &str, id: impl Into<Bson>) -> Option<Document> {
    let id = id.into();
    run(collection(database, name).find_one(doc! {"_id": id})).expect("find_one")
}

/// The number of documents in a collection.
pub fn count(database: &str, name: &str) -> u64 {
    run(collection(database, name).count_documents(doc! {})).expect("count")
}

/// Inserts documents, for tests that start from existing data.
pub fn insert(database: &str, name: &str, docs: Vec<Document>) {
    run(collection(database, name).insert_many(docs)).expect("insert_many");
}

/// Drops a database (tests clean up after themselves on success).
pub fn drop_database(database: &str) {
    let _ = run(client().database(database).drop());
}

/// The `_id` as Extended JSON text, for sorting and messages.
pub fn id_text(doc: &Document) -> String {
    doc.get("_id")
        .map(|id| id.clone().into_relaxed_extjson().to_string())
        .unwrap_or_default()
}

/// Whether the server matches documents by an embedded-document `_id` (`{_id: {id: 1}}`), as
/// MongoDB does. nx-27017 stores such documents but cannot find them again, so tests skip the
/// updates and deletes that need it there.
pub fn matches_document_ids() -> bool {
    static ANSWER: OnceLock<bool> = OnceLock::new();
    *ANSWER.get_or_init(|| {
        let database = unique_database("probe");
        let probe = collection(&database, "probe");
        let found = run(async {
            probe.insert_one(doc! {"_id": {"id": 1}}).await.ok()?;
            probe.find_one(doc! {"_id": {"id": 1}}).await.ok().flatten()
        })
        .is_some();
        drop_database(&database);
        found
    })
}
