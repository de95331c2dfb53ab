//! The `sluice` binary.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use sluice_runtime::cli::{self, Cli};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    let cancel = CancellationToken::new();
    tokio::spawn(watch_signals(cancel.clone()));
    cli::run(cli, cancel).await
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
