//! The standalone herder: one worker runs every connector. Connectors come from files given on
//! the command line and from REST requests; the latter are kept in the config store so that
//! they survive a restart (file connectors are read again from their files, which win).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use sluice_api::Props;
use tokio::sync::{Mutex, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::configs::{ConfigContext, patched};
use super::entities::{
    ConfigInfos, ConnectorInfo, ConnectorOffsets, ConnectorState, ConnectorStateInfo, TaskInfo,
    TaskRef, TaskState,
};
use super::restart::{Backoffs, RestartPolicy};
use super::store::{ConfigStore, StoredConnector};
use super::{
    Herder, HerderError, HerderResult, RestartRequest, TargetState, Written, check_topic_reset,
    check_topic_tracking, offsets,
};
use crate::config::providers::{ConfigProviders, Redactor};
use crate::config::{ConnectorSpec, WorkerConfig};
use crate::registry::Registry;
use crate::worker::status::{State, StatusBoard, TaskId};
use crate::worker::topics::ActiveTopics;
use crate::worker::{TaskExit, Worker};

/// What the herder is built from, apart from the worker itself.
pub struct HerderSettings {
    pub registry: Arc<Registry>,
    /// Already resolved through the providers.
    pub worker: WorkerConfig,
    pub providers: ConfigProviders,
    pub restart: RestartPolicy,
    pub store: ConfigStore,
    /// `topic.tracking.enable`, `topic.tracking.allow.reset`.
    pub topic_tracking: bool,
    pub topic_reset: bool,
}

/// A connector the herder knows, whether or not it runs.
struct Connector {
    /// As submitted: provider references unresolved.
    config: Props,
    target: TargetState,
    /// Read from a file at startup; such connectors are not written to the config store.
    from_file: bool,
    /// `source`, `sink`, or `unknown` for a class the registry lacks.
    kind: &'static str,
    /// Hides the values providers produced for this connector from traces.
    redactor: Redactor,
}

struct Inner {
    worker: Worker,
    connectors: BTreeMap<String, Connector>,
    backoffs: Backoffs,
}

struct Shared {
    settings: HerderSettings,
    worker_id: OnceLock<String>,
    ready: AtomicBool,
    status: StatusBoard,
    topics: ActiveTopics,
    inner: Mutex<Inner>,
    /// Delayed restarts and asynchronous restart requests, awaited at shutdown.
    background: TaskTracker,
    cancel: CancellationToken,
}

#[derive(Clone)]
pub struct StandaloneHerder {
    shared: Arc<Shared>,
}

impl StandaloneHerder {
    /// A herder around `worker`, not ready and running nothing until [`StandaloneHerder::start`].
    pub fn new(
        settings: HerderSettings,
        worker: Worker,
        exits: mpsc::UnboundedReceiver<TaskExit>,
        status: StatusBoard,
        topics: ActiveTopics,
        cancel: CancellationToken,
    ) -> Self {
        let herder = StandaloneHerder {
            shared: Arc::new(Shared {
                settings,
                worker_id: OnceLock::new(),
                ready: AtomicBool::new(false),
                status,
                topics,
                inner: Mutex::new(Inner {
                    worker,
                    connectors: BTreeMap::new(),
                    backoffs: Backoffs::default(),
                }),
                background: TaskTracker::new(),
                cancel,
            }),
        };
        let restarts = herder.clone();
        herder
            .shared
            .background
            .spawn(async move { restarts.watch_exits(exits).await });
        herder
    }

    /// Starts the stored connectors and those from files (a file replaces a stored connector of
    /// the same name), then reports ready.
    pub async fn start(
        &self,
        worker_id: String,
        files: Vec<(String, Props)>,
    ) -> sluice_api::ConnectResult<()> {
        let _ = self.shared.worker_id.set(worker_id);
        let mut stored = self.shared.settings.store.load()?;
        let mut inner = self.shared.inner.lock().await;
        for (name, config) in files {
            stored.remove(&name);
            let connector = self.connector(config, TargetState::Started, true);
            inner.connectors.insert(name.clone(), connector);
            self.apply(&mut inner, &name).await;
        }
        for (
            name,
            StoredConnector {
                config,
                target_state,
            },
        ) in stored
        {
            let connector = self.connector(config, target_state, false);
            inner.connectors.insert(name.clone(), connector);
            self.apply(&mut inner, &name).await;
        }
        drop(inner);
        self.shared.ready.store(true, Ordering::Release);
        Ok(())
    }

    /// Stops every connector (each task flushes and commits) and awaits background work.
    pub async fn shutdown(&self) {
        self.shared.cancel.cancel();
        self.shared.background.close();
        self.shared.background.wait().await;
        self.shared.inner.lock().await.worker.shutdown().await;
    }

    fn connector(&self, config: Props, target: TargetState, from_file: bool) -> Connector {
        Connector {
            kind: self.configs().kind(&config),
            config,
            target,
            from_file,
            redactor: Redactor::default(),
        }
    }

    fn configs(&self) -> ConfigContext<'_> {
        let settings = &self.shared.settings;
        ConfigContext {
            registry: &settings.registry,
            worker: &settings.worker,
            providers: &settings.providers,
        }
    }

    fn spec(&self, config: &Props) -> Result<(ConnectorSpec, Redactor), HerderError> {
        self.configs().spec(config)
    }

    /// Brings a known connector to its target state from not running. A config that no longer
    /// resolves or validates (a secret file gone, say) marks the connector FAILED.
    async fn apply(&self, inner: &mut Inner, name: &str) {
        let Some(connector) = inner.connectors.get(name) else {
            return;
        };
        let target = connector.target;
        if target == TargetState::Stopped {
            self.shared.status.set_connector(name, State::Stopped, None);
            return;
        }
        match self.spec(&connector.config) {
            Ok((spec, redactor)) => {
                if let Some(c) = inner.connectors.get_mut(name) {
                    c.redactor = redactor;
                }
                // A start failure is on the status board as FAILED, with its trace.
                let paused = target == TargetState::Paused;
                let _ = inner.worker.start_connector(spec, paused).await;
            }
            Err(err) => {
                tracing::error!(connector = %name, error = %err, "connector config is invalid");
                self.shared
                    .status
                    .set_connector(name, State::Failed, Some(err.to_string()));
            }
        }
    }

    /// Writes the REST-managed connectors to the config store.
    fn persist(&self, inner: &Inner) -> HerderResult<()> {
        let stored = inner
            .connectors
            .iter()
            .filter(|(_, c)| !c.from_file)
            .map(|(name, c)| {
                let entry = StoredConnector {
                    config: c.config.clone(),
                    target_state: c.target,
                };
                (name.clone(), entry)
            })
            .collect();
        self.shared
            .settings
            .store
            .save(&stored)
            .map_err(|e| HerderError::Internal(e.trace()))
    }

    fn info(&self, inner: &Inner, name: &str, connector: &Connector) -> ConnectorInfo {
        let tasks = inner.worker.task_configs(name).map_or(0, <[Props]>::len);
        ConnectorInfo {
            name: name.to_string(),
            config: self.configs().shown(&connector.config),
            tasks: (0..tasks as u32)
                .map(|task| TaskRef {
                    connector: name.to_string(),
                    task,
                })
                .collect(),
            kind: connector.kind.to_string(),
        }
    }

    fn status(&self, name: &str, connector: &Connector) -> ConnectorStateInfo {
        let worker_id = self.worker_id().to_string();
        let redact = |trace: Option<String>| trace.map(|t| connector.redactor.redact(&t));
        let own = self.shared.status.connector(name);
        let (state, trace) = match own {
            Some(s) => (s.state, s.trace),
            None => (State::Unassigned, None),
        };
        let tasks = if connector.target == TargetState::Stopped {
            Vec::new()
        } else {
            self.shared
                .status
                .tasks_of(name)
                .into_iter()
                .map(|(id, s)| TaskState {
                    id,
                    state: s.state.as_str().to_string(),
                    worker_id: worker_id.clone(),
                    trace: redact(s.trace),
                })
                .collect()
        };
        ConnectorStateInfo {
            name: name.to_string(),
            connector: ConnectorState {
                state: state.as_str().to_string(),
                worker_id,
                trace: redact(trace),
            },
            tasks,
            kind: connector.kind.to_string(),
        }
    }

    /// The spec of a STOPPED connector, for offset changes.
    async fn stopped_spec(&self, name: &str) -> HerderResult<ConnectorSpec> {
        let inner = self.shared.inner.lock().await;
        let connector = known(&inner, name)?;
        if connector.target != TargetState::Stopped || inner.worker.is_running(name) {
            return Err(offsets::not_stopped(name));
        }
        Ok(self.spec(&connector.config)?.0)
    }

    /// Restarts FAILED tasks with backoff, when the policy asks for it.
    async fn watch_exits(&self, mut exits: mpsc::UnboundedReceiver<TaskExit>) {
        loop {
            let exit = tokio::select! {
                () = self.shared.cancel.cancelled() => return,
                exit = exits.recv() => match exit {
                    Some(exit) => exit,
                    None => return,
                },
            };
            if !exit.failed {
                continue;
            }
            let policy = &self.shared.settings.restart;
            let delay = {
                let mut inner = self.shared.inner.lock().await;
                inner.backoffs.next_delay(policy, &exit.id, exit.ran_for)
            };
            let Some(delay) = delay else {
                continue;
            };
            tracing::info!(task = %exit.id, delay_ms = delay.as_millis() as u64, "restarting failed task after backoff");
            let herder = self.clone();
            self.shared.background.spawn(async move {
                tokio::select! {
                    () = herder.shared.cancel.cancelled() => {}
                    () = tokio::time::sleep(delay) => herder.restart_failed(exit).await,
                }
            });
        }
    }

    /// Restarts a task that failed, unless it was restarted, stopped or deleted meanwhile.
    async fn restart_failed(&self, exit: TaskExit) {
        let mut inner = self.shared.inner.lock().await;
        let same_run = inner.worker.task_run(&exit.id) == Some(exit.run);
        let wanted = inner
            .connectors
            .get(&exit.id.connector)
            .is_some_and(|c| c.target != TargetState::Stopped);
        if same_run && wanted && !self.shared.cancel.is_cancelled() {
            inner.worker.restart_task(&exit.id).await;
        }
    }

    /// Restarts what a KIP-745 request picked, after its answer has gone out.
    async fn restart_picked(&self, name: String, connector: bool, tasks: Vec<TaskId>) {
        let mut inner = self.shared.inner.lock().await;
        if !inner.connectors.contains_key(&name) {
            return;
        }
        inner.backoffs.forget(&name);
        if connector {
            self.restart_instance(&mut inner, &name).await;
        }
        for id in &tasks {
            inner.worker.restart_task(id).await;
        }
    }

    /// Restarts the connector instance, or starts it when it failed to start.
    async fn restart_instance(&self, inner: &mut Inner, name: &str) {
        if inner.worker.is_running(name) {
            // A failure is on the status board as FAILED, with its trace.
            let _ = inner.worker.restart_connector(name).await;
        } else {
            self.apply(inner, name).await;
        }
    }
}

