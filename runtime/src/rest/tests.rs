//! The API over HTTP against a small in-memory herder: status codes, headers and JSON shapes of
//! the routes, the error body everywhere, authentication, and connector writes forwarded to a
//! leader.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sluice_api::Props;
use sluice_api::config::props;
use tokio_util::sync::CancellationToken;

use super::config::RestConfig;
use super::{FORWARDED_HEADER, RestServer, RestState, serve};
use crate::herder::entities::{
    ConfigInfos, ConnectorInfo, ConnectorOffsets, ConnectorState, ConnectorStateInfo, TaskInfo,
    TaskRef, TaskState,
};
use crate::herder::{
    Herder, HerderError, HerderResult, REBALANCE_IN_PROGRESS, RestartRequest, TargetState,
    WriteRoute, Written,
};
use crate::logging::LogControl;
use crate::registry::Registry;
use crate::worker::status::TaskId;

/// Connectors are configs in a map, each with one task; everything runs.
#[derive(Default)]
struct FakeHerder {
    connectors: Mutex<BTreeMap<String, Props>>,
    starting: AtomicBool,
}

impl FakeHerder {
    fn config(&self, name: &str) -> HerderResult<Props> {
        let connectors = self.connectors.lock().unwrap();
        connectors
            .get(name)
            .cloned()
            .ok_or_else(|| HerderError::connector_not_found(name))
    }

    fn info(name: &str, config: Props) -> ConnectorInfo {
        ConnectorInfo {
            name: name.to_string(),
            config,
            tasks: vec![TaskRef {
                connector: name.to_string(),
                task: 0,
            }],
            kind: "source".to_string(),
        }
    }

    fn status(name: &str, state: &str) -> ConnectorStateInfo {
        ConnectorStateInfo {
            name: name.to_string(),
            connector: ConnectorState {
                state: state.to_string(),
                worker_id: "fake:8083".to_string(),
                trace: None,
            },
            tasks: vec![TaskState {
                id: 0,
                state: state.to_string(),
                worker_id: "fake:8083".to_string(),
                trace: None,
            }],
            kind: "source".to_string(),
        }
    }
}

#[async_trait]
impl Herder for FakeHerder {
    fn worker_id(&self) -> &str {
        "fake:8083"
    }

    fn is_ready(&self) -> bool {
        !self.starting.load(Ordering::SeqCst)
    }

    async fn connectors(&self) -> Vec<String> {
        self.connectors.lock().unwrap().keys().cloned().collect()
    }

    async fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo> {
        Ok(Self::info(name, self.config(name)?))
    }

    async fn connector_config(&self, name: &str) -> HerderResult<Props> {
        self.config(name)
    }

    async fn connector_status(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        self.config(name)?;
        Ok(Self::status(name, "RUNNING"))
    }

    async fn task_status(&self, id: &TaskId) -> HerderResult<TaskState> {
        let status = self.connector_status(&id.connector).await?;
        status
            .tasks
            .into_iter()
            .find(|t| t.id == id.task)
            .ok_or_else(|| HerderError::NotFound(format!("Task {id} not found")))
    }

    async fn tasks(&self, name: &str) -> HerderResult<Vec<TaskInfo>> {
        let config = self.config(name)?;
        Ok(vec![TaskInfo {
            id: TaskRef {
                connector: name.to_string(),
                task: 0,
            },
            config,
        }])
    }

    async fn put_connector(
        &self,
        name: &str,
        config: Props,
        _initial_state: Option<TargetState>,
        allow_replace: bool,
    ) -> HerderResult<Written> {
        let mut connectors = self.connectors.lock().unwrap();
        let exists = connectors.contains_key(name);
        if exists && !allow_replace {
            return Err(HerderError::AlreadyExists(format!(
                "Connector {name} already exists"
            )));
        }
        connectors.insert(name.to_string(), config.clone());
        Ok(Written {
            created: !exists,
            info: Self::info(name, config),
        })
    }

