//! Per-entry account totals: the small table reports and balance rules read,
//! so they never scan postings. Verification recomputes them from postings.

use crate::domain::journal::{AccountTotal, EntryError, EntryKind, NewEntry, Posting};
use crate::domain::{AccountPath, Money};
use std::collections::{BTreeMap, HashMap};

/// Totals of one entry by account, in account order. An entry whose postings
/// sum to zero may still hold an account total past `i64` (many postings on
/// one account, balanced on others): that is an error, not a saturation.
pub fn entry_totals(
    kind: EntryKind,
    postings: &[Posting],
) -> Result<BTreeMap<String, AccountTotal>, EntryError> {
    let mut totals: BTreeMap<&str, AccountTotal> = BTreeMap::new();
    for posting in postings {
        let total = totals.entry(posting.account.as_str()).or_default();
        total.amount_dong = total
            .amount_dong
            .checked_add(posting.amount.dong())
            .ok_or(EntryError::Overflow)?;
        total.approvals_delta += approvals_delta(kind, posting);
    }
    Ok(totals
        .into_iter()
        .map(|(account, total)| (account.to_string(), total))
        .collect())
}

/// How an approval posting changes its person's approvals in force: +1 for
/// an approval, −1 for its reversal.
pub(crate) fn approvals_delta(kind: EntryKind, posting: &Posting) -> i64 {
    if posting.beneficiary.is_none() || posting.account.kind() != "payable" {
        return 0;
    }
    match kind {
        EntryKind::Approval if !posting.amount.is_negative() => 1,
        // Reversing an approval takes the beneficiary's payable back out;
        // reversing a payment puts it back in (positive) and changes no count.
        EntryKind::Reversal if posting.amount.is_negative() => -1,
        _ => 0,
    }
}

/// Where a balance rule would be broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "account {account} would go below zero by {} đồng (balance {}, change {}) / tài khoản {account} bị vượt {} đồng",
    Money::from_dong(*shortfall_dong).format_vi(),
    Money::from_dong(*balance_dong).format_vi(),
    Money::from_dong(*change_dong).format_vi(),
    Money::from_dong(*shortfall_dong).format_vi()
)]
pub struct BalanceRuleBroken {
    pub account: String,
    pub balance_dong: i64,
    pub change_dong: i64,
    pub shortfall_dong: i64,
}

/// Why balances refuse a batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BalanceError {
    #[error(transparent)]
    Rule(#[from] BalanceRuleBroken),
    /// A total or a balance past `i64` (`EntryError::Overflow`).
    #[error(transparent)]
    Overflow(#[from] EntryError),
}

/// Accounts whose rule must be checked before appending these entries.
pub fn ruled_accounts(entries: &[NewEntry]) -> Vec<String> {
    let mut accounts: Vec<String> = entries
        .iter()
        .flat_map(|e| e.postings.iter())
        .filter(|p| p.account.must_not_go_negative() && p.amount.is_negative())
        .map(|p| p.account.as_str().to_string())
        .collect();
    accounts.sort();
    accounts.dedup();
    accounts
}

/// Applies the entries in order to the current balances and refuses the first
/// account that would go below zero, saying by how much.
pub fn check_balance_rules(
    balances: &mut HashMap<String, i64>,
    entries: &[NewEntry],
) -> Result<(), BalanceError> {
    for entry in entries {
        for (account, total) in entry_totals(entry.kind, &entry.postings)? {
            let ruled = AccountPath::parse(&account)
                .map(|a| a.must_not_go_negative())
                .unwrap_or(false);
            let balance = balances.entry(account.clone()).or_insert(0);
            let before = *balance;
            *balance = before
                .checked_add(total.amount_dong)
                .ok_or(EntryError::Overflow)?;
            if ruled && *balance < 0 && total.amount_dong < 0 {
                return Err(BalanceRuleBroken {
                    account,
                    balance_dong: before,
                    change_dong: total.amount_dong,
                    shortfall_dong: balance.checked_neg().ok_or(EntryError::Overflow)?,
                }
                .into());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn posting(account: &str, amount: i64, beneficiary: Option<&str>) -> Posting {
        Posting {
            account: AccountPath::parse(account).unwrap(),
            amount: Money::from_dong(amount),
            beneficiary: beneficiary.map(str::to_string),
            source_line: None,
            reference: None,
        }
    }

    fn approval(amount: i64) -> NewEntry {
        NewEntry {
            effective_date: NaiveDate::from_ymd_opt(2021, 8, 1).unwrap(),
            kind: EntryKind::Approval,
            reference: "1/QĐ-UBND".into(),
            memo: String::new(),
            corrects_seq: None,
            postings: vec![
                posting("budget:P:842", -amount, None),
                posting("payable:P:842:c", amount, Some("084123456789")),
            ],
        }
    }

    #[test]
    fn approvals_are_counted() {
        let entry = approval(10);
        let totals = entry_totals(entry.kind, &entry.postings).unwrap();
        assert_eq!(totals["payable:P:842:c"].approvals_delta, 1);
        assert_eq!(totals["budget:P:842"].amount_dong, -10);
    }

    #[test]
    fn overdraft_is_refused_with_shortfall() {
        let mut balances = HashMap::from([("budget:P:842".to_string(), 7)]);
        let Err(BalanceError::Rule(error)) = check_balance_rules(&mut balances, &[approval(10)])
        else {
            panic!("overdraft allowed");
        };
        assert_eq!(error.shortfall_dong, 3);
        assert_eq!(error.account, "budget:P:842");
        let mut enough = HashMap::from([("budget:P:842".to_string(), 10)]);
        assert!(check_balance_rules(&mut enough, &[approval(10)]).is_ok());
    }
}
