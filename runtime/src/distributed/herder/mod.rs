//! The distributed herder: the [`Herder`] of a worker in a cluster.
//!
//! Reads are served from this worker's copy of the cluster state (the config topic as
//! [`control`] last read it, the status topic as [`statuses`] follows it), so any worker answers
//! for every connector. Writes reach the leader (the REST layer forwards them there) and become
//! records in the config topic; every worker, the leader included, acts on a change only once it
//! reads it back, so all apply the same changes in the same order.

mod control;
mod statuses;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use sluice_api::Props;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::config_log::ConfigState;
use super::config_store::KafkaConfigStore;
use super::coordinator::{AssignmentEvents, CoordinatorError, WorkerCoordinator};
use super::status_log::{Status, StatusRecord};
use crate::config::WorkerConfig;
use crate::config::providers::ConfigProviders;
use crate::herder::configs::{ConfigContext, patched};
use crate::herder::entities::{
    ConfigInfos, ConnectorInfo, ConnectorOffsets, ConnectorState, ConnectorStateInfo, TaskInfo,
    TaskRef, TaskState,
};
use crate::herder::restart::{Backoffs, RestartPolicy};
use crate::herder::{
    Herder, HerderError, HerderResult, REBALANCE_IN_PROGRESS, RestartRequest, TargetState,
    WriteRoute, Written, check_topic_reset, check_topic_tracking, offsets,
};
use crate::offsets::OffsetStore;
use crate::registry::Registry;
use crate::rest::FORWARDED_HEADER;
use crate::worker::status::{State, StatusBoard, TaskId};
use crate::worker::topics::ActiveTopics;
use crate::worker::{TaskExit, Worker};
use control::{Command, Control};
pub use statuses::StatusView;

/// How long a request to another worker may take.
const PEER_TIMEOUT: Duration = Duration::from_secs(30);

/// What the herder is built from, apart from the worker and the stores.
pub struct DistributedSettings {
    pub registry: Arc<Registry>,
    /// Already resolved through the providers.
    pub worker: WorkerConfig,
    pub providers: ConfigProviders,
    pub restart: RestartPolicy,
    /// `topic.tracking.enable`, `topic.tracking.allow.reset`.
    pub topic_tracking: bool,
    pub topic_reset: bool,
    /// `worker.sync.timeout.ms`.
    pub sync_timeout: Duration,
    /// The `Authorization` header requests to other workers carry, when `rest.auth.*` is on.
    pub peer_auth: Option<String>,
}

/// The stores of the internal topics.
pub struct Stores {
    pub config: KafkaConfigStore,
    pub statuses: Arc<StatusView>,
    pub offsets: Arc<dyn OffsetStore>,
}

/// The cluster as this worker last read it.
#[derive(Default)]
struct ClusterView {
    config: ConfigState,
    /// Whether this worker holds an assignment of the current generation; false while the group
    /// rebalances.
    assigned: bool,
    leader: bool,
    leader_url: String,
}

struct Shared {
    settings: DistributedSettings,
    config_store: KafkaConfigStore,
    statuses: Arc<StatusView>,
    offsets: Arc<dyn OffsetStore>,
    topics: ActiveTopics,
    view: RwLock<ClusterView>,
    worker_id: OnceLock<String>,
    ready: AtomicBool,
    commands: mpsc::UnboundedSender<Command>,
    http: reqwest::Client,
}

