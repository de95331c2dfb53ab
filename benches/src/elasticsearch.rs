//! `elasticsearch-sink`: a pre-filled topic of keyed, schemaless JSON documents (10 fields)
//! indexed by Sluice's Elasticsearch sink, against a raw bulk loader sending the same documents
//! with the same `_id`s, the same number per `_bulk` request, one request at a time, into another
//! index of the same cluster. Both sides are timed the same way: until `_count` on their index
//! (refreshed) reaches N.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::common::{
    BenchResult, RunResult, Settings, create_topics, documents_bytes, measure, prefill_documents,
    self_command, sluice_command, unique, worker_yaml, write,
};

const PIPELINE: &str = "elasticsearch-sink";
/// Documents per `_bulk` request of the raw loader, Sluice's `batch.size` and the consumer's
/// `max.poll.records` (so that each `put` is one bulk request). 2 000 is the connector's default.
pub const BATCH: u64 = 2_000;
/// How often the progress of a run is read: each read is a refresh and a count on the server
/// under test, so it is kept rare enough not to compete with the load (1% of a 20 s run).
const COUNT_EVERY: Duration = Duration::from_millis(200);
/// Bounds every request of the bench and of both loaders; a slow server takes about a second
/// for one bulk request of `BATCH` documents.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The cluster under test: `ELASTICSEARCH_URL`, else the local server.
pub fn cluster_url() -> String {
    std::env::var("ELASTICSEARCH_URL")
        .unwrap_or_else(|_| "http://127.0.0.1:9200".into())
        .trim_end_matches('/')
        .to_string()
}

/// Document `n`, byte for byte what the topic carries and what the raw loader sends. Decimals are
/// written from integers so that their text is the one a JSON parser renders back.
pub fn document(n: u64) -> String {
    let t = 1500 + n % 1500;
    let h = 300 + n % 400;
    format!(
        "{{\"id\":{n},\"device\":\"device-{:05}\",\"site\":\"plant-{}\",\"temperature\":{}.{:02},\
         \"humidity\":{}.{},\"status\":\"ok\",\"ts\":{},\"counter\":{},\"flag\":{},\"note\":\"note-{}\"}}",
        n % 10_000,
        n % 7,
        t / 100,
        t % 100,
        h / 10,
        h % 10,
        1_704_067_200_000 + n,
        n * 3,
        n.is_multiple_of(2),
        n % 100
    )
}

/// The bulk lines of document `n` as the raw loader sends them: `index` with the key as `_id`.
pub fn bulk_lines(index: &str, n: u64, out: &mut String) {
    out.push_str("{\"index\":{\"_index\":\"");
    out.push_str(index);
    out.push_str("\",\"_id\":\"");
    out.push_str(&n.to_string());
    out.push_str("\"}}\n");
    out.push_str(&document(n));
    out.push('\n');
}

/// Plain REST calls on the cluster.
struct Rest {
    url: String,
    client: reqwest::blocking::Client,
}

impl Rest {
    fn new(url: &str) -> BenchResult<Rest> {
        let client = reqwest::blocking::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
        Ok(Rest {
            url: url.to_string(),
            client,
        })
    }

    /// Sends a request and returns the status and the body as JSON (`null` if it is not).
    fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<(&'static str, String)>,
    ) -> BenchResult<(u16, Json)> {
        let mut request = self.client.request(method, format!("{}{path}", self.url));
        if let Some((content_type, body)) = body {
            request = request.header("content-type", content_type).body(body);
        }
        let response = request.send().map_err(|e| {
            format!(
                "request to {}{path} failed (is the server up? scripts/services up): {e}",
                self.url
            )
        })?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .map_err(|e| format!("reading the response of {}{path} failed: {e}", self.url))?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Json::Null)))
    }

    /// A fresh, empty index with one shard and no replica.
    fn create_index(&self, index: &str) -> BenchResult<()> {
        let settings = r#"{"settings":{"index":{"number_of_shards":1,"number_of_replicas":0}}}"#;
        let (status, body) = self.call(
            reqwest::Method::PUT,
            &format!("/{index}"),
            Some(("application/json", settings.to_string())),
        )?;
        if !(200..300).contains(&status) {
            return Err(format!("cannot create index {index}: {status} {body}"));
        }
        Ok(())
    }

    fn delete_index(&self, index: &str) {
        if let Err(e) = self.call(reqwest::Method::DELETE, &format!("/{index}"), None) {
            eprintln!("{PIPELINE}: {e}");
        }
    }

    /// Documents searchable in `index` after a refresh; 0 when it cannot tell.
    fn count(&self, index: &str) -> u64 {
        let refreshed = self.call(reqwest::Method::POST, &format!("/{index}/_refresh"), None);
        let counted = refreshed
            .and_then(|_| self.call(reqwest::Method::GET, &format!("/{index}/_count"), None));
        match counted {
            Ok((200, body)) => body["count"].as_u64().unwrap_or(0),
            _ => 0,
        }
    }

    fn source(&self, index: &str, id: u64) -> BenchResult<Json> {
        let (status, body) =
            self.call(reqwest::Method::GET, &format!("/{index}/_doc/{id}"), None)?;
        if status != 200 {
            return Err(format!("document {id} of {index}: {status} {body}"));
        }
        Ok(body["_source"].clone())
    }
}

/// Counts an index at most every [`COUNT_EVERY`], as the progress of a measured run.
struct Counter<'a> {
    rest: &'a Rest,
    index: &'a str,
    last: Option<(Instant, u64)>,
}

impl Counter<'_> {
    fn total(&mut self) -> u64 {
        if let Some((at, count)) = self.last
            && at.elapsed() < COUNT_EVERY
        {
            return count;
        }
        let count = self.rest.count(self.index);
        self.last = Some((Instant::now(), count));
        count
    }
}

