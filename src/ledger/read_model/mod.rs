//! The read models: per program × district × person what reconciliation
//! shows (approved, paid, outstanding, approvals in force, category, name,
//! refused payment lines, status), and per program × district × status its
//! totals. They are derived from the journal alone — the postings, the names
//! on the approval rolls and the lines the payment rolls refused:
//! - each commit (in `append`): what the batch changes of each person it
//!   touches ([`PersonChanges`], worked out while the entries are inserted)
//!   is laid over their rows, read under the append lock, and written back
//!   with the totals' differences, in the commit's own transaction;
//! - a rebuild ([`rebuild`]): a [`ReadModel`] of everything from one scan;
//! - `verify`: the same, recomputed from its scan and compared with the
//!   stored rows.
//!
//! Names and postings never depend on each other: a roll's people get their
//! row (and the roll's name) whether or not a posting came first, and a
//! refused line's written name fills only an empty one; rolls and refused
//! lines apply in commit order, postings in journal order. That is what
//! makes a commit's change and a rebuild agree.

use super::account_memo::AccountMemo;
use crate::domain::journal::{EntryKind, Posting, StoredHeader, StoredPosting};
use crate::domain::text::fold_key;
use crate::fast_hash::FastMap;
use crate::import::report::{ImportReport, RejectionCode};
use crate::reconcile::{status_of, RefusedLine};
use crate::store::{
    JournalSink, PersonRecord, Store, StoreError, StoreResult, StoredEvidence, StoredImportCommit,
};
use serde::de::IgnoredAny;
use std::collections::BTreeMap;

mod check;
mod commit;
mod model;

pub use check::ReadModelCheck;
pub use commit::{merge_batch, read_batch, write_batch, PersonChanges, ReadModelWrites, RollScope};
pub use model::{ReadModel, Taken};

/// (program, district, national ID).
pub type PersonKey = (String, String, String);

/// The status of a person with nothing left to reconcile (an approval
/// reversed in full): kept, never listed nor counted.
pub const SETTLED: &str = "settled";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonState {
    pub category: String,
    pub full_name: String,
    /// `full_name` folded, kept beside it (folding is the costly part).
    name_key: String,
    pub outstanding_dong: i64,
    pub paid_dong: i64,
    pub approvals: i64,
    pub refused: Vec<RefusedLine>,
}

impl PersonState {
    pub fn status(&self) -> &'static str {
        if self.outstanding_dong == 0 && self.paid_dong == 0 && self.refused.is_empty() {
            return SETTLED;
        }
        status_of(self.approved_dong(), self.paid_dong, &self.refused).as_str()
    }

    pub fn approved_dong(&self) -> i64 {
        self.outstanding_dong + self.paid_dong
    }

    fn set_name(&mut self, name: &str) {
        if self.full_name != name {
            self.full_name = name.to_string();
            self.name_key = fold_key(name);
        }
    }

    /// The row, taking the state's texts rather than copying them (a
    /// commit writes a row for each of a roll's people).
    fn into_record(self, program: &str, district: &str, national_id: &str) -> PersonRecord {
        PersonRecord {
            program: program.to_string(),
            district: district.to_string(),
            national_id: national_id.to_string(),
            status: self.status().to_string(),
            refused: (!self.refused.is_empty())
                .then(|| serde_json::to_string(&self.refused).unwrap_or_default()),
            category: self.category,
            full_name: self.full_name,
            name_key: self.name_key,
            outstanding_dong: self.outstanding_dong,
            paid_dong: self.paid_dong,
            approvals: self.approvals,
        }
    }

    pub fn from_record(record: &PersonRecord) -> StoreResult<(PersonKey, PersonState)> {
        let refused = match &record.refused {
            Some(json) => serde_json::from_str(json).map_err(|e| {
                StoreError::Corrupt(format!(
                    "refused lines of {} in program {}: {e}",
                    record.national_id, record.program
                ))
            })?,
            None => Vec::new(),
        };
        let key = (
            record.program.clone(),
            record.district.clone(),
            record.national_id.clone(),
        );
        let state = PersonState {
            category: record.category.clone(),
            full_name: record.full_name.clone(),
            name_key: record.name_key.clone(),
            outstanding_dong: record.outstanding_dong,
            paid_dong: record.paid_dong,
            approvals: record.approvals,
            refused,
        };
        Ok((key, state))
    }
}

