//! The worker: starts connectors, runs their tasks, and stops everything on cancellation.
//! A failing task is marked FAILED and logged; it never takes the worker down.

pub mod convert;
pub mod kafka;
pub mod retry;
pub mod sink_task;
pub mod source_task;
pub mod status;
pub mod transforms;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;

use rdkafka::consumer::StreamConsumer;
use rdkafka::producer::FutureProducer;
use sluice_api::{ConnectError, ConnectResult, SinkConnector, SourceConnector};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::{ConnectorSpec, SinkTopics, WorkerConfig};
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

pub struct Worker {
    config: WorkerConfig,
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
        cancel: CancellationToken,
    ) -> Self {
        Worker {
            config,
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

    /// Starts a validated connector and its tasks.
    pub async fn start_connector(&mut self, spec: &ConnectorSpec) -> ConnectResult<()> {
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
                    let task = SourceTaskLoop {
                        id: id.clone(),
                        config,
                        task: connector.create_task(),
                        transforms: TransformChain::build(&spec.transforms)?,
                        converter: RecordConverter::build(
                            &spec.key_converter,
                            &spec.value_converter,
                        )?,
                        producer: self.producer(spec)?,
                        offsets: self.offsets.clone(),
                        flush_interval: self.config.offset_flush_interval,
                        flush_timeout: self.config.offset_flush_timeout,
                        cancel: self.cancel.child_token(),
                    };
                    self.spawn(id, async move { task.run().await.map(|_| ()) });
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
                    let task = SinkTaskLoop {
                        id: id.clone(),
                        config,
                        task: connector.create_task(),
                        transforms: TransformChain::build(&spec.transforms)?,
                        converter: RecordConverter::build(
                            &spec.key_converter,
                            &spec.value_converter,
                        )?,
                        consumer: self.consumer(spec)?,
                        topics: topics.clone(),
                        batch_size: kafka::max_poll_records(&self.config, &spec.props),
                        flush_interval: self.config.offset_flush_interval,
                        cancel: self.cancel.child_token(),
                    };
                    self.spawn(id, async move { task.run().await.map(|_| ()) });
                }
                self.connectors
                    .push((spec.name.clone(), RunningConnector::Sink(connector)));
            }
        }
        tracing::info!(connector = %spec.name, class = spec.plugin.class, "connector started");
        Ok(())
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
    ) -> ConnectResult<StreamConsumer<sink_task::SinkConsumerContext>> {
        kafka::consumer_config(&self.config, &spec.name, &spec.props)
            .create_with_context(SinkTaskLoop::consumer_context())
            .map_err(|e| {
                ConnectError::fatal(format!("invalid consumer settings for {}: {e}", spec.name))
            })
    }

    fn spawn(&mut self, id: TaskId, run: impl Future<Output = ConnectResult<()>> + Send + 'static) {
        let status = self.status.clone();
        status.set(&id, State::Running, None);
        self.tasks.spawn(async move {
            // A panicking plugin fails its task only.
            let trace = match AssertUnwindSafe(run).catch_unwind().await {
                Ok(Ok(())) => return status.set(&id, State::Unassigned, None),
                Ok(Err(err)) => err.trace(),
                Err(panic) => format!("task panicked: {}", panic_message(panic.as_ref())),
            };
            tracing::error!(task = %id, error = %trace, "task failed");
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
