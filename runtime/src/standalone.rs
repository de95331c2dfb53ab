//! Standalone mode: one worker, connectors from files and the REST API, offsets in a local file
//! or a Kafka topic. Like `connect-standalone.sh worker.properties connector1.properties …`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sluice_api::config::{ConfigErrors, ConfigIssue};
use sluice_api::{ConnectError, ConnectResult, Props};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::config::providers::ConfigProviders;
use crate::config::{
    ConnectorFile, ConnectorSpec, WorkerConfig, read_connector_file, read_worker_file,
};
use crate::herder::standalone::{HerderSettings, StandaloneHerder};
use crate::herder::store::ConfigStore;
use crate::logging::LogControl;
use crate::metrics::{self, Metrics, ProgressSummary};
use crate::offsets;
use crate::registry::Registry;
use crate::rest::{self, RestState, config::RestConfig};
use crate::worker::Worker;
use crate::worker::status::StatusBoard;
use crate::worker::topics::ActiveTopics;

/// Everything wrong with a set of config files, each problem naming its file and key.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration, nothing was started:\n{}", .problems.join("\n"))]
pub struct ConfigProblems {
    pub problems: Vec<String>,
}

/// Validated config files: the worker's settings (provider references resolved) and each
/// connector both as written and as it will run.
pub struct Loaded {
    pub worker: WorkerConfig,
    pub providers: ConfigProviders,
    /// As written: references stay references until a task starts.
    pub connectors: Vec<ConnectorFile>,
    pub specs: Vec<ConnectorSpec>,
}

/// Reads and validates the worker file and every connector file, reporting all problems at once.
pub fn load(
    registry: &Registry,
    worker_file: &Path,
    connector_files: &[PathBuf],
) -> Result<Loaded, ConfigProblems> {
    let mut problems = Vec::new();
    let describe = |file: &Path, issues: &[ConfigIssue]| -> Vec<String> {
        issues
            .iter()
            .map(|i| format!("{}: {i}", file.display()))
            .collect()
    };
    let worker = read_worker_file(worker_file)
        .map_err(|e| problems.push(e.to_string()))
        .ok()
        .and_then(|props| {
            parse_worker(&props)
                .map_err(|e| problems.extend(describe(worker_file, e.issues())))
                .ok()
        });
    // Connector files are still checked against a default worker, so that one run shows all.
    let (worker, providers) = match worker {
        Some((worker, providers)) => (Some(worker), providers),
        None => (None, ConfigProviders::default()),
    };
    let fallback;
    let for_connectors = match &worker {
        Some(worker) => worker,
        None => {
            fallback = WorkerConfig::parse(&Default::default()).map_err(|e| ConfigProblems {
                problems: vec![e.to_string()],
            })?;
            &fallback
        }
    };
    let mut connectors: Vec<ConnectorFile> = Vec::new();
    let mut specs = Vec::new();
    for file in connector_files {
        let connector = match read_connector_file(file) {
            Ok(connector) => connector,
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        };
        if connectors.iter().any(|c| c.name == connector.name) {
            problems.push(format!(
                "{}: name: connector '{}' is defined twice",
                file.display(),
                connector.name
            ));
            continue;
        }
        let validated = providers.resolve(&connector.config).and_then(|resolved| {
            ConnectorSpec::validate(registry, for_connectors, &resolved.props)
        });
        match validated {
            Ok(spec) => {
                specs.push(spec);
                connectors.push(connector);
            }
            Err(e) => problems.extend(describe(file, e.issues())),
        }
    }
    match worker {
        Some(worker) if problems.is_empty() => Ok(Loaded {
            worker,
            providers,
            connectors,
            specs,
        }),
        _ => Err(ConfigProblems { problems }),
    }
}

/// The worker's settings with provider references resolved, and the providers themselves.
pub(crate) fn parse_worker(props: &Props) -> Result<(WorkerConfig, ConfigProviders), ConfigErrors> {
    let providers = ConfigProviders::from_worker(props)?;
    let resolved = providers.resolve(props)?;
    match (
        WorkerConfig::parse(&resolved.props),
        RestConfig::from_worker(&resolved.props),
    ) {
        (Ok(worker), Ok(_)) => Ok((worker, providers)),
        (worker, rest) => {
            let issues = [worker.err(), rest.err()]
                .into_iter()
                .flatten()
                .flat_map(|e| e.issues().to_vec())
                .collect();
            Err(ConfigErrors::new(issues))
        }
    }
}

