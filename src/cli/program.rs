//! `ansinh program add --file P.toml`: a program and its district budgets.

use super::{CliError, CliResult, Context};
use crate::auth::Action;
use crate::ledger::AppendError;
use crate::programs::{add, AddError};
use std::path::PathBuf;

/// A program file is small; a larger one is a mistake.
pub const PROGRAM_FILE_BYTES_MAX: u64 = 1024 * 1024;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Define a program from a TOML file (see imports/programs/).
    Add {
        #[arg(long)]
        file: PathBuf,
    },
}

pub async fn run(context: &Context, command: Command) -> CliResult {
    let Command::Add { file } = command;
    let user = context.authorized(Action::DefinePrograms).await?;
    let size = std::fs::metadata(&file)?.len();
    if size > PROGRAM_FILE_BYTES_MAX {
        return Err(CliError::Refused(format!(
            "{}: larger than {PROGRAM_FILE_BYTES_MAX} bytes",
            file.display()
        )));
    }
    let text = std::fs::read_to_string(&file)?;
    let program = add(context.store.as_ref(), &user.username, &text)
        .await
        .map_err(|e| match e {
            AddError::Invalid(message) => {
                CliError::Refused(format!("{}: {message}", file.display()))
            }
            AddError::Append(AppendError::Conflict(message)) => CliError::Refused(message),
            AddError::Append(other) => other.into(),
        })?;
    let total: i64 = program.budgets.values().map(|m| m.dong()).sum();
    println!(
        "added program {} ({} categories, budgets for {} districts totalling {} đồng)",
        program.code,
        program.categories.len(),
        program.budgets.len(),
        crate::domain::Money::from_dong(total).format_vi()
    );
    Ok(())
}