    async fn patch_connector(
        &self,
        name: &str,
        patch: Vec<(String, Option<String>)>,
    ) -> HerderResult<ConnectorInfo> {
        let mut config = self.config(name)?;
        for (key, value) in patch {
            match value {
                Some(value) => config.insert(key, value),
                None => config.remove(&key),
            };
        }
        self.connectors
            .lock()
            .unwrap()
            .insert(name.to_string(), config.clone());
        Ok(Self::info(name, config))
    }

    async fn delete_connector(&self, name: &str) -> HerderResult<()> {
        let removed = self.connectors.lock().unwrap().remove(name);
        removed
            .map(|_| ())
            .ok_or_else(|| HerderError::connector_not_found(name))
    }

    async fn set_target_state(&self, name: &str, _state: TargetState) -> HerderResult<()> {
        self.config(name).map(|_| ())
    }

    async fn restart_connector(
        &self,
        name: &str,
        request: RestartRequest,
    ) -> HerderResult<Option<ConnectorStateInfo>> {
        self.config(name)?;
        Ok(
            (request.include_tasks || request.only_failed)
                .then(|| Self::status(name, "RESTARTING")),
        )
    }

    async fn restart_task(&self, id: &TaskId) -> HerderResult<()> {
        self.task_status(id).await.map(|_| ())
    }

    async fn offsets(&self, name: &str) -> HerderResult<ConnectorOffsets> {
        self.config(name)?;
        Ok(ConnectorOffsets {
            offsets: Vec::new(),
        })
    }

    async fn alter_offsets(&self, name: &str, _offsets: ConnectorOffsets) -> HerderResult<String> {
        self.config(name)?;
        Ok("The offsets for this connector have been altered successfully".to_string())
    }

    async fn reset_offsets(&self, name: &str) -> HerderResult<String> {
        self.config(name)?;
        Ok("The offsets for this connector have been reset successfully".to_string())
    }

    async fn active_topics(&self, name: &str) -> HerderResult<Vec<String>> {
        self.config(name)?;
        Ok(vec!["events".to_string()])
    }

    async fn reset_active_topics(&self, name: &str) -> HerderResult<()> {
        self.config(name).map(|_| ())
    }

    async fn validate(&self, config: &Props) -> ConfigInfos {
        ConfigInfos {
            name: config.get("connector.class").cloned().unwrap_or_default(),
            error_count: 0,
            groups: Vec::new(),
            configs: Vec::new(),
        }
    }
}

/// A [`FakeHerder`] on a worker of a distributed cluster, as far as the API can tell: the
/// fake's connectors, and connector writes sent where the test says.
struct Routed {
    inner: Arc<FakeHerder>,
    route: Arc<Mutex<WriteRoute>>,
}

#[async_trait]
impl Herder for Routed {
    fn worker_id(&self) -> &str {
        self.inner.worker_id()
    }

    fn is_ready(&self) -> bool {
        self.inner.is_ready()
    }

    fn write_route(&self) -> WriteRoute {
        self.route.lock().unwrap().clone()
    }

    async fn connectors(&self) -> Vec<String> {
        self.inner.connectors().await
    }

    async fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo> {
        self.inner.connector_info(name).await
    }

    async fn connector_config(&self, name: &str) -> HerderResult<Props> {
        self.inner.connector_config(name).await
    }

    async fn connector_status(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        self.inner.connector_status(name).await
    }

    async fn task_status(&self, id: &TaskId) -> HerderResult<TaskState> {
        self.inner.task_status(id).await
    }

    async fn tasks(&self, name: &str) -> HerderResult<Vec<TaskInfo>> {
        self.inner.tasks(name).await
    }

    async fn put_connector(
        &self,
        name: &str,
        config: Props,
        initial_state: Option<TargetState>,
        allow_replace: bool,
    ) -> HerderResult<Written> {
        self.inner
            .put_connector(name, config, initial_state, allow_replace)
            .await
    }

    async fn patch_connector(
        &self,
        name: &str,
        patch: Vec<(String, Option<String>)>,
    ) -> HerderResult<ConnectorInfo> {
        self.inner.patch_connector(name, patch).await
    }

