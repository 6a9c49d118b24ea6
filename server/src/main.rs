//! The `coastwatch` command line: wiring only; each command lives in `cli/`. Exit codes: 0 ok,
//! 2 bad usage or bad input, 1 other failure.

mod cli;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than glibc's malloc: in the soak (`tests/benches/soak.rs`) the server holds
/// about 300 MiB at one minute where glibc's per-thread arenas held 440–490 MiB, and it gives
/// memory back after the spikes of single requests.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let default_level = if matches!(
        cli.command,
        cli::Command::Serve { .. } | cli::Command::Demo { .. }
    ) {
        "info"
    } else {
        "warn"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| default_level.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match runtime.block_on(cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            match &error {
                cli::CliError::Failed(inner) => eprintln!("error: {inner:#}"),
                cli::CliError::Input(message) => eprintln!("error: {message}"),
            }
            ExitCode::from(error.exit_code())
        }
    }
}
