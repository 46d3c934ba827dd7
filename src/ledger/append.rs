//! The one write path into the journal: inside the store's append
//! transaction (which holds the append lock), read the head, check the
//! entries, the balance rules and what an import's validation read, chain
//! and insert every entry, then commit — all or nothing. Every rule lives
//! here; the store's transaction only moves rows in and out.

use super::canonical::{entry_hash, EntryFields, ENCODING_VERSION, GENESIS_HASH};
use super::read_model::{self, PersonChanges, RollScope};
use super::totals::{
    check_balance_rules, entry_totals, ruled_accounts, BalanceError, BalanceRuleBroken,
};
use crate::domain::audit::sha256_hex;
use crate::domain::journal::{
    parse_hash, AuditAnchor, Checkpoint, EntryError, EntryKind, ImportEvidence, NewEntry,
};
use crate::domain::{AccountPrefix, AccountsRead};
use crate::store::{
    AppendTx, AuditEvent, EntryRow, ImportKey, PostingRow, RollPeople, Store, StoreError, TotalRow,
};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Everything one business action writes, committed atomically.
#[derive(Debug, Clone)]
pub struct Batch {
    pub actor: String,
    pub recorded_at_us: i64,
    pub entries: Vec<NewEntry>,
    /// A program definition to store with the entries (code, TOML text).
    pub program: Option<(String, String)>,
    pub import_commit: Option<ImportCommit>,
    /// The people of the roll being committed, as written on it.
    pub roll_people: Option<RollPeople>,
    /// The lines a payment roll being committed refused, for the read models.
    pub refused_payments: Vec<super::read_model::RefusedPayment>,
    /// What the write read of the ledger before taking the lock (an import's
    /// validation, a reversal's checks), to be checked again under it.
    pub read_at: Option<ReadAt>,
    pub audit: AuditEvent,
}

/// The ledger as a write read it: at entry `seq` (the head when its reads
/// began), the accounts of `reads`. Entries after `seq` that touch them make
/// the write stale, refused with `stale_message`; where only approvals count,
/// only for the people they approved again.
#[derive(Debug, Clone)]
pub struct ReadAt {
    pub seq: i64,
    pub reads: AccountsRead,
    pub stale_message: String,
}

#[derive(Debug, Clone)]
pub struct ImportCommit {
    pub import_id: i64,
    /// `approvals` or `payments`, as stored with the commit.
    pub kind: &'static str,
    pub program: String,
    pub district: String,
    pub sha256: String,
    /// SHA-256 (hex) of the report text stored with the upload.
    pub report_sha256: String,
}

impl ImportCommit {
    /// What the entries hash of this commit: the record, with the digest of
    /// the people document the batch stores beside it.
    fn evidence(&self, people: Option<&RollPeople>) -> ImportEvidence {
        ImportEvidence {
            import_id: self.import_id,
            kind: self.kind.to_string(),
            program: self.program.clone(),
            district: self.district.clone(),
            file_sha256: self.sha256.clone(),
            report_sha256: self.report_sha256.clone(),
            people_sha256: people.map(|people| sha256_hex(people.as_str().as_bytes())),
        }
    }

    fn key(&self) -> ImportKey<'_> {
        ImportKey {
            import_id: self.import_id,
            kind: self.kind,
            program: &self.program,
            district: &self.district,
            sha256: &self.sha256,
        }
    }
}