/// Runs the connectors until `cancel` fires, then stops them gracefully. The metrics endpoint
/// (`metrics.listener`) and the REST API (`listeners`) are up before any connector starts and
/// stop on `cancel`; the progress line (`progress.interval.ms`) is logged until every task has
/// stopped, and once more at the end.
pub async fn run(
    loaded: Loaded,
    logs: Arc<LogControl>,
    cancel: CancellationToken,
) -> ConnectResult<()> {
    let Loaded {
        worker,
        providers,
        connectors,
        ..
    } = loaded;
    let metrics = Metrics::new();
    // A child token, so that the endpoints also stop when startup fails below.
    let endpoint_stop = cancel.child_token();
    let observing = Observability::start(&worker, &metrics, endpoint_stop.clone()).await?;

    let mut rest = None;
    let ran = async {
        let rest_config = RestConfig::from_worker(&worker.props)
            .map_err(|e| ConnectError::fatal(e.to_string()))?;
        let offsets = offsets::open(&worker).await?;
        let status = StatusBoard::default();
        let topics = ActiveTopics::default();
        let (runner, exits) = Worker::new(
            worker.clone(),
            offsets,
            metrics.clone(),
            status.clone(),
            topics.clone(),
            cancel.clone(),
        );
        let registry = Arc::new(Registry::builtin());
        let settings = HerderSettings {
            registry: registry.clone(),
            store: ConfigStore::new(&worker.config_storage_file),
            restart: worker.restart.clone(),
            topic_tracking: rest_config.topic_tracking,
            topic_reset: rest_config.topic_reset,
            worker: worker.clone(),
            providers,
        };
        let herder = StandaloneHerder::new(settings, runner, exits, status, topics, cancel.clone());
        let state = RestState {
            herder: Arc::new(herder.clone()),
            registry,
            logs,
            kafka_cluster_id: rest::kafka_cluster_id(&worker.bootstrap_servers).await,
        };
        let server = rest::serve(&rest_config, state, endpoint_stop.clone()).await?;
        let worker_id = server.worker_id.clone();
        rest = Some(server);
        // One connector failing to start leaves the others running, as in Kafka Connect: the
        // herder has logged the error and marked the connector FAILED.
        let files = connectors.into_iter().map(|c| (c.name, c.config)).collect();
        let started = herder.start(worker_id, files).await;
        if started.is_ok() {
            cancel.cancelled().await;
        }
        herder.shutdown().await;
        started
    }
    .await;

    endpoint_stop.cancel();
    observing.stopped().await;
    if let Some(rest) = rest {
        rest.stopped().await;
    }
    ran
}

/// The metrics endpoint (`metrics.listener`) and the progress line (`progress.interval.ms`)
/// that every mode runs beside its herder.
pub(crate) struct Observability {
    endpoint: Option<metrics::MetricsServer>,
    progress: Option<tokio::task::JoinHandle<()>>,
    progress_stop: CancellationToken,
}

impl Observability {
    /// Serves metrics until `stop` fires; logs progress until [`Observability::stopped`].
    pub(crate) async fn start(
        worker: &WorkerConfig,
        metrics: &Arc<Metrics>,
        stop: CancellationToken,
    ) -> ConnectResult<Self> {
        let endpoint = match &worker.metrics_listener {
            Some(listener) => Some(
                metrics::serve(metrics.clone(), listener, stop)
                    .await
                    .map_err(ConnectError::fatal)?,
            ),
            None => None,
        };
        let progress_stop = CancellationToken::new();
        let progress = worker.progress_interval.map(|every| {
            tokio::spawn(report_progress(
                metrics.clone(),
                every,
                progress_stop.clone(),
            ))
        });
        Ok(Observability {
            endpoint,
            progress,
            progress_stop,
        })
    }

    /// Logs the last progress line (every task has stopped by now) and waits for the metrics
    /// endpoint to stop.
    pub(crate) async fn stopped(self) {
        self.progress_stop.cancel();
        if let Some(progress) = self.progress
            && let Err(err) = progress.await
        {
            tracing::warn!(error = %err, "progress reporter failed");
        }
        if let Some(endpoint) = self.endpoint {
            endpoint.stopped().await;
        }
    }
}

/// Logs a progress line every `every` until `stop` fires, then a last one.
async fn report_progress(metrics: Arc<Metrics>, every: Duration, stop: CancellationToken) {
    let mut ticks = tokio::time::interval_at(Instant::now() + every, every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = ticks.tick() => log_progress(metrics.summary()),
        }
    }
    log_progress(metrics.summary());
}

fn log_progress(s: ProgressSummary) {
    tracing::info!(
        "progress: in={} out={} errors={} skipped={} lag={}",
        s.records_in,
        s.records_out,
        s.errors,
        s.skipped,
        s.lag
    );
}
