//! Storage: one `Store` trait, a SQLite and a PostgreSQL backend chosen by the
//! URL scheme, each with its own embedded migrations. Domain code talks to the
//! trait only; SQL lives in the backend modules.

mod commit;
mod common;
pub mod postgres;
pub mod sqlite;

use crate::auth::Role;
use crate::ledger::totals::AccountTotal;
use crate::ledger::verify::{Checkpoint, StoredHeader, StoredPosting};
use crate::ledger::Entry;
use async_trait::async_trait;
use chrono::NaiveDate;
use serde::Serialize;
use std::sync::Arc;

pub use commit::{Batch, ImportCommit};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    BalanceRule(#[from] crate::ledger::totals::BalanceRuleBroken),
    #[error("entry refused: {0}")]
    Entry(#[from] crate::ledger::entry::EntryError),
    #[error("{0}")]
    Conflict(String),
    /// What a validation read has changed since: validate again.
    #[error("{0}")]
    Stale(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("unsupported database URL '{0}': use sqlite://FILE or postgres://…")]
    UnsupportedUrl(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub district: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub role: Role,
    pub district: Option<String>,
    pub password_hash: String,
}

#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub at_us: i64,
    pub actor: String,
    pub action: String,
    /// `ok`, `refused` or `failed`.
    pub outcome: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    pub id: i64,
    pub at_us: i64,
    pub actor: String,
    pub action: String,
    pub outcome: String,
    pub detail: String,
}

#[derive(Debug, Clone)]
pub struct NewImport {
    pub kind: String,
    pub program: String,
    pub district: String,
    pub file_name: String,
    pub sha256: String,
    pub content: Vec<u8>,
    pub report_json: String,
    pub uploaded_at_us: i64,
    pub uploaded_by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportRecord {
    pub id: i64,
    pub kind: String,
    pub program: String,
    pub district: String,
    pub file_name: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub uploaded_at_us: i64,
    pub uploaded_by: String,
    #[serde(skip)]
    pub report_json: String,
    pub committed_by: Option<String>,
    pub committed_at_us: Option<i64>,
}

/// One person of a roll, as written on it.
pub struct RollPerson<'a> {
    pub national_id: &'a str,
    pub full_name: &'a str,
    pub date_of_birth: Option<&'a dyn std::fmt::Display>,
    /// `male` or `female`.
    pub sex: Option<&'static str>,
    pub commune_code: &'a str,
}

/// The people of one roll as stored in `roll_people`: a JSON array of
/// `[national_id, full_name, date_of_birth, sex, commune_code]` in the roll's
/// order (rolls before migration 0003's upgrade: in national ID order; readers
/// take any order), made once when the roll is validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollPeople(String);

impl RollPeople {
    /// Written by hand: a roll has tens of thousands of people, and all but
    /// a rare name need no escaping.
    pub fn new(people: Vec<RollPerson<'_>>) -> RollPeople {
        use std::fmt::Write;
        let mut json = String::with_capacity(people.len() * 80 + 2);
        json.push('[');
        for (index, person) in people.iter().enumerate() {
            if index > 0 {
                json.push(',');
            }
            json.push('[');
            push_json_str(&mut json, person.national_id);
            json.push(',');
            push_json_str(&mut json, person.full_name);
            json.push(',');
            match person.date_of_birth {
                // Dates are digits and `/`: nothing to escape.
                Some(date) => {
                    let _ = write!(json, "\"{date}\"");
                }
                None => json.push_str("null"),
            }
            json.push(',');
            match person.sex {
                Some(sex) => push_json_str(&mut json, sex),
                None => json.push_str("null"),
            }
            json.push(',');
            push_json_str(&mut json, person.commune_code);
            json.push(']');
        }
        json.push(']');
        RollPeople(json)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `text` as a JSON string.
fn push_json_str(json: &mut String, text: &str) {
    if text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        json.push_str(&serde_json::Value::from(text).to_string());
    } else {
        json.push('"');
        json.push_str(text);
        json.push('"');
    }
}

/// One beneficiary's postings on one account, summed. On a `payable`
/// account, postings with a voucher reference are payments (and their
/// reversals): `paid_dong` is what they took out, so the approved amount is
/// `amount_dong + paid_dong`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BeneficiaryBalance {
    pub beneficiary: String,
    pub account: String,
    pub amount_dong: i64,
    pub paid_dong: i64,
    /// Reference (decision number) of the lowest and highest approving entry.
    pub decisions: [Option<String>; 2],
}

impl BeneficiaryBalance {
    pub fn approved_dong(&self) -> i64 {
        self.amount_dong + self.paid_dong
    }
}

/// One person's approving postings on one account, summed: positive while
/// the approval is in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovedHolding {
    pub beneficiary: String,
    pub account: String,
    pub approved_dong: i64,
    /// Reference (decision number) of the lowest and highest approving entry.
    pub decisions: [Option<String>; 2],
}