/// Why an append posted nothing.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// An account with a balance rule would go below zero.
    #[error("{0}")]
    BalanceRule(#[from] BalanceRuleBroken),
    /// An entry breaks a rule every entry obeys.
    #[error("entry refused: {0}")]
    Entry(#[from] EntryError),
    /// The batch collides with what is stored: the file was already
    /// imported, the program already exists.
    #[error("{0}")]
    Conflict(String),
    /// What a validation read has changed since: validate again.
    #[error("{0}")]
    Stale(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<BalanceError> for AppendError {
    fn from(error: BalanceError) -> AppendError {
        match error {
            BalanceError::Rule(broken) => AppendError::BalanceRule(broken),
            BalanceError::Overflow(entry) => AppendError::Entry(entry),
        }
    }
}

impl From<StoreError> for AppendError {
    /// A uniqueness conflict the store reports is the append's conflict.
    fn from(error: StoreError) -> AppendError {
        match error {
            StoreError::Conflict(message) => AppendError::Conflict(message),
            other => AppendError::Store(other),
        }
    }
}

/// Appends a batch atomically: all of it, or nothing.
pub async fn append(store: &dyn Store, batch: Batch) -> Result<Vec<Checkpoint>, AppendError> {
    // What the batch changes of its people depends on the batch alone:
    // worked out on another thread while this one checks and hashes.
    let batch = std::sync::Arc::new(batch);
    let person_changes = {
        let batch = batch.clone();
        tokio::task::spawn_blocking(move || PersonChanges::of(&batch))
    };
    append_with(store, batch, Changes::Working(person_changes)).await
}

/// [`append`] of a roll whose person changes were worked out when it was
/// validated ([`PersonChanges::of_roll`]): the commit adds the refused
/// lines and does not wait for the rest.
pub async fn append_prepared(
    store: &dyn Store,
    batch: Batch,
    mut person_changes: PersonChanges,
) -> Result<Vec<Checkpoint>, AppendError> {
    if let Some(commit) = &batch.import_commit {
        let roll = RollScope::new(commit.kind, &commit.program, &commit.district);
        person_changes.add_refused(&roll, &batch.refused_payments);
    }
    let batch = std::sync::Arc::new(batch);
    append_with(store, batch, Changes::Ready(person_changes)).await
}

/// A batch's person changes: worked out already, or on their way.
enum Changes {
    Ready(PersonChanges),
    Working(tokio::task::JoinHandle<crate::store::StoreResult<PersonChanges>>),
}

async fn append_with(
    store: &dyn Store,
    batch: std::sync::Arc<Batch>,
    person_changes: Changes,
) -> Result<Vec<Checkpoint>, AppendError> {
    let mut laps = crate::telemetry::Laps::start("commit");
    for entry in &batch.entries {
        entry.check()?;
    }
    let mut tx = store.begin_append().await?;
    if let Some(commit) = &batch.import_commit {
        if let Some(existing) = tx.committed_import(&commit.key()).await? {
            return Err(AppendError::Conflict(format!(
                "this file was already imported for program {} and district {} (import {existing}); nothing was posted again / tệp này đã được nhập",
                commit.program, commit.district
            )));
        }
    }
    let head = tx.head().await?;
    // Under the append lock: no other commit of this store runs meanwhile.
    let mut cached_people = store.person_cache().take(head.as_ref());
    let head_before = head.clone();
    let anchor = tx.audit_head().await?;
    check_corrected_once(tx.as_mut(), &batch.entries).await?;
    if let Some(read) = &batch.read_at {
        let head_seq = head.as_ref().map_or(0, |head| head.seq);
        check_read_unchanged(tx.as_mut(), &batch.entries, read, head_seq).await?;
    }
    laps.lap("changes since validation");
    // An account without entries is absent: the rules start it at zero.
    let ruled = ruled_accounts(&batch.entries);
    let mut balances: HashMap<String, i64> =
        tx.account_balances(&ruled).await?.into_iter().collect();
    check_balance_rules(&mut balances, &batch.entries)?;
    laps.lap("balance rules");

    let evidence = match &batch.import_commit {
        Some(commit) if batch.entries.is_empty() => {
            // The commit record is hashed in its entries: it needs one. An
            // import that posts nothing is refused before it gets here.
            return Err(AppendError::Store(StoreError::Corrupt(format!(
                "import {} would commit without an entry to hold its record",
                commit.import_id
            ))));
        }
        Some(commit) => Some(commit.evidence(batch.roll_people.as_ref())),
        None => None,
    };
    let start = chain_start(head.as_ref())?;
    // Postings carry no hash: they are inserted while the chain is hashed.
    let hashing = {
        let (batch, evidence, anchor) = (batch.clone(), evidence.clone(), anchor.clone());
        tokio::task::spawn_blocking(move || {
            let under_chain = UnderChain {
                evidence: evidence.as_ref(),
                audit_anchor: anchor.as_ref(),
            };
            chain_hashes(start, &batch, &under_chain)
        })
    };
    let person_changes = match person_changes {
        Changes::Ready(changes) => changes,
        Changes::Working(working) => working.await.map_err(|e| {
            StoreError::Corrupt(format!("working out the read models' changes: {e}"))
        })??,
    };
    laps.lap("read model changes");
    let stored = read_model::read_batch(tx.as_mut(), &person_changes, &mut cached_people).await?;
    // The merge needs no database: it runs on another thread while this one
    // inserts the journal's rows (the two took turns on one thread before).
    let merging = tokio::task::spawn_blocking(move || {
        let writes = read_model::merge_batch(&person_changes, stored, &mut cached_people);
        (writes, cached_people)
    });
    tx.insert_postings(&posting_rows(start.seq, &batch.entries))
        .await?;
    laps.lap("insert postings");
    let (hashes, totals) = hashing
        .await
        .map_err(|e| StoreError::Corrupt(format!("hashing the entries: {e}")))??;
    debug_assert_eq!(hashes.len(), batch.entries.len());
    laps.lap("wait for the hashes");
    let under_chain = UnderChain {
        evidence: evidence.as_ref(),
        audit_anchor: anchor.as_ref(),
    };
    let rows = entry_rows(start, &hashes, &batch, &under_chain);
    tx.insert_entries(&rows).await?;
    tx.insert_totals(&totals).await?;
    laps.lap("insert entries and totals");
    let checkpoints: Vec<Checkpoint> = rows
        .into_iter()
        .map(|r| Checkpoint {
            seq: r.seq,
            hash: r.hash,
        })
        .collect();
    insert_records(
        tx.as_mut(),
        &batch,
        evidence.as_ref(),
        &checkpoints,
        &mut laps,
    )
    .await?;
    let (writes, cached_people) = merging
        .await
        .map_err(|e| StoreError::Corrupt(format!("working out the read models' rows: {e}")))?;
    laps.lap("read model merge");
    if let Some(writes) = &writes {
        read_model::write_batch(tx.as_mut(), writes).await?;
    }
    laps.lap("read models");
    // Last: the audit trail's lock, which uploads being stored (in other
    // transactions) wait for, is then held only until the commit.
    tx.insert_audit(&batch.audit).await?;
    tx.commit().await?;
    laps.lap("commit");
    let head_after = checkpoints.last().cloned().or(head_before);
    store.person_cache().hand_back(cached_people, head_after);
    Ok(checkpoints)
}

/// A correction reverses each part of an entry once: the whole of an entry
/// without beneficiaries, or each beneficiary's part. Reversals read what
/// was reversed before they build their entry; this check, under the append
/// lock, closes the race between reversals built at the same time.
async fn check_corrected_once(
    tx: &mut dyn AppendTx,
    entries: &[NewEntry],
) -> Result<(), AppendError> {
    for entry in entries {
        let Some(corrected) = entry.corrects_seq else {
            continue;
        };
        let done = tx.corrected_beneficiaries(corrected).await?;
        if done.is_empty() {
            continue;
        }
        let mut people = entry.postings.iter().filter_map(|p| p.beneficiary.as_ref());
        let Some(first) = people.next() else {
            return Err(AppendError::Conflict(format!(
                "entry {corrected} was already reversed; nothing was posted / đã được đảo"
            )));
        };
        let done: HashSet<&str> = done.iter().flatten().map(String::as_str).collect();
        let mut people = std::iter::once(first).chain(people);
        if let Some(again) = people.find(|b| done.contains(b.as_str())) {
            return Err(AppendError::Conflict(format!(
                "beneficiary {again}'s part of entry {corrected} was already reversed; nothing was posted / đã được đảo"
            )));
        }
    }
    Ok(())
}

/// What every entry of a batch hashes beside its own fields (encoding 2):
/// the import it posts, and the newest audit event before it.
struct UnderChain<'a> {
    evidence: Option<&'a ImportEvidence>,
    audit_anchor: Option<&'a AuditAnchor>,
}

/// Where a batch's chain starts: the head's seq and hash.
#[derive(Clone, Copy)]
struct ChainStart {
    seq: i64,
    hash: [u8; 32],
}

fn chain_start(head: Option<&Checkpoint>) -> Result<ChainStart, AppendError> {
    match head {
        Some(head) => {
            let hash = parse_hash(&head.hash).ok_or_else(|| {
                StoreError::Corrupt(format!("head hash of entry {} is not hex", head.seq))
            })?;
            Ok(ChainStart {
                seq: head.seq,
                hash,
            })
        }
        None => Ok(ChainStart {
            seq: 0,
            hash: GENESIS_HASH,
        }),
    }
}

/// Each of the batch's entries' hash, chained after `start`, and their
/// per-account totals.
fn chain_hashes(
    start: ChainStart,
    batch: &Batch,
    under_chain: &UnderChain<'_>,
) -> Result<(Vec<[u8; 32]>, Vec<TotalRow>), AppendError> {
    let mut prev_hash = start.hash;
    let mut hashes = Vec::with_capacity(batch.entries.len());
    let mut totals = Vec::new();
    for (seq, entry) in (start.seq + 1..).zip(&batch.entries) {
        let effective_date = entry.effective_date.format("%Y-%m-%d").to_string();
        let fields = entry_fields(seq, &effective_date, batch, entry, under_chain);
        prev_hash = entry_hash(&prev_hash, &fields, &entry.postings);
        hashes.push(prev_hash);
        totals.extend(entry_totals(entry.kind, &entry.postings)?.into_iter().map(
            |(account, total)| TotalRow {
                seq,
                account,
                total,
            },
        ));
    }
    Ok((hashes, totals))
}

/// The batch's entries as rows, with the hashes [`chain_hashes`] made.
fn entry_rows<'a>(
    start: ChainStart,
    hashes: &[[u8; 32]],
    batch: &'a Batch,
    under_chain: &UnderChain<'a>,
) -> Vec<EntryRow<'a>> {
    let prev_hashes = std::iter::once(&start.hash).chain(hashes);
    (start.seq + 1..)
        .zip(&batch.entries)
        .zip(prev_hashes.zip(hashes))
        .map(|((seq, entry), (prev_hash, hash))| EntryRow {
            seq,
            effective_date: entry.effective_date.format("%Y-%m-%d").to_string(),
            recorded_at_us: batch.recorded_at_us,
            actor: &batch.actor,
            entry,
            import_id: under_chain.evidence.map(|e| e.import_id),
            prev_hash: hex::encode(prev_hash),
            hash: hex::encode(hash),
            encoding: i64::from(ENCODING_VERSION),
            audit_anchor: under_chain.audit_anchor,
        })
        .collect()
}

