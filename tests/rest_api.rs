//! The Kafka Connect–compatible REST API against a running worker with real connectors
//! (datagen → Kafka → file, and the PostgreSQL sink): every endpoint's status code and JSON shape,
//! the error cases, basic auth, secrets from a config provider, persistence across a restart of
//! the worker, and automatic restart of failed tasks. Needs the services of `scripts/services up`.

mod harness;

use std::path::{Path, PathBuf};
use std::time::Duration;

use harness::postgres::{count, jdbc_url};
use harness::{
    Sluice, create_topic, kafka_bootstrap, read_lines, rest_url, unique, wait_for, write_file,
};
use reqwest::blocking::Client;
use reqwest::{Method, StatusCode};
use serde_json::{Value as Json, json};

const USER: &str = "admin";
const PASSWORD: &str = "s3cret-rest-pw";
const RECORDS: usize = 200;

/// A client of one worker's API.
struct Api {
    base: String,
    client: Client,
    credentials: Option<(String, String)>,
}

/// One answer: status, `Location` header and JSON body (`null` when empty).
struct Answer {
    status: StatusCode,
    location: Option<String>,
    body: Json,
}

impl Api {
    fn new(base: String) -> Api {
        Api {
            base,
            client: Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("http client"),
            credentials: Some((USER.into(), PASSWORD.into())),
        }
    }

    fn anonymous(&self) -> Api {
        Api {
            credentials: None,
            ..Api::new(self.base.clone())
        }
    }

    fn with_password(&self, password: &str) -> Api {
        Api {
            credentials: Some((USER.into(), password.into())),
            ..Api::new(self.base.clone())
        }
    }

    fn call(&self, method: Method, path: &str, body: Option<Json>) -> Answer {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some((user, password)) = &self.credentials {
            request = request.basic_auth(user, Some(password));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().expect("REST request");
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let text = response.text().expect("response body");
        let body = if text.is_empty() {
            Json::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"))
        };
        Answer {
            status,
            location,
            body,
        }
    }

    fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None)
    }

    /// GET that must answer 200.
    fn ok(&self, path: &str) -> Json {
        let answer = self.get(path);
        assert_eq!(answer.status, StatusCode::OK, "GET {path}: {}", answer.body);
        answer.body
    }

    /// Waits until the connector's status matches `check`.
    fn wait_status(&self, name: &str, what: &str, check: impl Fn(&Json) -> bool) -> Json {
        wait_for(what, Duration::from_secs(60), || {
            let status = self.get(&format!("/connectors/{name}/status")).body;
            check(&status).then_some(status)
        })
    }

    /// Waits until the connector and all its tasks (at least one) are in `state`.
    fn wait_state(&self, name: &str, state: &str) -> Json {
        self.wait_status(name, &format!("{name} {state}"), |s| {
            let tasks = s["tasks"].as_array().cloned().unwrap_or_default();
            s["connector"]["state"] == state
                && !tasks.is_empty()
                && tasks.iter().all(|t| t["state"] == state)
        })
    }
}

/// Asserts an error answer: its status and Kafka Connect's `{"error_code","message"}` body.
fn assert_error(answer: &Answer, status: StatusCode, message_part: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(
        answer.body["error_code"],
        json!(status.as_u16()),
        "{}",
        answer.body
    );
    let message = answer.body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(message_part),
        "{message:?} should contain {message_part:?}"
    );
    assert_eq!(
        answer.body.as_object().map(|o| o.len()),
        Some(2),
        "{}",
        answer.body
    );
}

fn worker(dir: &Path, secrets: &Path, extra: &str) -> PathBuf {
    write_file(
        dir,
        "worker.yaml",
        &format!(
            "bootstrap.servers: {}\noffset.storage.file.filename: {}\n\
             offset.flush.interval.ms: 250\nmetrics.listener: ''\nprogress.interval.ms: 0\n\
             consumer.session.timeout.ms: 6000\nconsumer.max.poll.interval.ms: 10000\n\
             config.providers: file\n\
             config.providers.file.class: org.apache.kafka.common.config.provider.FileConfigProvider\n\
             config.providers.file.param.allowed.paths: {}\n\
             rest.auth.type: basic\nrest.auth.basic.username: {USER}\n\
             rest.auth.basic.password: '${{file:{}:rest.password}}'\n{extra}",
            kafka_bootstrap(),
            dir.join("offsets.json").display(),
            dir.display(),
            secrets.display(),
        ),
    )
}

