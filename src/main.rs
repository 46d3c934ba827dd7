#![forbid(unsafe_code)]

use clap::Parser;
use std::process::ExitCode;

/// mimalloc rather than the system allocator: at national scale (63
/// ledgers imported and verified in one process) it hands memory back
/// between phases, where glibc's arenas kept each phase's peak (`bench
/// national`: 272 against 380 MiB at the end; README, *Performance*).
/// Built without transparent huge pages (Cargo feature `no_thp`): a 2 MiB
/// page is zeroed whole at first touch, which cost peak memory and, on
/// this project's virtual machines, kernel time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    ansinh::telemetry::init();
    ansinh::cli::run(ansinh::cli::Cli::parse()).await
}