/// The postings of the batch's entries, numbered from `start_seq` + 1.
fn posting_rows(start_seq: i64, entries: &[NewEntry]) -> Vec<PostingRow<'_>> {
    (start_seq + 1..)
        .zip(entries)
        .flat_map(|(seq, entry)| {
            entry
                .postings
                .iter()
                .enumerate()
                .map(move |(idx, posting)| PostingRow {
                    seq,
                    idx: idx as i64,
                    posting,
                })
        })
        .collect()
}

/// What the batch stores beside the journal: a program definition, the
/// import's commit and its people.
async fn insert_records(
    tx: &mut dyn AppendTx,
    batch: &Batch,
    evidence: Option<&ImportEvidence>,
    checkpoints: &[Checkpoint],
    laps: &mut crate::telemetry::Laps,
) -> Result<(), AppendError> {
    if let Some((code, definition)) = &batch.program {
        tx.insert_program(code, definition, batch.recorded_at_us, &batch.actor)
            .await?;
    }
    if let Some(evidence) = evidence {
        let seqs = checkpoints
            .first()
            .zip(checkpoints.last())
            .map(|(a, b)| (a.seq, b.seq));
        tx.insert_import_commit(evidence, batch.recorded_at_us, &batch.actor, seqs)
            .await?;
    }
    if let Some(people) = &batch.roll_people {
        // People are recorded as written on their roll: only imports bring them.
        let import_id = evidence.map(|e| e.import_id);
        let import_id = import_id.ok_or_else(|| {
            StoreError::Corrupt("a roll's people without the import they came from".into())
        })?;
        tx.insert_roll_people(import_id, people.as_str()).await?;
        laps.lap("insert roll people");
    }
    Ok(())
}