fn known<'a>(inner: &'a Inner, name: &str) -> HerderResult<&'a Connector> {
    inner
        .connectors
        .get(name)
        .ok_or_else(|| HerderError::connector_not_found(name))
}

#[async_trait]
impl Herder for StandaloneHerder {
    fn worker_id(&self) -> &str {
        self.shared.worker_id.get().map_or("", String::as_str)
    }

    fn is_ready(&self) -> bool {
        self.shared.ready.load(Ordering::Acquire)
    }

    async fn connectors(&self) -> Vec<String> {
        let inner = self.shared.inner.lock().await;
        inner.connectors.keys().cloned().collect()
    }

    async fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo> {
        let inner = self.shared.inner.lock().await;
        let connector = known(&inner, name)?;
        Ok(self.info(&inner, name, connector))
    }

    async fn connector_config(&self, name: &str) -> HerderResult<Props> {
        let inner = self.shared.inner.lock().await;
        Ok(self.configs().shown(&known(&inner, name)?.config))
    }

    async fn connector_status(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        let inner = self.shared.inner.lock().await;
        Ok(self.status(name, known(&inner, name)?))
    }

    async fn task_status(&self, id: &TaskId) -> HerderResult<TaskState> {
        let inner = self.shared.inner.lock().await;
        let connector = known(&inner, &id.connector)?;
        let status = self
            .status(&id.connector, connector)
            .tasks
            .into_iter()
            .find(|t| t.id == id.task);
        status.ok_or_else(|| HerderError::NotFound(format!("No status found for task {id}")))
    }

