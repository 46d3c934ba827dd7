//! The rows the store takes in and gives back that are not domain values:
//! audit events, uploaded imports, a roll's people document, the sums and
//! balances that reads return, and the rows an append inserts.

use crate::domain::audit::{
    audit_hash, AuditFields, PreChainSeal, AUDIT_GENESIS_HASH, SEAL_ACTION,
};
use crate::domain::journal::{
    parse_hash, AccountTotal, AuditAnchor, Checkpoint, ImportEvidence, NewEntry, Posting,
};
use crate::domain::{StoredFile, User};
use serde::Serialize;
use std::borrow::Cow;

#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub at_us: i64,
    pub actor: String,
    pub action: String,
    /// `ok`, `refused` or `failed`.
    pub outcome: String,
    pub detail: String,
}

impl AuditEvent {
    /// The (prev_hash, hash) of this event chained after the newest stored
    /// event's hash (`None`: no event, or one from before the chain began).
    pub(crate) fn link_after(&self, newest_hash: Option<&str>) -> Result<(String, String), String> {
        let prev = match newest_hash {
            None => AUDIT_GENESIS_HASH,
            Some(text) => parse_hash(text).ok_or_else(|| {
                format!("the newest audit event's hash '{text}' is not 64 hex digits")
            })?,
        };
        let fields = AuditFields {
            at_us: self.at_us,
            actor: &self.actor,
            action: &self.action,
            outcome: &self.outcome,
            detail: &self.detail,
        };
        Ok((hex::encode(prev), hex::encode(audit_hash(&prev, &fields))))
    }
}

/// The event that begins the chain after `earlier` events recorded before it
/// (in id order), sealing them.
pub(crate) fn pre_chain_seal(earlier: &[AuditRecord], at_us: i64) -> AuditEvent {
    let mut seal = PreChainSeal::default();
    for event in earlier {
        seal.add(event.id, &event.fields());
    }
    AuditEvent {
        at_us,
        actor: "ansinh".into(),
        action: SEAL_ACTION.into(),
        outcome: "ok".into(),
        detail: seal.detail(),
    }
}

impl AuditRecord {
    /// The fields its hash covers.
    pub fn fields(&self) -> AuditFields<'_> {
        AuditFields {
            at_us: self.at_us,
            actor: &self.actor,
            action: &self.action,
            outcome: &self.outcome,
            detail: &self.detail,
        }
    }
}

/// An audit event with its chain link, as stored (both `None` for events
/// recorded before the chain began).
#[derive(Debug, Clone)]
pub struct ChainedAuditEvent {
    pub record: AuditRecord,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

/// An import's commit record, as stored. The report and people digests are
/// `None` for commits made before they were kept (migration 0005).
#[derive(Debug, Clone)]
pub struct StoredImportCommit {
    pub import_id: i64,
    pub kind: String,
    pub program: String,
    pub district: String,
    pub file_sha256: String,
    pub report_sha256: Option<String>,
    pub people_sha256: Option<String>,
    pub first_seq: Option<i64>,
    pub last_seq: Option<i64>,
    pub committed_by: String,
    pub committed_at_us: i64,
}

impl StoredImportCommit {
    /// The evidence entries of encoding 2 hash; `None` for an older commit.
    pub fn evidence(&self) -> Option<ImportEvidence> {
        Some(ImportEvidence {
            import_id: self.import_id,
            kind: self.kind.clone(),
            program: self.program.clone(),
            district: self.district.clone(),
            file_sha256: self.file_sha256.clone(),
            report_sha256: self.report_sha256.clone()?,
            people_sha256: self.people_sha256.clone(),
        })
    }
}

/// What is stored of a committed import: its upload record, its file, its
/// report and its people, read one import at a time while it is checked.
#[derive(Debug, Clone)]
pub struct StoredEvidence {
    pub import_id: i64,
    pub kind: String,
    pub program: String,
    pub district: String,
    pub file_name: String,
    pub sha256: String,
    pub size_bytes: i64,
    /// `content`'s encoding, as stored ([`crate::domain::FileEncoding`]).
    pub content_encoding: String,
    /// The file as stored (encoded): decoded where it is checked.
    pub content: Vec<u8>,
    pub report: String,
    pub people: Option<String>,
}
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
    pub file: StoredFile,
    pub report_json: String,
    pub uploaded_at_us: i64,
    pub uploaded_by: String,
}