/// What a write read without the lock (so that a roll can be checked while
/// another commits) must not have changed before its commit, which holds it.
async fn check_read_unchanged(
    tx: &mut dyn AppendTx,
    entries: &[NewEntry],
    read: &ReadAt,
    head_seq: i64,
) -> Result<(), AppendError> {
    if read.seq >= head_seq {
        return Ok(());
    }
    let reads = &read.reads;
    if !tx
        .accounts_changed_since(&reads.scope, read.seq, reads.approvals_only)
        .await?
    {
        return Ok(());
    }
    if reads.approvals_only {
        // New approvals in the program: stale only for the people they approved.
        return check_one_approval_per_person(tx, entries, read.seq).await;
    }
    Err(AppendError::Stale(read.stale_message.clone()))
}

/// A person holds at most one approval in force per program. Imports check
/// it when they validate; this check, under the append lock, closes the race
/// with whatever was appended after entry `after_seq`, which validation read
/// up to.
async fn check_one_approval_per_person(
    tx: &mut dyn AppendTx,
    entries: &[NewEntry],
    after_seq: i64,
) -> Result<(), AppendError> {
    let mut by_program: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for entry in entries.iter().filter(|e| e.kind == EntryKind::Approval) {
        for posting in entry
            .postings
            .iter()
            .filter(|p| p.account.kind() == "payable")
        {
            if let (Some(program), Some(id)) = (posting.account.segment(1), &posting.beneficiary) {
                by_program.entry(program).or_default().push(id.clone());
            }
        }
    }
    for (program, ids) in by_program {
        let prefix = AccountPrefix::payable_of_program(program);
        let holders = tx.approval_holders(&prefix, &ids, after_seq).await?;
        if let Some(first) = holders.first() {
            return Err(AppendError::Stale(format!(
                "{} people on this roll (first {first}) were approved in program {program} by another import since it was validated; nothing was posted: validate it again / có người đã được phê duyệt trong lúc chờ, hãy kiểm tra lại",
                holders.len()
            )));
        }
    }
    Ok(())
}

/// What entry `seq` hashes beside its postings and the hash before it.
fn entry_fields<'a>(
    seq: i64,
    effective_date: &'a str,
    batch: &'a Batch,
    entry: &'a NewEntry,
    under_chain: &UnderChain<'a>,
) -> EntryFields<'a> {
    EntryFields {
        seq,
        effective_date,
        recorded_at_us: batch.recorded_at_us,
        actor: &batch.actor,
        kind: entry.kind.as_str(),
        reference: &entry.reference,
        memo: &entry.memo,
        corrects_seq: entry.corrects_seq,
        encoding: ENCODING_VERSION,
        evidence: under_chain.evidence,
        audit_anchor: under_chain.audit_anchor,
    }
}