fn start(dir: &Path, worker: &Path, log_name: &str) -> (Sluice, Api) {
    let log = dir.join(log_name);
    let sluice = Sluice::standalone(worker, &[], &log);
    let api = Api::new(rest_url(&log));
    wait_for(
        "the worker to report healthy",
        Duration::from_secs(60),
        || {
            let health = api.anonymous().get("/health");
            (health.status == StatusCode::OK).then_some(health.body)
        },
    );
    (sluice, api)
}

fn datagen_config(topic: &str) -> Json {
    json!({
        "connector.class": "datagen",
        "kafka.topic": topic,
        "iterations": RECORDS.to_string(),
        "tasks.max": "1",
    })
}

#[test]
fn rest_api_manages_connectors_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("rest-events");
    create_topic(&topic, 1);
    let out = dir.path().join("events.jsonl");
    let secrets = write_file(
        dir.path(),
        "secrets.properties",
        &format!("rest.password={PASSWORD}\nsink.file={}\n", out.display()),
    );
    let worker = worker(dir.path(), &secrets, "");
    let (sluice, api) = start(dir.path(), &worker, "sluice.log");

    // Health and auth: /health is open, everything else needs the credentials.
    let health = api.anonymous().get("/health");
    assert_eq!(health.body["status"], "healthy");
    assert!(health.body["message"].is_string());
    for client in [api.anonymous(), api.with_password("wrong")] {
        let denied = client.get("/connectors");
        assert_error(&denied, StatusCode::UNAUTHORIZED, "");
    }
    assert_eq!(api.ok("/connectors"), json!([]));

    // GET /: version, commit, cluster id.
    let root = api.ok("/");
    assert_eq!(root["version"], env!("CARGO_PKG_VERSION"));
    assert!(root["commit"].is_string(), "{root}");
    assert!(
        root.as_object().unwrap().contains_key("kafka_cluster_id"),
        "{root}"
    );

    plugins(&api);

    // POST /connectors: 201, Location, ConnectorInfo.
    let created = api.call(
        Method::POST,
        "/connectors",
        Some(json!({"name": " source ", "config": datagen_config(&topic)})),
    );
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(
        created
            .location
            .as_deref()
            .map(|l| l.ends_with("/connectors/source")),
        Some(true)
    );
    let mut expected_config = datagen_config(&topic);
    expected_config["name"] = json!("source");
    assert_eq!(created.body["name"], "source");
    assert_eq!(created.body["config"], expected_config);
    assert_eq!(created.body["type"], "source");
    assert_eq!(
        created.body["tasks"],
        json!([{"connector": "source", "task": 0}])
    );

    // Error cases on create.
    let duplicate = api.call(
        Method::POST,
        "/connectors",
        Some(json!({"name": "source", "config": datagen_config(&topic)})),
    );
    assert_error(
        &duplicate,
        StatusCode::CONFLICT,
        "Connector source already exists",
    );
    let invalid = api.call(
        Method::POST,
        "/connectors",
        Some(json!({"name": "broken", "config": {
            "connector.class": "FileStreamSink", "tasks.max": "zero", "errors.tolerance": "some",
            "file": "/tmp/never-written"
        }})),
    );
    assert_error(
        &invalid,
        StatusCode::BAD_REQUEST,
        "contains the following 3 error(s)",
    );
    let message = invalid.body["message"].as_str().unwrap();
    for key in ["tasks.max", "errors.tolerance", "topics"] {
        assert!(message.contains(key), "{message} should name {key}");
    }
    let mismatch = api.call(
        Method::POST,
        "/connectors",
        Some(json!({"name": "a", "config": {"name": "b", "connector.class": "datagen"}})),
    );
    assert_error(&mismatch, StatusCode::BAD_REQUEST, "doesn't match");
    assert_error(
        &api.get("/connectors/broken"),
        StatusCode::NOT_FOUND,
        "Connector broken not found",
    );

    // The sink's output path comes from the secrets file; GET shows the reference.
    let reference = format!("${{file:{}:sink.file}}", secrets.display());
    let sink_config = json!({
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "topics": topic,
        "file": reference,
        "consumer.override.group.id": unique("rest-sink"),
    });
    let put = api.call(
        Method::PUT,
        "/connectors/sink/config",
        Some(sink_config.clone()),
    );
    assert_eq!(put.status, StatusCode::CREATED, "{}", put.body);
    assert_eq!(put.body["type"], "sink");
    wait_for(
        "every record in the sink's file",
        Duration::from_secs(90),
        || (read_lines(&out).len() >= RECORDS).then_some(()),
    );
    assert_eq!(read_lines(&out).len(), RECORDS);
    assert_eq!(api.ok("/connectors/sink/config")["file"], json!(reference));

    listing_and_status(&api);
    topics(&api, &topic);
    lifecycle(&api);
    sink_offsets(&api, &topic, &out);
    source_offsets(&api, &out);
    secrets_are_masked(&api, &topic);
    loggers(&api);

    // DELETE, then 404.
    let deleted = api.call(Method::DELETE, "/connectors/source", None);
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_error(
        &api.get("/connectors/source"),
        StatusCode::NOT_FOUND,
        "not found",
    );
    assert_error(&api.get("/nowhere"), StatusCode::NOT_FOUND, "");

    // REST-created connectors survive a restart of the worker, with their target states.
    assert_eq!(sluice.terminate(), Some(0));
    let (_sluice, api) = start(dir.path(), &worker, "sluice-restarted.log");
    assert_eq!(api.ok("/connectors"), json!(["pg", "sink"]));
    api.wait_state("sink", "RUNNING");
    let pg = api.ok("/connectors/pg/status");
    assert_eq!(pg["connector"]["state"], "STOPPED");
    assert_eq!(pg["tasks"], json!([]));
    assert_eq!(
        api.ok("/connectors/pg/config")["connection.password"],
        "[hidden]"
    );
}