    async fn delete_connector(&self, name: &str) -> HerderResult<()> {
        self.inner.delete_connector(name).await
    }

    async fn set_target_state(&self, name: &str, state: TargetState) -> HerderResult<()> {
        self.inner.set_target_state(name, state).await
    }

    async fn restart_connector(
        &self,
        name: &str,
        request: RestartRequest,
    ) -> HerderResult<Option<ConnectorStateInfo>> {
        self.inner.restart_connector(name, request).await
    }

    async fn restart_task(&self, id: &TaskId) -> HerderResult<()> {
        self.inner.restart_task(id).await
    }

    async fn put_task_configs(&self, name: &str, configs: Vec<Props>) -> HerderResult<()> {
        self.inner.put_task_configs(name, configs).await
    }

    async fn offsets(&self, name: &str) -> HerderResult<ConnectorOffsets> {
        self.inner.offsets(name).await
    }

    async fn alter_offsets(&self, name: &str, offsets: ConnectorOffsets) -> HerderResult<String> {
        self.inner.alter_offsets(name, offsets).await
    }

    async fn reset_offsets(&self, name: &str) -> HerderResult<String> {
        self.inner.reset_offsets(name).await
    }

    async fn active_topics(&self, name: &str) -> HerderResult<Vec<String>> {
        self.inner.active_topics(name).await
    }

    async fn reset_active_topics(&self, name: &str) -> HerderResult<()> {
        self.inner.reset_active_topics(name).await
    }

    async fn validate(&self, config: &Props) -> ConfigInfos {
        self.inner.validate(config).await
    }
}

/// A served API and a client of it.
struct Api {
    base: String,
    client: reqwest::Client,
    herder: Arc<FakeHerder>,
    /// Where the served herder sends connector writes; [`WriteRoute::Here`] unless changed.
    route: Arc<Mutex<WriteRoute>>,
    cancel: CancellationToken,
    server: RestServer,
}

/// One answer: status, `Location`, `Content-Type` and the JSON body (`null` when empty).
struct Answer {
    status: StatusCode,
    location: Option<String>,
    content_type: Option<String>,
    body: Value,
}

impl Api {
    async fn start(worker: &[(&str, &str)]) -> Api {
        let mut settings = vec![("listeners", "http://127.0.0.1:0")];
        // Later pairs win, so a test may choose its own listeners.
        settings.extend_from_slice(worker);
        let config = RestConfig::from_worker(&props(&settings)).unwrap();
        let herder = Arc::new(FakeHerder::default());
        let route = Arc::new(Mutex::new(WriteRoute::Here));
        let routed = Routed {
            inner: herder.clone(),
            route: route.clone(),
        };
        let state = RestState {
            herder: Arc::new(routed),
            registry: Arc::new(Registry::builtin()),
            logs: Arc::new(LogControl::detached("info")),
            kafka_cluster_id: Some("cluster-1".to_string()),
        };
        let cancel = CancellationToken::new();
        let server = serve(&config, state, cancel.clone()).await.unwrap();
        Api {
            base: format!("http://{}", server.addrs[0]),
            client: reqwest::Client::new(),
            herder,
            route,
            cancel,
            server,
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request).await
    }

    fn route_writes(&self, route: WriteRoute) {
        *self.route.lock().unwrap() = route;
    }

    async fn stop(self) {
        self.cancel.cancel();
        self.server.stopped().await;
    }
}

async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.unwrap();
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(String::from)
    };
    let (location, content_type) = (header("location"), header("content-type"));
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    };
    Answer {
        status,
        location,
        content_type,
        body,
    }
}

/// Kafka Connect's error body: exactly `error_code` (the status) and `message`.
fn assert_error(answer: &Answer, status: u16, message: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        answer.body,
        json!({"error_code": status, "message": message}),
        "{}",
        answer.body
    );
}

