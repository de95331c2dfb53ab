//! `sluice connectors …`: a client of a worker's Kafka Connect–compatible REST API.

mod args;
mod commands;
mod http;
mod model;
mod render;
mod views;

use std::process::ExitCode;

pub use args::{
    Auth, ConnectorsArgs, ConnectorsCommand, GlobalArgs, InitialState, OutputFormat, Settings,
    UsageError,
};
pub use http::{Api, ClientError, Reply, endpoint, error_message};
pub use render::table;

/// Runs one `sluice connectors` command: 0 on success, 1 when the worker refuses or cannot be
/// reached, 2 when a global option (or its `SLUICE_*` variable) is unusable.
pub async fn run(args: ConnectorsArgs) -> ExitCode {
    let settings = match Settings::resolve(&args.global, &|key| std::env::var(key).ok()) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    if settings.insecure {
        eprintln!("warning: TLS certificate verification is disabled (--insecure)");
    }
    let result = match Api::new(&settings) {
        Ok(api) => commands::execute(&api, &args.command, settings.output).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(err @ ClientError::Status { .. }) => {
            eprintln!("{err}");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