    async fn tasks(&self, name: &str) -> HerderResult<Vec<TaskInfo>> {
        let inner = self.shared.inner.lock().await;
        let connector = known(&inner, name)?;
        let configs = inner.worker.task_configs(name).unwrap_or_default();
        Ok(configs
            .iter()
            .enumerate()
            .map(|(n, config)| TaskInfo {
                id: TaskRef {
                    connector: name.to_string(),
                    task: n as u32,
                },
                config: self.configs().shown_task(&connector.config, config),
            })
            .collect())
    }

    async fn put_connector(
        &self,
        name: &str,
        config: Props,
        initial_state: Option<TargetState>,
        allow_replace: bool,
    ) -> HerderResult<Written> {
        let mut inner = self.shared.inner.lock().await;
        let previous = inner.connectors.get(name);
        let config =
            self.configs()
                .accepted(name, config, previous.map(|c| &c.config), allow_replace)?;
        let (created, target, from_file) = match previous {
            Some(p) => (false, p.target, p.from_file),
            None => (true, initial_state.unwrap_or(TargetState::Started), false),
        };
        if !created {
            inner.worker.stop_connector(name).await;
            inner.backoffs.forget(name);
        }
        let connector = self.connector(config, target, from_file);
        inner.connectors.insert(name.to_string(), connector);
        self.persist(&inner)?;
        self.apply(&mut inner, name).await;
        tracing::info!(connector = %name, created, "connector config written");
        let connector = known(&inner, name)?;
        let info = self.info(&inner, name, connector);
        Ok(Written { created, info })
    }

