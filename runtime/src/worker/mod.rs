//! The worker: starts connectors, runs their tasks, and stops everything on cancellation.
//! A failing task is marked FAILED and logged; it never takes the worker down.

pub mod convert;
pub mod kafka;
pub mod sink_reporter;
pub mod sink_task;
pub mod source_task;
pub mod status;
pub mod transforms;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use tracing::Instrument;

use rdkafka::consumer::StreamConsumer;
use rdkafka::producer::FutureProducer;
use sluice_api::{ConnectError, ConnectResult, SinkConnector, SourceConnector};
use tokio::task::JoinSet;
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
use transforms::TransformChain;

/// A started connector instance, kept to stop it.
enum RunningConnector {
    Source(Box<dyn SourceConnector>),
    Sink(Box<dyn SinkConnector>),
}

/// The per-task pieces built from a connector spec.
struct TaskParts {
    transforms: TransformChain,
    converter: RecordConverter,
    errors: ErrorHandler,
}

fn converter_classes(spec: &ConnectorSpec) -> (String, String) {
    (
        spec.key_converter.class.clone(),
        spec.value_converter.class.clone(),
    )
}

pub struct Worker {
    config: WorkerConfig,
    metrics: Arc<Metrics>,
    offsets: Arc<dyn OffsetStore>,
    connectors: Vec<(String, RunningConnector)>,
    tasks: JoinSet<()>,
    status: StatusBoard,
    cancel: CancellationToken,
}

impl Worker {
    pub fn new(
        config: WorkerConfig,
        offsets: Arc<dyn OffsetStore>,
        metrics: Arc<Metrics>,
        cancel: CancellationToken,
    ) -> Self {
        Worker {
            config,
            metrics,
            offsets,
            connectors: Vec::new(),
            tasks: JoinSet::new(),
            status: StatusBoard::default(),
            cancel,
        }
    }

    pub fn status(&self) -> &StatusBoard {
        &self.status
    }

    /// Starts a validated connector and its tasks. A task that cannot be built is FAILED; the
    /// connector's other tasks and other connectors go on.
    pub async fn start_connector(&mut self, spec: &ConnectorSpec) -> ConnectResult<()> {
        let started = self.start_tasks(spec).await;
        self.metrics.connector_started(&spec.name, started.is_ok());
        if started.is_ok() {
            tracing::info!(connector = %spec.name, class = spec.plugin.class, "connector started");
        }
        started
    }

