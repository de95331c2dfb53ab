//! The loop that owns this worker's [`Worker`]: it applies the coordinator's assignments, follows
//! the config topic, and keeps what runs here equal to what is assigned here and configured.
//!
//! Everything that changes what runs goes through this one loop, in order: assignment events,
//! config records, restart requests and failed-task retries. After each, [`Control::reconcile`]
//! compares the assignment and the config state with what runs and starts, stops or restarts
//! only the difference, so a config change restarts only that connector's work and an
//! assignment restarts only what moved.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sluice_api::Props;
use tokio::sync::{mpsc, oneshot};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::Shared;
use crate::config::ConnectorSpec;
use crate::distributed::assignor::WorkSet;
use crate::distributed::config_log::ConfigState;
use crate::distributed::coordinator::{
    AssignmentEvent, AssignmentEvents, CoordinatorHandle, EventCause,
};
use crate::herder::restart::Backoffs;
use crate::herder::{RestartRequest, TargetState};
use crate::worker::status::{State, StatusBoard, TaskId};
use crate::worker::{TaskExit, Worker};

/// How often the config topic is read for changes made through other workers.
const REFRESH_INTERVAL: Duration = Duration::from_millis(250);
/// How long a follower waits for the leader to take generated task configs.
const TASK_WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the REST side asks of the loop.
pub(super) enum Command {
    /// Read the config topic to its end, then answer: a write is visible once this returns.
    Refresh(oneshot::Sender<()>),
    /// Restart a task running here; answers whether it runs here.
    RestartTask(TaskId, oneshot::Sender<bool>),
    /// A failed task's restart backoff is over.
    RetryFailed(TaskExit),
}

/// A connector as this worker last applied it: the config and target state it acted on.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Applied {
    config: Props,
    target: TargetState,
}

/// A resolved connector config, kept until the raw config changes.
pub(super) struct CachedSpec {
    config: Props,
    spec: Result<Arc<ConnectorSpec>, String>,
}

pub(super) struct Control {
    pub(super) shared: Arc<Shared>,
    pub(super) worker: Worker,
    pub(super) status: StatusBoard,
    pub(super) coordinator: CoordinatorHandle,
    pub(super) commands: mpsc::UnboundedSender<Command>,
    pub(super) config: ConfigState,
    /// What the coordinator assigned to this worker.
    pub(super) total: WorkSet,
    /// The tasks of `total`.
    pub(super) tasks: BTreeSet<TaskId>,
    pub(super) leader: bool,
    pub(super) leader_url: String,
    /// The connectors whose instance this worker runs (or tried to), as applied.
    pub(super) instances: BTreeMap<String, Applied>,
    /// The connector config each task here started with.
    pub(super) task_connectors: BTreeMap<TaskId, Props>,
    /// Whether each connector with work here was last set paused.
    pub(super) paused: BTreeMap<String, bool>,
    pub(super) specs: BTreeMap<String, CachedSpec>,
    /// Task configs an instance here generated that the config topic does not hold yet.
    pub(super) task_writes: BTreeMap<String, Vec<Props>>,
    /// Connector name → task count, as last seen; the leader rebalances when it changes.
    pub(super) work: BTreeMap<String, u32>,
    pub(super) backoffs: Backoffs,
    pub(super) background: TaskTracker,
    pub(super) cancel: CancellationToken,
}

impl Control {
    /// Reads the config topic to its end; the worker is ready then. Restart requests written
    /// before this worker started are history, not requests.
    pub(super) async fn start(&mut self) {
        self.refresh().await;
        self.config.take_restart_requests();
        self.shared.set_ready();
    }

