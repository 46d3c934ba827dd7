//! Defining a program: store its definition and post its budget allocation
//! in one transaction.

use crate::domain::Program;
use crate::ledger::append::{append, AppendError, Batch};
use crate::ledger::rules;
use crate::store::{now_us, AuditEvent};

#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Append(#[from] AppendError),
}

/// Stores the program and posts its budget allocation, atomically.
pub async fn add(
    store: &dyn crate::store::Store,
    actor: &str,
    text: &str,
) -> Result<Program, AddError> {
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
        roll_people: None,
        read_at: None,
        audit: AuditEvent {
            at_us: now,
            actor: actor.to_string(),
            action: "program.add".into(),
            outcome: "ok".into(),
            detail: format!("program {}", program.code),
        },
    };
    append(store, batch).await?;
    Ok(program)
}
