//! `ansinh reverse --entry SEQ --reason TEXT [--beneficiary NATIONAL_ID]`.

use super::{CliError, CliResult, Context};
use crate::reverse::{self, ReverseError, ReverseRequest};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    entry: i64,
    #[arg(long)]
    reason: String,
    /// Reverse only this beneficiary's part of the entry.
    #[arg(long)]
    beneficiary: Option<String>,
}

pub async fn run(context: &Context, args: Args) -> CliResult {
    let user = context.user().await?;
    let request = ReverseRequest {
        seq: args.entry,
        reason: args.reason,
        beneficiary: args.beneficiary,
    };
    match reverse::reverse(context.store.as_ref(), &user, request).await {
        Ok(checkpoint) => {
            println!("đã ghi bút toán đảo / posted reversal as entry {checkpoint}");
            Ok(())
        }
        Err(ReverseError::Store(e)) => Err(CliError::Store(e)),
        Err(ReverseError::Append(e)) => Err(CliError::Append(e)),
        Err(other) => Err(CliError::Refused(other.to_string())),
    }
}
