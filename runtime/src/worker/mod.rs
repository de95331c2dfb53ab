//! The worker: starts, pauses, restarts and stops connectors and their tasks on the herder's
//! orders. A failing task is marked FAILED and reported; it never takes the worker down.
//!
//! In standalone mode a connector runs here with all of its tasks ([`Worker::start_connector`]).
//! In distributed mode the connector instance and each of its tasks may run on different
//! workers, so they start and stop one by one ([`Worker::start_instance`],
//! [`Worker::start_task`]); a task then comes from a fresh connector object, as Kafka Connect
//! instantiates the task class of a connector it does not run.

pub mod convert;
pub mod kafka;
pub mod sink_reporter;
pub mod sink_task;
pub mod source_task;
pub mod status;
pub mod topics;
pub mod transforms;

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use tracing::Instrument;

use rdkafka::consumer::StreamConsumer;
use rdkafka::producer::FutureProducer;
use sluice_api::{ConnectError, ConnectResult, Props, SinkConnector, SourceConnector};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::{ConnectorSpec, SinkTopics, WorkerConfig};
use crate::errors::{DeadLetterQueue, ErrorHandler};
use crate::metrics::{Metrics, TaskMetrics};
use crate::offsets::OffsetStore;
use crate::registry::ConnectorFactory;
use convert::RecordConverter;
use sink_task::SinkTaskLoop;
use source_task::SourceTaskLoop;
use status::{State, StatusBoard, TaskId};
use topics::ActiveTopics;
use transforms::TransformChain;

/// A started connector instance, kept to reconfigure and stop it.
enum Instance {
    Source(Box<dyn SourceConnector>),
    Sink(Box<dyn SinkConnector>),
}

impl Instance {
    async fn start(spec: &ConnectorSpec) -> ConnectResult<Instance> {
        Ok(match spec.plugin.factory {
            ConnectorFactory::Source(make) => {
                let mut connector = make();
                connector.start(&spec.props).await?;
                Instance::Source(connector)
            }
            ConnectorFactory::Sink(make) => {
                let mut connector = make();
                connector.start(&spec.props).await?;
                Instance::Sink(connector)
            }
        })
    }

    /// Starts the connector and asks it for its task configs.
    async fn start_with_tasks(spec: &ConnectorSpec) -> ConnectResult<(Instance, Vec<Props>)> {
        let instance = Instance::start(spec).await?;
        let configs = match &instance {
            Instance::Source(c) => c.task_configs(spec.tasks_max),
            Instance::Sink(c) => c.task_configs(spec.tasks_max),
        }?;
        Ok((instance, configs))
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        match self {
            Instance::Source(c) => c.stop().await,
            Instance::Sink(c) => c.stop().await,
        }
    }
}

/// A task's end, reported to whoever restarts failed tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskExit {
    pub id: TaskId,
    /// Which run of the task ended; a restart starts a new run.
    pub run: u64,
    pub failed: bool,
    /// How long the run lasted; zero when the task could not be built.
    pub ran_for: std::time::Duration,
}

/// One run of a task.
struct RunningTask {
    run: u64,
    config: Props,
    cancel: CancellationToken,
    /// `None` when the task failed before it could start.
    handle: Option<JoinHandle<()>>,
}

/// A connector with its instance or some of its tasks on this worker.
struct ConnectorRuntime {
    spec: Arc<ConnectorSpec>,
    /// `None` when only tasks of the connector run here.
    instance: Option<Instance>,
    /// What the instance generated; empty without an instance.
    task_configs: Vec<Props>,
    tasks: BTreeMap<u32, RunningTask>,
    paused: watch::Sender<bool>,
}

/// The per-task pieces built from a connector spec.
struct TaskParts {
    transforms: TransformChain,
    converter: RecordConverter,
    errors: ErrorHandler,
}