/// A payment line a committed roll refused, for the person it names.
#[derive(Debug, Clone)]
pub struct RefusedPayment {
    pub national_id: String,
    /// The name the payment roll wrote, if any.
    pub written_name: Option<String>,
    pub line: RefusedLine,
}

/// The refused lines of a payment roll's report that reconciliation keeps:
/// those naming a person and an amount, except rows that were invalid.
pub fn refused_payments(import_id: i64, report: &ImportReport) -> Vec<RefusedPayment> {
    report
        .rejected
        .iter()
        .filter(|row| row.code != RejectionCode::Invalid)
        .filter_map(|row| {
            Some(RefusedPayment {
                national_id: row.national_id.clone()?,
                written_name: row.full_name.clone().filter(|name| !name.is_empty()),
                line: RefusedLine {
                    import_id,
                    file_name: report.file_name.clone(),
                    line: row.line,
                    amount_dong: row.amount_dong?,
                    reference: row.reference.clone(),
                    code: row.code,
                },
            })
        })
        .collect()
}

/// (national ID, name) of each person on an approval roll's people document.
pub fn roll_names(people_json: &str) -> StoreResult<Vec<(String, String)>> {
    // Date of birth, sex and commune are skipped, not copied: only the ID
    // and the name are read (the text is under the chain's hashes).
    type Person = (String, String, IgnoredAny, IgnoredAny, IgnoredAny);
    let people: Vec<Person> = serde_json::from_str(people_json)
        .map_err(|e| StoreError::Corrupt(format!("a roll's people: {e}")))?;
    Ok(people
        .into_iter()
        .map(|(id, name, ..)| (id, name))
        .collect())
}

/// +1 for an approval's payable posting, −1 for its reversal's (as in the
/// per-entry totals: a payment's reversal puts money back, no approval).
fn approvals_delta(kind: EntryKind, amount_dong: i64) -> i64 {
    match kind {
        EntryKind::Approval if amount_dong >= 0 => 1,
        EntryKind::Reversal if amount_dong < 0 => -1,
        _ => 0,
    }
}

/// A roll's effect on names and refused lines, applied in commit order.
enum RollEvent {
    Approval(Vec<(String, String)>),
    Refused(Vec<RefusedPayment>),
}

fn apply_roll(model: &mut ReadModel, (program, district, event): &ScopedEvent) {
    match event {
        RollEvent::Approval(names) => model.approval_roll(program, district, names),
        RollEvent::Refused(lines) => model.refused_lines(program, district, lines),
    }
}

/// (first seq, import id) of every committed import, in commit order.
fn commit_order(commits: &FastMap<i64, (i64, String, String)>) -> Vec<(i64, i64)> {
    let mut order: Vec<(i64, i64)> = commits
        .iter()
        .map(|(&import_id, (first_seq, ..))| (*first_seq, import_id))
        .collect();
    order.sort_unstable();
    order
}

/// A roll's event with its program and district.
type ScopedEvent = (String, String, RollEvent);

/// Rolls' events handed out in commit order as they arrive.
#[derive(Default)]
struct RollsInOrder {
    /// Every committed import by (first seq, import id), once known.
    order: Option<Vec<(i64, i64)>>,
    /// How many of `order` have been handed out.
    next: usize,
    /// Arrived ahead of a roll committed before them (`None`: no event).
    waiting: BTreeMap<(i64, i64), Option<ScopedEvent>>,
}

impl RollsInOrder {
    /// Takes the event of the import at `key` (`None` when it has none) and
    /// returns, in commit order, the events no earlier roll holds back.
    fn arrived(
        &mut self,
        key: (i64, i64),
        event: Option<ScopedEvent>,
        order: impl FnOnce() -> Vec<(i64, i64)>,
    ) -> Vec<ScopedEvent> {
        let order = self.order.get_or_insert_with(order);
        self.waiting.insert(key, event);
        let mut ready = Vec::new();
        while let Some(next) = order.get(self.next) {
            let Some(event) = self.waiting.remove(next) else {
                break;
            };
            ready.extend(event);
            self.next += 1;
        }
        ready
    }

