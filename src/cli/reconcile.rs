//! `ansinh reconcile --program P [--district D] [--format text|csv|json]`.
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
    let mut result = reconcile::reconcile(
        context.store.as_ref(),
        &args.program,
        args.district.as_deref(),
    )
    .await?;
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
