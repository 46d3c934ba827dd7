//! Account paths of the provincial chart, e.g. `budget:NQ68:842`.
//!
//! Flows: an allocation moves `appropriation:P` → `budget:P:D`; an approval moves
//! `budget:P:D` → `payable:P:D:C` per beneficiary; a payment moves
//! `payable:P:D:C` → `disbursed:P:D:C`, one `payable` posting per beneficiary
//! carrying the voucher reference and one `disbursed` posting per category; a
//! donation moves `donations:F` → `fund:F`. So a beneficiary's outstanding is
//! its `payable` balance, paid is what its referenced (payment) postings took
//! out, and approved is their sum.

use super::program::Code;
use serde::Serialize;
use std::sync::Arc;

pub const ACCOUNT_PATH_LEN_MAX: usize = 128;

/// Shared text: a roll's postings name a handful of accounts hundreds of
/// thousands of times, and a clone is a reference count, not a copy.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountPath(Arc<str>);

impl Serialize for AccountPath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl AccountPath {
    pub fn parse(text: &str) -> Result<AccountPath, String> {
        if text.is_empty() || text.len() > ACCOUNT_PATH_LEN_MAX {
            return Err(format!(
                "account path must be 1 to {ACCOUNT_PATH_LEN_MAX} characters"
            ));
        }
        for segment in text.split(':') {
            Code::parse(segment).map_err(|e| format!("account '{text}': {e}"))?;
        }
        Ok(AccountPath(Arc::from(text)))
    }

    fn join(parts: &[&str]) -> AccountPath {
        // Callers pass parsed codes only, so the result is a valid path.
        AccountPath(Arc::from(parts.join(":")))
    }

    pub fn appropriation(program: &str) -> AccountPath {
        Self::join(&["appropriation", program])
    }
    pub fn budget(program: &str, district: &str) -> AccountPath {
        Self::join(&["budget", program, district])
    }
    pub fn payable(program: &str, district: &str, category: &str) -> AccountPath {
        Self::join(&["payable", program, district, category])
    }
    pub fn disbursed(program: &str, district: &str, category: &str) -> AccountPath {
        Self::join(&["disbursed", program, district, category])
    }
    pub fn fund(fund: &str) -> AccountPath {
        Self::join(&["fund", fund])
    }
    pub fn donations(fund: &str) -> AccountPath {
        Self::join(&["donations", fund])
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn kind(&self) -> &str {
        self.0.split(':').next().unwrap_or("")
    }

    /// Segment `index` (0 = kind): for `payable:P:D:C`, 1 = program, 2 = district, 3 = category.
    pub fn segment(&self, index: usize) -> Option<&str> {
        self.0.split(':').nth(index)
    }

    /// `[program, district, category]` of a beneficiary's `payable:P:D:C`
    /// account (a segment it lacks is empty); `None` for another kind.
    /// One pass over the path: a roll's postings ask it of every person.
    pub fn payable_parts(&self) -> Option<[&str; 3]> {
        let mut segments = self.0.split(':');
        if segments.next() != Some("payable") {
            return None;
        }
        let mut next = || segments.next().unwrap_or_default();
        Some([next(), next(), next()])
    }

    /// Accounts whose balance must never go below zero: money not yet there cannot be spent.
    pub fn must_not_go_negative(&self) -> bool {
        matches!(self.kind(), "budget" | "fund" | "payable" | "disbursed")
    }
}

/// The accounts whose path begins with a given text, e.g. `payable:NQ68:842:`
/// (a district's payable accounts in one program). Built here only, from
/// parsed codes, so that every read of "the accounts under" something names
/// them the same way.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountPrefix(String);

impl AccountPrefix {
    /// `payable:P:`: every beneficiary's payable account in program `P`.
    pub fn payable_of_program(program: &str) -> AccountPrefix {
        AccountPrefix(format!("payable:{program}:"))
    }

    /// `payable:P:D:`: the payable accounts of district `D` in program `P`.
    pub fn payable_of_program_district(program: &str, district: &str) -> AccountPrefix {
        AccountPrefix(format!("payable:{program}:{district}:"))
    }

    /// One account's own path. As a prefix it also names the accounts whose
    /// last segment extends it (`payable:P:D:c` → `payable:P:D:c2`): a
    /// reader of one account compares the account it reads back.
    pub fn of_account(account: &AccountPath) -> AccountPrefix {
        AccountPrefix(account.as_str().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for AccountPrefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A set of accounts a check covers: those under a prefix, or a district's
/// payable accounts in every program (`payable:*:D:*`), which no prefix
/// names. How a scope becomes SQL is the store's business.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AccountScope {
    Under(AccountPrefix),
    /// The `payable` accounts of this district, in any program.
    PayableOfDistrict(String),
}

impl AccountScope {
    /// `payable:P:*`: every payable account of program `P`.
    pub fn payable_of_program(program: &str) -> AccountScope {
        AccountScope::Under(AccountPrefix::payable_of_program(program))
    }

    /// `payable:*:D:*`: a district's payable accounts in any program.
    pub fn payable_of_district(district: &str) -> AccountScope {
        AccountScope::PayableOfDistrict(district.to_string())
    }

    /// Whether `account` is one of the scope's accounts.
    pub fn contains(&self, account: &AccountPath) -> bool {
        match self {
            AccountScope::Under(prefix) => account.as_str().starts_with(prefix.as_str()),
            AccountScope::PayableOfDistrict(district) => {
                account.kind() == "payable" && account.segment(2) == Some(district.as_str())
            }
        }
    }
}

/// What a validation read of the ledger, for the commit to check again under
/// the append lock: the accounts of `scope`, and whether only approvals on
/// them change what was read (`approvals_only`) or every posting does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountsRead {
    pub scope: AccountScope,
    pub approvals_only: bool,
}

impl std::fmt::Display for AccountPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_parses_paths() {
        let path = AccountPath::payable("NQ68", "842", "tu-do");
        assert_eq!(path.as_str(), "payable:NQ68:842:tu-do");
        assert_eq!(path.kind(), "payable");
        assert_eq!(path.segment(2), Some("842"));
        assert_eq!(AccountPath::parse("payable:NQ68:842:tu-do"), Ok(path));
        assert!(AccountPath::parse("budget::842").is_err());
        assert!(AccountPath::parse("budget:NQ 68").is_err());
    }

    #[test]
    fn scopes_contain_their_accounts() {
        let path = AccountPath::payable("NQ68", "842", "tu-do");
        assert!(AccountScope::payable_of_program("NQ68").contains(&path));
        assert!(!AccountScope::payable_of_program("NQ6").contains(&path));
        assert!(AccountScope::payable_of_district("842").contains(&path));
        assert!(!AccountScope::payable_of_district("844").contains(&path));
        let budget = AccountPath::parse("budget:NQ68:842").expect("path");
        assert!(!AccountScope::payable_of_district("842").contains(&budget));
    }

    #[test]
    fn prefixes_name_the_accounts_under_them() {
        let path = AccountPath::payable("NQ68", "842", "tu-do");
        let program = AccountPrefix::payable_of_program("NQ68");
        let district = AccountPrefix::payable_of_program_district("NQ68", "842");
        assert_eq!(program.as_str(), "payable:NQ68:");
        assert_eq!(district.as_str(), "payable:NQ68:842:");
        assert!(path.as_str().starts_with(program.as_str()));
        assert!(path.as_str().starts_with(district.as_str()));
        assert_eq!(AccountPrefix::of_account(&path).as_str(), path.as_str());
    }
}
