//! Defining a program: store its definition and post its budget allocation
//! in one transaction.

use crate::domain::Program;
use crate::ledger::append::{append, AppendError, Batch};
use crate::ledger::rules;
use crate::store::{now_us, AuditEvent, StoreError, StoreResult};

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
    if let Some(ledger) = store.ledger() {
        for district in program.budgets.keys() {
            ledger
                .check_district(district.as_str())
                .map_err(|e| AddError::Invalid(format!("budgets: {e}")))?;
        }
    }
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
        refused_payments: Vec::new(),
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

/// Every stored program, parsed, with its definition text, in code order.
pub async fn list(store: &dyn crate::store::Store) -> StoreResult<Vec<(Program, String)>> {
    store
        .program_definitions()
        .await?
        .into_iter()
        .map(|(code, text)| {
            Program::from_toml(&text)
                .map(|program| (program, text))
                .map_err(|e| StoreError::Corrupt(format!("program {code}: {e}")))
        })
        .collect()
}

/// One district's budget of a program: what was allocated, approved (net
/// of reversals, paid or not) and is left to approve.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Budget {
    pub district: String,
    pub allocated_dong: i64,
    pub approved_dong: i64,
    pub left_dong: i64,
}

/// The budgets of `program` per district, from the ledger's balances:
/// left is the `budget:P:D` balance, approved what its `payable` and
/// `disbursed` accounts hold.
pub async fn budgets(
    store: &dyn crate::store::Store,
    program: &Program,
) -> StoreResult<Vec<Budget>> {
    use crate::domain::AccountPath;
    let sums = store.account_sums(None, None).await?;
    let mut budgets: std::collections::BTreeMap<String, Budget> = program
        .budgets
        .iter()
        .map(|(district, allocated)| {
            let district = district.as_str().to_string();
            let budget = Budget {
                district: district.clone(),
                allocated_dong: allocated.dong(),
                approved_dong: 0,
                left_dong: 0,
            };
            (district, budget)
        })
        .collect();
    for sum in &sums {
        let Ok(account) = AccountPath::parse(&sum.account) else {
            continue;
        };
        if account.segment(1) != Some(program.code.as_str()) {
            continue;
        }
        let Some(budget) = account
            .segment(2)
            .and_then(|district| budgets.get_mut(district))
        else {
            continue;
        };
        match account.kind() {
            "budget" => budget.left_dong += sum.amount_dong,
            "payable" | "disbursed" => budget.approved_dong += sum.amount_dong,
            _ => {}
        }
    }
    Ok(budgets.into_values().collect())
}
