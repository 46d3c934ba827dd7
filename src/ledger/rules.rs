//! Posting rules: how each business event becomes a balanced entry.

use crate::domain::journal::{EntryKind, NewEntry, Posting};
use crate::domain::{AccountPath, Money, Program};
use chrono::NaiveDate;

fn posting(account: AccountPath, amount: Money) -> Posting {
    Posting {
        account,
        amount,
        beneficiary: None,
        source_line: None,
        reference: None,
    }
}

/// Budget allocation of a new program: `appropriation:P` → `budget:P:D` per district.
pub fn allocation(program: &Program, date: NaiveDate) -> Option<NewEntry> {
    let code = program.code.as_str();
    let mut postings = Vec::with_capacity(program.budgets.len() * 2);
    for (district, amount) in &program.budgets {
        postings.push(posting(AccountPath::appropriation(code), amount.neg()));
        postings.push(posting(
            AccountPath::budget(code, district.as_str()),
            *amount,
        ));
    }
    if postings.is_empty() {
        return None;
    }
    Some(NewEntry {
        effective_date: date,
        kind: EntryKind::Allocation,
        reference: format!("{} — {}", code, program.legal_basis),
        memo: format!("budget allocation: {}", program.name),
        corrects_seq: None,
        postings,
    })
}

/// A donation received by a fund: `donations:F` → `fund:F`.
pub fn donation(
    fund: &str,
    amount: Money,
    date: NaiveDate,
    donor: &str,
    reference: &str,
) -> NewEntry {
    NewEntry {
        effective_date: date,
        kind: EntryKind::Donation,
        reference: reference.to_string(),
        memo: format!("donation from {donor}"),
        corrects_seq: None,
        postings: vec![
            posting(AccountPath::fund(fund), amount),
            posting(AccountPath::donations(fund), amount.neg()),
        ],
    }
}