fn source(extra: Value) -> Value {
    let mut config = json!({"connector.class": "datagen", "kafka.topic": "events"});
    if let (Some(config), Value::Object(extra)) = (config.as_object_mut(), extra) {
        config.extend(extra);
    }
    config
}

#[tokio::test]
async fn every_error_has_the_json_error_body() {
    let api = Api::start(&[]).await;
    let missing = api.call(Method::GET, "/connectors/nope", None).await;
    assert_error(&missing, 404, "Connector nope not found");
    let route = api.call(Method::GET, "/nowhere", None).await;
    assert_error(&route, 404, "HTTP 404 Not Found");
    let method = api.call(Method::DELETE, "/connector-plugins", None).await;
    assert_error(&method, 405, "HTTP 405 Method Not Allowed");
    let task = api
        .call(Method::GET, "/connectors/nope/tasks/x/status", None)
        .await;
    assert_error(&task, 404, "Task nope-x not found");

    let broken = api
        .client
        .post(format!("{}/connectors", api.base))
        .header("content-type", "application/json")
        .body("{\"name\": ");
    let broken = answer(broken).await;
    assert_eq!(broken.status, 400);
    assert_eq!(broken.body["error_code"], 400);
    assert!(broken.body["message"].as_str().unwrap().contains("JSON"));
    let wrong_type = api
        .call(Method::PUT, "/connectors/c/config", Some(json!(["a"])))
        .await;
    assert_eq!(wrong_type.status, 400, "{}", wrong_type.body);

    let root = api.call(Method::GET, "/", None).await;
    assert_eq!(root.body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(root.body["kafka_cluster_id"], "cluster-1");
    assert!(root.body["commit"].is_string());
    api.stop().await;
}

#[tokio::test]
async fn connectors_are_created_listed_and_restarted() {
    let api = Api::start(&[]).await;
    let created = api
        .call(
            Method::POST,
            "/connectors",
            Some(json!({"name": " gen ", "config": source(json!({"tasks.max": 1}))})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.location.as_deref(), Some("/connectors/gen"));
    assert_eq!(created.body["name"], "gen");
    assert_eq!(created.body["config"]["name"], "gen");
    assert_eq!(created.body["config"]["tasks.max"], "1");
    assert_eq!(created.body["type"], "source");

    let mismatch = api
        .call(
            Method::POST,
            "/connectors",
            Some(json!({"name": "a", "config": source(json!({"name": "b"}))})),
        )
        .await;
    assert_error(
        &mismatch,
        400,
        "Connector name configuration (b) doesn't match connector name in the URL (a)",
    );
    let unnamed = api
        .call(
            Method::POST,
            "/connectors",
            Some(json!({"config": source(json!({}))})),
        )
        .await;
    assert_error(&unnamed, 400, "Connector name is required");
    let duplicate = api
        .call(
            Method::POST,
            "/connectors",
            Some(json!({"name": "gen", "config": source(json!({}))})),
        )
        .await;
    assert_error(&duplicate, 409, "Connector gen already exists");
    let state = api
        .call(
            Method::POST,
            "/connectors",
            Some(json!({"name": "x", "config": source(json!({})), "initial_state": "ASLEEP"})),
        )
        .await;
    assert_eq!(state.status, 400);

    let put = |config| api.call(Method::PUT, "/connectors/other/config", Some(config));
    assert_eq!(put(source(json!({}))).await.status, 201);
    assert_eq!(put(source(json!({"name": "other"}))).await.status, 200);

    let names = api.call(Method::GET, "/connectors", None).await;
    assert_eq!(names.body, json!(["gen", "other"]));
    let expanded = api
        .call(
            Method::GET,
            "/connectors?expand=status&expand=info&expand=bogus",
            None,
        )
        .await;
    assert_eq!(
        expanded.body["gen"]["status"]["connector"]["state"],
        "RUNNING"
    );
    assert_eq!(expanded.body["gen"]["info"]["config"]["name"], "gen");
    let status_only = api
        .call(Method::GET, "/connectors?expand=status", None)
        .await;
    assert!(status_only.body["other"].get("info").is_none());
    assert!(status_only.body["other"]["status"].is_object());

    let plain = api
        .call(Method::POST, "/connectors/gen/restart", None)
        .await;
    assert_eq!(plain.status, 204);
    assert_eq!(plain.body, Value::Null);
    let with_tasks = api
        .call(
            Method::POST,
            "/connectors/gen/restart?includeTasks=true",
            None,
        )
        .await;
    assert_eq!(with_tasks.status, 202);
    assert_eq!(with_tasks.body["tasks"][0]["state"], "RESTARTING");
    let configs = api
        .call(Method::GET, "/connectors/gen/tasks-config", None)
        .await;
    assert_eq!(configs.body["gen-0"]["name"], "gen");
    let topics = api.call(Method::GET, "/connectors/gen/topics", None).await;
    assert_eq!(topics.body, json!({"gen": {"topics": ["events"]}}));
    let empty = api
        .call(
            Method::PATCH,
            "/connectors/gen/offsets",
            Some(json!({"offsets": []})),
        )
        .await;
    assert_error(
        &empty,
        400,
        "Partitions / offsets need to be provided for an alter offsets request",
    );
    let deleted = api.call(Method::DELETE, "/connectors/gen", None).await;
    assert_eq!(deleted.status, 204);
    api.stop().await;
}

#[tokio::test]
async fn plugins_are_listed_described_and_validated() {
    let api = Api::start(&[]).await;
    let connectors = api.call(Method::GET, "/connector-plugins", None).await;
    let list = connectors.body.as_array().unwrap();
    assert!(
        list.iter()
            .all(|p| p["type"] == "source" || p["type"] == "sink")
    );
    assert!(list.iter().any(|p| p["class"]
        == "org.apache.kafka.connect.file.FileStreamSinkConnector"
        && p["version"] == env!("CARGO_PKG_VERSION")));
    let all = api
        .call(Method::GET, "/connector-plugins?connectorsOnly=false", None)
        .await;
    let kinds: Vec<&str> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["type"].as_str())
        .collect();
    for kind in ["transformation", "predicate", "converter"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }

    let keys = api
        .call(
            Method::GET,
            "/connector-plugins/FileStreamSink/config",
            None,
        )
        .await;
    assert!(
        keys.body
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["name"] == "file")
    );
    let unknown = api
        .call(Method::GET, "/connector-plugins/Nope/config", None)
        .await;
    assert_error(&unknown, 404, "Unknown plugin Nope.");

    let path = "/connector-plugins/FileStreamSinkConnector/config/validate";
    let mismatch = api
        .call(
            Method::PUT,
            path,
            Some(json!({"connector.class": "datagen"})),
        )
        .await;
    assert_error(
        &mismatch,
        400,
        "Included connector type datagen does not match request type FileStreamSinkConnector",
    );
    let alias = json!({"connector.class": "file-sink", "topics": "t"});
    let validated = api.call(Method::PUT, path, Some(alias)).await;
    assert_eq!(validated.status, 200, "{}", validated.body);
    assert_eq!(validated.body["name"], "FileStreamSinkConnector");
    api.stop().await;
}

