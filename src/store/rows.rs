//! Row mapping both backends share: sqlx rows (through [`StoreRow`], so
//! one function serves SQLite and PostgreSQL) and the JSON documents the
//! backends aggregate rows into, turned into domain values and store
//! records. Nothing here knows a ledger rule.

use super::{
    ApprovalSource, ApprovedHolding, AuditRecord, BeneficiaryBalance, ChainedAuditEvent,
    ImportRecord, StoreError, StoreResult, StoredEvidence, StoredImportCommit,
};
use crate::domain::journal::{
    AccountTotal, AuditAnchor, Entry, EntryKind, Posting, StoredHeader, StoredPosting,
};
use crate::domain::{AccountPath, Checkpoint, Money, Role, StoredFile, User};
use chrono::NaiveDate;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Postgres, Row, Sqlite};

/// A row of either backend, read by column name, or by position where the
/// rows come by the hundred thousand: the mappers below are written once
/// for both.
pub trait StoreRow {
    fn get<T: Column>(&self, column: &str) -> Result<T, sqlx::Error>;
    /// The `index`-th column, which must be `column` (checked in debug
    /// builds: every mapper that reads by position runs in the tests).
    /// Finding a column by name hashes and compares it: about a tenth of
    /// the reading thread's time in PostgreSQL's `verify --full`.
    fn at<T: Column>(&self, index: usize, column: &str) -> Result<T, sqlx::Error>;
}

/// A value both backends decode (integers, texts, bytes, flags, and their
/// `Option`s for NULL), found by name or by position; also from a row of
/// SQLite's direct reader (`sqlite/scan.rs`).
pub trait Column: Sized {
    fn from_sqlite(
        row: &SqliteRow,
        column: impl sqlx::ColumnIndex<SqliteRow>,
    ) -> Result<Self, sqlx::Error>;
    fn from_postgres(
        row: &PgRow,
        column: impl sqlx::ColumnIndex<PgRow>,
    ) -> Result<Self, sqlx::Error>;
    fn from_direct(
        row: &rusqlite::Row<'_>,
        column: impl rusqlite::RowIndex,
    ) -> Result<Self, sqlx::Error>;
    /// From a field of PostgreSQL's binary `COPY` (`None`: NULL).
    fn from_copy(field: Option<&[u8]>) -> Result<Self, String>;
}

impl<T> Column for T
where
    T: for<'a> sqlx::Decode<'a, Sqlite> + sqlx::Type<Sqlite>,
    T: for<'a> sqlx::Decode<'a, Postgres> + sqlx::Type<Postgres>,
    T: rusqlite::types::FromSql,
    T: super::postgres::copy_out::CopyValue,
{
    fn from_copy(field: Option<&[u8]>) -> Result<T, String> {
        T::from_copy(field)
    }
    fn from_direct(
        row: &rusqlite::Row<'_>,
        column: impl rusqlite::RowIndex,
    ) -> Result<T, sqlx::Error> {
        use rusqlite::types::{FromSqlError, ValueRef};
        let value = row.get_ref(column).map_err(undecodable)?;
        // sqlx reads a text where bytes are asked for, and so must this: a
        // file stored as text is then reported as changed, not unreadable.
        T::column_result(value)
            .or_else(|error| match (error, value) {
                (FromSqlError::InvalidType, ValueRef::Text(bytes)) => {
                    T::column_result(ValueRef::Blob(bytes))
                }
                (error, _) => Err(error),
            })
            .map_err(undecodable)
    }
    fn from_sqlite(
        row: &SqliteRow,
        column: impl sqlx::ColumnIndex<SqliteRow>,
    ) -> Result<T, sqlx::Error> {
        row.try_get(column)
    }
    fn from_postgres(row: &PgRow, column: impl sqlx::ColumnIndex<PgRow>) -> Result<T, sqlx::Error> {
        row.try_get(column)
    }
}

impl StoreRow for SqliteRow {
    fn get<T: Column>(&self, column: &str) -> Result<T, sqlx::Error> {
        T::from_sqlite(self, column)
    }
    fn at<T: Column>(&self, index: usize, column: &str) -> Result<T, sqlx::Error> {
        debug_assert_eq!(sqlx::Column::name(self.column(index)), column);
        T::from_sqlite(self, index)
    }
}