/// What every task launch needs, apart from the connector it belongs to.
struct Services {
    config: WorkerConfig,
    metrics: Arc<Metrics>,
    offsets: Arc<dyn OffsetStore>,
    status: StatusBoard,
    topics: ActiveTopics,
    exits: mpsc::UnboundedSender<TaskExit>,
    runs: u64,
    cancel: CancellationToken,
}

pub struct Worker {
    services: Services,
    connectors: BTreeMap<String, ConnectorRuntime>,
}

impl Worker {
    /// A worker and the stream of its task exits. Every task stops when `cancel` fires.
    pub fn new(
        config: WorkerConfig,
        offsets: Arc<dyn OffsetStore>,
        metrics: Arc<Metrics>,
        status: StatusBoard,
        topics: ActiveTopics,
        cancel: CancellationToken,
    ) -> (Self, mpsc::UnboundedReceiver<TaskExit>) {
        let (exits, exits_rx) = mpsc::unbounded_channel();
        let services = Services {
            config,
            metrics,
            offsets,
            status,
            topics,
            exits,
            runs: 0,
            cancel,
        };
        let worker = Worker {
            services,
            connectors: BTreeMap::new(),
        };
        (worker, exits_rx)
    }

    pub fn offsets(&self) -> &Arc<dyn OffsetStore> {
        &self.services.offsets
    }

    pub fn config(&self) -> &WorkerConfig {
        &self.services.config
    }

    pub fn is_running(&self, connector: &str) -> bool {
        self.connectors.contains_key(connector)
    }

    /// The task configs the running connector generated.
    pub fn task_configs(&self, connector: &str) -> Option<&[Props]> {
        self.connectors
            .get(connector)
            .map(|c| c.task_configs.as_slice())
    }

    /// The current run of a task, if it is on this worker.
    pub fn task_run(&self, id: &TaskId) -> Option<u64> {
        let task = self.connectors.get(&id.connector)?.tasks.get(&id.task)?;
        Some(task.run)
    }

    /// Starts a validated connector and its tasks, paused if asked. A task that cannot be built
    /// is FAILED; the connector's other tasks and other connectors go on. A connector that cannot
    /// start is FAILED with the error as its trace.
    pub async fn start_connector(
        &mut self,
        spec: ConnectorSpec,
        paused: bool,
    ) -> ConnectResult<()> {
        let name = spec.name.clone();
        self.start_instance(Arc::new(spec), paused).await?;
        if let Some(runtime) = self.connectors.get_mut(&name) {
            launch_all(&mut self.services, runtime).await;
        }
        Ok(())
    }

    /// Starts only the connector instance, paused if asked, and returns the task configs it
    /// generated; tasks of the connector already running here are left alone. A connector that
    /// cannot start is FAILED with the error as its trace.
    pub async fn start_instance(
        &mut self,
        spec: Arc<ConnectorSpec>,
        paused: bool,
    ) -> ConnectResult<Vec<Props>> {
        let name = spec.name.clone();
        self.stop_instance(&name).await;
        let started = Instance::start_with_tasks(&spec).await;
        self.services
            .metrics
            .connector_started(&name, started.is_ok());
        let (instance, task_configs) =
            started.inspect_err(|err| self.services.failed(&name, err))?;
        tracing::info!(connector = %name, class = spec.plugin.class, tasks = task_configs.len(), "connector started");
        self.services
            .status
            .set_connector(&name, State::active(paused), None);
        let runtime = self
            .connectors
            .entry(name)
            .or_insert_with(|| ConnectorRuntime::new(spec.clone(), paused));
        runtime.spec = spec;
        runtime.instance = Some(instance);
        runtime.task_configs = task_configs.clone();
        Ok(task_configs)
    }

    /// Stops the connector instance, leaving its tasks on this worker running. Returns false
    /// when no instance ran here.
    pub async fn stop_instance(&mut self, name: &str) -> bool {
        let Some(runtime) = self.connectors.get_mut(name) else {
            return false;
        };
        let Some(mut instance) = runtime.instance.take() else {
            return false;
        };
        runtime.task_configs.clear();
        if let Err(err) = instance.stop().await {
            tracing::warn!(connector = %name, error = %err, "connector did not stop cleanly");
        }
        self.services.metrics.connector_stopped(name);
        self.forget_if_idle(name);
        tracing::info!(connector = %name, "connector stopped");
        true
    }

