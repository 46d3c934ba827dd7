//! `ansinh national-report --as-of YYYY-MM-DD [--ledgers 84,87,…]
//! [--format text|json]`: every provincial ledger of the database summed,
//! each at its own head, with the national checkpoint.

use super::{CliError, CliResult};
use crate::domain::date::parse_date;
use crate::domain::LedgerCode;
use crate::report::national;
use crate::store::{self, OpenOptions};
use chrono::NaiveDate;

/// Connections per provincial ledger while the report reads it.
const CONNECTIONS_PER_LEDGER: u32 = 1;
/// An open ledger's unused connections close after this: dozens stay open.
const LEDGER_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

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
    let held = store::ledgers_in(database_url).await?;
    let chosen = if args.ledgers.is_empty() {
        held
    } else {
        if let Some(missing) = args.ledgers.iter().find(|code| !held.contains(code)) {
            return Err(CliError::Refused(format!(
                "ledger {missing} is not in this database (it holds: {}); a national report reads \
                 ledgers, it never creates one",
                list(&held)
            )));
        }
        args.ledgers
    };
    if chosen.is_empty() {
        return Err(CliError::Refused(
            "this database holds no provincial ledger: add one with `ansinh --ledger CODE …`"
                .into(),
        ));
    }
    let mut ledgers = Vec::with_capacity(chosen.len());
    for ledger in chosen {
        let options = OpenOptions {
            ledger: Some(ledger.clone()),
            connections_max: Some(CONNECTIONS_PER_LEDGER),
            idle_timeout: Some(LEDGER_IDLE_TIMEOUT),
            ..OpenOptions::default()
        };
        ledgers.push((ledger, store::open_with(database_url, &options).await?));
    }
    let summary = national::national(&ledgers, args.as_of).await?;
    match args.format {
        Output::Text => super::print_out(&summary.to_text())?,
        Output::Json => super::print_out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&summary).map_err(|e| CliError::Other(e.to_string()))?
        ))?,
    }
    Ok(())
}

fn list(ledgers: &[LedgerCode]) -> String {
    if ledgers.is_empty() {
        return "none".into();
    }
    ledgers
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
