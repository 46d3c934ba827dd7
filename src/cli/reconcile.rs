//! `ansinh reconcile --program P [--district D] [--search TEXT] [--status S] [--format text|csv|json]`.
//! Without --user the shell user reads with the database's own access; with
//! --user, the role decides the scope and whether national IDs are masked.

use super::{CliResult, Context};
use crate::auth::{authorize, Action};
use crate::reconcile;

#[derive(Debug, Clone, Copy, Default, clap::ValueEnum)]
pub enum Output {
    #[default]
    Text,
    Csv,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    program: String,
    #[arg(long)]
    district: Option<String>,
    /// Digits: people whose national ID starts with them; other text:
    /// people whose name holds it (tone marks and case aside).
    #[arg(long)]
    search: Option<String>,
    /// Only people of this status (unpaid, paid, partially_paid, overpaid,
    /// paid_without_approval, duplicate_payment).
    #[arg(long, value_parser = parse_status)]
    status: Option<reconcile::Status>,
    #[arg(long, value_enum, default_value_t)]
    format: Output,
}

pub async fn run(context: &Context, args: Args) -> CliResult {
    let mut mask = false;
    if context.credentials.username.is_some() {
        let user = context
            .authorized(Action::ReadDistrict {
                district: args.district.as_deref(),
            })
            .await?;
        mask = authorize(
            &user,
            Action::SeeNationalIds {
                district: args.district.as_deref(),
            },
        )
        .is_err();
    }
    let scope = reconcile::Scope {
        search: args.search,
        status: args.status,
        ..reconcile::Scope::of(&args.program, args.district.as_deref())
    };
    let mut result =
        reconcile::page(context.store.as_ref(), &scope, 0, reconcile::LINES_MAX).await?;
    if mask {
        result.mask_ids();
    }
    match args.format {
        Output::Text => super::print_out(&result.to_text())?,
        Output::Csv => super::print_out(&result.to_csv())?,
        Output::Json => super::print_out(&format!("{}\n", result.to_json()))?,
    }
    Ok(())
}

fn parse_status(text: &str) -> Result<reconcile::Status, String> {
    reconcile::Status::parse(text).ok_or_else(|| {
        let all = reconcile::Status::ALL.map(reconcile::Status::as_str);
        format!("'{text}' must be one of {}", all.join(", "))
    })
}