/// GET /connector-plugins, the plugin's config keys and validation.
fn plugins(api: &Api) {
    let plugins = api.ok("/connector-plugins");
    let list = plugins.as_array().unwrap();
    assert!(list.iter().any(|p| p["class"]
        == "org.apache.kafka.connect.file.FileStreamSinkConnector"
        && p["type"] == "sink"
        && p["version"].is_string()));
    assert!(
        list.iter()
            .all(|p| p["type"] == "source" || p["type"] == "sink")
    );
    let all = api.ok("/connector-plugins?connectorsOnly=false");
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .any(|p| p["type"] == "transformation")
    );

    let keys = api.ok("/connector-plugins/FileStreamSink/config");
    let file = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "file")
        .expect("the file key");
    for field in [
        "type",
        "required",
        "default_value",
        "importance",
        "documentation",
        "order",
    ] {
        assert!(
            file.as_object().unwrap().contains_key(field),
            "{file} lacks {field}"
        );
    }
    assert_error(
        &api.get("/connector-plugins/NoSuchConnector/config"),
        StatusCode::NOT_FOUND,
        "NoSuchConnector",
    );

    let validated = api.call(
        Method::PUT,
        "/connector-plugins/FileStreamSinkConnector/config/validate",
        Some(json!({"connector.class": "FileStreamSinkConnector", "name": "v", "file": "/tmp/v"})),
    );
    assert_eq!(validated.status, StatusCode::OK, "{}", validated.body);
    let infos = &validated.body;
    assert_eq!(
        infos["name"],
        "org.apache.kafka.connect.file.FileStreamSinkConnector"
    );
    assert_eq!(infos["error_count"], 1, "{infos}");
    let topics = infos["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["name"] == "topics")
        .expect("topics in configs");
    assert_eq!(topics["value"]["errors"].as_array().map(Vec::len), Some(1));
    assert!(infos["groups"].is_array());
    let mismatch = api.call(
        Method::PUT,
        "/connector-plugins/FileStreamSinkConnector/config/validate",
        Some(json!({"connector.class": "datagen"})),
    );
    assert_error(&mismatch, StatusCode::BAD_REQUEST, "does not match");
}