impl Shared {
    fn configs(&self) -> ConfigContext<'_> {
        ConfigContext {
            registry: &self.settings.registry,
            worker: &self.settings.worker,
            providers: &self.settings.providers,
        }
    }

    fn worker_id(&self) -> &str {
        self.worker_id.get().map_or("", String::as_str)
    }

    /// A request to another worker of the cluster: marked as forwarded, so it is served where
    /// it arrives, and authenticated as the cluster's REST settings require.
    fn peer_request(&self, url: &str) -> reqwest::RequestBuilder {
        let request = self
            .http
            .post(url)
            .header(FORWARDED_HEADER, self.worker_id());
        match &self.settings.peer_auth {
            Some(auth) => request.header(reqwest::header::AUTHORIZATION, auth),
            None => request,
        }
    }

    fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }

    fn publish_config(&self, config: &ConfigState) {
        write(&self.view).config = config.clone();
    }

    fn publish_assignment(&self, assigned: bool, leader: bool, leader_url: &str) {
        let mut view = write(&self.view);
        view.assigned = assigned;
        view.leader = leader;
        view.leader_url = leader_url.to_string();
    }
}

/// What a connector's status-less parts show: nobody has reported on them yet.
fn unassigned() -> Status {
    Status {
        state: State::Unassigned,
        trace: None,
        worker_id: String::new(),
        generation: -1,
    }
}

/// Connector name → task count, as the leader assigns work: a STOPPED connector runs no tasks,
/// and a connector whose instance has not generated task configs yet has none.
fn configured_work(config: &ConfigState) -> BTreeMap<String, u32> {
    config
        .connectors()
        .keys()
        .map(|name| {
            let tasks = if config.target_state(name) == TargetState::Stopped {
                0
            } else {
                config.task_configs(name).map_or(0, |t| t.len() as u32)
            };
            (name.clone(), tasks)
        })
        .collect()
}

/// A connector name as one segment of a URL path.
fn path_segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn internal(err: sluice_api::ConnectError) -> HerderError {
    HerderError::Internal(err.trace())
}

/// The herder's loop, built with the herder and run once the REST API is up (the coordinator
/// needs its URL): see [`HerderLoop::run`].
pub struct HerderLoop {
    shared: Arc<Shared>,
    worker: Worker,
    status: StatusBoard,
    commands: (
        mpsc::UnboundedSender<Command>,
        mpsc::UnboundedReceiver<Command>,
    ),
    exits: mpsc::UnboundedReceiver<TaskExit>,
    cancel: CancellationToken,
}

impl HerderLoop {
    /// Reads the config topic, then takes part in the group through `coordinator` until it
    /// stops (on `cancel`, having revoked everything, or when membership fails for good), and
    /// stops every task.
    pub async fn run(
        self,
        coordinator: WorkerCoordinator,
        events: AssignmentEvents,
    ) -> Result<(), CoordinatorError> {
        let HerderLoop {
            shared,
            worker,
            status,
            commands: (commands, commands_rx),
            exits,
            cancel,
        } = self;
        let mut control = Control {
            shared,
            worker,
            status,
            coordinator: coordinator.handle(),
            commands,
            config: ConfigState::new(),
            total: Default::default(),
            tasks: Default::default(),
            leader: false,
            leader_url: String::new(),
            instances: BTreeMap::new(),
            task_connectors: BTreeMap::new(),
            paused: BTreeMap::new(),
            specs: BTreeMap::new(),
            task_writes: BTreeMap::new(),
            work: BTreeMap::new(),
            backoffs: Backoffs::default(),
            background: TaskTracker::new(),
            cancel: cancel.clone(),
        };
        // Joined only once the configs are known, so that a first leader assigns real work.
        control.start().await;
        let coordinating = tokio::spawn(coordinator.run(cancel));
        control.run(events, commands_rx, exits).await;
        coordinating
            .await
            .unwrap_or_else(|e| panic!("the group coordinator panicked: {e}"))
    }
}

#[derive(Clone)]
pub struct DistributedHerder {
    shared: Arc<Shared>,
}