    /// What still waits, in commit order.
    fn rest(self) -> impl Iterator<Item = ScopedEvent> {
        self.waiting.into_values().flatten()
    }
}

/// Builds the read models from a whole scan of the journal and what each
/// committed import stored.
#[derive(Default)]
pub struct Builder {
    model: ReadModel,
    /// Entry kinds by seq, from the headers (which come before the postings).
    kinds: FastMap<i64, EntryKind>,
    /// Each committed import's first entry: commit order.
    commits: FastMap<i64, (i64, String, String)>,
    /// Rolls' events in commit order, applied as soon as every roll
    /// committed before them has been: evidence comes in import order,
    /// which is nearly always commit order, so few wait (a province's
    /// names would otherwise all be held until the end).
    rolls: RollsInOrder,
    problem: Option<String>,
}

impl Builder {
    /// A builder for `verify`, whose model keeps names as hashes.
    pub fn comparing_names() -> Builder {
        Builder {
            model: ReadModel::comparing_names(),
            ..Builder::default()
        }
    }

    pub fn header(&mut self, header: &StoredHeader) {
        if let Some(kind) = EntryKind::parse(&header.kind) {
            self.kinds.insert(header.seq, kind);
        }
    }

    pub fn import_commit(&mut self, commit: &StoredImportCommit) {
        self.commits.insert(
            commit.import_id,
            (
                commit.first_seq.unwrap_or(0),
                commit.program.clone(),
                commit.district.clone(),
            ),
        );
    }

    pub fn posting(&mut self, posting: &StoredPosting) {
        let (Some(person), Some(&kind)) =
            (&posting.beneficiary, self.kinds.get(&posting.entry_seq))
        else {
            return;
        };
        // Only a person's payable postings count. Split, not parsed: the
        // verifier parses every account and refuses a malformed one.
        let Some(rest) = posting.account.strip_prefix("payable:") else {
            return;
        };
        let mut segments = rest.split(':');
        let (Some(program), Some(district), Some(category)) =
            (segments.next(), segments.next(), segments.next())
        else {
            return;
        };
        let has_voucher = posting.reference.is_some();
        self.model.payable_posting(
            kind,
            [program, district, category],
            posting.amount_dong,
            person,
            has_voucher,
        );
    }

    /// The postings of one entry of `kind`, as the verifier typed them.
    pub fn entry(&mut self, kind: EntryKind, postings: &[Posting]) {
        let mut scopes = AccountMemo::new();
        for posting in postings {
            let Some(person) = &posting.beneficiary else {
                continue;
            };
            let scope = scopes.get(&posting.account, |account| {
                (account.kind() == "payable")
                    .then(|| [1, 2, 3].map(|index| account.segment(index).unwrap_or_default()))
            });
            let Some(scope) = scope else {
                continue;
            };
            let has_voucher = posting.reference.is_some();
            self.model
                .payable_posting(kind, scope, posting.amount.dong(), person, has_voucher);
        }
    }

    pub fn import_evidence(&mut self, evidence: &StoredEvidence) {
        let Some((first_seq, program, district)) = self.commits.get(&evidence.import_id).cloned()
        else {
            return;
        };
        let event = match evidence.kind.as_str() {
            "approvals" => match evidence.people.as_deref().map(roll_names) {
                Some(Ok(names)) => Some(RollEvent::Approval(names)),
                Some(Err(error)) => return self.fail(evidence.import_id, &error.to_string()),
                None => None,
            },
            // A report of an earlier version that does not read as one
            // names no refused line (as reconciliation always read it).
            "payments" => match serde_json::from_str::<ImportReport>(&evidence.report) {
                Ok(report) => Some(RollEvent::Refused(refused_payments(
                    evidence.import_id,
                    &report,
                ))),
                Err(_) => None,
            },
            _ => None,
        };
        let commits = &self.commits;
        let ready = self.rolls.arrived(
            (first_seq, evidence.import_id),
            event.map(|event| (program, district, event)),
            || commit_order(commits),
        );
        for event in ready {
            apply_roll(&mut self.model, &event);
        }
    }