pub fn run(settings: &Settings, dir: &Path) -> BenchResult<(RunResult, RunResult)> {
    let id = unique("bench-es");
    let url = cluster_url();
    let rest = Rest::new(&url)?;
    let topic = format!("{id}-src");
    let (sluice_index, raw_index) = (format!("{id}-sluice"), format!("{id}-raw"));
    create_topics(&settings.bootstrap, &[&topic], settings.partitions)?;
    rest.create_index(&sluice_index)?;
    rest.create_index(&raw_index)?;
    let result = (|| {
        prefill_documents(settings, PIPELINE, &topic, document)?;
        let sluice = run_sluice(settings, dir, &id, &topic, &rest, &sluice_index)?;
        let raw = run_raw(settings, dir, &rest, &raw_index)?;
        check(settings, &rest, &sluice_index, &raw_index)?;
        Ok((sluice, raw))
    })();
    if !settings.keep {
        rest.delete_index(&sluice_index);
        rest.delete_index(&raw_index);
    }
    result
}

/// Both indexes hold N documents, and the first and last are the same on both sides.
fn check(settings: &Settings, rest: &Rest, sluice: &str, raw: &str) -> BenchResult<()> {
    for index in [sluice, raw] {
        let count = rest.count(index);
        if count != settings.records {
            return Err(format!(
                "{index} holds {count} documents, expected {}",
                settings.records
            ));
        }
    }
    for n in [0, settings.records - 1] {
        let (a, b) = (rest.source(sluice, n)?, rest.source(raw, n)?);
        let expected: Json = serde_json::from_str(&document(n)).map_err(|e| e.to_string())?;
        if a != expected || b != expected {
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
    rest: &Rest,
    index: &str,
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
        "elasticsearch-sink.yaml",
        &format!(
            "name: {id}-sink\n\
             connector.class: io.confluent.connect.elasticsearch.ElasticsearchSinkConnector\n\
             topics: {topic}\nconnection.url: {url}\ntopic.to.index.map: '{topic}:{index}'\n\
             key.ignore: false\nschema.ignore: true\nbatch.size: {BATCH}\n\
             read.timeout.ms: {timeout}\ntasks.max: {tasks}\n",
            url = rest.url,
            timeout = REQUEST_TIMEOUT.as_millis(),
            tasks = settings.partitions
        ),
    )?;
    let mut counter = Counter {
        rest,
        index,
        last: None,
    };
    eprintln!(
        "{PIPELINE}: sluice elasticsearch-sink, {topic} → {index} on {} (batch.size {BATCH})",
        rest.url
    );
    let (progress, usage) = measure(
        settings,
        "sluice",
        sluice_command(settings, &worker, &[connector]),
        &dir.join("sluice-elasticsearch.log"),
        "documents indexed",
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

fn run_raw(settings: &Settings, dir: &Path, rest: &Rest, index: &str) -> BenchResult<RunResult> {
    let mut command = self_command()?;
    command
        .arg("raw-bulk")
        .args(["--url", &rest.url, "--index", index])
        .args(["--records", &settings.records.to_string()]);
    eprintln!(
        "{PIPELINE}: raw bulk loader, the same documents into {index} ({BATCH} per request, one at a time)"
    );
    let mut counter = Counter {
        rest,
        index,
        last: None,
    };
    let (progress, usage) = measure(
        settings,
        "raw",
        command,
        &dir.join("raw-bulk.log"),
        "documents indexed",
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

/// The raw baseline: `_bulk` requests of `BATCH` documents, one after the other, each checked
/// for item errors; then it waits for the bench to close stdin.
pub fn raw_bulk(url: &str, index: &str, records: u64) -> BenchResult<()> {
    let rest = Rest::new(url)?;
    let mut body = String::new();
    let mut n = 0;
    while n < records {
        body.clear();
        let end = (n + BATCH).min(records);
        for i in n..end {
            bulk_lines(index, i, &mut body);
        }
        let (status, reply) = rest.call(
            reqwest::Method::POST,
            "/_bulk",
            Some(("application/x-ndjson", body.clone())),
        )?;
        if status != 200 {
            return Err(format!("raw: bulk request refused: {status} {reply}"));
        }
        if reply["errors"] != Json::Bool(false) {
            let failed = reply["items"]
                .as_array()
                .and_then(|items| items.iter().find(|item| item["index"]["error"].is_object()))
                .cloned()
                .unwrap_or(Json::Null);
            return Err(format!("raw: bulk items failed, e.g. {failed}"));
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
    fn documents_are_json_objects_whose_decimals_read_back_as_written() {
        let doc = document(1234);
        assert_eq!(
            doc,
            "{\"id\":1234,\"device\":\"device-01234\",\"site\":\"plant-2\",\"temperature\":27.34,\
             \"humidity\":33.4,\"status\":\"ok\",\"ts\":1704067201234,\"counter\":3702,\"flag\":true,\
             \"note\":\"note-34\"}"
        );
        let json: Json = serde_json::from_str(&doc).unwrap();
        assert_eq!(json["temperature"].to_string(), "27.34");
        assert_eq!(json["humidity"].to_string(), "33.4");
        assert!(document(10).contains("\"humidity\":31.0,"));
    }

    #[test]
    fn bulk_lines_carry_the_key_as_id() {
        let mut out = String::new();
        bulk_lines("idx", 7, &mut out);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], r#"{"index":{"_index":"idx","_id":"7"}}"#);
        assert_eq!(lines[1], document(7));
        assert!(out.ends_with('\n'));
    }
}