impl DistributedHerder {
    /// A herder around `worker`, and the loop that drives it; not ready until the loop has
    /// read the config topic.
    pub fn new(
        settings: DistributedSettings,
        stores: Stores,
        worker: Worker,
        exits: mpsc::UnboundedReceiver<TaskExit>,
        status: StatusBoard,
        topics: ActiveTopics,
        cancel: CancellationToken,
    ) -> Result<(Self, HerderLoop), sluice_api::ConnectError> {
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(PEER_TIMEOUT)
            .build()
            .map_err(|e| {
                sluice_api::ConnectError::fatal(format!("cannot build the HTTP client: {e}"))
            })?;
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            settings,
            config_store: stores.config,
            statuses: stores.statuses,
            offsets: stores.offsets,
            topics,
            view: RwLock::new(ClusterView::default()),
            worker_id: OnceLock::new(),
            ready: AtomicBool::new(false),
            commands: commands.clone(),
            http,
        });
        let herder_loop = HerderLoop {
            shared: shared.clone(),
            worker,
            status,
            commands: (commands, commands_rx),
            exits,
            cancel,
        };
        Ok((DistributedHerder { shared }, herder_loop))
    }

    /// Sets the id this worker reports in statuses (`host:port` of its REST URL).
    pub fn set_worker_id(&self, id: String) {
        self.shared.statuses.set_worker_id(id.clone());
        let _ = self.shared.worker_id.set(id);
    }

    /// The configured work, as the coordinator's [`WorkSource`](super::coordinator::WorkSource)
    /// reports it: the config offset read and each connector's task count.
    pub fn configured_work(&self) -> (i64, BTreeMap<String, u32>) {
        let view = read(&self.shared.view);
        (view.config.join_offset(), configured_work(&view.config))
    }

    fn require_leader(&self) -> HerderResult<()> {
        let view = read(&self.shared.view);
        if view.leader && view.assigned {
            Ok(())
        } else {
            Err(HerderError::Conflict(REBALANCE_IN_PROGRESS.to_string()))
        }
    }

    /// Waits until the loop has read the config topic to its end, so that a write is visible
    /// here when the request that made it is answered.
    async fn refreshed(&self) {
        let (done, wait) = oneshot::channel();
        if self.shared.commands.send(Command::Refresh(done)).is_ok() {
            let _ = wait.await;
        }
    }

    /// The connector's stored config, or 404.
    fn stored(&self, name: &str) -> HerderResult<Props> {
        read(&self.shared.view)
            .config
            .connector(name)
            .cloned()
            .ok_or_else(|| HerderError::connector_not_found(name))
    }

    fn info(&self, name: &str) -> HerderResult<ConnectorInfo> {
        let view = read(&self.shared.view);
        let config = view
            .config
            .connector(name)
            .ok_or_else(|| HerderError::connector_not_found(name))?;
        let tasks = view.config.task_configs(name).map_or(0, <[Props]>::len);
        let configs = self.shared.configs();
        Ok(ConnectorInfo {
            name: name.to_string(),
            config: configs.shown(config),
            tasks: (0..tasks as u32)
                .map(|task| TaskRef {
                    connector: name.to_string(),
                    task,
                })
                .collect(),
            kind: configs.kind(config).to_string(),
        })
    }

    fn status(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        let (kind, target, tasks) = {
            let view = read(&self.shared.view);
            let config = view
                .config
                .connector(name)
                .ok_or_else(|| HerderError::connector_not_found(name))?;
            let tasks = view.config.task_configs(name).map_or(0, <[Props]>::len) as u32;
            (
                self.shared.configs().kind(config),
                view.config.target_state(name),
                tasks,
            )
        };
        let task_state = |task: u32, status: Status| TaskState {
            id: task,
            state: status.state.as_str().to_string(),
            worker_id: status.worker_id,
            trace: status.trace,
        };
        self.shared.statuses.read(|state| {
            let own = state.connector(name).cloned().unwrap_or_else(unassigned);
            let tasks = if target == TargetState::Stopped {
                Vec::new()
            } else {
                (0..tasks)
                    .map(|n| {
                        let id = TaskId {
                            connector: name.to_string(),
                            task: n,
                        };
                        task_state(n, state.task(&id).cloned().unwrap_or_else(unassigned))
                    })
                    .collect()
            };
            Ok(ConnectorStateInfo {
                name: name.to_string(),
                connector: ConnectorState {
                    state: own.state.as_str().to_string(),
                    worker_id: own.worker_id,
                    trace: own.trace,
                },
                tasks,
                kind: kind.to_string(),
            })
        })
    }

    /// The spec of a STOPPED connector, for offset changes: its target is STOPPED and its
    /// instance has reported stopping.
    fn stopped_spec(&self, name: &str) -> HerderResult<crate::config::ConnectorSpec> {
        let config = self.stored(name)?;
        let target = read(&self.shared.view).config.target_state(name);
        let reported = self
            .shared
            .statuses
            .read(|s| s.connector(name).map(|s| s.state));
        if target != TargetState::Stopped || reported != Some(State::Stopped) {
            return Err(offsets::not_stopped(name));
        }
        Ok(self.shared.configs().spec(&config)?.0)
    }

    /// Asks the worker running a task to restart it.
    async fn restart_remote_task(&self, owner: &str, id: &TaskId) -> HerderResult<()> {
        let scheme = read(&self.shared.view)
            .leader_url
            .split_once("://")
            .map_or("http", |(scheme, _)| scheme)
            .to_string();
        let url = format!(
            "{scheme}://{owner}/connectors/{}/tasks/{}/restart",
            path_segment(&id.connector),
            id.task
        );
        let response = self.shared.peer_request(&url).send().await.map_err(|e| {
            tracing::warn!(%url, error = %e, "cannot reach the worker running the task");
            HerderError::Conflict(REBALANCE_IN_PROGRESS.to_string())
        })?;
        match response.status().as_u16() {
            200..=299 => Ok(()),
            404 => Err(HerderError::NotFound(format!("Task {id} not found"))),
            _ => Err(HerderError::Conflict(REBALANCE_IN_PROGRESS.to_string())),
        }
    }
}

