//! Journal entries and postings, and the rules every entry obeys before it is
//! appended: postings sum to zero, at least two postings, limits respected.

use crate::domain::{AccountPath, Money};
use chrono::NaiveDate;
use serde::Serialize;

/// One entry may carry at most this many postings (a district roll is one entry per decision).
pub const POSTINGS_PER_ENTRY_MAX: usize = 1_000_000;
pub const TEXT_FIELD_LEN_MAX: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Allocation,
    Approval,
    Payment,
    Donation,
    Reversal,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Allocation => "allocation",
            EntryKind::Approval => "approval",
            EntryKind::Payment => "payment",
            EntryKind::Donation => "donation",
            EntryKind::Reversal => "reversal",
        }
    }

    pub fn parse(text: &str) -> Option<EntryKind> {
        Some(match text {
            "allocation" => EntryKind::Allocation,
            "approval" => EntryKind::Approval,
            "payment" => EntryKind::Payment,
            "donation" => EntryKind::Donation,
            "reversal" => EntryKind::Reversal,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Posting {
    pub account: AccountPath,
    pub amount: Money,
    /// National ID of the beneficiary this posting belongs to, if any.
    pub beneficiary: Option<String>,
    /// Line of the uploaded file this posting came from, if any.
    pub source_line: Option<u64>,
    /// A per-line voucher reference (payment rolls' `Số chứng từ`), if any.
    pub reference: Option<String>,
}

/// An entry before it has a place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewEntry {
    pub effective_date: NaiveDate,
    pub kind: EntryKind,
    /// Decision number, payment batch reference, file digest…
    pub reference: String,
    pub memo: String,
    /// The entry this one corrects (reversals only).
    pub corrects_seq: Option<i64>,
    pub postings: Vec<Posting>,
}

/// An entry as stored: chained, sequenced, attributed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub seq: i64,
    pub effective_date: NaiveDate,
    pub recorded_at_us: i64,
    pub actor: String,
    pub kind: EntryKind,
    pub reference: String,
    pub memo: String,
    pub corrects_seq: Option<i64>,
    pub import_id: Option<i64>,
    pub prev_hash: String,
    pub hash: String,
    pub postings: Vec<Posting>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("an entry needs at least two postings")]
    TooFewPostings,
    #[error("an entry may have at most {POSTINGS_PER_ENTRY_MAX} postings")]
    TooManyPostings,
    #[error("postings of an entry must sum to zero, they sum to {0}")]
    Unbalanced(i64),
    #[error("{0} is longer than {TEXT_FIELD_LEN_MAX} characters")]
    TextTooLong(&'static str),
    #[error("amount overflow while summing postings")]
    Overflow,
}

impl NewEntry {
    /// Checks the invariants that hold for every entry, whatever its kind.
    pub fn check(&self) -> Result<(), EntryError> {
        if self.postings.len() < 2 {
            return Err(EntryError::TooFewPostings);
        }
        if self.postings.len() > POSTINGS_PER_ENTRY_MAX {
            return Err(EntryError::TooManyPostings);
        }
        if self.reference.chars().count() > TEXT_FIELD_LEN_MAX {
            return Err(EntryError::TextTooLong("reference"));
        }
        if self.memo.chars().count() > TEXT_FIELD_LEN_MAX {
            return Err(EntryError::TextTooLong("memo"));
        }
        let mut sum = Money::ZERO;
        for posting in &self.postings {
            sum = sum
                .checked_add(posting.amount)
                .map_err(|_| EntryError::Overflow)?;
        }
        if !sum.is_zero() {
            return Err(EntryError::Unbalanced(sum.dong()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posting(account: &str, amount: i64) -> Posting {
        Posting {
            account: AccountPath::parse(account).unwrap(),
            amount: Money::from_dong(amount),
            beneficiary: None,
            source_line: None,
            reference: None,
        }
    }

    fn entry(postings: Vec<Posting>) -> NewEntry {
        NewEntry {
            effective_date: NaiveDate::from_ymd_opt(2021, 11, 25).unwrap(),
            kind: EntryKind::Donation,
            reference: "r".into(),
            memo: String::new(),
            corrects_seq: None,
            postings,
        }
    }

    #[test]
    fn balanced_entries_pass() {
        let ok = entry(vec![
            posting("fund:covid", 10),
            posting("donations:covid", -10),
        ]);
        assert_eq!(ok.check(), Ok(()));
    }

    #[test]
    fn unbalanced_and_short_entries_fail() {
        let unbalanced = entry(vec![
            posting("fund:covid", 10),
            posting("donations:covid", -9),
        ]);
        assert_eq!(unbalanced.check(), Err(EntryError::Unbalanced(1)));
        assert_eq!(
            entry(vec![posting("fund:covid", 0)]).check(),
            Err(EntryError::TooFewPostings)
        );
    }
}
