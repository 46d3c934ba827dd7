//! The one write path into the journal, shared by both backends: inside a
//! transaction that holds the append lock, read the head, check balance
//! rules, chain and insert every entry, then commit — all or nothing.

use super::{AuditEvent, BeneficiaryRecord, StoreError, StoreResult};
use crate::ledger::canonical::{
    entry_hash, parse_hash, EntryFields, ENCODING_VERSION, GENESIS_HASH,
};
use crate::ledger::totals::{check_balance_rules, entry_totals, ruled_accounts, AccountTotal};
use crate::ledger::verify::Checkpoint;
use crate::ledger::NewEntry;
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};

/// Everything one business action writes, committed atomically.
#[derive(Debug, Clone)]
pub struct Batch {
    pub actor: String,
    pub recorded_at_us: i64,
    pub entries: Vec<NewEntry>,
    /// A program definition to store with the entries (code, TOML text).
    pub program: Option<(String, String)>,
    pub import_commit: Option<ImportCommit>,
    pub beneficiaries: Vec<BeneficiaryRecord>,
    pub audit: AuditEvent,
}

#[derive(Debug, Clone)]
pub struct ImportCommit {
    pub import_id: i64,
    pub kind: String,
    pub program: String,
    pub district: String,
    pub sha256: String,
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
}

/// What a backend's write transaction must offer; the order of calls and all
/// the rules live in [`run`].
#[async_trait]
pub trait LedgerTx: Send {
    /// Which of these people already hold an approval in force in the program.
    async fn approval_holders(
        &mut self,
        program: &str,
        national_ids: &[String],
    ) -> StoreResult<Vec<String>>;
    async fn head(&mut self) -> StoreResult<Option<(i64, String)>>;
    async fn account_balance(&mut self, account: &str) -> StoreResult<i64>;
    async fn import_already_committed(&mut self, commit: &ImportCommit)
        -> StoreResult<Option<i64>>;
    async fn insert_entry(&mut self, row: &EntryRow<'_>) -> StoreResult<()>;
    async fn insert_postings(&mut self, seq: i64, entry: &NewEntry) -> StoreResult<()>;
    async fn insert_totals(
        &mut self,
        seq: i64,
        totals: &BTreeMap<String, AccountTotal>,
    ) -> StoreResult<()>;
    async fn insert_program(
        &mut self,
        code: &str,
        definition: &str,
        at_us: i64,
        actor: &str,
    ) -> StoreResult<()>;
    async fn insert_import_commit(
        &mut self,
        commit: &ImportCommit,
        at_us: i64,
        actor: &str,
        seqs: Option<(i64, i64)>,
    ) -> StoreResult<()>;
    async fn insert_beneficiaries(
        &mut self,
        records: &[BeneficiaryRecord],
        import_id: Option<i64>,
    ) -> StoreResult<()>;
    async fn insert_audit(&mut self, event: &AuditEvent) -> StoreResult<()>;
    async fn commit(self: Box<Self>) -> StoreResult<()>;
}

pub async fn run(mut tx: Box<dyn LedgerTx>, batch: Batch) -> StoreResult<Vec<Checkpoint>> {
    for entry in &batch.entries {
        entry.check()?;
    }
    if let Some(commit) = &batch.import_commit {
        if let Some(existing) = tx.import_already_committed(commit).await? {
            return Err(StoreError::Conflict(format!(
                "this file was already imported for program {} and district {} (import {existing}); nothing was posted again / tệp này đã được nhập",
                commit.program, commit.district
            )));
        }
    }
    check_one_approval_per_person(tx.as_mut(), &batch.entries).await?;
    let mut balances = HashMap::new();
    for account in ruled_accounts(&batch.entries) {
        let balance = tx.account_balance(&account).await?;
        balances.insert(account, balance);
    }
    check_balance_rules(&mut balances, &batch.entries)?;

    let (mut seq, mut prev_hash) = match tx.head().await? {
        Some((seq, hash)) => {
            let bytes = parse_hash(&hash).ok_or_else(|| {
                StoreError::Corrupt(format!("head hash of entry {seq} is not hex"))
            })?;
            (seq, bytes)
        }
        None => (0, GENESIS_HASH),
    };
    let import_id = batch.import_commit.as_ref().map(|c| c.import_id);
    let mut checkpoints = Vec::with_capacity(batch.entries.len());
    for entry in &batch.entries {
        seq += 1;
        let row = chain_row(seq, &prev_hash, &batch, entry, import_id);
        tx.insert_entry(&row).await?;
        tx.insert_postings(seq, entry).await?;
        tx.insert_totals(seq, &entry_totals(entry.kind, &entry.postings))
            .await?;
        prev_hash = parse_hash(&row.hash).unwrap_or(GENESIS_HASH);
        checkpoints.push(Checkpoint {
            seq,
            hash: row.hash,
        });
    }
    if let Some((code, definition)) = &batch.program {
        tx.insert_program(code, definition, batch.recorded_at_us, &batch.actor)
            .await?;
    }
    if let Some(commit) = &batch.import_commit {
        let seqs = checkpoints
            .first()
            .zip(checkpoints.last())
            .map(|(a, b)| (a.seq, b.seq));
        tx.insert_import_commit(commit, batch.recorded_at_us, &batch.actor, seqs)
            .await?;
    }
    if !batch.beneficiaries.is_empty() {
        tx.insert_beneficiaries(&batch.beneficiaries, import_id)
            .await?;
    }
    tx.insert_audit(&batch.audit).await?;
    tx.commit().await?;
    Ok(checkpoints)
}

/// A person holds at most one approval in force per program. Imports check
/// it when they validate; this check, under the append lock, closes the race
/// between two imports validated at the same time.
async fn check_one_approval_per_person(
    tx: &mut dyn LedgerTx,
    entries: &[NewEntry],
) -> StoreResult<()> {
    let mut by_program: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for entry in entries
        .iter()
        .filter(|e| e.kind == crate::ledger::EntryKind::Approval)
    {
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
        let holders = tx.approval_holders(program, &ids).await?;
        if let Some(first) = holders.first() {
            return Err(StoreError::Conflict(format!(
                "{} people on this roll (first {first}) were approved in program {program} by another import since it was validated; nothing was posted: validate it again / có người đã được phê duyệt trong lúc chờ, hãy kiểm tra lại",
                holders.len()
            )));
        }
    }
    Ok(())
}

fn chain_row<'a>(
    seq: i64,
    prev_hash: &[u8; 32],
    batch: &'a Batch,
    entry: &'a NewEntry,
    import_id: Option<i64>,
) -> EntryRow<'a> {
    let effective_date = entry.effective_date.format("%Y-%m-%d").to_string();
    let fields = EntryFields {
        seq,
        effective_date: &effective_date,
        recorded_at_us: batch.recorded_at_us,
        actor: &batch.actor,
        kind: entry.kind.as_str(),
        reference: &entry.reference,
        memo: &entry.memo,
        corrects_seq: entry.corrects_seq,
    };
    let hash = hex::encode(entry_hash(prev_hash, &fields, &entry.postings));
    EntryRow {
        seq,
        effective_date,
        recorded_at_us: batch.recorded_at_us,
        actor: &batch.actor,
        entry,
        import_id,
        prev_hash: hex::encode(prev_hash),
        hash,
        encoding: i64::from(ENCODING_VERSION),
    }
}