#[async_trait]
impl Herder for DistributedHerder {
    fn worker_id(&self) -> &str {
        self.shared.worker_id()
    }

    fn is_ready(&self) -> bool {
        self.shared.ready.load(Ordering::Acquire)
    }

    fn write_route(&self) -> WriteRoute {
        let view = read(&self.shared.view);
        match (view.assigned, view.leader) {
            (true, true) => WriteRoute::Here,
            (true, false) if !view.leader_url.is_empty() => {
                WriteRoute::Leader(view.leader_url.clone())
            }
            _ => WriteRoute::Rebalancing,
        }
    }

    async fn connectors(&self) -> Vec<String> {
        let view = read(&self.shared.view);
        view.config.connectors().keys().cloned().collect()
    }

    async fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo> {
        self.info(name)
    }

    async fn connector_config(&self, name: &str) -> HerderResult<Props> {
        Ok(self.shared.configs().shown(&self.stored(name)?))
    }

    async fn connector_status(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        self.status(name)
    }

    async fn task_status(&self, id: &TaskId) -> HerderResult<TaskState> {
        let status = self
            .status(&id.connector)?
            .tasks
            .into_iter()
            .find(|t| t.id == id.task);
        status.ok_or_else(|| HerderError::NotFound(format!("No status found for task {id}")))
    }