    /// Starts task `n` of a connector with `config`, replacing a run of it already here. The
    /// connector's spec replaces the one its other tasks started with.
    pub async fn start_task(
        &mut self,
        spec: Arc<ConnectorSpec>,
        n: u32,
        config: Props,
        paused: bool,
    ) {
        let id = task_id(&spec.name, n);
        self.stop_tasks(std::slice::from_ref(&id)).await;
        let runtime = self
            .connectors
            .entry(spec.name.clone())
            .or_insert_with(|| ConnectorRuntime::new(spec.clone(), paused));
        runtime.spec = spec;
        self.services.launch(runtime, n, config).await;
    }

    /// Stops the given tasks at once (each flushes and commits).
    pub async fn stop_tasks(&mut self, ids: &[TaskId]) {
        let mut stopping = Vec::new();
        for id in ids {
            if let Some(runtime) = self.connectors.get_mut(&id.connector)
                && let Some(task) = runtime.tasks.remove(&id.task)
            {
                stopping.push(task);
            }
        }
        self.services.stop_tasks(stopping).await;
        for id in ids {
            self.forget_if_idle(&id.connector);
        }
    }

    /// The tasks running here (or FAILED here), with the config each started with.
    pub fn tasks(&self) -> BTreeMap<TaskId, &Props> {
        self.connectors
            .iter()
            .flat_map(|(name, runtime)| {
                runtime
                    .tasks
                    .iter()
                    .map(|(n, task)| (task_id(name, *n), &task.config))
            })
            .collect()
    }

    /// Whether the connector's instance runs here.
    pub fn has_instance(&self, name: &str) -> bool {
        self.connectors
            .get(name)
            .is_some_and(|c| c.instance.is_some())
    }

    /// Drops the bookkeeping of a connector with neither instance nor tasks here.
    fn forget_if_idle(&mut self, name: &str) {
        if self
            .connectors
            .get(name)
            .is_some_and(|c| c.instance.is_none() && c.tasks.is_empty())
        {
            self.connectors.remove(name);
        }
    }

    /// Stops a connector's tasks (each flushes and commits) and the connector itself. Returns
    /// false when it was not running here. The connector's own status is left to the caller.
    pub async fn stop_connector(&mut self, name: &str) -> bool {
        let Some(mut runtime) = self.connectors.remove(name) else {
            return false;
        };
        let tasks = std::mem::take(&mut runtime.tasks);
        self.services
            .stop_tasks(tasks.into_values().collect())
            .await;
        self.services.status.remove_tasks(name);
        if let Some(mut instance) = runtime.instance.take() {
            if let Err(err) = instance.stop().await {
                tracing::warn!(connector = %name, error = %err, "connector did not stop cleanly");
            }
            self.services.metrics.connector_stopped(name);
        }
        tracing::info!(connector = %name, "connector stopped");
        true
    }

    /// Pauses or resumes a running connector's tasks. Failed tasks stay FAILED.
    pub fn set_paused(&mut self, name: &str, paused: bool) -> bool {
        let Some(runtime) = self.connectors.get_mut(name) else {
            return false;
        };
        runtime.paused.send_replace(paused);
        let (state, from) = if paused {
            (State::Paused, State::Running)
        } else {
            (State::Running, State::Paused)
        };
        let status = &self.services.status;
        for n in runtime.tasks.keys() {
            let id = task_id(name, *n);
            if status.task(&id).is_some_and(|s| s.state == from) {
                status.set(&id, state, None);
            }
        }
        if status.connector(name).is_some_and(|s| s.state == from) {
            status.set_connector(name, state, None);
        }
        true
    }