    async fn start_tasks(&mut self, spec: &ConnectorSpec) -> ConnectResult<()> {
        match spec.plugin.factory {
            ConnectorFactory::Source(make) => {
                let mut connector = make();
                connector.start(&spec.props).await?;
                let task_configs = connector.task_configs(spec.tasks_max)?;
                for (n, config) in task_configs.into_iter().enumerate() {
                    let id = TaskId {
                        connector: spec.name.clone(),
                        task: n as u32,
                    };
                    let metrics = self.metrics.task(&spec.name, id.task);
                    let parts = match self.task_parts(spec, &id, &metrics).await {
                        Ok(parts) => parts,
                        Err(err) => {
                            self.fail_to_start(&id, &metrics, err);
                            continue;
                        }
                    };
                    let producer = match self.producer(spec) {
                        Ok(producer) => producer,
                        Err(err) => {
                            self.fail_to_start(&id, &metrics, err);
                            continue;
                        }
                    };
                    let task = SourceTaskLoop {
                        id: id.clone(),
                        config,
                        task: connector.create_task(),
                        transforms: parts.transforms,
                        converter: parts.converter,
                        producer,
                        offsets: self.offsets.clone(),
                        errors: parts.errors,
                        metrics: metrics.clone(),
                        converter_classes: converter_classes(spec),
                        flush_interval: self.config.offset_flush_interval,
                        flush_timeout: self.config.offset_flush_timeout,
                        cancel: self.cancel.child_token(),
                    };
                    self.spawn(id, metrics, async move { task.run().await.map(|_| ()) });
                }
                self.connectors
                    .push((spec.name.clone(), RunningConnector::Source(connector)));
            }
            ConnectorFactory::Sink(make) => {
                let mut connector = make();
                connector.start(&spec.props).await?;
                let task_configs = connector.task_configs(spec.tasks_max)?;
                let topics = spec
                    .sink_topics
                    .clone()
                    .unwrap_or(SinkTopics::List(Vec::new()));
                for (n, config) in task_configs.into_iter().enumerate() {
                    let id = TaskId {
                        connector: spec.name.clone(),
                        task: n as u32,
                    };
                    let metrics = self.metrics.task(&spec.name, id.task);
                    let built = self.task_parts(spec, &id, &metrics).await;
                    let (parts, consumer) =
                        match built.and_then(|parts| Ok((parts, self.consumer(spec, &metrics)?))) {
                            Ok(built) => built,
                            Err(err) => {
                                self.fail_to_start(&id, &metrics, err);
                                continue;
                            }
                        };
                    let task = SinkTaskLoop {
                        id: id.clone(),
                        config,
                        task: connector.create_task(),
                        transforms: parts.transforms,
                        converter: Arc::new(parts.converter),
                        consumer,
                        topics: topics.clone(),
                        errors: Arc::new(parts.errors),
                        metrics: metrics.clone(),
                        converter_classes: converter_classes(spec),
                        connector_class: spec.plugin.class.to_string(),
                        batch_size: kafka::max_poll_records(&self.config, &spec.props),
                        flush_interval: self.config.offset_flush_interval,
                        cancel: self.cancel.child_token(),
                    };
                    self.spawn(id, metrics, async move { task.run().await.map(|_| ()) });
                }
                self.connectors
                    .push((spec.name.clone(), RunningConnector::Sink(connector)));
            }
        }
        Ok(())
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

    fn fail_to_start(&self, id: &TaskId, metrics: &TaskMetrics, err: ConnectError) {
        let trace = err.trace();
        tracing::error!(task = %id, error = %trace, "task failed to start");
        self.metrics.task_started(false);
        metrics.set_status(State::Failed.as_str());
        self.status.set(id, State::Failed, Some(trace));
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
        &mut self,
        id: TaskId,
        metrics: TaskMetrics,
        run: impl Future<Output = ConnectResult<()>> + Send + 'static,
    ) {
        let status = self.status.clone();
        status.set(&id, State::Running, None);
        self.metrics.task_started(true);
        metrics.set_status(State::Running.as_str());
        let worker_metrics = self.metrics.clone();
        // Every log line of the task carries its connector and task id.
        let span = tracing::info_span!("task", connector = %id.connector, task = id.task);
        let run = run.instrument(span);
        self.tasks.spawn(async move {
            // A panicking plugin fails its task only.
            let outcome = AssertUnwindSafe(run).catch_unwind().await;
            worker_metrics.task_stopped();
            let trace = match outcome {
                Ok(Ok(())) => {
                    metrics.set_status(State::Unassigned.as_str());
                    return status.set(&id, State::Unassigned, None);
                }
                Ok(Err(err)) => err.trace(),
                Err(panic) => format!("task panicked: {}", panic_message(panic.as_ref())),
            };
            tracing::error!(task = %id, error = %trace, "task failed");
            metrics.set_status(State::Failed.as_str());
            status.set(&id, State::Failed, Some(trace));
        });
    }

    /// Waits until cancelled, then stops every task (each flushes and commits) and connector.
    pub async fn run_until_cancelled(mut self) {
        self.cancel.cancelled().await;
        let timeout = self.config.task_shutdown_timeout + self.config.offset_flush_timeout;
        let all_done = async {
            while let Some(joined) = self.tasks.join_next().await {
                if let Err(err) = joined {
                    tracing::error!(error = %err, "task panicked");
                }
            }
        };
        if tokio::time::timeout(timeout, all_done).await.is_err() {
            tracing::warn!("tasks did not stop within {timeout:?}; aborting them");
            self.tasks.shutdown().await;
        }
        for (name, connector) in &mut self.connectors {
            let stopped = match connector {
                RunningConnector::Source(c) => c.stop().await,
                RunningConnector::Sink(c) => c.stop().await,
            };
            if let Err(err) = stopped {
                tracing::warn!(connector = %name, error = %err, "connector did not stop cleanly");
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