    /// Runs until the coordinator has stopped (it revokes everything first), then shuts the
    /// worker down.
    pub(super) async fn run(
        mut self,
        mut events: AssignmentEvents,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut exits: mpsc::UnboundedReceiver<TaskExit>,
    ) {
        let mut ticks = tokio::time::interval(REFRESH_INTERVAL);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                event = events.recv() => match event {
                    Some(event) => self.on_assignment(event).await,
                    None => break,
                },
                Some(command) = commands.recv() => self.on_command(command).await,
                Some(exit) = exits.recv() => self.on_exit(exit),
                _ = ticks.tick() => {
                    if self.refresh().await {
                        self.reconcile().await;
                        self.apply_restart_requests().await;
                    }
                    self.write_task_configs().await;
                }
            }
        }
        self.background.close();
        self.background.wait().await;
        self.worker.shutdown().await;
    }

    /// Reads new config records; true when there were any. The leader asks for a rebalance when
    /// connectors or task counts changed, so the new work gets assigned.
    async fn refresh(&mut self) -> bool {
        match self.shared.config_store.read_to_end(&mut self.config).await {
            Ok(0) => return false,
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(error = %err.trace(), "cannot read the config topic");
                return false;
            }
        }
        self.config.take_logger_levels();
        self.shared.publish_config(&self.config);
        let work = super::configured_work(&self.config);
        if work != self.work {
            self.work = work;
            if self.leader {
                tracing::info!("connectors or task counts changed; rebalancing");
                self.coordinator.request_rebalance();
            }
        }
        true
    }

    async fn on_command(&mut self, command: Command) {
        match command {
            Command::Refresh(done) => {
                if self.refresh().await {
                    self.reconcile().await;
                    self.apply_restart_requests().await;
                }
                let _ = done.send(());
            }
            Command::RestartTask(id, done) => {
                self.backoffs.forget(&id.connector);
                let _ = done.send(self.worker.restart_task(&id).await);
            }
            Command::RetryFailed(exit) => {
                let same_run = self.worker.task_run(&exit.id) == Some(exit.run);
                if same_run && !self.cancel.is_cancelled() {
                    self.worker.restart_task(&exit.id).await;
                }
            }
        }
    }

    /// Restarts FAILED tasks with backoff, when the policy asks for it.
    fn on_exit(&mut self, exit: TaskExit) {
        if !exit.failed {
            return;
        }
        let policy = &self.shared.settings.restart;
        let Some(delay) = self.backoffs.next_delay(policy, &exit.id, exit.ran_for) else {
            return;
        };
        tracing::info!(task = %exit.id, delay_ms = delay.as_millis() as u64, "restarting failed task after backoff");
        let commands = self.commands.clone();
        let cancel = self.cancel.clone();
        self.background.spawn(async move {
            tokio::select! {
                () = cancel.cancelled() => {}
                () = tokio::time::sleep(delay) => {
                    let _ = commands.send(Command::RetryFailed(exit));
                }
            }
        });
    }

    async fn on_assignment(&mut self, event: AssignmentEvent) {
        let AssignmentEvent {
            cause,
            generation,
            leader,
            leader_url,
            config_offset,
            revoked,
            total,
            ack,
            ..
        } = event;
        tracing::info!(?cause, generation, leader, revoked = ?revoked, total = ?total, "assignment changed");
        // Revoked work stops before the coordinator rejoins, so nobody else starts it meanwhile.
        for name in &revoked.connectors {
            self.stop_instance(name).await;
        }
        let tasks: Vec<TaskId> = task_ids(&revoked).into_iter().collect();
        self.stop_tasks(&tasks).await;
        ack.done();

        self.tasks = task_ids(&total);
        self.total = total;
        self.leader = leader;
        self.leader_url = leader_url;
        let assigned = cause == EventCause::Assigned;
        self.shared
            .publish_assignment(assigned, leader, &self.leader_url);
        if !assigned {
            return;
        }
        self.shared.statuses.set_generation(generation);
        if !self.catch_up(config_offset).await {
            // Work assigned from configs this worker cannot read yet waits for the next round.
            return;
        }
        self.reconcile().await;
        self.apply_restart_requests().await;
    }

    /// Reads the config topic at least up to `offset` (the leader's, when it assigned), so that
    /// the work is started from the configs the assignment was made from; false (and a
    /// rebalance requested) when that takes longer than `worker.sync.timeout.ms`.
    async fn catch_up(&mut self, offset: i64) -> bool {
        let deadline = Instant::now() + self.shared.settings.sync_timeout;
        self.refresh().await;
        while self.config.join_offset() < offset {
            if Instant::now() >= deadline {
                tracing::warn!(
                    offset,
                    read = self.config.join_offset(),
                    "config topic not read up to the assignment's offset in time; rebalancing"
                );
                self.coordinator.request_rebalance();
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            self.refresh().await;
        }
        true
    }

    /// Makes what runs here match what is assigned here and configured.
    async fn reconcile(&mut self) {
        self.reconcile_instances().await;
        self.reconcile_tasks().await;
        self.reconcile_pauses();
    }

    async fn reconcile_instances(&mut self) {
        let gone: Vec<String> = self
            .instances
            .keys()
            .filter(|name| !self.total.connectors.contains(*name))
            .cloned()
            .collect();
        for name in gone {
            self.stop_instance(&name).await;
        }
        let assigned: Vec<String> = self.total.connectors.iter().cloned().collect();
        for name in assigned {
            let Some(config) = self.config.connector(&name).cloned() else {
                // Deleted: the leader rebalances it away.
                if self.instances.remove(&name).is_some() {
                    self.worker.stop_instance(&name).await;
                }
                continue;
            };
            let wanted = Applied {
                config,
                target: self.config.target_state(&name),
            };
            match self.instances.get(&name) {
                Some(applied) if *applied == wanted => continue,
                // Pausing and resuming leave the instance as it is.
                Some(applied)
                    if applied.config == wanted.config
                        && applied.target != TargetState::Stopped
                        && wanted.target != TargetState::Stopped =>
                {
                    self.instances.insert(name, wanted);
                    continue;
                }
                _ => {}
            }
            self.start_instance(&name, wanted).await;
        }
    }

    /// (Re)starts a connector instance as `wanted` says; a STOPPED connector only reports it.
    async fn start_instance(&mut self, name: &str, wanted: Applied) {
        self.worker.stop_instance(name).await;
        self.task_writes.remove(name);
        let target = wanted.target;
        let config = wanted.config.clone();
        self.instances.insert(name.to_string(), wanted);
        if target == TargetState::Stopped {
            self.status.set_connector(name, State::Stopped, None);
            return;
        }
        let spec = match self.spec(name, &config) {
            Ok(spec) => spec,
            Err(message) => {
                self.status
                    .set_connector(name, State::Failed, Some(message));
                return;
            }
        };
        let paused = target == TargetState::Paused;
        self.paused.insert(name.to_string(), paused);
        // A start failure is reported FAILED, with its trace, by the worker.
        if let Ok(generated) = self.worker.start_instance(spec, paused).await
            && self.config.task_configs(name) != Some(generated.as_slice())
        {
            self.task_writes.insert(name.to_string(), generated);
        }
    }

    /// Stops a connector instance that runs here, reporting it UNASSIGNED unless it was deleted.
    async fn stop_instance(&mut self, name: &str) {
        self.task_writes.remove(name);
        if self.instances.remove(name).is_none() {
            return;
        }
        self.worker.stop_instance(name).await;
        if self.config.connector(name).is_some() {
            self.status.set_connector(name, State::Unassigned, None);
        }
    }

    async fn reconcile_tasks(&mut self) {
        let running: BTreeMap<TaskId, Props> = self
            .worker
            .tasks()
            .into_iter()
            .map(|(id, config)| (id, config.clone()))
            .collect();
        let mut stop = Vec::new();
        let mut start = Vec::new();
        for id in running.keys() {
            if !self.tasks.contains(id) {
                stop.push(id.clone());
            }
        }
        for id in &self.tasks {
            let wanted = self.config.connector(&id.connector).and_then(|connector| {
                let stopped = self.config.target_state(&id.connector) == TargetState::Stopped;
                let task = self.config.task_config(id)?;
                (!stopped).then(|| (connector.clone(), task.clone()))
            });
            let current = running
                .get(id)
                .map(|task| (self.task_connectors.get(id), task));
            match (wanted, current) {
                (None, Some(_)) => stop.push(id.clone()),
                (None, None) => {}
                (Some((connector, task)), Some((Some(c), t))) if *c == connector && *t == task => {}
                (Some(wanted), _) => start.push((id.clone(), wanted)),
            }
        }
        self.stop_tasks(&stop).await;
        for (id, (connector, task)) in start {
            self.start_task(&id, connector, task).await;
        }
    }

    async fn start_task(&mut self, id: &TaskId, connector: Props, task: Props) {
        let spec = match self.spec(&id.connector, &connector) {
            Ok(spec) => spec,
            Err(message) => {
                self.worker.stop_tasks(std::slice::from_ref(id)).await;
                self.status.set(id, State::Failed, Some(message));
                self.task_connectors.insert(id.clone(), connector);
                return;
            }
        };
        let paused = self.config.target_state(&id.connector) == TargetState::Paused;
        self.paused.insert(id.connector.clone(), paused);
        self.worker.start_task(spec, id.task, task, paused).await;
        self.task_connectors.insert(id.clone(), connector);
    }

    async fn stop_tasks(&mut self, ids: &[TaskId]) {
        if ids.is_empty() {
            return;
        }
        self.worker.stop_tasks(ids).await;
        for id in ids {
            self.task_connectors.remove(id);
        }
    }

    /// Pauses or resumes the work of each connector here whose target state changed.
    fn reconcile_pauses(&mut self) {
        let mut here: BTreeSet<String> = self.instances.keys().cloned().collect();
        here.extend(self.task_connectors.keys().map(|id| id.connector.clone()));
        self.paused.retain(|name, _| here.contains(name));
        for name in here {
            let paused = self.config.target_state(&name) == TargetState::Paused;
            if self.paused.get(&name) != Some(&paused) {
                self.worker.set_paused(&name, paused);
                self.paused.insert(name, paused);
            }
        }
    }

    /// The runnable spec of a connector config, resolved once per config.
    fn spec(&mut self, name: &str, config: &Props) -> Result<Arc<ConnectorSpec>, String> {
        if let Some(cached) = self.specs.get(name)
            && cached.config == *config
        {
            return cached.spec.clone();
        }
        let spec = match self.shared.configs().spec(config) {
            Ok((spec, redactor)) => {
                self.shared.statuses.set_redactor(name, redactor);
                Ok(Arc::new(spec))
            }
            Err(err) => {
                tracing::error!(connector = %name, error = %err, "connector config is invalid");
                Err(err.to_string())
            }
        };
        self.specs.insert(
            name.to_string(),
            CachedSpec {
                config: config.clone(),
                spec: spec.clone(),
            },
        );
        spec
    }

    /// Applies the KIP-745 restart requests read since the last call to the work that runs
    /// here; each worker restarts only its own.
    async fn apply_restart_requests(&mut self) {
        for (name, request) in self.config.take_restart_requests() {
            self.restart(&name, request).await;
        }
    }

    async fn restart(&mut self, name: &str, request: RestartRequest) {
        self.backoffs.forget(name);
        let failed = |s: Option<crate::worker::status::TaskStatus>| {
            s.is_some_and(|s| s.state == State::Failed)
        };
        let instance_here = self.instances.contains_key(name);
        if instance_here && (!request.only_failed || failed(self.status.connector(name))) {
            tracing::info!(connector = %name, "restarting connector");
            // Forgetting it makes the reconcile below start it again.
            self.instances.remove(name);
            self.worker.stop_instance(name).await;
            self.reconcile_instances().await;
        }
        if request.include_tasks {
            let tasks: Vec<TaskId> = self
                .task_connectors
                .keys()
                .filter(|id| id.connector == name)
                .filter(|id| !request.only_failed || failed(self.status.task(id)))
                .cloned()
                .collect();
            for id in tasks {
                tracing::info!(task = %id, "restarting task");
                self.worker.restart_task(&id).await;
            }
        }
    }

    /// Hands generated task configs to the leader, which alone writes them; retried on every
    /// tick until the config topic holds them or the connector moved away.
    async fn write_task_configs(&mut self) {
        let pending: Vec<(String, Vec<Props>)> = std::mem::take(&mut self.task_writes)
            .into_iter()
            .filter(|(name, configs)| {
                self.instances.contains_key(name)
                    && self.config.task_configs(name) != Some(configs.as_slice())
            })
            .collect();
        for (name, configs) in pending {
            let written = if self.leader {
                self.shared
                    .config_store
                    .put_task_configs(&name, &configs)
                    .await
                    .map_err(|e| e.trace())
            } else {
                self.send_to_leader(&name, &configs).await
            };
            match written {
                Ok(()) => {
                    tracing::info!(connector = %name, tasks = configs.len(), "task configs written")
                }
                Err(err) => {
                    tracing::warn!(connector = %name, error = %err, "cannot write task configs yet; retrying");
                    self.task_writes.insert(name, configs);
                }
            }
        }
    }

    async fn send_to_leader(&self, name: &str, configs: &[Props]) -> Result<(), String> {
        if self.leader_url.is_empty() {
            return Err("no leader known".into());
        }
        let url = format!(
            "{}/connectors/{}/tasks",
            self.leader_url.trim_end_matches('/'),
            super::path_segment(name)
        );
        let response = self
            .shared
            .peer_request(&url)
            .timeout(TASK_WRITE_TIMEOUT)
            .json(configs)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        if response.status().is_success() {
            Ok(())
        } else {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            Err(format!("{url} answered {status}: {body}"))
        }
    }
}

fn task_ids(work: &WorkSet) -> BTreeSet<TaskId> {
    work.tasks
        .iter()
        .map(|(connector, task)| TaskId {
            connector: connector.clone(),
            task: *task,
        })
        .collect()
}
