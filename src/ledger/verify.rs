//! Verification: recompute the chain, the per-entry totals and the balance
//! rules from the stored rows, trusting nothing the database says about them;
//! then (in `evidence`) each import's stored evidence and the audit trail's
//! chain. The store streams rows into a [`Verifier`]; the first problem is
//! kept.

use super::canonical::{EntryFields, EntryHasher, GENESIS_HASH};
use super::evidence::EvidenceCheck;
use super::people_check::PeopleCheck;
use crate::domain::journal::{
    AccountTotal, Checkpoint, EntryKind, ImportEvidence, Posting, StoredHeader, StoredPosting,
};
use crate::domain::AccountPath;
use crate::fast_hash::FastMap;
use crate::store::{
    ChainedAuditEvent, JournalSink, PersonRecord, ScopeTotalRecord, StoredEvidence,
    StoredImportCommit, VerifiedReach,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// What a problem was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    /// A journal entry (or the first missing one), by seq.
    Entry(i64),
    /// An import, by id: its commit record or what it stored.
    Import(i64),
    /// An audit event, by id.
    AuditEvent(i64),
    /// The read models (derived from the journal), at a person's row.
    ReadModels,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Entry(seq) => write!(f, "bút toán {seq} / entry {seq}"),
            Place::Import(id) => write!(f, "lần nhập {id} / import {id}"),
            Place::AuditEvent(id) => write!(f, "sự kiện nhật ký {id} / audit event {id}"),
            Place::ReadModels => write!(f, "số liệu đối chiếu / read models"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct VerifyProblem {
    /// The first thing found bad.
    pub at: Place,
    pub reason: String,
}

impl VerifyProblem {
    /// The entry found bad, when the problem is an entry's.
    pub fn entry_seq(&self) -> Option<i64> {
        match self.at {
            Place::Entry(seq) => Some(seq),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerifyReport {
    pub entries: u64,
    pub postings: u64,
    /// Committed imports whose file, report and people were checked.
    pub imports: u64,
    pub audit_events: u64,
    /// Audit events recorded before the audit chain began (migration 0005),
    /// which the chain's first event seals.
    pub audit_events_unchained: u64,
    /// The newest chained audit event, `ID:HASH`: keep it to check later that
    /// the trail was not cut (`verify --audit-checkpoint`).
    pub audit_head: Option<String>,
    pub head: Option<Checkpoint>,
    /// Where the check began: `None` for the whole ledger, or the entry a
    /// verification reached before (an incremental check covers what
    /// follows it).
    pub checked_after_seq: Option<i64>,
    /// People in the read models, compared with a recomputation from the
    /// journal (a whole-ledger check only).
    pub read_model_people: Option<u64>,
    pub problem: Option<VerifyProblem>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }
}

pub struct Verifier {
    headers: Vec<StoredHeader>,
    stored_totals: HashMap<i64, BTreeMap<String, AccountTotal>>,
    next_header: usize,
    current: Vec<StoredPosting>,
    prev_hash: [u8; 32],
    expected_seq: i64,
    balances: FastMap<String, i64>,
    postings_seen: u64,
    problem: Option<VerifyProblem>,
    checkpoint: Option<Checkpoint>,
    evidence: EvidenceCheck,
    journal_done: bool,
    /// Encodings only grow along the chain.
    newest_encoding: i64,
    /// An incremental check's start; the per-person rules and the read
    /// models need the whole journal and are checked only without one.
    after: Option<Checkpoint>,
    /// The per-person rules and the read models, on their own thread;
    /// `None` in an incremental check, which needs the whole journal for
    /// neither.
    people: Option<PeopleCheck>,
}

impl Verifier {
    /// Checks the whole journal (and the people's checks on their thread).
    pub fn new(checkpoint: Option<Checkpoint>) -> Verifier {
        Verifier {
            people: Some(PeopleCheck::start()),
            ..Verifier::journal_only(checkpoint)
        }
    }

    fn journal_only(checkpoint: Option<Checkpoint>) -> Verifier {
        Verifier {
            headers: Vec::new(),
            stored_totals: HashMap::new(),
            next_header: 0,
            current: Vec::new(),
            prev_hash: GENESIS_HASH,
            expected_seq: 1,
            balances: FastMap::default(),
            postings_seen: 0,
            problem: None,
            checkpoint,
            evidence: EvidenceCheck::default(),
            journal_done: false,
            newest_encoding: 1,
            after: None,
            people: None,
        }
    }

    /// Checks only what follows a verification's reach: the chain from its
    /// head, starting from the ruled accounts' `balances` at that head.
    pub fn after(
        reach: &VerifiedReach,
        balances: FastMap<String, i64>,
    ) -> Result<Verifier, String> {
        let mut verifier = Verifier::journal_only(None);
        verifier.prev_hash = crate::domain::journal::parse_hash(&reach.head.hash)
            .ok_or_else(|| format!("the verified head {} is not a hash", reach.head))?;
        verifier.expected_seq = reach.head.seq + 1;
        verifier.balances = balances;
        verifier.after = Some(reach.head.clone());
        verifier.evidence.start_after(reach.audit_head.clone())?;
        Ok(verifier)
    }

    /// Entry headers, in ascending seq order; all of them before any posting.
    pub fn header(&mut self, header: StoredHeader) {
        self.headers.push(header);
    }

    /// Stored per-entry totals; all of them before any posting.
    pub fn total(&mut self, entry_seq: i64, account: String, total: AccountTotal) {
        self.stored_totals
            .entry(entry_seq)
            .or_default()
            .insert(account, total);
    }

    /// Postings in (entry_seq, idx) order.
    pub fn posting(&mut self, posting: StoredPosting) {
        self.postings_seen += 1;
        if self.problem.is_some() {
            return;
        }
        if self
            .current
            .first()
            .is_some_and(|first| first.entry_seq != posting.entry_seq)
        {
            self.finish_current();
        }
        self.current.push(posting);
    }

    /// After the last posting: the entries without postings, stray totals,
    /// the checkpoint, and whether commit records agree with the entries.
    fn finish_journal(&mut self) {
        if std::mem::replace(&mut self.journal_done, true) {
            return;
        }
        self.finish_current();
        while self.problem.is_none() && self.next_header < self.headers.len() {
            self.check_next_header(Vec::new());
        }
        if self.problem.is_none() {
            if let Some(&seq) = self.stored_totals.keys().min() {
                self.fail(
                    seq,
                    format!("account totals exist for entry {seq}, which is not in the journal"),
                );
            }
        }
        if self.problem.is_none() {
            self.check_checkpoint();
        }
        if self.problem.is_none() {
            self.evidence.check_commits();
        }
    }

    pub fn finish(mut self) -> VerifyReport {
        self.finish_journal();
        self.evidence.finish();
        let people = self.people.take().map(PeopleCheck::finish);
        let read_models = match &people {
            Some(outcome) => outcome.read_models.clone(),
            None => Ok(None),
        };
        if let Some((seq, reason)) = people.and_then(|outcome| outcome.problem) {
            // Checked in journal order, the earlier problem is the one kept;
            // at the same entry, the entry's own checks came first.
            let later = self
                .problem
                .as_ref()
                .is_none_or(|kept| kept.entry_seq().is_some_and(|kept_seq| kept_seq > seq));
            if later {
                self.problem = Some(VerifyProblem {
                    at: Place::Entry(seq),
                    reason,
                });
            }
        }
        VerifyReport {
            entries: self.headers.len() as u64,
            postings: self.postings_seen,
            imports: self.evidence.imports_checked(),
            audit_events: self.evidence.audit_events,
            audit_events_unchained: self.evidence.audit_events_unchained,
            audit_head: self.evidence.audit_head.as_ref().map(ToString::to_string),
            head: self
                .headers
                .last()
                .map(|h| Checkpoint {
                    seq: h.seq,
                    hash: h.hash.clone(),
                })
                .or_else(|| self.after.clone()),
            checked_after_seq: self.after.as_ref().map(|after| after.seq),
            read_model_people: read_models.as_ref().ok().copied().flatten(),
            problem: self.problem.or(self.evidence.problem).or(read_models.err()),
        }
    }

    fn fail(&mut self, seq: i64, reason: String) {
        if self.problem.is_none() {
            self.problem = Some(VerifyProblem {
                at: Place::Entry(seq),
                reason,
            });
        }
    }

    fn finish_current(&mut self) {
        let postings = std::mem::take(&mut self.current);
        let Some(seq) = postings.first().map(|p| p.entry_seq) else {
            return;
        };
        // Entries before this one that have no postings at all are bad too.
        while self.problem.is_none()
            && self.next_header < self.headers.len()
            && self.headers[self.next_header].seq < seq
        {
            self.check_next_header(Vec::new());
        }
        if self.problem.is_some() {
            return;
        }
        match self.headers.get(self.next_header) {
            Some(header) if header.seq == seq => self.check_next_header(postings),
            _ => self.fail(
                seq,
                format!("postings exist for entry {seq}, which is missing from the journal"),
            ),
        }
    }

    fn check_next_header(&mut self, postings: Vec<StoredPosting>) {
        let header = self.headers[self.next_header].clone();
        self.next_header += 1;
        if header.seq != self.expected_seq {
            let missing = self.expected_seq;
            self.fail(
                missing,
                format!(
                    "entry {missing} is missing: the journal jumps to {}",
                    header.seq
                ),
            );
            return;
        }
        self.expected_seq += 1;
        if let Err(reason) = self.check_entry(&header, postings) {
            self.fail(header.seq, reason);
        }
    }

    fn check_entry(
        &mut self,
        header: &StoredHeader,
        postings: Vec<StoredPosting>,
    ) -> Result<(), String> {
        if header.prev_hash != hex::encode(self.prev_hash) {
            return Err("its previous-hash link does not match the entry before it".into());
        }
        if header.encoding < self.newest_encoding {
            return Err(format!(
                "its encoding {} is older than that of an entry before it ({}): every writer must run the same version",
                header.encoding, self.newest_encoding
            ));
        }
        self.newest_encoding = header.encoding;
        let evidence = match header.encoding {
            1 => None,
            2 => match self.evidence.evidence_of(header) {
                Ok(evidence) => evidence,
                Err(problem) => {
                    // Reported at the import, which is what is gone.
                    self.problem.get_or_insert(problem);
                    return Ok(());
                }
            },
            other => return Err(format!("its encoding version {other} is unknown")),
        };
        let recomputed = hash_of(header, &self.prev_hash, &postings, evidence.as_ref())?;
        if hex::encode(recomputed) != header.hash {
            return Err(match header.import_id.filter(|_| evidence.is_some()) {
                Some(import_id) => format!(
                    "its contents, or the commit record of import {import_id} it hashes, do not match its hash"
                ),
                None => "its contents do not match its hash (a value was changed, or a posting added or removed)".into(),
            });
        }
        self.prev_hash = recomputed;
        self.evidence.entry(header);
        let sum: i64 = postings.iter().map(|p| p.amount_dong).sum();
        if sum != 0 {
            return Err(format!("its postings sum to {sum}, not zero"));
        }
        let kind = EntryKind::parse(&header.kind).ok_or("unknown entry kind")?;
        let (typed, totals) = self.check_totals(header.seq, kind, postings)?;
        self.apply_balances(&totals)?;
        if let Some(people) = self.people.as_mut() {
            people.entry(header.seq, kind, typed);
        }
        Ok(())
    }

    /// Types the postings (their texts moved, not copied: the people's
    /// thread takes them) and compares the entry's stored account totals
    /// with theirs, which it returns.
    fn check_totals(
        &mut self,
        seq: i64,
        kind: EntryKind,
        postings: Vec<StoredPosting>,
    ) -> Result<(Vec<Posting>, BTreeMap<String, AccountTotal>), String> {
        // An entry's thousands of postings name a few accounts: each is
        // parsed once.
        let mut accounts: FastMap<String, AccountPath> = FastMap::default();
        let typed: Vec<Posting> = postings
            .into_iter()
            .map(|p| {
                let account = match accounts.get(p.account.as_str()) {
                    Some(account) => account.clone(),
                    None => {
                        let account = AccountPath::parse(&p.account)?;
                        accounts.insert(p.account, account.clone());
                        account
                    }
                };
                Ok(Posting {
                    account,
                    amount: crate::domain::Money::from_dong(p.amount_dong),
                    beneficiary: p.beneficiary,
                    source_line: p.source_line.and_then(|l| u64::try_from(l).ok()),
                    reference: p.reference,
                })
            })
            .collect::<Result<_, String>>()?;
        let recomputed = super::totals::entry_totals(kind, &typed).map_err(|e| e.to_string())?;
        let stored = self.stored_totals.remove(&seq).unwrap_or_default();
        if recomputed != stored {
            return Err("its stored account totals differ from its postings".into());
        }
        Ok((typed, recomputed))
    }

    /// Adds an entry's account totals to the balances and refuses an
    /// account with a balance rule that goes below zero after the entry.
    fn apply_balances(&mut self, totals: &BTreeMap<String, AccountTotal>) -> Result<(), String> {
        for (account, total) in totals {
            let balance = match self.balances.get_mut(account.as_str()) {
                Some(balance) => {
                    *balance += total.amount_dong;
                    *balance
                }
                None => {
                    self.balances.insert(account.clone(), total.amount_dong);
                    total.amount_dong
                }
            };
            if balance >= 0 {
                continue;
            }
            let ruled = AccountPath::parse(account)
                .map(|a| a.must_not_go_negative())
                .unwrap_or(false);
            if ruled {
                return Err(format!(
                    "account {account} goes below zero ({balance}) after this entry"
                ));
            }
        }
        Ok(())
    }

    fn check_checkpoint(&mut self) {
        let Some(checkpoint) = self.checkpoint.clone() else {
            return;
        };
        match self.headers.iter().find(|h| h.seq == checkpoint.seq) {
            None => {
                let head = self.headers.last().map(|h| h.seq).unwrap_or(0);
                self.fail(
                    checkpoint.seq,
                    format!(
                        "the checkpoint names entry {} but the journal ends at entry {head}: it was truncated",
                        checkpoint.seq
                    ),
                );
            }
            Some(header) if header.hash != checkpoint.hash => self.fail(
                checkpoint.seq,
                format!(
                    "entry {} has hash {} but the checkpoint says {}: history was rewritten",
                    checkpoint.seq, header.hash, checkpoint.hash
                ),
            ),
            Some(_) => {}
        }
    }
}

fn hash_of(
    header: &StoredHeader,
    prev_hash: &[u8; 32],
    postings: &[StoredPosting],
    evidence: Option<&ImportEvidence>,
) -> Result<[u8; 32], String> {
    let encoding = u16::try_from(header.encoding).map_err(|_| "unknown encoding version")?;
    let fields = EntryFields {
        seq: header.seq,
        effective_date: &header.effective_date,
        recorded_at_us: header.recorded_at_us,
        actor: &header.actor,
        kind: &header.kind,
        reference: &header.reference,
        memo: &header.memo,
        corrects_seq: header.corrects_seq,
        encoding,
        evidence,
        audit_anchor: header.audit_anchor.as_ref(),
    };
    let count = u32::try_from(postings.len()).map_err(|_| "too many postings")?;
    let mut hasher = EntryHasher::new(prev_hash, &fields, count);
    for posting in postings {
        let line = match posting.source_line {
            Some(line) => Some(u64::try_from(line).map_err(|_| "negative source line")?),
            None => None,
        };
        hasher.posting(
            &posting.account,
            posting.amount_dong,
            posting.beneficiary.as_deref(),
            line,
            posting.reference.as_deref(),
        );
    }
    Ok(hasher.finish())
}

impl JournalSink for Verifier {
    fn header(&mut self, header: StoredHeader) {
        Verifier::header(self, header)
    }
    fn total(&mut self, entry_seq: i64, account: String, total: AccountTotal) {
        Verifier::total(self, entry_seq, account, total)
    }
    fn posting(&mut self, posting: StoredPosting) {
        Verifier::posting(self, posting)
    }
    fn wants_evidence(&self) -> bool {
        true
    }
    fn import_commit(&mut self, commit: StoredImportCommit) {
        if let Some(people) = self.people.as_mut() {
            people.import_commit(&commit);
        }
        self.evidence.import_commit(commit);
    }
    fn import_evidence(&mut self, evidence: StoredEvidence) {
        self.finish_journal();
        if let Some(people) = self.people.as_mut() {
            people.import_evidence(&evidence);
        }
        self.evidence.import_evidence(evidence);
    }
    fn wants_read_models(&self) -> bool {
        self.people.is_some()
    }
    fn person_record(&mut self, record: PersonRecord) {
        if let Some(people) = self.people.as_mut() {
            people.person(record);
        }
    }
    fn scope_total(&mut self, record: ScopeTotalRecord) {
        if let Some(people) = self.people.as_mut() {
            people.scope_total(record);
        }
    }
    fn audit_event(&mut self, event: ChainedAuditEvent) {
        self.finish_journal();
        self.evidence.audit_event(event);
    }
}

/// Verifies what follows the last recorded verification (the whole ledger
/// when none was recorded), and records how far this one reached when it
/// passes. The verified head's hash, and the audit head's, must still be
/// stored as they were: a rewrite of what was verified before shows there;
/// `--full` recomputes everything.
pub async fn run_incremental(
    store: &dyn crate::store::Store,
) -> crate::store::StoreResult<VerifyReport> {
    let mut laps = crate::telemetry::Laps::start("verify");
    let Some(reach) = store.last_verification().await? else {
        return run_recorded(store).await;
    };
    laps.lap("last verification");
    let sums = store.account_sums(None, Some(reach.head.seq)).await?;
    laps.lap("balances at its head");
    let balances = sums
        .into_iter()
        .map(|sum| (sum.account, sum.amount_dong))
        .collect();
    let mut verifier = match Verifier::after(&reach, balances) {
        Ok(verifier) => verifier,
        Err(reason) => return Err(crate::store::StoreError::Corrupt(reason)),
    };
    let audit_after = reach.audit_head.as_ref().map_or(0, |a| a.seq);
    let (head_hash, audit_hash) = store
        .scan_since(reach.head.seq, audit_after, &mut verifier)
        .await?;
    laps.lap("scan since");
    if head_hash.as_deref() != Some(reach.head.hash.as_str()) {
        verifier.fail(
            reach.head.seq,
            format!(
                "entry {} was verified with hash {} but now holds {}: history was rewritten or cut since",
                reach.head.seq,
                reach.head.hash,
                head_hash.as_deref().unwrap_or("nothing")
            ),
        );
    }
    if let Some(audit) = reach.audit_head.as_ref() {
        if audit_hash.as_deref() != Some(audit.hash.as_str()) {
            verifier.evidence.problem.get_or_insert(VerifyProblem {
                at: Place::AuditEvent(audit.seq),
                reason: format!(
                    "it was verified with hash {} but now holds {}: the audit trail was rewritten or cut since",
                    audit.hash,
                    audit_hash.as_deref().unwrap_or("nothing")
                ),
            });
        }
    }
    let report = verifier.finish();
    // Nothing new verified: the recorded reach stands (verify is asked
    // often; the table grows only with the ledger).
    let moved = report.head.as_ref() != Some(&reach.head)
        || report.audit_head != reach.audit_head.as_ref().map(ToString::to_string);
    if moved {
        record(store, &report, false).await?;
    }
    laps.lap("check and record");
    Ok(report)
}

/// [`run`], recording how far it reached when the whole ledger passes.
pub async fn run_recorded(
    store: &dyn crate::store::Store,
) -> crate::store::StoreResult<VerifyReport> {
    let report = run(store, None).await?;
    record(store, &report, true).await?;
    Ok(report)
}

/// Records a passing verification's reach (nothing for a failing one, nor
/// for an empty ledger).
async fn record(
    store: &dyn crate::store::Store,
    report: &VerifyReport,
    full_check: bool,
) -> crate::store::StoreResult<()> {
    let Some(head) = report.head.clone().filter(|_| report.is_ok()) else {
        return Ok(());
    };
    let audit_head = match &report.audit_head {
        Some(text) => Some(Checkpoint::parse(text).map_err(crate::store::StoreError::Corrupt)?),
        None => None,
    };
    store
        .record_verification(&VerifiedReach {
            head,
            audit_head,
            full_check,
            verified_at_us: crate::store::now_us(),
        })
        .await
}

/// Streams the whole journal from the store through a [`Verifier`].
pub async fn run(
    store: &dyn crate::store::Store,
    checkpoint: Option<Checkpoint>,
) -> crate::store::StoreResult<VerifyReport> {
    run_with(store, checkpoint, None).await
}

/// [`run`], also proving that the audit trail still holds the event of an
/// earlier audit head (`ID:HASH`).
pub async fn run_with(
    store: &dyn crate::store::Store,
    checkpoint: Option<Checkpoint>,
    audit_checkpoint: Option<Checkpoint>,
) -> crate::store::StoreResult<VerifyReport> {
    let mut laps = crate::telemetry::Laps::start("verify --full");
    let mut verifier = Verifier::new(checkpoint);
    verifier.evidence.audit_checkpoint = audit_checkpoint;
    store.scan(&mut verifier).await?;
    laps.lap("scan");
    let report = verifier.finish();
    laps.lap("people's checks finish");
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An encoding-1 entry of `postings` chained after `prev_hash`, with its
    /// stored totals given to `verifier`; returns its hash.
    fn feed(
        verifier: &mut Verifier,
        seq: i64,
        prev_hash: [u8; 32],
        postings: &[(&str, i64)],
    ) -> [u8; 32] {
        let stored: Vec<StoredPosting> = postings
            .iter()
            .map(|&(account, amount_dong)| StoredPosting {
                entry_seq: seq,
                account: account.into(),
                amount_dong,
                beneficiary: None,
                source_line: None,
                reference: None,
            })
            .collect();
        let mut header = StoredHeader {
            seq,
            effective_date: "2021-08-01".into(),
            recorded_at_us: 1_637_800_000_000_000,
            actor: "tester".into(),
            kind: "allocation".into(),
            reference: format!("ref {seq}"),
            memo: String::new(),
            corrects_seq: None,
            prev_hash: hex::encode(prev_hash),
            hash: String::new(),
            import_id: None,
            encoding: 1,
            audit_anchor: None,
        };
        let hash = hash_of(&header, &prev_hash, &stored, None).unwrap();
        header.hash = hex::encode(hash);
        verifier.header(header);
        for &(account, amount_dong) in postings {
            let total = AccountTotal {
                amount_dong,
                approvals_delta: 0,
            };
            verifier.total(seq, account.into(), total);
        }
        for posting in stored {
            verifier.posting(posting);
        }
        hash
    }

    /// Entries of `postings` each, chained from the genesis, seq 1 on.
    fn chain(verifier: &mut Verifier, entries: &[&[(&str, i64)]]) {
        let mut prev_hash = GENESIS_HASH;
        for (seq, postings) in (1..).zip(entries) {
            prev_hash = feed(verifier, seq, prev_hash, postings);
        }
    }

    #[test]
    fn a_ruled_account_below_zero_after_an_entry_is_found_at_that_entry() {
        let mut verifier = Verifier::journal_only(None);
        chain(
            &mut verifier,
            &[
                &[("fund:province", -10), ("budget:NQ68:842", 10)],
                &[("budget:NQ68:842", -15), ("payable:NQ68:842:tu-do", 15)],
            ],
        );
        let report = verifier.finish();
        let problem = report.problem.expect("the fund went below zero");
        assert_eq!(problem.entry_seq(), Some(1), "{problem:?}");
        assert!(problem
            .reason
            .contains("fund:province goes below zero (-10)"));
    }

    #[test]
    fn balances_carry_from_entry_to_entry() {
        let mut verifier = Verifier::journal_only(None);
        verifier.balances.insert("fund:province".into(), 10);
        chain(
            &mut verifier,
            &[
                &[("fund:province", -10), ("budget:NQ68:842", 10)],
                &[("budget:NQ68:842", -10), ("payable:NQ68:842:tu-do", 10)],
                &[("budget:NQ68:842", -1), ("payable:NQ68:842:tu-do", 1)],
            ],
        );
        let report = verifier.finish();
        let problem = report.problem.expect("the budget was spent by entry 2");
        assert_eq!(problem.entry_seq(), Some(3), "{problem:?}");
        assert!(
            problem
                .reason
                .contains("budget:NQ68:842 goes below zero (-1)"),
            "{problem:?}"
        );
    }
}
