//! Elasticsearch helpers for integration tests: the server under test, plain REST calls on it,
//! and pausing the server process to simulate an outage.

use std::time::Duration;

use serde_json::Value as Json;

/// The cluster under test (`ELASTICSEARCH_URL`, default the local server).
pub fn url() -> String {
    std::env::var("ELASTICSEARCH_URL").unwrap_or_else(|_| "http://127.0.0.1:9200".to_string())
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

/// Sends a request and returns status and JSON body (`null` when the body is not JSON).
pub fn call(method: reqwest::Method, path: &str, body: Option<Json>) -> (u16, Json) {
    let mut request = client().request(method, format!("{}{path}", url()));
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().expect("request to the search server");
    let status = response.status().as_u16();
    let text = response.text().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Json::Null))
}

/// Every document of `index` as `(_id, _source, _version)`, sorted by id (empty when the index
/// does not exist).
pub fn documents(index: &str) -> Vec<(String, Json, i64)> {
    call(reqwest::Method::POST, &format!("/{index}/_refresh"), None);
    let (status, body) = call(
        reqwest::Method::POST,
        &format!("/{index}/_search?version=true&size=10000"),
        Some(serde_json::json!({"query": {"match_all": {}}, "size": 10000, "version": true})),
    );
    if status == 404 {
        return Vec::new();
    }
    let mut docs: Vec<(String, Json, i64)> = body["hits"]["hits"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|hit| {
            (
                hit["_id"].as_str().unwrap_or_default().to_string(),
                hit["_source"].clone(),
                hit["_version"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    docs.sort_by(|a, b| a.0.cmp(&b.0));
    docs
}

/// One document's source and version, if it exists.
pub fn document(index: &str, id: &str) -> Option<(Json, i64)> {
    let (status, body) = call(reqwest::Method::GET, &format!("/{index}/_doc/{id}"), None);
    (status == 200 && body["found"] == true).then(|| {
        (
            body["_source"].clone(),
            body["_version"].as_i64().unwrap_or(-1),
        )
    })
}

/// The `properties` of an index's mapping.
pub fn properties(index: &str) -> Json {
    let (_, body) = call(reqwest::Method::GET, &format!("/{index}/_mapping"), None);
    body[index]["mappings"]["properties"].clone()
}

/// The pid of the server `scripts/services up` started, when it runs on this machine.
pub fn server_pid() -> Option<u32> {
    let addr = url();
    let addr = addr.trim_start_matches("http://").trim_end_matches('/');
    super::service_pid("elasticsearch", &format!("osmem-server -addr {addr} "))
}