impl NewImport {
    /// The audit event of this upload, stored as import `id`.
    pub(crate) fn upload_audit(&self, id: i64) -> AuditEvent {
        AuditEvent {
            at_us: self.uploaded_at_us,
            actor: self.uploaded_by.clone(),
            action: format!("import.upload.{}", self.kind),
            outcome: "ok".into(),
            detail: format!(
                "import {id}: {} ({} bytes, sha256 {}) for program {} district {}",
                self.file_name,
                self.file.size_bytes(),
                self.sha256,
                self.program,
                self.district
            ),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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

/// A stored entry row, ready to insert.
pub struct EntryRow<'a> {
    pub seq: i64,
    pub effective_date: String,
    pub recorded_at_us: i64,
    pub actor: &'a str,
    pub entry: &'a NewEntry,
    pub import_id: Option<i64>,
    pub prev_hash: String,
    pub hash: String,
    pub encoding: i64,
    pub audit_anchor: Option<&'a AuditAnchor>,
}

/// One row of `postings`: entry, position in it, and the posting.
pub struct PostingRow<'a> {
    pub seq: i64,
    pub idx: i64,
    pub posting: &'a Posting,
}

/// One row of `account_totals`.
pub struct TotalRow {
    pub seq: i64,
    pub account: String,
    pub total: AccountTotal,
}

/// What identifies an import's commit: the import, and the kind, program,
/// district and file digest that may be committed once only.
#[derive(Debug, Clone, Copy)]
pub struct ImportKey<'a> {
    pub import_id: i64,
    pub kind: &'a str,
    pub program: &'a str,
    pub district: &'a str,
    pub sha256: &'a str,
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

/// Rows `offset..offset + limit` of a listing, in ascending id (or seq)
/// order: history only grows at the end, so a page once read stays put.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: i64,
    pub limit: i64,
}

/// A page of rows and how many rows the whole listing holds.
#[derive(Debug, Clone)]
pub struct Listed<T> {
    pub rows: Vec<T>,
    pub total: i64,
}

/// Which uploads a listing holds; `None` = any. Times are µs since the epoch,
/// `from_us` inclusive, `until_us` exclusive.
#[derive(Debug, Clone, Default)]
pub struct ImportFilter {
    pub program: Option<String>,
    pub district: Option<String>,
    pub kind: Option<String>,
    pub committed: Option<bool>,
    pub from_us: Option<i64>,
    pub until_us: Option<i64>,
}

/// Which entries a listing holds; `None` = any. Dates are inclusive
/// `YYYY-MM-DD`; `accounts` is a pair of `LIKE` patterns, an entry is listed
/// when one of its totals' accounts matches either.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    pub kind: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub accounts: Option<(String, String)>,
}

/// Which audit events a listing holds; `None` = any.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    /// Events whose action starts with this (`import.` takes every import event).
    pub action: Option<String>,
    pub from_us: Option<i64>,
    pub until_us: Option<i64>,
}

/// One entry of a listing: its header and how many postings it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EntrySummary {
    pub seq: i64,
    /// `YYYY-MM-DD`.
    pub effective_date: String,
    pub recorded_at_us: i64,
    pub actor: String,
    pub kind: String,
    pub reference: String,
    pub memo: String,
    pub corrects_seq: Option<i64>,
    pub import_id: Option<i64>,
    pub hash: String,
    pub postings_count: i64,
}

/// A user as listed for administrators: disabled users cannot log in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UserListing {
    #[serde(flatten)]
    pub user: User,
    pub disabled: bool,
}

/// One row of the per-person read model (`person_balances`): a person's
/// figures in one program and district, as reconciliation shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    pub program: String,
    pub district: String,
    pub national_id: String,
    pub category: String,
    pub full_name: String,
    /// `full_name` folded for search (lower case, no tone marks).
    pub name_key: String,
    pub outstanding_dong: i64,
    pub paid_dong: i64,
    /// Approvals in force.
    pub approvals: i64,
    /// A reconciliation status, or `settled`.
    pub status: String,
    /// The refused payment lines, a JSON array; `None` when there are none.
    pub refused: Option<String>,
}