#[tokio::test]
async fn loggers_change_live() {
    let api = Api::start(&[]).await;
    let path = "/admin/loggers/sluice_runtime::herder";
    let set = api
        .call(Method::PUT, path, Some(json!({"level": "DEBUG"})))
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.body, json!(["sluice_runtime::herder"]));
    let one = api.call(Method::GET, path, None).await;
    assert_eq!(one.body["level"], "DEBUG");
    assert!(one.body["last_modified"].is_number());
    let all = api.call(Method::GET, "/admin/loggers", None).await;
    assert_eq!(all.body["root"]["level"], "INFO");

    let cluster = api
        .call(
            Method::PUT,
            "/admin/loggers/rdkafka?scope=cluster",
            Some(json!({"level": "warn"})),
        )
        .await;
    assert_eq!(cluster.status, 204);
    let missing = api.call(Method::PUT, path, Some(json!({}))).await;
    assert_error(
        &missing,
        400,
        "Desired 'level' parameter was not specified in request.",
    );
    let loud = api
        .call(Method::PUT, path, Some(json!({"level": "LOUD"})))
        .await;
    assert_eq!(loud.status, 400);
    assert!(loud.body["message"].as_str().unwrap().contains("LOUD"));
    api.stop().await;
}

#[tokio::test]
async fn credentials_guard_everything_but_health() {
    let api = Api::start(&[
        ("rest.auth.type", "basic"),
        ("rest.auth.basic.username", "admin"),
        ("rest.auth.basic.password", "s3cret"),
    ])
    .await;
    let denied = api.call(Method::GET, "/connectors", None).await;
    assert_error(&denied, 401, "Authentication required");
    let unknown = api.call(Method::GET, "/nowhere", None).await;
    assert_eq!(unknown.status, 401, "routes are not revealed to strangers");
    let admitted = answer(
        api.client
            .get(format!("{}/connectors", api.base))
            .basic_auth("admin", Some("s3cret")),
    )
    .await;
    assert_eq!(admitted.status, 200);
    assert_eq!(admitted.body, json!([]));

    let health = api.call(Method::GET, "/health", None).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.body["status"], "healthy");
    api.herder.starting.store(true, Ordering::SeqCst);
    let starting = api.call(Method::GET, "/health", None).await;
    assert_eq!(starting.status, 503);
    assert_eq!(starting.body["status"], "starting");
    api.stop().await;
}