impl StoreRow for PgRow {
    fn get<T: Column>(&self, column: &str) -> Result<T, sqlx::Error> {
        T::from_postgres(self, column)
    }
    fn at<T: Column>(&self, index: usize, column: &str) -> Result<T, sqlx::Error> {
        debug_assert_eq!(sqlx::Column::name(self.column(index)), column);
        T::from_postgres(self, index)
    }
}

/// A column's value that cannot be decoded, reported as sqlx reports one.
fn undecodable(error: impl std::error::Error + Send + Sync + 'static) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(error))
}

/// A row of SQLite's direct reader, which steps through a scan's rows
/// where they lie instead of receiving them from sqlx's database thread.
impl StoreRow for rusqlite::Row<'_> {
    fn get<T: Column>(&self, column: &str) -> Result<T, sqlx::Error> {
        T::from_direct(self, column)
    }
    fn at<T: Column>(&self, index: usize, column: &str) -> Result<T, sqlx::Error> {
        debug_assert_eq!(self.as_ref().column_name(index).ok(), Some(column));
        T::from_direct(self, index)
    }
}

/// A row of [`super::sql::SCAN_TOTALS`]: an entry's total on an account.
pub fn total_from_row(row: &impl StoreRow) -> StoreResult<(i64, String, AccountTotal)> {
    let total = AccountTotal {
        amount_dong: row.get("amount")?,
        approvals_delta: row.get("approvals_delta")?,
    };
    Ok((row.get("entry_seq")?, row.get("account")?, total))
}

pub fn header_from_row(row: &impl StoreRow) -> StoreResult<StoredHeader> {
    let anchor_id: Option<i64> = row.get("audit_anchor_id")?;
    let anchor_hash: Option<String> = row.get("audit_anchor_hash")?;
    Ok(StoredHeader {
        seq: row.get("seq")?,
        effective_date: row.get("effective_date")?,
        recorded_at_us: row.get("recorded_at_us")?,
        actor: row.get("actor")?,
        kind: row.get("kind")?,
        reference: row.get("reference")?,
        memo: row.get("memo")?,
        corrects_seq: row.get("corrects_seq")?,
        prev_hash: row.get("prev_hash")?,
        hash: row.get("hash")?,
        import_id: row.get("import_id")?,
        encoding: row.get("encoding")?,
        audit_anchor: anchor_id
            .zip(anchor_hash)
            .map(|(event_id, hash)| AuditAnchor { event_id, hash }),
    })
}

pub fn import_commit_from_row(row: &impl StoreRow) -> StoreResult<StoredImportCommit> {
    Ok(StoredImportCommit {
        import_id: row.get("import_id")?,
        kind: row.get("kind")?,
        program: row.get("program")?,
        district: row.get("district")?,
        file_sha256: row.get("sha256")?,
        report_sha256: row.get("report_sha256")?,
        people_sha256: row.get("people_sha256")?,
        first_seq: row.get("first_seq")?,
        last_seq: row.get("last_seq")?,
        committed_by: row.get("committed_by")?,
        committed_at_us: row.get("committed_at_us")?,
    })
}

pub fn evidence_from_row(row: &impl StoreRow) -> StoreResult<StoredEvidence> {
    Ok(StoredEvidence {
        import_id: row.get("import_id")?,
        kind: row.get("kind")?,
        program: row.get("program")?,
        district: row.get("district")?,
        file_name: row.get("file_name")?,
        sha256: row.get("sha256")?,
        size_bytes: row.get("size_bytes")?,
        content_encoding: row.get("content_encoding")?,
        content: row.get("content")?,
        report: row.get("report")?,
        people: row.get("people")?,
    })
}

/// An import's original file, from its stored (encoding, bytes, length).
pub fn import_file(
    id: i64,
    (encoding, bytes, size_bytes): (String, Vec<u8>, i64),
) -> StoreResult<Vec<u8>> {
    StoredFile::decode(&encoding, bytes, size_bytes)
        .map_err(|why| StoreError::Corrupt(format!("import {id}: {why}")))
}