    fn fail(&mut self, import_id: i64, reason: &str) {
        self.problem.get_or_insert_with(|| {
            format!("import {import_id}'s stored roll cannot be read: {reason}")
        });
    }

    /// The read models of everything seen, or why they cannot be built.
    pub fn finish(mut self) -> Result<ReadModel, String> {
        if let Some(problem) = self.problem {
            return Err(problem);
        }
        // Rolls whose evidence never came (the verifier reports them) no
        // longer hold back the ones committed after them.
        for event in self.rolls.rest() {
            apply_roll(&mut self.model, &event);
        }
        match self.model.problem() {
            Some(problem) => Err(problem),
            None => Ok(self.model),
        }
    }
}

impl JournalSink for Builder {
    fn header(&mut self, header: StoredHeader) {
        Builder::header(self, &header);
    }
    fn total(&mut self, _: i64, _: String, _: crate::domain::journal::AccountTotal) {}
    fn posting(&mut self, posting: StoredPosting) {
        Builder::posting(self, &posting);
    }
    fn wants_evidence(&self) -> bool {
        true
    }
    fn import_commit(&mut self, commit: StoredImportCommit) {
        Builder::import_commit(self, &commit);
    }
    fn import_evidence(&mut self, evidence: StoredEvidence) {
        Builder::import_evidence(self, &evidence);
    }
}

/// Rebuilds the read models from the whole journal, under the append lock
/// (no commit lands between the scan and the write); returns how many
/// people they hold.
pub async fn rebuild(store: &dyn Store) -> StoreResult<usize> {
    let mut tx = store.begin_append().await?;
    // Under the append lock, so that no commit takes figures from before.
    store.person_cache().clear();
    let mut builder = Builder::default();
    store.scan(&mut builder).await?;
    let model = builder.finish().map_err(StoreError::Corrupt)?;
    let records = model.records();
    tx.replace_read_models(&records, &model.totals()).await?;
    tx.commit().await?;
    Ok(records.len())
}

/// Rebuilds the read models of a ledger upgraded from a schema without them.
pub async fn ensure_built(store: &dyn Store) -> StoreResult<()> {
    let mut tx = store.begin_append().await?;
    let built = tx.read_models_built().await?;
    drop(tx);
    if !built {
        let people = rebuild(store).await?;
        tracing::info!(people, "read models rebuilt from the journal");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{RollEvent, RollsInOrder, ScopedEvent};

    fn event(name: &str) -> Option<ScopedEvent> {
        let names = vec![("084100000001".to_string(), name.to_string())];
        Some(("NQ68".into(), "842".into(), RollEvent::Approval(names)))
    }

    fn names(events: &[ScopedEvent]) -> Vec<String> {
        events
            .iter()
            .map(|(_, _, event)| match event {
                RollEvent::Approval(names) => names[0].1.clone(),
                RollEvent::Refused(_) => "refused".into(),
            })
            .collect()
    }

    #[test]
    fn rolls_come_out_in_commit_order_whatever_order_they_arrive_in() {
        // Imports 1, 2, 3, 4 committed as 3 (seq 5), 1 (seq 7), 4 (none), 2 (seq 9).
        let order = || vec![(0, 4), (5, 3), (7, 1), (9, 2)];
        let mut rolls = RollsInOrder::default();
        assert!(names(&rolls.arrived((7, 1), event("one"), order)).is_empty());
        assert!(names(&rolls.arrived((9, 2), event("two"), order)).is_empty());
        // Import 4 has no event: it still holds back those after it.
        assert!(names(&rolls.arrived((0, 4), None, order)).is_empty());
        let ready = rolls.arrived((5, 3), event("three"), order);
        assert_eq!(names(&ready), ["three", "one", "two"]);
        // What never came holds nothing back at the end.
        let mut rolls = RollsInOrder::default();
        assert!(names(&rolls.arrived((7, 1), event("one"), order)).is_empty());
        let rest: Vec<ScopedEvent> = rolls.rest().collect();
        assert_eq!(names(&rest), ["one"]);
    }
}
