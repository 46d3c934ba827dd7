//! `ansinh report --as-of YYYY-MM-DD [--at-seq N] [--by program|district|category]
//! [--format text|csv|json|footnote]`.

use super::{CliResult, Context};
use crate::ledger::report::{self, GroupBy};
use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, Default, clap::ValueEnum)]
pub enum Output {
    #[default]
    Text,
    Csv,
    Json,
    Footnote,
}

#[derive(Debug, Clone, Copy, Default, clap::ValueEnum)]
pub enum By {
    #[default]
    Program,
    District,
    Category,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Effective date the figures are as of.
    #[arg(long, value_parser = parse_date)]
    as_of: NaiveDate,
    /// Pin to the journal as it stood at entry N (reproduces an old report).
    #[arg(long)]
    at_seq: Option<i64>,
    #[arg(long, value_enum, default_value_t)]
    by: By,
    #[arg(long, value_enum, default_value_t)]
    format: Output,
}

pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .map_err(|_| format!("'{text}' is not a date (YYYY-MM-DD)"))
}

pub async fn run(context: &Context, args: Args) -> CliResult {
    let by = match args.by {
        By::Program => GroupBy::Program,
        By::District => GroupBy::District,
        By::Category => GroupBy::Category,
    };
    let summary = report::summary(context.store.as_ref(), args.as_of, args.at_seq, by).await?;
    match args.format {
        Output::Text => print!("{}", summary.to_text()),
        Output::Csv => print!("{}", summary.to_csv()),
        Output::Json => println!("{}", summary.to_json()),
        Output::Footnote => print!("{}", summary.to_footnote()),
    }
    Ok(())
}