/// Where a beneficiary's approval came from: entry, file and line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalSource {
    pub beneficiary: String,
    pub account: String,
    pub entry_seq: i64,
    pub reference: String,
    pub source_line: Option<i64>,
    pub import_id: Option<i64>,
    pub file_name: Option<String>,
}

/// Totals of one account over the entries selected by date and seq.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountSum {
    pub account: String,
    pub amount_dong: i64,
    pub approvals: i64,
}

/// Receives the whole journal, in order: headers, then totals, then postings.
pub trait JournalSink: Send {
    fn header(&mut self, header: StoredHeader);
    fn total(&mut self, entry_seq: i64, account: String, total: AccountTotal);
    fn posting(&mut self, posting: StoredPosting);
}

impl JournalSink for crate::ledger::verify::Verifier {
    fn header(&mut self, header: StoredHeader) {
        crate::ledger::verify::Verifier::header(self, header)
    }
    fn total(&mut self, entry_seq: i64, account: String, total: AccountTotal) {
        crate::ledger::verify::Verifier::total(self, entry_seq, account, total)
    }
    fn posting(&mut self, posting: StoredPosting) {
        crate::ledger::verify::Verifier::posting(self, posting)
    }
}

#[async_trait]
pub trait Store: Send + Sync {
    fn backend_name(&self) -> &'static str;

    async fn add_user(&self, user: NewUser, audit: AuditEvent) -> StoreResult<User>;
    async fn user_count(&self) -> StoreResult<i64>;
    async fn find_user(&self, username: &str) -> StoreResult<Option<(User, String)>>;
    async fn add_session(
        &self,
        token_hash: &str,
        user_id: i64,
        now_us: i64,
        expires_at_us: i64,
    ) -> StoreResult<()>;
    async fn session_user(&self, token_hash: &str, now_us: i64) -> StoreResult<Option<User>>;
    async fn end_session(&self, token_hash: &str) -> StoreResult<()>;
    async fn audit(&self, event: AuditEvent) -> StoreResult<()>;
    async fn audit_events(&self, limit: i64) -> StoreResult<Vec<AuditRecord>>;

    async fn program_definitions(&self) -> StoreResult<Vec<(String, String)>>;

    async fn save_import(&self, import: NewImport) -> StoreResult<i64>;
    async fn import_record(&self, id: i64) -> StoreResult<Option<ImportRecord>>;
    async fn import_content(&self, id: i64) -> StoreResult<Option<Vec<u8>>>;
    /// The committed import with these bytes for this kind, program and district, if any.
    async fn committed_import_with_digest(
        &self,
        kind: &str,
        program: &str,
        district: &str,
        sha256: &str,
    ) -> StoreResult<Option<i64>>;
    async fn committed_imports(&self, kind: &str, program: &str) -> StoreResult<Vec<ImportRecord>>;

