#![forbid(unsafe_code)]

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    ansinh::telemetry::init();
    ansinh::cli::run(ansinh::cli::Cli::parse()).await
}