    async fn patch_connector(
        &self,
        name: &str,
        patch: Vec<(String, Option<String>)>,
    ) -> HerderResult<ConnectorInfo> {
        let config = {
            let inner = self.shared.inner.lock().await;
            patched(known(&inner, name)?.config.clone(), patch)
        };
        Ok(self.put_connector(name, config, None, true).await?.info)
    }

    async fn delete_connector(&self, name: &str) -> HerderResult<()> {
        let mut inner = self.shared.inner.lock().await;
        known(&inner, name)?;
        inner.worker.stop_connector(name).await;
        inner.connectors.remove(name);
        inner.backoffs.forget(name);
        self.shared.status.remove_connector(name);
        self.shared.topics.reset(name);
        self.persist(&inner)?;
        tracing::info!(connector = %name, "connector deleted");
        Ok(())
    }

    async fn set_target_state(&self, name: &str, state: TargetState) -> HerderResult<()> {
        let mut inner = self.shared.inner.lock().await;
        let connector = inner
            .connectors
            .get_mut(name)
            .ok_or_else(|| HerderError::connector_not_found(name))?;
        let was = std::mem::replace(&mut connector.target, state);
        self.persist(&inner)?;
        match state {
            TargetState::Stopped => {
                inner.worker.stop_connector(name).await;
                inner.backoffs.forget(name);
                self.shared.status.set_connector(name, State::Stopped, None);
            }
            // Pausing or resuming a STOPPED connector starts it in that state.
            _ if was == TargetState::Stopped => self.apply(&mut inner, name).await,
            _ => {
                inner.worker.set_paused(name, state == TargetState::Paused);
            }
        }
        tracing::info!(connector = %name, target = ?state, "connector target state changed");
        Ok(())
    }