#[tokio::test]
async fn https_listeners_serve_the_same_api() {
    let names = vec!["127.0.0.1".to_string()];
    let certified = rcgen::generate_simple_self_signed(names).unwrap();
    let (cert, key) = (certified.cert.pem(), certified.key_pair.serialize_pem());
    let api = Api::start(&[
        ("listeners", "https://127.0.0.1:0"),
        ("ssl.keystore.key", &key),
        ("ssl.keystore.certificate.chain", &cert),
    ])
    .await;
    assert!(api.server.worker_id.starts_with("127.0.0.1:"));
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.as_bytes()).unwrap())
        .build()
        .unwrap();
    let url = format!("https://{}/health", api.server.addrs[0]);
    let health = answer(client.get(url)).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.body["status"], "healthy");
    api.stop().await;
}

/// A base URL nothing listens on.
async fn nowhere() -> String {
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    drop(socket);
    format!("http://{addr}")
}

#[tokio::test]
async fn writes_on_a_follower_are_applied_by_the_leader() {
    let leader = Api::start(&[]).await;
    let follower = Api::start(&[]).await;
    // A trailing slash, as an advertised URL may have one.
    follower.route_writes(WriteRoute::Leader(format!("{}/", leader.base)));

    let created = follower
        .call(
            Method::PUT,
            "/connectors/gen/config",
            Some(source(json!({}))),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.location.as_deref(), Some("/connectors/gen"));
    assert_eq!(created.content_type.as_deref(), Some("application/json"));
    assert_eq!(created.body["name"], "gen");
    assert!(leader.herder.config("gen").is_ok());
    assert!(follower.herder.config("gen").is_err());

    // The leader's refusals arrive as the leader gave them.
    let duplicate = follower
        .call(
            Method::POST,
            "/connectors",
            Some(json!({"name": "gen", "config": source(json!({}))})),
        )
        .await;
    assert_error(&duplicate, 409, "Connector gen already exists");
    let mismatch = follower
        .call(
            Method::PUT,
            "/connectors/gen/config",
            Some(source(json!({"name": "other"}))),
        )
        .await;
    assert_error(
        &mismatch,
        400,
        "Connector name configuration (other) doesn't match connector name in the URL (gen)",
    );
    let missing = follower
        .call(Method::DELETE, "/connectors/nope", None)
        .await;
    assert_error(&missing, 404, "Connector nope not found");
    let tasks = follower
        .call(
            Method::POST,
            "/connectors/gen/tasks",
            Some(json!([{"task.class": "x"}])),
        )
        .await;
    assert_eq!(tasks.status, 403, "{}", tasks.body);

    let deleted = follower.call(Method::DELETE, "/connectors/gen", None).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(deleted.body, Value::Null);
    assert!(leader.herder.config("gen").is_err());
    follower.stop().await;
    leader.stop().await;
}

