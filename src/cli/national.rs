//! `ansinh national-report --as-of YYYY-MM-DD [--ledgers 84,87,…]
//! [--format text|json]`: every provincial ledger of the database summed,
//! each at its own head, with the national checkpoint.

use super::{CliError, CliResult};
use crate::domain::date::parse_date;
use crate::domain::LedgerCode;
use crate::report::national::{NationalError, NationalLedgers};
use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, Default, clap::ValueEnum)]
pub enum Output {
    #[default]
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Effective date the figures are as of.
    #[arg(long, value_parser = parse_date)]
    as_of: NaiveDate,
    /// The ledgers to sum, by province code (default: every ledger in the database).
    #[arg(long, value_delimiter = ',', value_parser = LedgerCode::parse)]
    ledgers: Vec<LedgerCode>,
    #[arg(long, value_enum, default_value_t)]
    format: Output,
}

pub async fn run(database_url: &str, args: Args) -> CliResult {
    let summary = NationalLedgers::new(database_url)
        .report(&args.ledgers, args.as_of)
        .await
        .map_err(|error| match error {
            NationalError::Store(error) => CliError::Store(error),
            refused => CliError::Refused(refused.to_string()),
        })?;
    match args.format {
        Output::Text => super::print_out(&summary.to_text())?,
        Output::Json => super::print_out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&summary).map_err(|e| CliError::Other(e.to_string()))?
        ))?,
    }
    Ok(())
}