fn listing_and_status(api: &Api) {
    assert_eq!(api.ok("/connectors"), json!(["sink", "source"]));
    let running = api.wait_state("source", "RUNNING");
    assert_eq!(running["name"], "source");
    assert_eq!(running["type"], "source");
    let worker_id = running["connector"]["worker_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(worker_id.contains(':'), "{worker_id}");
    assert_eq!(
        running["tasks"],
        json!([{"id": 0, "state": "RUNNING", "worker_id": worker_id}])
    );
    assert!(running["connector"].get("trace").is_none());

    let expanded = api.ok("/connectors?expand=status");
    assert_eq!(
        expanded["source"]["status"]["connector"]["state"],
        "RUNNING"
    );
    assert!(expanded["source"].get("info").is_none());
    let both = api.ok("/connectors?expand=status&expand=info&expand=unknown");
    assert_eq!(both["sink"]["info"]["type"], "sink");
    assert_eq!(both["sink"]["status"]["name"], "sink");

    let info = api.ok("/connectors/source");
    assert_eq!(info["tasks"], json!([{"connector": "source", "task": 0}]));
    let tasks = api.ok("/connectors/source/tasks");
    assert_eq!(tasks[0]["id"], json!({"connector": "source", "task": 0}));
    assert!(tasks[0]["config"].is_object());
    let task = api.ok("/connectors/source/tasks/0/status");
    assert_eq!(
        task,
        json!({"id": 0, "state": "RUNNING", "worker_id": worker_id})
    );
    assert_error(
        &api.get("/connectors/source/tasks/7/status"),
        StatusCode::NOT_FOUND,
        "",
    );
    assert_error(
        &api.get("/connectors/none/status"),
        StatusCode::NOT_FOUND,
        "Connector none not found",
    );
    assert_error(
        &api.get("/connectors/none/tasks"),
        StatusCode::NOT_FOUND,
        "not found",
    );
}

fn topics(api: &Api, topic: &str) {
    assert_eq!(
        api.ok("/connectors/source/topics"),
        json!({"source": {"topics": [topic]}})
    );
    assert_eq!(
        api.ok("/connectors/sink/topics"),
        json!({"sink": {"topics": [topic]}})
    );
    let reset = api.call(Method::PUT, "/connectors/sink/topics/reset", None);
    assert_eq!(reset.status, StatusCode::ACCEPTED);
    // Every record was consumed already, so nothing re-records the topic.
    assert_eq!(
        api.ok("/connectors/sink/topics"),
        json!({"sink": {"topics": []}})
    );
}

/// Pause, resume, the three kinds of restart, and stop.
fn lifecycle(api: &Api) {
    let paused = api.call(Method::PUT, "/connectors/source/pause", None);
    assert_eq!(paused.status, StatusCode::ACCEPTED);
    api.wait_state("source", "PAUSED");
    let resumed = api.call(Method::PUT, "/connectors/source/resume", None);
    assert_eq!(resumed.status, StatusCode::ACCEPTED);
    api.wait_state("source", "RUNNING");

    let plain = api.call(Method::POST, "/connectors/source/restart", None);
    assert_eq!(plain.status, StatusCode::NO_CONTENT);
    assert_eq!(plain.body, Json::Null);
    let with_tasks = api.call(
        Method::POST,
        "/connectors/source/restart?includeTasks=true",
        None,
    );
    assert_eq!(
        with_tasks.status,
        StatusCode::ACCEPTED,
        "{}",
        with_tasks.body
    );
    assert_eq!(with_tasks.body["connector"]["state"], "RESTARTING");
    assert_eq!(with_tasks.body["tasks"][0]["state"], "RESTARTING");
    api.wait_state("source", "RUNNING");
    let only_failed = api.call(
        Method::POST,
        "/connectors/source/restart?includeTasks=true&onlyFailed=true",
        None,
    );
    assert_eq!(only_failed.status, StatusCode::ACCEPTED);
    assert_eq!(
        only_failed.body["connector"]["state"], "RUNNING",
        "nothing failed"
    );
    assert_eq!(only_failed.body["tasks"][0]["state"], "RUNNING");
    let task = api.call(Method::POST, "/connectors/source/tasks/0/restart", None);
    assert_eq!(task.status, StatusCode::NO_CONTENT);
    api.wait_state("source", "RUNNING");
    assert_error(
        &api.call(Method::POST, "/connectors/source/tasks/5/restart", None),
        StatusCode::NOT_FOUND,
        "",
    );

    // Offsets of a running connector cannot change.
    let running = api.call(Method::DELETE, "/connectors/source/offsets", None);
    assert_error(
        &running,
        StatusCode::BAD_REQUEST,
        "Connectors must be in the STOPPED state",
    );

    let stopped = api.call(Method::PUT, "/connectors/source/stop", None);
    assert_eq!(stopped.status, StatusCode::NO_CONTENT);
    let status = api.ok("/connectors/source/status");
    assert_eq!(status["connector"]["state"], "STOPPED");
    assert_eq!(status["tasks"], json!([]));
    assert_eq!(api.ok("/connectors/source/tasks"), json!([]));
    assert_eq!(api.ok("/connectors/source")["tasks"], json!([]));
}

/// The sink's offsets are its group's; moving them back replays records into the file.
fn sink_offsets(api: &Api, topic: &str, out: &Path) {
    let patch = json!({"offsets": [{
        "partition": {"kafka_topic": topic, "kafka_partition": 0},
        "offset": {"kafka_offset": 150}
    }]});
    let running = api.call(
        Method::PATCH,
        "/connectors/sink/offsets",
        Some(patch.clone()),
    );
    assert_error(&running, StatusCode::BAD_REQUEST, "STOPPED state");

    assert_eq!(
        api.call(Method::PUT, "/connectors/sink/stop", None).status,
        StatusCode::NO_CONTENT
    );
    let offsets = api.ok("/connectors/sink/offsets");
    assert_eq!(
        offsets,
        json!({"offsets": [{
            "partition": {"kafka_topic": topic, "kafka_partition": 0},
            "offset": {"kafka_offset": RECORDS}
        }]})
    );
    let altered = api.call(Method::PATCH, "/connectors/sink/offsets", Some(patch));
    assert_eq!(altered.status, StatusCode::OK, "{}", altered.body);
    assert_eq!(
        altered.body,
        json!({"message": "The offsets for this connector have been altered successfully"})
    );
    let empty = api.call(
        Method::PATCH,
        "/connectors/sink/offsets",
        Some(json!({"offsets": []})),
    );
    assert_error(&empty, StatusCode::BAD_REQUEST, "");
    assert_eq!(
        api.ok("/connectors/sink/offsets")["offsets"][0]["offset"],
        json!({"kafka_offset": 150})
    );
    assert_eq!(
        api.call(Method::PUT, "/connectors/sink/resume", None)
            .status,
        StatusCode::ACCEPTED
    );
    api.wait_state("sink", "RUNNING");
    wait_for("the replayed records", Duration::from_secs(60), || {
        (read_lines(out).len() == RECORDS + 50).then_some(())
    });
}

/// The source's offsets are in the offsets file; resetting them makes datagen start over.
fn source_offsets(api: &Api, out: &Path) {
    let offsets = api.ok("/connectors/source/offsets");
    let entries = offsets["offsets"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{offsets}");
    assert!(entries[0]["partition"].is_object() && entries[0]["offset"].is_object());
    let reset = api.call(Method::DELETE, "/connectors/source/offsets", None);
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    assert_eq!(
        reset.body,
        json!({"message": "The offsets for this connector have been reset successfully"})
    );
    assert_eq!(api.ok("/connectors/source/offsets"), json!({"offsets": []}));
    assert_eq!(
        api.call(Method::PUT, "/connectors/source/resume", None)
            .status,
        StatusCode::ACCEPTED
    );
    api.wait_state("source", "RUNNING");
    wait_for("a second round of records", Duration::from_secs(90), || {
        (read_lines(out).len() == 2 * RECORDS + 50).then_some(())
    });
}

/// A literal password is masked everywhere; a PUT of what GET showed keeps it; a PATCH works.
fn secrets_are_masked(api: &Api, topic: &str) {
    let table = unique("rest_pg").replace('-', "_");
    let config = json!({
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "topics": topic,
        "connection.url": jdbc_url(),
        "connection.password": "hunter22-not-shown",
        "table.name.format": table,
        "auto.create": "true",
        "insert.mode": "insert",
        // The broker outlives test runs, and the test broker keeps a group rebalancing for
        // minutes once its leader left in the middle of a join (docs/distributed.md): each run's
        // sink gets its own group.
        "consumer.override.group.id": unique("rest-pg"),
    });
    let created = api.call(
        Method::POST,
        "/connectors",
        Some(json!({"name": "pg", "config": config, "initial_state": "RUNNING"})),
    );
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["config"]["connection.password"], "[hidden]");
    api.wait_state("pg", "RUNNING");
    wait_for("rows in PostgreSQL", Duration::from_secs(90), || {
        let status = api.ok("/connectors/pg/status");
        assert_ne!(status["tasks"][0]["state"], "FAILED", "{status}");
        let created = count(&format!(
            "SELECT count(*) FROM pg_tables WHERE tablename = '{table}'"
        )) == 1;
        let rows = || count(&format!("SELECT count(*) FROM \"{table}\""));
        (created && rows() >= RECORDS as i64).then_some(())
    });

    let shown = api.ok("/connectors/pg/config");
    assert_eq!(shown["connection.password"], "[hidden]");
    let tasks = api.ok("/connectors/pg/tasks");
    assert!(!tasks.to_string().contains("hunter22"), "{tasks}");
    let expanded = api.ok("/connectors?expand=info");
    assert!(!expanded.to_string().contains("hunter22"));
    let validated = api.call(
        Method::PUT,
        "/connector-plugins/JdbcSinkConnector/config/validate",
        Some(config.clone()),
    );
    assert!(!validated.body.to_string().contains("hunter22"));

    let replaced = api.call(Method::PUT, "/connectors/pg/config", Some(shown));
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    let patched = api.call(
        Method::PATCH,
        "/connectors/pg/config",
        Some(json!({"batch.size": "500", "insert.mode": null})),
    );
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["config"]["batch.size"], "500");
    assert!(patched.body["config"].get("insert.mode").is_none());
    api.wait_state("pg", "RUNNING");
    let stopped = api.call(Method::PUT, "/connectors/pg/stop", None);
    assert_eq!(stopped.status, StatusCode::NO_CONTENT);
}