#[tokio::test]
async fn forwarding_keeps_the_request_and_the_answer() {
    // reqwest's Method and StatusCode are the http crate's, as axum's are.
    use axum::http::{HeaderMap, HeaderValue, Uri};
    use axum::response::{IntoResponse, Response};

    // A leader that tells what reached it, with a status and type no handler of the API uses.
    async fn echo(method: Method, uri: Uri, headers: HeaderMap, body: String) -> Response {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let seen = json!({
            "method": method.as_str(),
            "uri": uri.to_string(),
            "body": body,
            "content-type": header("content-type"),
            "accept": header("accept"),
            "authorization": header("authorization"),
            "forwarded": header(FORWARDED_HEADER),
            "cookie": header("cookie"),
        });
        let mut response = (StatusCode::IM_A_TEAPOT, seen.to_string()).into_response();
        let kind = HeaderValue::from_static("application/vnd.echo+json");
        response.headers_mut().insert("content-type", kind);
        response
    }

    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let leader = format!("http://{}", socket.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let app = axum::Router::new().fallback(echo);
        axum::serve(socket, app).await.unwrap();
    });

    let follower = Api::start(&[]).await;
    follower.route_writes(WriteRoute::Leader(leader));
    let request = follower
        .client
        .patch(format!(
            "{}/connectors/a%20b/offsets?x=1&x=2",
            follower.base
        ))
        .header("content-type", "application/json; charset=utf-8")
        .header("accept", "application/json")
        .header("authorization", "Bearer t0ken")
        .header("cookie", "session=1")
        .body("{\"offsets\": []}");
    let echoed = answer(request).await;
    assert_eq!(echoed.status, 418);
    assert_eq!(
        echoed.content_type.as_deref(),
        Some("application/vnd.echo+json")
    );
    assert_eq!(
        echoed.body,
        json!({
            "method": "PATCH",
            "uri": "/connectors/a%20b/offsets?x=1&x=2",
            "body": "{\"offsets\": []}",
            "content-type": "application/json; charset=utf-8",
            "accept": "application/json",
            "authorization": "Bearer t0ken",
            "forwarded": "fake:8083",
            "cookie": null,
        })
    );

    // Held to the limit of the handlers' bodies (axum's default, 2 MiB) before anything is sent.
    let huge = follower
        .client
        .put(format!("{}/connectors/gen/config", follower.base))
        .header("content-type", "application/json")
        .body(vec![b' '; 2 * 1024 * 1024 + 1]);
    let refused = huge.send().await.unwrap();
    assert_eq!(refused.status(), 413);
    follower.stop().await;
    server.abort();
}

#[tokio::test]
async fn forwarding_passes_the_credentials_on() {
    let credentials = [
        ("rest.auth.type", "basic"),
        ("rest.auth.basic.username", "admin"),
        ("rest.auth.basic.password", "s3cret"),
    ];
    let leader = Api::start(&credentials).await;
    let follower = Api::start(&credentials).await;
    follower.route_writes(WriteRoute::Leader(leader.base.clone()));
    let url = format!("{}/connectors/gen/config", follower.base);

    let denied = follower
        .call(
            Method::PUT,
            "/connectors/gen/config",
            Some(source(json!({}))),
        )
        .await;
    assert_error(&denied, 401, "Authentication required");
    assert!(leader.herder.config("gen").is_err());
    let wrong = answer(
        follower
            .client
            .put(&url)
            .basic_auth("admin", Some("guess"))
            .json(&source(json!({}))),
    )
    .await;
    assert_error(&wrong, 401, "Invalid credentials");

    let admitted = answer(
        follower
            .client
            .put(&url)
            .basic_auth("admin", Some("s3cret"))
            .json(&source(json!({}))),
    )
    .await;
    assert_eq!(admitted.status, 201, "{}", admitted.body);
    assert!(leader.herder.config("gen").is_ok());
    follower.stop().await;
    leader.stop().await;
}