    /// Stops one task and starts it again from its config.
    pub async fn restart_task(&mut self, id: &TaskId) -> bool {
        let Some(runtime) = self.connectors.get_mut(&id.connector) else {
            return false;
        };
        let Some(task) = runtime.tasks.remove(&id.task) else {
            return false;
        };
        self.services.status.set(id, State::Restarting, None);
        let config = task.config.clone();
        self.services.stop_tasks(vec![task]).await;
        self.services.launch(runtime, id.task, config).await;
        true
    }

    /// Restarts the connector instance; its tasks restart too when their configs changed.
    pub async fn restart_connector(&mut self, name: &str) -> ConnectResult<bool> {
        let Some(runtime) = self.connectors.get_mut(name) else {
            return Ok(false);
        };
        if let Some(mut instance) = runtime.instance.take()
            && let Err(err) = instance.stop().await
        {
            tracing::warn!(connector = %name, error = %err, "connector did not stop cleanly");
        }
        let (instance, configs) = Instance::start_with_tasks(&runtime.spec)
            .await
            .inspect_err(|err| self.services.failed(name, err))?;
        runtime.instance = Some(instance);
        let paused = *runtime.paused.borrow();
        let state = State::active(paused);
        self.services.status.set_connector(name, state, None);
        if configs != runtime.task_configs {
            runtime.task_configs = configs;
            let tasks = std::mem::take(&mut runtime.tasks);
            self.services
                .stop_tasks(tasks.into_values().collect())
                .await;
            self.services.status.remove_tasks(name);
            launch_all(&mut self.services, runtime).await;
        }
        Ok(true)
    }

    /// Stops every task (each flushes and commits) and every connector.
    pub async fn shutdown(&mut self) {
        let mut tasks = Vec::new();
        for runtime in self.connectors.values_mut() {
            tasks.extend(std::mem::take(&mut runtime.tasks).into_values());
        }
        // All tasks stop at once, so shutdown takes one timeout, not one per task.
        self.services.stop_tasks(tasks).await;
        let names: Vec<String> = self.connectors.keys().cloned().collect();
        for name in names {
            self.stop_connector(&name).await;
        }
    }
}

impl ConnectorRuntime {
    fn new(spec: Arc<ConnectorSpec>, paused: bool) -> Self {
        ConnectorRuntime {
            spec,
            instance: None,
            task_configs: Vec::new(),
            tasks: BTreeMap::new(),
            paused: watch::Sender::new(paused),
        }
    }
}

/// Launches one task per config the instance generated.
async fn launch_all(services: &mut Services, runtime: &mut ConnectorRuntime) {
    for (n, config) in (0u32..).zip(runtime.task_configs.clone()) {
        services.launch(runtime, n, config).await;
    }
}

/// A task of the connector: from the running instance, else from a fresh, unstarted connector
/// object (tasks must not depend on the instance's state, as in Kafka Connect).
enum NewTask {
    Source(Box<dyn sluice_api::SourceTask>),
    Sink(Box<dyn sluice_api::SinkTask>),
}

fn new_task(spec: &ConnectorSpec, instance: Option<&Instance>) -> NewTask {
    match (instance, spec.plugin.factory) {
        (Some(Instance::Source(c)), _) => NewTask::Source(c.create_task()),
        (Some(Instance::Sink(c)), _) => NewTask::Sink(c.create_task()),
        (None, ConnectorFactory::Source(make)) => NewTask::Source(make().create_task()),
        (None, ConnectorFactory::Sink(make)) => NewTask::Sink(make().create_task()),
    }
}

fn task_id(connector: &str, task: u32) -> TaskId {
    TaskId {
        connector: connector.to_string(),
        task,
    }
}

fn converter_classes(spec: &ConnectorSpec) -> (String, String) {
    (
        spec.key_converter.class.clone(),
        spec.value_converter.class.clone(),
    )
}

