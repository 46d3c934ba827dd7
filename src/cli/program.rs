//! `ansinh program add --file P.toml`: a program and its district budgets.

use super::{CliError, CliResult, Context};
use crate::auth::Action;
use crate::domain::Program;
use crate::ledger::rules;
use crate::store::{now_us, AuditEvent, Batch, StoreError};
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
        return Err(CliError::Refused(format!("{}: larger than {PROGRAM_FILE_BYTES_MAX} bytes", file.display())));
    }
    let text = std::fs::read_to_string(&file)?;
    let program = add(context.store.as_ref(), &user.username, &text)
        .await
        .map_err(|e| match e {
            AddError::Invalid(message) => CliError::Refused(format!("{}: {message}", file.display())),
            AddError::Store(StoreError::Conflict(message)) => CliError::Refused(message),
            AddError::Store(other) => other.into(),
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

#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Stores the program and posts its budget allocation, atomically.
pub async fn add(store: &dyn crate::store::Store, actor: &str, text: &str) -> Result<Program, AddError> {
    let program = Program::from_toml(text).map_err(AddError::Invalid)?;
    let today = chrono::Utc::now().date_naive();
    let entries = rules::allocation(&program, program.allocated_on.unwrap_or(today))
        .into_iter()
        .collect();
    let now = now_us();
    let batch = Batch {
        actor: actor.to_string(),
        recorded_at_us: now,
        entries,
        program: Some((program.code.as_str().to_string(), text.to_string())),
        import_commit: None,
        beneficiaries: Vec::new(),
        audit: AuditEvent {
            at_us: now,
            actor: actor.to_string(),
            action: "program.add".into(),
            outcome: "ok".into(),
            detail: format!("program {}", program.code),
        },
    };
    store.commit(batch).await?;
    Ok(program)
}
