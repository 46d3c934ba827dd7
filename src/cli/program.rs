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
    /// A program's categories with their amounts, and each district's budget:
    /// allocated, used and what is left. Needs no login.
    Show {
        #[arg(long)]
        program: String,
        /// Only this district's budget.
        #[arg(long)]
        district: Option<String>,
    },
}

pub async fn run(context: &Context, command: Command) -> CliResult {
    match command {
        Command::Add { file } => add_program(context, file).await,
        Command::Show { program, district } => show(context, &program, district.as_deref()).await,
    }
}

async fn show(context: &Context, code: &str, district: Option<&str>) -> CliResult {
    let store = context.store.as_ref();
    let program = crate::import::pipeline::load_program(store, code)
        .await
        .map_err(super::import::map_error)?;
    let head = store.head().await?;
    let sums = store.account_sums(None, None).await?;
    super::print_out(&program_text(&program, district, head, &sums))
}

/// The categories, then the budgets: what an officer checks a roll against.
fn program_text(
    program: &crate::domain::Program,
    district: Option<&str>,
    head: Option<crate::domain::Checkpoint>,
    sums: &[crate::store::AccountSum],
) -> String {
    use crate::domain::program::AmountRule;
    use crate::domain::Money;
    use std::fmt::Write as _;
    let mut text = format!(
        "Chương trình / program {} — {}\n",
        program.code, program.name
    );
    text.push_str("Nhóm đối tượng và mức hỗ trợ / categories and amounts (đồng):\n");
    for category in &program.categories {
        let rule = match category.rule {
            AmountRule::Fixed { amount } => {
                format!("{} (cố định / fixed)", Money::from_dong(amount).format_vi())
            }
            AmountRule::Range { min, max } => format!(
                "{}–{} (trong khoảng / range)",
                Money::from_dong(min).format_vi(),
                Money::from_dong(max).format_vi()
            ),
        };
        let _ = writeln!(
            text,
            "  {:<16} {:<40} {}",
            category.code.to_string(),
            rule,
            category.name
        );
    }
    let _ = writeln!(
        text,
        "Dự toán của huyện / district budgets, đến điểm kiểm tra / at checkpoint {}:",
        head.map(|h| h.to_string()).unwrap_or_else(|| "0".into())
    );
    let _ = writeln!(
        text,
        "  {:<8} {:>22} {:>22} {:>22}",
        "huyện", "dự toán / allocated", "đã dùng / used", "còn lại / left"
    );
    for (code, allocated) in &program.budgets {
        if district.is_some_and(|d| d != code.as_str()) {
            continue;
        }
        let account = format!("budget:{}:{}", program.code, code.as_str());
        let left = sums
            .iter()
            .find(|s| s.account == account)
            .map_or(0, |s| s.amount_dong);
        let _ = writeln!(
            text,
            "  {:<8} {:>22} {:>22} {:>22}",
            code.as_str(),
            allocated.format_vi(),
            Money::from_dong(allocated.dong() - left).format_vi(),
            Money::from_dong(left).format_vi()
        );
    }
    text
}

async fn add_program(context: &Context, file: PathBuf) -> CliResult {
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
        "đã thêm chương trình {0} ({1} nhóm đối tượng, dự toán cho {2} huyện, tổng {3} đồng) / added program {0} ({1} categories, budgets for {2} districts totalling {3} đồng)",
        program.code,
        program.categories.len(),
        program.budgets.len(),
        crate::domain::Money::from_dong(total).format_vi()
    );
    Ok(())
}