pub fn chained_audit_from_row(row: &impl StoreRow) -> StoreResult<ChainedAuditEvent> {
    Ok(ChainedAuditEvent {
        record: audit_from_row(row)?,
        prev_hash: row.get("prev_hash")?,
        hash: row.get("hash")?,
    })
}

/// `$record { field: "column", … }` from `$row`'s columns by position, in
/// the order listed, which is the order of the query's `SELECT` list.
macro_rules! read_by_position {
    ($row:expr, $record:path { $($field:ident: $column:literal),+ $(,)? }) => {{
        let mut positions = 0usize..;
        // Fields are evaluated in the order written: 0, 1, 2, …
        $record {
            $($field: $row.at(positions.next().unwrap_or(usize::MAX), $column)?,)+
        }
    }};
}

/// A row of `SELECT {POSTING_COLUMNS}` ([`super::sql::POSTING_COLUMNS`]).
pub fn posting_from_row(row: &impl StoreRow) -> StoreResult<StoredPosting> {
    Ok(read_by_position!(
        row,
        StoredPosting {
            entry_seq: "entry_seq",
            account: "account",
            amount_dong: "amount",
            beneficiary: "beneficiary",
            source_line: "source_line",
            reference: "reference",
        }
    ))
}

pub fn user_from_row(row: &impl StoreRow) -> StoreResult<User> {
    let role: String = row.get("role")?;
    Ok(User {
        id: row.get("id")?,
        username: row.get("username")?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown role '{role}'")))?,
        district: row.get("district")?,
    })
}

pub fn import_from_row(row: &impl StoreRow) -> StoreResult<ImportRecord> {
    Ok(ImportRecord {
        id: row.get("id")?,
        kind: row.get("kind")?,
        program: row.get("program")?,
        district: row.get("district")?,
        file_name: row.get("file_name")?,
        sha256: row.get("sha256")?,
        size_bytes: row.get("size_bytes")?,
        uploaded_at_us: row.get("uploaded_at_us")?,
        uploaded_by: row.get("uploaded_by")?,
        report_json: row.get("report")?,
        committed_by: row.get("committed_by")?,
        committed_at_us: row.get("committed_at_us")?,
    })
}

/// One posting row of [`super::sql::person_postings`]: beneficiary, account,
/// amount, 1 when it carries a voucher reference (a payment), entry.
pub type PersonPosting<'a> = (&'a str, &'a str, i64, i64, i64);

/// Approval entries' decision numbers, by entry.
pub type Decisions = std::collections::HashMap<i64, String>;

/// Sums postings per (beneficiary, account). On `payable` accounts, postings
/// without a voucher reference approve (or reverse an approval) and postings
/// with one pay; the decisions are those of the approval entries involved.
pub fn sum_balances<'a>(
    postings: impl IntoIterator<Item = PersonPosting<'a>>,
    decisions: &Decisions,
) -> Vec<BeneficiaryBalance> {
    use std::collections::hash_map::Entry;
    let mut index: crate::fast_hash::FastMap<(&str, &str), usize> = Default::default();
    let mut balances: Vec<BeneficiaryBalance> = Vec::new();
    for (beneficiary, account, amount_dong, voucher, entry_seq) in postings {
        let at = match index.entry((beneficiary, account)) {
            Entry::Occupied(found) => *found.get(),
            Entry::Vacant(vacant) => {
                balances.push(BeneficiaryBalance {
                    beneficiary: beneficiary.to_string(),
                    account: account.to_string(),
                    amount_dong: 0,
                    paid_dong: 0,
                    decisions: [None, None],
                });
                *vacant.insert(balances.len() - 1)
            }
        };
        let balance = &mut balances[at];
        balance.amount_dong += amount_dong;
        if voucher != 0 {
            balance.paid_dong -= amount_dong;
        }
        if let Some(decision) = decisions.get(&entry_seq) {
            let [first, last] = &mut balance.decisions;
            if first.as_ref().is_none_or(|f| decision < f) {
                *first = Some(decision.clone());
            }
            if last.as_ref().is_none_or(|l| decision > l) {
                *last = Some(decision.clone());
            }
        }
    }
    balances
}