#[tokio::test]
async fn writes_are_refused_while_no_leader_answers() {
    let api = Api::start(&[]).await;
    api.route_writes(WriteRoute::Rebalancing);
    let refused = api
        .call(
            Method::PUT,
            "/connectors/gen/config",
            Some(source(json!({}))),
        )
        .await;
    assert_error(&refused, 409, REBALANCE_IN_PROGRESS);
    let create = api
        .call(
            Method::POST,
            "/connectors",
            Some(json!({"name": "gen", "config": source(json!({}))})),
        )
        .await;
    assert_error(&create, 409, REBALANCE_IN_PROGRESS);

    api.route_writes(WriteRoute::Leader(nowhere().await));
    let gone = api
        .call(Method::POST, "/connectors/gen/restart", None)
        .await;
    assert_error(&gone, 409, REBALANCE_IN_PROGRESS);
    assert!(api.herder.connectors.lock().unwrap().is_empty());
    api.stop().await;
}

#[tokio::test]
async fn forwarded_requests_are_answered_here() {
    let api = Api::start(&[]).await;
    api.route_writes(WriteRoute::Leader(nowhere().await));
    let request = api
        .client
        .put(format!("{}/connectors/gen/config", api.base))
        .header(FORWARDED_HEADER, "other:8083")
        .json(&source(json!({})));
    let created = answer(request).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert!(api.herder.config("gen").is_ok());
    api.stop().await;
}

#[tokio::test]
async fn reads_and_other_paths_are_never_forwarded() {
    let leader = Api::start(&[]).await;
    let created = leader
        .call(
            Method::PUT,
            "/connectors/gen/config",
            Some(source(json!({}))),
        )
        .await;
    assert_eq!(created.status, 201);
    let follower = Api::start(&[]).await;
    follower.route_writes(WriteRoute::Leader(leader.base.clone()));

    let names = follower.call(Method::GET, "/connectors", None).await;
    assert_eq!(names.body, json!([]));
    let info = follower.call(Method::GET, "/connectors/gen", None).await;
    assert_error(&info, 404, "Connector gen not found");
    let head = follower
        .client
        .head(format!("{}/connectors", follower.base))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);

    // Validation and loggers concern this worker, not the cluster's connectors.
    follower.route_writes(WriteRoute::Rebalancing);
    let path = "/connector-plugins/FileStreamSinkConnector/config/validate";
    let config = json!({"connector.class": "file-sink", "topics": "t"});
    let validated = follower.call(Method::PUT, path, Some(config)).await;
    assert_eq!(validated.status, 200, "{}", validated.body);
    let logger = follower
        .call(
            Method::PUT,
            "/admin/loggers/sluice_runtime::rest",
            Some(json!({"level": "DEBUG"})),
        )
        .await;
    assert_eq!(logger.status, 200, "{}", logger.body);
    let health = follower.call(Method::GET, "/health", None).await;
    assert_eq!(health.status, 200);
    follower.stop().await;
    leader.stop().await;
}

#[tokio::test]
async fn task_configs_are_refused_by_a_standalone_worker() {
    let api = Api::start(&[]).await;
    let put = api
        .call(
            Method::POST,
            "/connectors/gen/tasks",
            Some(json!([{"task.class": "x", "n": 1}, {}])),
        )
        .await;
    assert_error(
        &put,
        403,
        "Task configs of gen are written by the leader of a distributed cluster only",
    );
    let nested = api
        .call(
            Method::POST,
            "/connectors/gen/tasks",
            Some(json!([{"topics": ["a"]}])),
        )
        .await;
    assert_eq!(nested.status, 400, "{}", nested.body);
    let object = api
        .call(Method::POST, "/connectors/gen/tasks", Some(json!({})))
        .await;
    assert_eq!(object.status, 400, "{}", object.body);
    api.stop().await;
}