    async fn restart_connector(
        &self,
        name: &str,
        request: RestartRequest,
    ) -> HerderResult<Option<ConnectorStateInfo>> {
        let mut inner = self.shared.inner.lock().await;
        let connector = known(&inner, name)?;
        let asked_for_status = request.include_tasks || request.only_failed;
        // A STOPPED connector runs nothing to restart; it stays STOPPED.
        if connector.target == TargetState::Stopped {
            return Ok(asked_for_status.then(|| self.status(name, connector)));
        }
        if !asked_for_status {
            inner.backoffs.forget(name);
            self.restart_instance(&mut inner, name).await;
            return Ok(None);
        }
        let failed = |s: Option<crate::worker::status::TaskStatus>| {
            s.is_some_and(|s| s.state == State::Failed)
        };
        let status = &self.shared.status;
        let restart_connector = !request.only_failed || failed(status.connector(name));
        let tasks: Vec<TaskId> = if request.include_tasks {
            status
                .tasks_of(name)
                .into_iter()
                .filter(|(_, s)| !request.only_failed || s.state == State::Failed)
                .map(|(task, _)| TaskId {
                    connector: name.to_string(),
                    task,
                })
                .collect()
        } else {
            Vec::new()
        };
        if restart_connector {
            status.set_connector(name, State::Restarting, None);
        }
        for id in &tasks {
            status.set(id, State::Restarting, None);
        }
        let answer = self.status(name, connector);
        drop(inner);
        let herder = self.clone();
        let name = name.to_string();
        self.shared.background.spawn(async move {
            herder.restart_picked(name, restart_connector, tasks).await;
        });
        Ok(Some(answer))
    }

    async fn restart_task(&self, id: &TaskId) -> HerderResult<()> {
        let mut inner = self.shared.inner.lock().await;
        known(&inner, &id.connector)?;
        inner.backoffs.forget(&id.connector);
        if inner.worker.restart_task(id).await {
            Ok(())
        } else {
            Err(HerderError::NotFound(format!("Task {id} not found")))
        }
    }

    async fn offsets(&self, name: &str) -> HerderResult<ConnectorOffsets> {
        let (spec, store) = {
            let inner = self.shared.inner.lock().await;
            let spec = self.spec(&known(&inner, name)?.config)?.0;
            (spec, inner.worker.offsets().clone())
        };
        offsets::read(&self.shared.settings.worker, store.as_ref(), &spec).await
    }

    async fn alter_offsets(&self, name: &str, changes: ConnectorOffsets) -> HerderResult<String> {
        let spec = self.stopped_spec(name).await?;
        let store = self.shared.inner.lock().await.worker.offsets().clone();
        offsets::alter(&self.shared.settings.worker, store.as_ref(), &spec, changes).await?;
        tracing::info!(connector = %name, "connector offsets altered");
        Ok(offsets::ALTERED.to_string())
    }

    async fn reset_offsets(&self, name: &str) -> HerderResult<String> {
        let spec = self.stopped_spec(name).await?;
        let store = self.shared.inner.lock().await.worker.offsets().clone();
        offsets::reset(&self.shared.settings.worker, store.as_ref(), &spec).await?;
        tracing::info!(connector = %name, "connector offsets reset");
        Ok(offsets::RESET.to_string())
    }

    async fn active_topics(&self, name: &str) -> HerderResult<Vec<String>> {
        check_topic_tracking(self.shared.settings.topic_tracking)?;
        let inner = self.shared.inner.lock().await;
        known(&inner, name)?;
        Ok(self.shared.topics.of(name))
    }

    async fn reset_active_topics(&self, name: &str) -> HerderResult<()> {
        let settings = &self.shared.settings;
        check_topic_reset(settings.topic_tracking, settings.topic_reset)?;
        let inner = self.shared.inner.lock().await;
        known(&inner, name)?;
        self.shared.topics.reset(name);
        Ok(())
    }

    async fn validate(&self, config: &Props) -> ConfigInfos {
        self.configs().infos(config)
    }
}