impl PersonRecord {
    /// The row as a [`PersonRow`], borrowing its texts.
    pub fn as_row(&self) -> PersonRow<'_> {
        use std::borrow::Cow::Borrowed;
        PersonRow {
            program: Borrowed(&self.program),
            district: Borrowed(&self.district),
            national_id: Borrowed(&self.national_id),
            category: Borrowed(&self.category),
            full_name: Borrowed(&self.full_name),
            name_key: Borrowed(&self.name_key),
            outstanding_dong: self.outstanding_dong,
            paid_dong: self.paid_dong,
            approvals: self.approvals,
            status: Borrowed(&self.status),
            refused: self.refused.as_deref().map(Borrowed),
        }
    }
}

/// A [`PersonRecord`] whose texts are borrowed, where it can, from the
/// text it was read from: `verify` reads a province's hundreds of thousands
/// of rows, and compares them without a copy of each text. Deserialized
/// from an array in [`super::sql::PERSON_COLUMNS`] order.
#[derive(Debug, serde::Deserialize)]
pub struct PersonRow<'a> {
    #[serde(borrow)]
    pub program: Cow<'a, str>,
    #[serde(borrow)]
    pub district: Cow<'a, str>,
    #[serde(borrow)]
    pub national_id: Cow<'a, str>,
    #[serde(borrow)]
    pub category: Cow<'a, str>,
    #[serde(borrow)]
    pub full_name: Cow<'a, str>,
    #[serde(borrow)]
    pub name_key: Cow<'a, str>,
    pub outstanding_dong: i64,
    pub paid_dong: i64,
    pub approvals: i64,
    #[serde(borrow)]
    pub status: Cow<'a, str>,
    #[serde(borrow)]
    pub refused: Option<Cow<'a, str>>,
}

impl PersonRow<'_> {
    pub fn key(&self) -> (&str, &str, &str) {
        (&self.program, &self.district, &self.national_id)
    }

    pub fn to_record(&self) -> PersonRecord {
        PersonRecord {
            program: self.program.to_string(),
            district: self.district.to_string(),
            national_id: self.national_id.to_string(),
            category: self.category.to_string(),
            full_name: self.full_name.to_string(),
            name_key: self.name_key.to_string(),
            outstanding_dong: self.outstanding_dong,
            paid_dong: self.paid_dong,
            approvals: self.approvals,
            status: self.status.to_string(),
            refused: self.refused.as_deref().map(str::to_string),
        }
    }
}

/// One row of `scope_totals`: a program's district's people of one status.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ScopeTotalRecord {
    pub program: String,
    pub district: String,
    pub status: String,
    pub beneficiaries: i64,
    pub approved_dong: i64,
    pub paid_dong: i64,
    pub outstanding_dong: i64,
}

/// Which people of the read model a reconciliation page holds; settled
/// people never. `None` = any.
#[derive(Debug, Clone, Default)]
pub struct PersonFilter {
    pub program: String,
    pub district: Option<String>,
    /// National IDs starting with these digits.
    pub national_id_prefix: Option<String>,
    /// Folded names containing this folded text.
    pub name_part: Option<String>,
    pub status: Option<String>,
}

/// A reconciliation read from the read models in one snapshot.
#[derive(Debug, Clone)]
pub struct ReconciliationView {
    /// The journal's head the figures are those of.
    pub head: Option<Checkpoint>,
    /// False while an upgraded ledger's read models are not rebuilt yet.
    pub built: bool,
    pub people: Listed<PersonRecord>,
    /// Every status row of the scope's districts.
    pub totals: Vec<ScopeTotalRecord>,
}

/// How far a verification reached: the next incremental one starts there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedReach {
    pub head: Checkpoint,
    pub audit_head: Option<Checkpoint>,
    pub full_check: bool,
    pub verified_at_us: i64,
}

/// The rows a batch writes: people new to the read models, stored people
/// whose name or refused lines change, stored people whose figures alone
/// change.
#[derive(Debug, Default)]
pub struct PersonWrites {
    pub added: Vec<PersonRecord>,
    pub rewritten: Vec<PersonRecord>,
    pub refigured: Vec<PersonFigures>,
}

/// What a payment changes of a stored person's row: the figures, the
/// category and the status; the name and refused lines stay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonFigures {
    pub program: String,
    pub district: String,
    pub national_id: String,
    pub category: String,
    pub outstanding_dong: i64,
    pub paid_dong: i64,
    pub approvals: i64,
    pub status: &'static str,
}

/// Whether the replica answers, and how far it has replayed.
/// (A PostgreSQL read replica, `--read-database-url`.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaStatus {
    /// The replica's journal head (0: empty), when it answered.
    pub head_seq: Option<i64>,
    /// Why it did not answer.
    pub error: Option<String>,
}