/// The names in `roll_people` documents, of `wanted` people or of everyone;
/// the lowest name where rolls disagree. In national ID order.
pub fn names_in(
    documents: &[String],
    wanted: Option<&std::collections::HashSet<&str>>,
) -> StoreResult<Vec<(String, String)>> {
    type Person = (
        String,
        String,
        serde::de::IgnoredAny,
        serde::de::IgnoredAny,
        serde::de::IgnoredAny,
    );
    let mut names: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    for document in documents {
        let people: Vec<Person> = serde_json::from_str(document)
            .map_err(|e| StoreError::Corrupt(format!("roll people: {e}")))?;
        for (national_id, name, ..) in people {
            if wanted.is_some_and(|w| !w.contains(national_id.as_str())) {
                continue;
            }
            match names.entry(national_id) {
                std::collections::btree_map::Entry::Vacant(vacant) => {
                    vacant.insert(name);
                }
                std::collections::btree_map::Entry::Occupied(mut known) => {
                    if name < *known.get() {
                        known.insert(name);
                    }
                }
            }
        }
    }
    Ok(names.into_iter().collect())
}

pub fn audit_from_row(row: &impl StoreRow) -> StoreResult<AuditRecord> {
    Ok(AuditRecord {
        id: row.get("id")?,
        at_us: row.get("at_us")?,
        actor: row.get("actor")?,
        action: row.get("action")?,
        outcome: row.get("outcome")?,
        detail: row.get("detail")?,
    })
}

pub fn program_from_row(row: &impl StoreRow) -> StoreResult<(String, String)> {
    Ok((row.get("code")?, row.get("definition")?))
}

/// A row of [`super::sql::HEAD`].
pub fn checkpoint_from_row(row: &impl StoreRow) -> StoreResult<Checkpoint> {
    Ok(Checkpoint {
        seq: row.get("seq")?,
        hash: row.get("hash")?,
    })
}

/// A row of [`super::sql::ACCOUNT_SUMS`].
pub fn account_sum_from_row(row: &impl StoreRow) -> StoreResult<super::AccountSum> {
    Ok(super::AccountSum {
        account: row.get("account")?,
        amount_dong: row.get("amount")?,
        approvals: row.get("approvals")?,
    })
}

/// A row of [`super::sql::approval_sources`].
pub fn approval_source_from_row(row: &impl StoreRow) -> StoreResult<ApprovalSource> {
    Ok(ApprovalSource {
        beneficiary: row.get("beneficiary")?,
        account: row.get("account")?,
        entry_seq: row.get("entry_seq")?,
        reference: row.get("reference")?,
        source_line: row.get("source_line")?,
        import_id: row.get("import_id")?,
        file_name: row.get("file_name")?,
    })
}

/// The rows of [`super::sql::approvals_of_people`] aggregated into one JSON
/// array (`None`: no row).
pub fn holdings_from_json(json: Option<&str>) -> StoreResult<Vec<ApprovedHolding>> {
    type Row = (String, String, i64, Option<String>, Option<String>);
    let rows: Vec<Row> = serde_json::from_str(json.unwrap_or("[]"))
        .map_err(|e| StoreError::Corrupt(format!("approvals of people: {e}")))?;
    Ok(rows
        .into_iter()
        .map(
            |(beneficiary, account, approved_dong, first, last)| ApprovedHolding {
                beneficiary,
                account,
                approved_dong,
                decisions: [first, last],
            },
        )
        .collect())
}

/// The approval entries among `(seq, kind, reference)` rows of
/// [`super::sql::ENTRIES_UNDER_PREFIX`], by seq, with their decision number.
pub fn approval_decisions(entries: Vec<(i64, String, String)>) -> Decisions {
    entries
        .into_iter()
        .filter(|(_, kind, _)| kind == "approval")
        .map(|(seq, _, reference)| (seq, reference))
        .collect()
}

pub fn parse_date(text: &str) -> StoreResult<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| StoreError::Corrupt(format!("date '{text}' is not YYYY-MM-DD")))
}

