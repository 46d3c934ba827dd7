//! `ansinh report --as-of YYYY-MM-DD [--at-seq N] [--by program|district|category]
//! [--format text|csv|json|footnote]`.

use super::{CliResult, Context};
use crate::domain::date::parse_date;
use crate::report::{self, GroupBy};
use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, Default, clap::ValueEnum)]
pub enum Output {
    #[default]
    Text,
    Csv,
    Json,
    Footnote,
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
    by: GroupBy,
    #[arg(long, value_enum, default_value_t)]
    format: Output,
}

pub async fn run(context: &Context, args: Args) -> CliResult {
    let summary = report::summary(context.store.as_ref(), args.as_of, args.at_seq, args.by).await?;
    match args.format {
        Output::Text => super::print_out(&summary.to_text())?,
        Output::Csv => super::print_out(&summary.to_csv())?,
        Output::Json => super::print_out(&format!("{}\n", summary.to_json()))?,
        Output::Footnote => super::print_out(&summary.to_footnote())?,
    }
    Ok(())
}
