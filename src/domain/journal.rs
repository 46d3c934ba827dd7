//! Journal entries and postings as values: what an entry is before and after
//! it has a place in the chain, the rules every entry obeys on its own
//! (postings sum to zero, at least two postings, limits respected), the
//! stored row shapes read back from either database, and checkpoints.
//! The ledger decides what may be appended; this module only names things.

use super::{AccountPath, Money};
use chrono::NaiveDate;
use serde::Serialize;

/// One entry may carry at most this many postings (a district roll is one entry per decision).
pub const POSTINGS_PER_ENTRY_MAX: usize = 1_000_000;
pub const TEXT_FIELD_LEN_MAX: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Posting {
    #[schema(value_type = String, example = "payable:NQ68:842:F0")]
    pub account: AccountPath,
    /// Whole đồng; negative on the side money leaves.
    #[schema(value_type = i64)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub seq: i64,
    #[schema(value_type = String, format = Date)]
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

/// A checkpoint `(seq, head hash)` as printed on every report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
}

impl Checkpoint {
    /// Parses `SEQ:HASH` as printed on reports.
    pub fn parse(text: &str) -> Result<Checkpoint, String> {
        let (seq, hash) = text
            .split_once(':')
            .ok_or_else(|| format!("checkpoint '{text}' must look like SEQ:HASH"))?;
        let seq: i64 = seq
            .trim()
            .parse()
            .map_err(|_| format!("checkpoint sequence '{seq}' is not a number"))?;
        if parse_hash(hash.trim()).is_none() {
            return Err(format!("checkpoint hash '{hash}' is not 64 hex digits"));
        }
        Ok(Checkpoint {
            seq,
            hash: hash.trim().to_ascii_lowercase(),
        })
    }
}

impl std::fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

/// A SHA-256 hash written as 64 hex digits, as bytes.
pub fn parse_hash(text: &str) -> Option<[u8; 32]> {
    let bytes = hex::decode(text).ok()?;
    bytes.try_into().ok()
}

/// An entry's stored columns, as read back.
#[derive(Debug, Clone)]
pub struct StoredHeader {
    pub seq: i64,
    pub effective_date: String,
    pub recorded_at_us: i64,
    pub actor: String,
    pub kind: String,
    pub reference: String,
    pub memo: String,
    pub corrects_seq: Option<i64>,
    pub prev_hash: String,
    pub hash: String,
    /// The import that posted it, if any.
    pub import_id: Option<i64>,
    /// The canonical encoding its hash was computed with.
    pub encoding: i64,
    /// The newest audit event when it was appended (encoding 2).
    pub audit_anchor: Option<AuditAnchor>,
}

/// What an entry of encoding 2 hashes of the import that posted it: its
/// commit record, with the digests of the evidence stored with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportEvidence {
    pub import_id: i64,
    /// `approvals` or `payments`.
    pub kind: String,
    pub program: String,
    pub district: String,
    /// SHA-256 (hex) of the original file's bytes.
    pub file_sha256: String,
    /// SHA-256 (hex) of the stored report text.
    pub report_sha256: String,
    /// SHA-256 (hex) of the stored people document (approval rolls).
    pub people_sha256: Option<String>,
}

/// An audit event named by an entry: its id and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditAnchor {
    pub event_id: i64,
    pub hash: String,
}

/// A posting's stored columns, as read back.
#[derive(Debug, Clone)]
pub struct StoredPosting {
    pub entry_seq: i64,
    pub account: String,
    pub amount_dong: i64,
    pub beneficiary: Option<String>,
    pub source_line: Option<i64>,
    pub reference: Option<String>,
}

/// One entry's total on one account: the small `account_totals` table that
/// reports and balance rules read, so that they never scan postings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountTotal {
    pub amount_dong: i64,
    /// Change in the number of approvals in force on this account (payable
    /// accounts only): +1 per beneficiary approved, −1 per approval reversed.
    pub approvals_delta: i64,
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
    fn checkpoints_parse() {
        let hash = "ab".repeat(32);
        let checkpoint = Checkpoint::parse(&format!("12:{hash}")).unwrap();
        assert_eq!(checkpoint.seq, 12);
        assert_eq!(checkpoint.to_string(), format!("12:{hash}"));
        assert!(Checkpoint::parse("12").is_err());
        assert!(Checkpoint::parse("x:ab").is_err());
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
