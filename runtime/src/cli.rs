//! The `sluice` command line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::distributed;
use crate::logging::LogControl;
use crate::registry::Registry;
use crate::standalone;
use crate::transform_cli::{self, TransformCommand};

#[derive(Debug, Parser)]
#[command(
    name = "sluice",
    version,
    about = "Moves events between Kafka and other systems, Kafka Connect style"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run connectors in one process, like connect-standalone.sh.
    Standalone {
        /// Worker config: YAML or a Kafka Connect .properties file.
        worker: PathBuf,
        /// Connector configs: YAML, JSON or .properties. More can be created over the REST API.
        connectors: Vec<PathBuf>,
    },
    /// Run one worker of a cluster, like connect-distributed.sh: workers with the same group.id
    /// share connectors and tasks; connectors are created over the REST API.
    Distributed {
        /// Worker config: YAML or a Kafka Connect .properties file, with group.id and the
        /// config, offset and status storage topics.
        worker: PathBuf,
    },
    /// Check worker and connector configs without starting anything.
    Validate {
        worker: PathBuf,
        connectors: Vec<PathBuf>,
    },
    /// List the built-in plugins.
    Plugins,
    /// Create, try and measure WebAssembly transform plugins.
    #[command(subcommand)]
    Transform(TransformCommand),
    /// Manage connectors of a running worker over its REST API.
    Connectors(crate::client::ConnectorsArgs),
}

/// Runs the command; `logs` changes the live log filter (`/admin/loggers`); `cancel` fires on
/// the first SIGINT/SIGTERM.
pub async fn run(cli: Cli, logs: Arc<LogControl>, cancel: CancellationToken) -> ExitCode {
    let registry = Registry::builtin();
    match cli.command {
        Command::Standalone { worker, connectors } => {
            let loaded = match standalone::load(&registry, &worker, &connectors) {
                Ok(loaded) => loaded,
                Err(problems) => {
                    eprintln!("{problems}");
                    return ExitCode::from(2);
                }
            };
            match standalone::run(loaded, logs, cancel).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("sluice: {}", err.trace());
                    ExitCode::FAILURE
                }
            }
        }
        Command::Distributed { worker } => {
            let (loaded, settings) = match distributed::mode::load(&registry, &worker) {
                Ok(loaded) => loaded,
                Err(problems) => {
                    eprintln!("{problems}");
                    return ExitCode::from(2);
                }
            };
            match distributed::mode::run(loaded, settings, logs, cancel).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("sluice: {}", err.trace());
                    ExitCode::FAILURE
                }
            }
        }
        Command::Validate { worker, connectors } => {
            match standalone::load(&registry, &worker, &connectors) {
                Ok(loaded) => {
                    for spec in loaded.specs {
                        println!(
                            "{}: ok ({} {})",
                            spec.name,
                            spec.plugin.factory.kind(),
                            spec.plugin.class
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(problems) => {
                    eprintln!("{problems}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Plugins => {
            for p in &registry.connectors {
                println!("{:<10} {:<20} {}", p.factory.kind(), p.name, p.class);
            }
            for p in &registry.transforms {
                println!("{:<10} {:<20} {}", "transform", p.name, p.class);
            }
            for p in &registry.predicates {
                println!("{:<10} {:<20} {}", "predicate", p.name, p.class);
            }
            for p in &registry.converters {
                println!("{:<10} {:<20} {}", "converter", p.name, p.class);
            }
            ExitCode::SUCCESS
        }
        // Plugin calls block (wasmtime runs synchronously), so they stay off the async workers.
        Command::Transform(command) => {
            let task = tokio::task::spawn_blocking(move || transform_cli::run(command));
            tokio::select! {
                done = task => done.unwrap_or_else(|err| {
                    eprintln!("sluice transform: {err}");
                    ExitCode::FAILURE
                }),
                // Nothing to flush or commit: an interrupted test or bench just stops.
                () = cancel.cancelled() => std::process::exit(130),
            }
        }
        // A request in flight has nothing to clean up: an interrupt abandons it.
        Command::Connectors(args) => tokio::select! {
            code = crate::client::run(args) => code,
            () = cancel.cancelled() => ExitCode::from(130),
        },
    }
}
