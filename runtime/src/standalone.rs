//! Standalone mode: one worker, connectors from files, offsets in a local file or a Kafka topic.
//! Like `connect-standalone.sh worker.properties connector1.properties …`.

use std::path::{Path, PathBuf};

use sluice_api::ConnectResult;
use sluice_api::config::ConfigIssue;
use tokio_util::sync::CancellationToken;

use crate::config::{ConnectorSpec, WorkerConfig, read_connector_file, read_worker_file};
use crate::offsets;
use crate::registry::Registry;
use crate::worker::Worker;

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

/// Runs the connectors until `cancel` fires, then stops them gracefully.
pub async fn run(
    worker: WorkerConfig,
    specs: Vec<ConnectorSpec>,
    cancel: CancellationToken,
) -> ConnectResult<()> {
    let offsets = offsets::open(&worker).await?;
    let mut worker = Worker::new(worker, offsets, cancel);
    for spec in &specs {
        // One connector failing to start leaves the others running, as in Kafka Connect.
        if let Err(err) = worker.start_connector(spec).await {
            tracing::error!(connector = %spec.name, error = %err.trace(), "connector failed to start");
        }
    }
    worker.run_until_cancelled().await;
    Ok(())
}