impl Services {
    /// Marks a connector that could not start FAILED, with the error as its trace.
    fn failed(&self, name: &str, err: &ConnectError) {
        let trace = err.trace();
        tracing::error!(connector = %name, error = %trace, "connector failed to start");
        self.status.set_connector(name, State::Failed, Some(trace));
    }

    /// Builds and spawns task `n` of a connector; a task that cannot be built is FAILED.
    async fn launch(&mut self, runtime: &mut ConnectorRuntime, n: u32, config: Props) {
        self.runs += 1;
        let run = self.runs;
        let id = task_id(&runtime.spec.name, n);
        let metrics = self.metrics.task(&id.connector, n);
        let cancel = self.cancel.child_token();
        let handle = match self
            .build(runtime, &id, config.clone(), &metrics, cancel.clone())
            .await
        {
            Ok(task) => Some(self.spawn(id.clone(), run, metrics, *runtime.paused.borrow(), task)),
            Err(err) => {
                let trace = err.trace();
                tracing::error!(task = %id, error = %trace, "task failed to start");
                self.metrics.task_started(false);
                metrics.set_status(State::Failed.as_str());
                self.status.set(&id, State::Failed, Some(trace));
                let _ = self.exits.send(TaskExit {
                    id,
                    run,
                    failed: true,
                    ran_for: std::time::Duration::ZERO,
                });
                None
            }
        };
        runtime.tasks.insert(
            n,
            RunningTask {
                run,
                config,
                cancel,
                handle,
            },
        );
    }

