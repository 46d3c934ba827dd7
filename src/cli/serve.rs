//! `ansinh serve [--bind 127.0.0.1:8080]`.

use super::{CliResult, Context};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on (port 0 picks a free port and prints it).
    #[arg(long, default_value = crate::config::DEFAULT_BIND)]
    bind: String,
}

pub async fn run(context: &Context, args: Args) -> CliResult {
    crate::http::serve(context.store.clone(), &args.bind).await?;
    Ok(())
}
