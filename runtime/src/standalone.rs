//! Standalone mode: one worker, connectors from files, offsets in a local file or a Kafka topic.
//! Like `connect-standalone.sh worker.properties connector1.properties …`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sluice_api::config::ConfigIssue;
use sluice_api::{ConnectError, ConnectResult};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::config::{ConnectorSpec, WorkerConfig, read_connector_file, read_worker_file};
use crate::metrics::{self, Metrics, ProgressSummary};
use crate::offsets;
use crate::registry::Registry;
use crate::worker::Worker;
use crate::worker::status::StatusBoard;
use crate::worker::topics::ActiveTopics;

/// Everything wrong with a set of config files, each problem naming its file and key.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration, nothing was started:\n{}", .problems.join("\n"))]
pub struct ConfigProblems {
    pub problems: Vec<String>,
}

/// Reads and validates the worker file and every connector file, reporting all problems at once.
pub fn load(
    registry: &Registry,
    worker_file: &Path,
    connector_files: &[PathBuf],
) -> Result<(WorkerConfig, Vec<ConnectorSpec>), ConfigProblems> {
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
            WorkerConfig::parse(&props)
                .map_err(|e| problems.extend(describe(worker_file, e.issues())))
                .ok()
        });
    // Connector files are still checked against a default worker, so that one run shows all.
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
    let mut specs: Vec<ConnectorSpec> = Vec::new();
    for file in connector_files {
        let connector = match read_connector_file(file) {
            Ok(connector) => connector,
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        };
        if specs.iter().any(|s| s.name == connector.name) {
            problems.push(format!(
                "{}: name: connector '{}' is defined twice",
                file.display(),
                connector.name
            ));
            continue;
        }
        match ConnectorSpec::validate(registry, for_connectors, &connector.config) {
            Ok(spec) => specs.push(spec),
            Err(e) => problems.extend(describe(file, e.issues())),
        }
    }
    match worker {
        Some(worker) if problems.is_empty() => Ok((worker, specs)),
        _ => Err(ConfigProblems { problems }),
    }
}

/// Runs the connectors until `cancel` fires, then stops them gracefully. The metrics endpoint
/// (`metrics.listener`) is up before anything starts and stops on `cancel`; the progress line
/// (`progress.interval.ms`) is logged until every task has stopped, and once more at the end.
pub async fn run(
    worker: WorkerConfig,
    specs: Vec<ConnectorSpec>,
    cancel: CancellationToken,
) -> ConnectResult<()> {
    let metrics = Metrics::new();
    // A child token, so that the endpoint also stops when startup fails below.
    let endpoint_stop = cancel.child_token();
    let endpoint = match &worker.metrics_listener {
        Some(listener) => Some(
            metrics::serve(metrics.clone(), listener, endpoint_stop.clone())
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

    let ran = async {
        let offsets = offsets::open(&worker).await?;
        let (mut worker, _exits) = Worker::new(
            worker,
            offsets,
            metrics.clone(),
            StatusBoard::default(),
            ActiveTopics::default(),
            cancel.clone(),
        );
        for spec in specs {
            // One connector failing to start leaves the others running, as in Kafka Connect:
            // the worker has logged the error and marked the connector FAILED.
            let _ = worker.start_connector(spec, false).await;
        }
        cancel.cancelled().await;
        worker.shutdown().await;
        Ok(())
    }
    .await;

    progress_stop.cancel();
    endpoint_stop.cancel();
    if let Some(progress) = progress
        && let Err(err) = progress.await
    {
        tracing::warn!(error = %err, "progress reporter failed");
    }
    if let Some(endpoint) = endpoint {
        endpoint.stopped().await;
    }
    ran
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
