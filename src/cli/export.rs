//! `ansinh export --format ledger|beancount|csv [--as-of YYYY-MM-DD] [--output FILE]`.

use super::{CliResult, Context};
use crate::report::export::{self, Format};
use chrono::NaiveDate;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, value_enum)]
    format: Format,
    #[arg(long, value_parser = crate::domain::date::parse_date)]
    as_of: Option<NaiveDate>,
    /// Write to this file instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
}

pub async fn run(context: &Context, args: Args) -> CliResult {
    let mut out: Box<dyn std::io::Write + Send> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    export::export(
        context.store.as_ref(),
        args.format,
        args.as_of,
        out.as_mut(),
    )
    .await?;
    out.flush()?;
    Ok(())
}