    async fn tasks(&self, name: &str) -> HerderResult<Vec<TaskInfo>> {
        let view = read(&self.shared.view);
        let config = view
            .config
            .connector(name)
            .ok_or_else(|| HerderError::connector_not_found(name))?;
        let configs = self.shared.configs();
        Ok((0u32..)
            .zip(view.config.task_configs(name).unwrap_or_default())
            .map(|(task, task_config)| TaskInfo {
                id: TaskRef {
                    connector: name.to_string(),
                    task,
                },
                config: configs.shown_task(config, task_config),
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
        self.require_leader()?;
        let previous = read(&self.shared.view).config.connector(name).cloned();
        let config =
            self.shared
                .configs()
                .accepted(name, config, previous.as_ref(), allow_replace)?;
        let created = previous.is_none();
        let target = if created { initial_state } else { None };
        self.shared
            .config_store
            .put_connector_config(name, &config, target)
            .await
            .map_err(internal)?;
        self.refreshed().await;
        tracing::info!(connector = %name, created, "connector config written");
        Ok(Written {
            created,
            info: self.info(name)?,
        })
    }

    async fn patch_connector(
        &self,
        name: &str,
        patch: Vec<(String, Option<String>)>,
    ) -> HerderResult<ConnectorInfo> {
        let config = patched(self.stored(name)?, patch);
        Ok(self.put_connector(name, config, None, true).await?.info)
    }

    async fn delete_connector(&self, name: &str) -> HerderResult<()> {
        self.require_leader()?;
        let tasks = read(&self.shared.view)
            .config
            .task_configs(name)
            .map_or(0, <[Props]>::len) as u32;
        self.stored(name)?;
        self.shared
            .config_store
            .remove_connector(name)
            .await
            .map_err(internal)?;
        // The statuses go too, so a connector created again under the name starts afresh.
        self.shared.statuses.put(StatusRecord::Connector {
            name: name.to_string(),
            status: None,
        });
        for task in 0..tasks {
            self.shared.statuses.put(StatusRecord::Task {
                id: TaskId {
                    connector: name.to_string(),
                    task,
                },
                status: None,
            });
        }
        self.refreshed().await;
        tracing::info!(connector = %name, "connector deleted");
        Ok(())
    }

    async fn set_target_state(&self, name: &str, state: TargetState) -> HerderResult<()> {
        self.require_leader()?;
        self.stored(name)?;
        self.shared
            .config_store
            .put_target_state(name, state)
            .await
            .map_err(internal)?;
        self.refreshed().await;
        tracing::info!(connector = %name, target = ?state, "connector target state changed");
        Ok(())
    }

    async fn restart_connector(
        &self,
        name: &str,
        request: RestartRequest,
    ) -> HerderResult<Option<ConnectorStateInfo>> {
        self.require_leader()?;
        let mut status = self.status(name)?;
        let asked_for_status = request.include_tasks || request.only_failed;
        // A STOPPED connector runs nothing to restart; it stays STOPPED.
        if read(&self.shared.view).config.target_state(name) == TargetState::Stopped {
            return Ok(asked_for_status.then_some(status));
        }
        self.shared
            .config_store
            .put_restart_request(name, request)
            .await
            .map_err(internal)?;
        if !asked_for_status {
            return Ok(None);
        }
        // The answer shows what each worker is about to restart, as Kafka Connect plans it.
        let restarting = State::Restarting.as_str().to_string();
        let failed = State::Failed.as_str();
        if !request.only_failed || status.connector.state == failed {
            status.connector.state = restarting.clone();
        }
        if request.include_tasks {
            for task in &mut status.tasks {
                if !request.only_failed || task.state == failed {
                    task.state = restarting.clone();
                }
            }
        }
        Ok(Some(status))
    }

    async fn restart_task(&self, id: &TaskId) -> HerderResult<()> {
        self.stored(&id.connector)?;
        let (done, ran) = oneshot::channel();
        let _ = self
            .shared
            .commands
            .send(Command::RestartTask(id.clone(), done));
        if ran.await.unwrap_or(false) {
            return Ok(());
        }
        let owner = self
            .shared
            .statuses
            .read(|s| s.task(id).map(|s| s.worker_id.clone()));
        match owner {
            Some(owner) if !owner.is_empty() && owner != self.worker_id() => {
                self.require_leader()?;
                self.restart_remote_task(&owner, id).await
            }
            _ => Err(HerderError::NotFound(format!("Task {id} not found"))),
        }
    }

    async fn put_task_configs(&self, name: &str, configs: Vec<Props>) -> HerderResult<()> {
        self.require_leader()?;
        self.stored(name)?;
        self.shared
            .config_store
            .put_task_configs(name, &configs)
            .await
            .map_err(internal)?;
        tracing::info!(connector = %name, tasks = configs.len(), "task configs written for another worker");
        Ok(())
    }

    async fn offsets(&self, name: &str) -> HerderResult<ConnectorOffsets> {
        let spec = self.shared.configs().spec(&self.stored(name)?)?.0;
        offsets::read(
            &self.shared.settings.worker,
            self.shared.offsets.as_ref(),
            &spec,
        )
        .await
    }

    async fn alter_offsets(&self, name: &str, changes: ConnectorOffsets) -> HerderResult<String> {
        self.require_leader()?;
        let spec = self.stopped_spec(name)?;
        let store = self.shared.offsets.as_ref();
        offsets::alter(&self.shared.settings.worker, store, &spec, changes).await?;
        tracing::info!(connector = %name, "connector offsets altered");
        Ok(offsets::ALTERED.to_string())
    }

    async fn reset_offsets(&self, name: &str) -> HerderResult<String> {
        self.require_leader()?;
        let spec = self.stopped_spec(name)?;
        let store = self.shared.offsets.as_ref();
        offsets::reset(&self.shared.settings.worker, store, &spec).await?;
        tracing::info!(connector = %name, "connector offsets reset");
        Ok(offsets::RESET.to_string())
    }

    async fn active_topics(&self, name: &str) -> HerderResult<Vec<String>> {
        check_topic_tracking(self.shared.settings.topic_tracking)?;
        self.stored(name)?;
        Ok(self.shared.statuses.read(|s| {
            s.active_topics(name)
                .into_iter()
                .map(str::to_string)
                .collect()
        }))
    }

    async fn reset_active_topics(&self, name: &str) -> HerderResult<()> {
        let settings = &self.shared.settings;
        check_topic_reset(settings.topic_tracking, settings.topic_reset)?;
        self.require_leader()?;
        self.stored(name)?;
        let topics: Vec<String> = self.shared.statuses.read(|s| {
            s.active_topics(name)
                .into_iter()
                .map(str::to_string)
                .collect()
        });
        for topic in topics {
            self.shared.statuses.put(StatusRecord::TopicRemoved {
                connector: name.to_string(),
                topic,
            });
        }
        // Tasks here report their topics again; tasks on other workers keep theirs recorded
        // until they restart, as Kafka Connect's workers do.
        self.shared.topics.reset(name);
        Ok(())
    }

    async fn validate(&self, config: &Props) -> ConfigInfos {
        self.shared.configs().infos(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::config::props;

    #[test]
    fn stopped_and_unconfigured_connectors_run_no_tasks() {
        let mut state = ConfigState::new();
        let records = [
            ("connector-a", r#"{"properties":{"name":"a"}}"#),
            ("connector-b", r#"{"properties":{"name":"b"}}"#),
            ("connector-c", r#"{"properties":{"name":"c"}}"#),
            ("task-a-0", r#"{"properties":{"x":"1"}}"#),
            ("task-a-1", r#"{"properties":{"x":"2"}}"#),
            ("commit-a", r#"{"tasks":2}"#),
            ("task-c-0", r#"{"properties":{"x":"1"}}"#),
            ("commit-c", r#"{"tasks":1}"#),
            ("target-state-c", r#"{"state":"STOPPED"}"#),
        ];
        for (offset, (key, value)) in (0i64..).zip(records) {
            state.read(offset, key, Some(value.as_bytes())).unwrap();
        }
        let work = configured_work(&state);
        assert_eq!(
            work.into_iter().collect::<Vec<_>>(),
            vec![("a".into(), 2), ("b".into(), 0), ("c".into(), 0)]
        );
        let _ = props(&[]);
    }

    #[test]
    fn names_are_escaped_in_paths() {
        assert_eq!(path_segment("orders-v1.x_y~"), "orders-v1.x_y~");
        assert_eq!(path_segment("a b/c"), "a%20b%2Fc");
    }
}