fn loggers(api: &Api) {
    let all = api.ok("/admin/loggers");
    assert!(all["root"]["level"].is_string(), "{all}");
    let set = api.call(
        Method::PUT,
        "/admin/loggers/sluice_runtime::herder",
        Some(json!({"level": "DEBUG"})),
    );
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(set.body, json!(["sluice_runtime::herder"]));
    let one = api.ok("/admin/loggers/sluice_runtime::herder");
    assert_eq!(one["level"], "DEBUG");
    assert!(one["last_modified"].is_number());
    let bad = api.call(
        Method::PUT,
        "/admin/loggers/sluice_runtime",
        Some(json!({"level": "LOUD"})),
    );
    assert_error(&bad, StatusCode::BAD_REQUEST, "LOUD");
}

/// A task that fails is restarted with backoff up to `sluice.task.restart.max.attempts`, then
/// left FAILED with its trace; a manual restart starts over.
#[test]
fn failed_tasks_restart_with_backoff_up_to_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = write_file(
        dir.path(),
        "secrets.properties",
        &format!("rest.password={PASSWORD}\n"),
    );
    let worker = worker(
        dir.path(),
        &secrets,
        "sluice.task.restart.enabled: true\nsluice.task.restart.initial.backoff.ms: 200\n\
         sluice.task.restart.max.backoff.ms: 60000\nsluice.task.restart.max.attempts: 2\n",
    );
    let (_sluice, api) = start(dir.path(), &worker, "sluice.log");
    let log = dir.path().join("sluice.log");
    // Nothing listens on port 1: the task cannot connect and fails at start.
    let config = json!({
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "topics": unique("rest-unreachable"),
        "connection.url": "jdbc:postgresql://127.0.0.1:1/test?user=sluice",
        "connection.attempts": "1",
    });
    let created = api.call(Method::PUT, "/connectors/unreachable/config", Some(config));
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);

    let restarts = |text: &str| text.matches("restarting failed task after backoff").count();
    let failed = api.wait_status("unreachable", "the task FAILED after its restarts", |s| {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        s["tasks"][0]["state"] == "FAILED" && restarts(&text) == 2
    });
    assert!(
        failed["tasks"][0]["trace"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{failed}"
    );
    // No third attempt comes.
    std::thread::sleep(Duration::from_secs(2));
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(restarts(&text), 2, "{text}");
    assert_eq!(
        api.ok("/connectors/unreachable/status")["tasks"][0]["state"],
        "FAILED"
    );

    // A manual restart forgets the attempts: the task is retried automatically again.
    let restarted = api.call(
        Method::POST,
        "/connectors/unreachable/tasks/0/restart",
        None,
    );
    assert_eq!(restarted.status, StatusCode::NO_CONTENT);
    wait_for(
        "a fresh round of automatic restarts",
        Duration::from_secs(30),
        || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            (restarts(&text) == 4).then_some(())
        },
    );
}