    /// Appends a batch atomically: all of it, or nothing.
    async fn commit(&self, batch: Batch) -> StoreResult<Vec<Checkpoint>>;
    async fn head(&self) -> StoreResult<Option<Checkpoint>>;
    async fn entry(&self, seq: i64) -> StoreResult<Option<Entry>>;
    /// Entries that name `seq` as the entry they correct.
    async fn corrections_of(&self, seq: i64) -> StoreResult<Vec<Entry>>;
    /// Current balance of one account, from the per-entry totals.
    async fn account_balance(&self, account: &str) -> StoreResult<i64>;
    async fn account_sums(
        &self,
        as_of: Option<NaiveDate>,
        at_seq: Option<i64>,
    ) -> StoreResult<Vec<AccountSum>>;
    /// Per beneficiary and account under `account_prefix`: what was approved
    /// and paid, read through the entries that touch those accounts.
    async fn beneficiary_balances(
        &self,
        account_prefix: &str,
    ) -> StoreResult<Vec<BeneficiaryBalance>>;
    /// What these people hold approved on accounts under `account_prefix`
    /// (approvals and their reversals, summed per account), found through the
    /// index of approving postings; people with no such posting are absent.
    async fn approvals_of(
        &self,
        account_prefix: &str,
        national_ids: &[String],
    ) -> StoreResult<Vec<ApprovedHolding>>;
    /// Voucher references already posted on the `payable` accounts of a
    /// district, in any program: a district's payment office numbers its
    /// vouchers, so a number seen twice there is one payment paid twice.
    async fn district_vouchers(&self, district: &str) -> StoreResult<Vec<String>>;
    async fn approval_sources(
        &self,
        program: &str,
        national_ids: &[String],
    ) -> StoreResult<Vec<ApprovalSource>>;
    async fn beneficiary_names(
        &self,
        national_ids: &[String],
    ) -> StoreResult<Vec<(String, String)>>;
    /// Names of everyone on the approval rolls whose entries touch accounts
    /// under `account_prefix`: the rolls' own rows, read in key order.
    async fn beneficiary_names_under(
        &self,
        account_prefix: &str,
    ) -> StoreResult<Vec<(String, String)>>;
    async fn scan(&self, sink: &mut dyn JournalSink) -> StoreResult<()>;
}

/// Which backend a URL selects.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Opens the store a URL names and applies its migrations.
pub async fn open(url: &str) -> StoreResult<Arc<dyn Store>> {
    if is_postgres_url(url) {
        Ok(Arc::new(postgres::PgStore::open(url).await?))
    } else if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        Ok(Arc::new(sqlite::SqliteStore::open(path).await?))
    } else if !url.contains("://") {
        Ok(Arc::new(sqlite::SqliteStore::open(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(url.to_string()))
    }
}

/// Microseconds since the Unix epoch, now.
pub fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

pub(crate) fn parse_date(text: &str) -> StoreResult<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| StoreError::Corrupt(format!("date '{text}' is not YYYY-MM-DD")))
}

pub(crate) fn entry_from_parts(
    header: StoredHeader,
    postings: Vec<StoredPosting>,
    import_id: Option<i64>,
) -> StoreResult<Entry> {
    use crate::domain::{AccountPath, Money};
    let kind = crate::ledger::EntryKind::parse(&header.kind)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown entry kind '{}'", header.kind)))?;
    let postings = postings
        .into_iter()
        .map(|p| {
            Ok(crate::ledger::Posting {
                account: AccountPath::parse(&p.account).map_err(StoreError::Corrupt)?,
                amount: Money::from_dong(p.amount_dong),
                beneficiary: p.beneficiary,
                source_line: p.source_line.and_then(|l| u64::try_from(l).ok()),
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
        import_id,
        prev_hash: header.prev_hash,
        hash: header.hash,
        postings,
    })
}

#[cfg(test)]
mod tests {
    use super::{RollPeople, RollPerson};

    #[test]
    fn roll_people_are_json_in_roll_order_with_names_escaped() {
        let born = "07/03/1961";
        let people = vec![
            RollPerson {
                national_id: "084200000002",
                full_name: "Thạch \"Út\" \\ Sa\tRây",
                date_of_birth: None,
                sex: None,
                commune_code: "29242",
            },
            RollPerson {
                national_id: "084100000001",
                full_name: "Nguyễn Văn An",
                date_of_birth: Some(&born),
                sex: Some("male"),
                commune_code: "29239",
            },
        ];
        let json = RollPeople::new(people);
        let parsed: serde_json::Value = serde_json::from_str(json.as_str()).expect("JSON");
        assert_eq!(
            parsed,
            serde_json::json!([
                [
                    "084200000002",
                    "Thạch \"Út\" \\ Sa\tRây",
                    null,
                    null,
                    "29242"
                ],
                [
                    "084100000001",
                    "Nguyễn Văn An",
                    "07/03/1961",
                    "male",
                    "29239"
                ],
            ])
        );
    }
}