/// A stored entry from its header and postings rows.
pub fn entry_from_parts(header: StoredHeader, postings: Vec<StoredPosting>) -> StoreResult<Entry> {
    let kind = EntryKind::parse(&header.kind)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown entry kind '{}'", header.kind)))?;
    let postings = postings
        .into_iter()
        .map(|p| {
            Ok(Posting {
                account: AccountPath::parse(&p.account).map_err(StoreError::Corrupt)?,
                amount: Money::from_dong(p.amount_dong),
                beneficiary: p.beneficiary,
                source_line: p
                    .source_line
                    .map(|line| {
                        u64::try_from(line).map_err(|_| {
                            StoreError::Corrupt(format!(
                                "entry {}: source line {line} is negative",
                                header.seq
                            ))
                        })
                    })
                    .transpose()?,
                reference: p.reference,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Entry {
        seq: header.seq,
        effective_date: parse_date(&header.effective_date)?,
        recorded_at_us: header.recorded_at_us,
        actor: header.actor,
        kind,
        reference: header.reference,
        memo: header.memo,
        corrects_seq: header.corrects_seq,
        import_id: header.import_id,
        prev_hash: header.prev_hash,
        hash: header.hash,
        postings,
    })
}

/// A taken username is a conflict the user can act on.
pub fn user_conflict(error: sqlx::Error, username: &str) -> StoreError {
    match error {
        sqlx::Error::Database(ref d) if d.is_unique_violation() => StoreError::Conflict(format!(
            "user '{username}' already exists / người dùng đã tồn tại"
        )),
        other => other.into(),
    }
}

/// A program code already defined is a conflict the user can act on.
pub fn program_conflict(error: sqlx::Error, code: &str) -> StoreError {
    match error {
        sqlx::Error::Database(ref d) if d.is_unique_violation() => StoreError::Conflict(format!(
            "program '{code}' already exists / chương trình đã tồn tại"
        )),
        other => other.into(),
    }
}

pub fn entry_summary_from_row(row: &impl StoreRow) -> StoreResult<super::EntrySummary> {
    Ok(super::EntrySummary {
        seq: row.get("seq")?,
        effective_date: row.get("effective_date")?,
        recorded_at_us: row.get("recorded_at_us")?,
        actor: row.get("actor")?,
        kind: row.get("kind")?,
        reference: row.get("reference")?,
        memo: row.get("memo")?,
        corrects_seq: row.get("corrects_seq")?,
        import_id: row.get("import_id")?,
        hash: row.get("hash")?,
        postings_count: row.get("postings_count")?,
    })
}

pub fn user_listing_from_row(row: &impl StoreRow) -> StoreResult<super::UserListing> {
    Ok(super::UserListing {
        user: user_from_row(row)?,
        disabled: row.get("disabled")?,
    })
}

/// A row of `SELECT {PERSON_COLUMNS}` ([`super::sql::PERSON_COLUMNS`]).
pub fn person_record_from_row(row: &impl StoreRow) -> StoreResult<super::PersonRecord> {
    Ok(read_by_position!(
        row,
        super::PersonRecord {
            program: "program",
            district: "district",
            national_id: "national_id",
            category: "category",
            full_name: "full_name",
            name_key: "name_key",
            outstanding_dong: "outstanding",
            paid_dong: "paid",
            approvals: "approvals",
            status: "status",
            refused: "refused",
        }
    ))
}

pub fn scope_total_from_row(row: &impl StoreRow) -> StoreResult<super::ScopeTotalRecord> {
    Ok(super::ScopeTotalRecord {
        program: row.get("program")?,
        district: row.get("district")?,
        status: row.get("status")?,
        beneficiaries: row.get("beneficiaries")?,
        approved_dong: row.get("approved")?,
        paid_dong: row.get("paid")?,
        outstanding_dong: row.get("outstanding")?,
    })
}

pub fn verified_reach_from_row(row: &impl StoreRow) -> StoreResult<super::VerifiedReach> {
    let audit_id: Option<i64> = row.get("audit_id")?;
    let audit_hash: Option<String> = row.get("audit_hash")?;
    Ok(super::VerifiedReach {
        head: Checkpoint {
            seq: row.get("seq")?,
            hash: row.get("hash")?,
        },
        audit_head: audit_id
            .zip(audit_hash)
            .map(|(seq, hash)| Checkpoint { seq, hash }),
        full_check: row.get("full_check")?,
        verified_at_us: row.get("verified_at_us")?,
    })
}