    async fn build(
        &self,
        runtime: &ConnectorRuntime,
        id: &TaskId,
        config: Props,
        metrics: &TaskMetrics,
        cancel: CancellationToken,
    ) -> ConnectResult<futures::future::BoxFuture<'static, ConnectResult<()>>> {
        let spec = &runtime.spec;
        let parts = self.task_parts(spec, id, metrics).await?;
        let paused = runtime.paused.subscribe();
        let topics = self.topics.recorder(id);
        Ok(match new_task(spec, runtime.instance.as_ref()) {
            NewTask::Source(task) => {
                let task = SourceTaskLoop {
                    id: id.clone(),
                    config,
                    task,
                    transforms: parts.transforms,
                    converter: parts.converter,
                    producer: self.producer(spec)?,
                    offsets: self.offsets.clone(),
                    errors: parts.errors,
                    metrics: metrics.clone(),
                    converter_classes: converter_classes(spec),
                    flush_interval: self.config.offset_flush_interval,
                    flush_timeout: self.config.offset_flush_timeout,
                    cancel,
                    paused,
                    topics,
                };
                Box::pin(async move { task.run().await.map(|_| ()) })
            }
            NewTask::Sink(task) => {
                let topic_spec = spec
                    .sink_topics
                    .clone()
                    .unwrap_or(SinkTopics::List(Vec::new()));
                let task = SinkTaskLoop {
                    id: id.clone(),
                    config,
                    task,
                    transforms: parts.transforms,
                    converter: Arc::new(parts.converter),
                    consumer: self.consumer(spec, metrics)?,
                    topics: topic_spec,
                    errors: Arc::new(parts.errors),
                    metrics: metrics.clone(),
                    converter_classes: converter_classes(spec),
                    connector_class: spec.plugin.class.to_string(),
                    batch_size: kafka::max_poll_records(&self.config, &spec.props),
                    flush_interval: self.config.offset_flush_interval,
                    cancel,
                    paused,
                    active_topics: topics,
                };
                Box::pin(async move { task.run().await.map(|_| ()) })
            }
        })
    }

    /// What every task loop needs besides its client: transforms, converters, error handling.
    async fn task_parts(
        &self,
        spec: &ConnectorSpec,
        id: &TaskId,
        metrics: &TaskMetrics,
    ) -> ConnectResult<TaskParts> {
        let dead_letter = match &spec.errors.dead_letter {
            Some(settings) => Some(
                DeadLetterQueue::open(&self.config, &spec.props, settings, &spec.name, id.task)
                    .await?,
            ),
            None => None,
        };
        Ok(TaskParts {
            transforms: TransformChain::build(&spec.transforms, metrics.clone())?,
            converter: RecordConverter::build(&spec.key_converter, &spec.value_converter)?,
            errors: ErrorHandler::new(
                spec.errors.clone(),
                dead_letter,
                id.clone(),
                metrics.clone(),
            ),
        })
    }

    fn producer(&self, spec: &ConnectorSpec) -> ConnectResult<FutureProducer> {
        kafka::producer_config(&self.config, &spec.props)
            .create()
            .map_err(|e| {
                ConnectError::fatal(format!("invalid producer settings for {}: {e}", spec.name))
            })
    }

    fn consumer(
        &self,
        spec: &ConnectorSpec,
        metrics: &TaskMetrics,
    ) -> ConnectResult<StreamConsumer<sink_task::SinkConsumerContext>> {
        kafka::consumer_config(&self.config, &spec.name, &spec.props)
            .create_with_context(sink_task::SinkConsumerContext::new(metrics.clone()))
            .map_err(|e| {
                ConnectError::fatal(format!("invalid consumer settings for {}: {e}", spec.name))
            })
    }

    fn spawn(
        &self,
        id: TaskId,
        run: u64,
        metrics: TaskMetrics,
        paused: bool,
        task: impl Future<Output = ConnectResult<()>> + Send + 'static,
    ) -> JoinHandle<()> {
        let status = self.status.clone();
        let state = State::active(paused);
        status.set(&id, state, None);
        tracing::info!(task = %id, run, "task started");
        self.metrics.task_started(true);
        metrics.set_status(State::Running.as_str());
        let worker_metrics = self.metrics.clone();
        let exits = self.exits.clone();
        // Every log line of the task carries its connector and task id.
        let span = tracing::info_span!("task", connector = %id.connector, task = id.task);
        let task = task.instrument(span);
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            // A panicking plugin fails its task only.
            let outcome = AssertUnwindSafe(task).catch_unwind().await;
            worker_metrics.task_stopped();
            let trace = match outcome {
                Ok(Ok(())) => {
                    metrics.set_status(State::Unassigned.as_str());
                    status.set(&id, State::Unassigned, None);
                    let _ = exits.send(TaskExit {
                        id,
                        run,
                        failed: false,
                        ran_for: started.elapsed(),
                    });
                    return;
                }
                Ok(Err(err)) => err.trace(),
                Err(panic) => format!("task panicked: {}", panic_message(panic.as_ref())),
            };
            tracing::error!(task = %id, error = %trace, "task failed");
            metrics.set_status(State::Failed.as_str());
            status.set(&id, State::Failed, Some(trace));
            let _ = exits.send(TaskExit {
                id,
                run,
                failed: true,
                ran_for: started.elapsed(),
            });
        })
    }

    /// Cancels the tasks and waits for them to flush and commit, aborting any that do not stop
    /// within `task.shutdown.graceful.timeout.ms` + `offset.flush.timeout.ms`.
    async fn stop_tasks(&self, tasks: Vec<RunningTask>) {
        for task in &tasks {
            task.cancel.cancel();
        }
        let timeout = self.config.task_shutdown_timeout + self.config.offset_flush_timeout;
        let mut handles: Vec<JoinHandle<()>> = tasks.into_iter().filter_map(|t| t.handle).collect();
        // Each handle leaves the list once it completed: awaiting a finished handle again (in
        // the abort path below) would panic.
        let all_done = async {
            while let Some(handle) = handles.last_mut() {
                if let Err(err) = handle.await
                    && err.is_panic()
                {
                    tracing::error!(error = %err, "task panicked");
                }
                handles.pop();
            }
        };
        if tokio::time::timeout(timeout, all_done).await.is_err() {
            tracing::warn!("tasks did not stop within {timeout:?}; aborting them");
            for handle in &handles {
                handle.abort();
            }
            for handle in handles {
                let _ = handle.await;
            }
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}
