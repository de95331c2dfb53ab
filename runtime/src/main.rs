//! The `sluice` binary.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use sluice_runtime::cli::{self, Cli, Command};
use sluice_runtime::config::read_worker_file;
use sluice_runtime::config::worker::LogFormat;
use sluice_runtime::logging::LogControl;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let logs = Arc::new(LogControl::install(log_format(&cli)));
    let cancel = CancellationToken::new();
    tokio::spawn(watch_signals(cancel.clone()));
    cli::run(cli, logs, cancel).await
}

/// `log.format`, which logging needs before the worker file is validated: peeked from the worker
/// file through the usual loader (so `SLUICE_LOG_FORMAT` overrides it), else taken from
/// `SLUICE_LOG_FORMAT`, else text. A bad file or value is reported later, by validation.
fn log_format(cli: &Cli) -> LogFormat {
    let from_file = match &cli.command {
        Command::Standalone { worker, .. }
        | Command::Distributed { worker }
        | Command::Validate { worker, .. } => read_worker_file(worker)
            .ok()
            .and_then(|props| props.get("log.format").cloned()),
        Command::Plugins | Command::Transform(_) | Command::Connectors(_) => None,
    };
    from_file
        .or_else(|| std::env::var("SLUICE_LOG_FORMAT").ok())
        .and_then(|value| LogFormat::parse(&value))
        .unwrap_or_default()
}

/// The first SIGINT/SIGTERM stops gracefully (flush, commit, close); a second exits at once.
async fn watch_signals(cancel: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        tracing::error!("cannot install signal handlers");
        return;
    };
    for round in 0..2 {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
        if round == 0 {
            tracing::info!("stopping: flushing and committing (signal again to exit at once)");
            cancel.cancel();
        } else {
            tracing::warn!("second signal: exiting without flushing");
            std::process::exit(130);
        }
    }
}
