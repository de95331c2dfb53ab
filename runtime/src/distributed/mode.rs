//! `sluice distributed worker.yaml`: one worker of a cluster, like `connect-distributed.sh`.
//! Connectors come only from the REST API and live in the config topic.

use std::path::Path;
use std::sync::Arc;

use sluice_api::{ConnectError, ConnectResult};
use tokio_util::sync::CancellationToken;

use super::config_store::KafkaConfigStore;
use super::coordinator::WorkerCoordinator;
use super::herder::{DistributedHerder, DistributedSettings, StatusView, Stores};
use super::settings::DistributedConfig;
use super::status_store::KafkaStatusStore;
use super::topics::ensure_internal_topics;
use crate::logging::LogControl;
use crate::metrics::Metrics;
use crate::offsets;
use crate::registry::Registry;
use crate::rest::{self, RestState, config::RestConfig};
use crate::standalone::{ConfigProblems, Loaded, Observability};
use crate::worker::Worker;
use crate::worker::status::StatusBoard;
use crate::worker::topics::ActiveTopics;

/// Reads and validates the worker file, distributed settings included, reporting every problem.
pub fn load(
    registry: &Registry,
    worker_file: &Path,
) -> Result<(Loaded, DistributedConfig), ConfigProblems> {
    let loaded = crate::standalone::load(registry, worker_file, &[])?;
    match DistributedConfig::from_worker(&loaded.worker) {
        Ok(settings) => Ok((loaded, settings)),
        Err(e) => Err(ConfigProblems {
            problems: e
                .issues()
                .iter()
                .map(|i| format!("{}: {i}", worker_file.display()))
                .collect(),
        }),
    }
}

/// Runs the worker until `cancel` fires: it leaves the group having stopped its tasks (each
/// flushes and commits), then the REST API and metrics endpoint stop.
pub async fn run(
    loaded: Loaded,
    settings: DistributedConfig,
    logs: Arc<LogControl>,
    cancel: CancellationToken,
) -> ConnectResult<()> {
    let Loaded {
        worker, providers, ..
    } = loaded;
    let metrics = Metrics::new();
    // A child token, so that the endpoints also stop when startup fails below.
    let endpoint_stop = cancel.child_token();
    let observing = Observability::start(&worker, &metrics, endpoint_stop.clone()).await?;
    let mut rest = None;
    let mut following = None;
    let ran = async {
        let rest_config = RestConfig::from_worker(&worker.props)
            .map_err(|e| ConnectError::fatal(e.to_string()))?;
        ensure_internal_topics(&worker, &settings.topics.specs()).await?;
        let statuses = StatusView::new(KafkaStatusStore::open(
            &worker,
            &settings.topics.status.name,
        )?);
        let stores = Stores {
            config: KafkaConfigStore::open(&worker, &settings.topics.config.name)?,
            statuses: statuses.clone(),
            offsets: offsets::open(&worker).await?,
        };
        let status = StatusBoard::with_listener(statuses.listener());
        let topics = ActiveTopics::with_listener(statuses.topic_listener());
        let (runner, exits) = Worker::new(
            worker.clone(),
            stores.offsets.clone(),
            metrics.clone(),
            status.clone(),
            topics.clone(),
            cancel.clone(),
        );
        let registry = Arc::new(Registry::builtin());
        let herder_settings = DistributedSettings {
            registry: registry.clone(),
            worker: worker.clone(),
            providers,
            restart: worker.restart.clone(),
            topic_tracking: rest_config.topic_tracking,
            topic_reset: rest_config.topic_reset,
            sync_timeout: settings.sync_timeout,
            peer_auth: rest_config.auth.peer_header(),
        };
        let (herder, herder_loop) = DistributedHerder::new(
            herder_settings,
            stores,
            runner,
            exits,
            status,
            topics,
            cancel.clone(),
        )?;
        let state = RestState {
            herder: Arc::new(herder.clone()),
            registry,
            logs,
            kafka_cluster_id: rest::kafka_cluster_id(&worker.bootstrap_servers).await,
        };
        let server = rest::serve(&rest_config, state, endpoint_stop.clone()).await?;
        herder.set_worker_id(server.worker_id.clone());
        let coordinator_config = settings.coordinator(&worker, &server.url);
        tracing::info!(
            group = %settings.group_id,
            url = %server.url,
            "joining the cluster"
        );
        rest = Some(server);
        let follow = statuses.clone();
        let follow_stop = cancel.clone();
        following = Some(tokio::spawn(
            async move { follow.follow(follow_stop).await },
        ));
        let work = herder.clone();
        let (coordinator, events) =
            WorkerCoordinator::new(coordinator_config, move || work.configured_work())
                .map_err(|e| ConnectError::fatal(e.to_string()))?;
        herder_loop
            .run(coordinator, events)
            .await
            .map_err(|e| ConnectError::fatal(e.to_string()))
    }
    .await;

    endpoint_stop.cancel();
    if let Some(following) = following {
        // It stops with `cancel`; a failed start has not fired that yet.
        if ran.is_err() {
            following.abort();
        }
        let _ = following.await;
    }
    observing.stopped().await;
    if let Some(rest) = rest {
        rest.stopped().await;
    }
    ran
}
