//! The one write path into the journal, shared by both backends: inside a
//! transaction that holds the append lock, read the head, check balance
//! rules, chain and insert every entry, then commit — all or nothing.

use super::common::district_accounts_pattern;
use super::{AuditEvent, RollPeople, StoreError, StoreResult};
use crate::ledger::canonical::{
    entry_hash, parse_hash, EntryFields, ENCODING_VERSION, GENESIS_HASH,
};
use crate::ledger::totals::{check_balance_rules, entry_totals, ruled_accounts, AccountTotal};
use crate::ledger::verify::Checkpoint;
use crate::ledger::{NewEntry, Posting};
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
    /// The people of the roll being committed, as written on it.
    pub roll_people: Option<RollPeople>,
    pub audit: AuditEvent,
}

#[derive(Debug, Clone)]
pub struct ImportCommit {
    pub import_id: i64,
    /// The journal's head when validation began reading the ledger: entries
    /// after it are the only ones the commit must check again.
    pub validated_at_seq: i64,
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

/// What a backend's write transaction must offer; the order of calls and all
/// the rules live in [`run`].
#[async_trait]
pub trait LedgerTx: Send {
    /// Which of these people were approved in the program by entries after
    /// `after_seq` and hold that approval still.
    async fn approval_holders(
        &mut self,
        program: &str,
        national_ids: &[String],
        after_seq: i64,
    ) -> StoreResult<Vec<String>>;
    /// Whether entries after `after_seq` touch an account matching the `LIKE`
    /// pattern (only to approve someone, when `approvals_only`).
    async fn accounts_changed_since(
        &mut self,
        pattern: &str,
        after_seq: i64,
        approvals_only: bool,
    ) -> StoreResult<bool>;
    async fn head(&mut self) -> StoreResult<Option<(i64, String)>>;
    async fn account_balance(&mut self, account: &str) -> StoreResult<i64>;
    async fn import_already_committed(&mut self, commit: &ImportCommit)
        -> StoreResult<Option<i64>>;
    /// Every entry of the batch, in seq order, in as few statements as the backend allows.
    async fn insert_entries(&mut self, rows: &[EntryRow<'_>]) -> StoreResult<()>;
    /// The postings of every entry of the batch, chunked by rows, not by entry.
    async fn insert_postings(&mut self, rows: &[PostingRow<'_>]) -> StoreResult<()>;
    async fn insert_totals(&mut self, rows: &[TotalRow]) -> StoreResult<()>;
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
    /// The people of an import's roll, as one JSON document.
    async fn insert_roll_people(&mut self, import_id: i64, people: &str) -> StoreResult<()>;
    async fn insert_audit(&mut self, event: &AuditEvent) -> StoreResult<()>;
    async fn commit(self: Box<Self>) -> StoreResult<()>;
}

pub async fn run(mut tx: Box<dyn LedgerTx>, batch: Batch) -> StoreResult<Vec<Checkpoint>> {
    let mut laps = crate::telemetry::Laps::start("commit");
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
    let head = tx.head().await?;
    let head_seq = head.as_ref().map_or(0, |(seq, _)| *seq);
    if let Some(commit) = &batch.import_commit {
        check_since_validation(tx.as_mut(), &batch.entries, commit, head_seq).await?;
    }
    laps.lap("changes since validation");
    let mut balances = HashMap::new();
    for account in ruled_accounts(&batch.entries) {
        let balance = tx.account_balance(&account).await?;
        balances.insert(account, balance);
    }
    check_balance_rules(&mut balances, &batch.entries)?;
    laps.lap("balance rules");

    let (mut seq, mut prev_hash) = match head {
        Some((seq, hash)) => {
            let bytes = parse_hash(&hash).ok_or_else(|| {
                StoreError::Corrupt(format!("head hash of entry {seq} is not hex"))
            })?;
            (seq, bytes)
        }
        None => (0, GENESIS_HASH),
    };
    let import_id = batch.import_commit.as_ref().map(|c| c.import_id);
    let mut rows = Vec::with_capacity(batch.entries.len());
    let mut totals = Vec::new();
    for entry in &batch.entries {
        seq += 1;
        let row = chain_row(seq, &prev_hash, &batch, entry, import_id);
        prev_hash = parse_hash(&row.hash).unwrap_or(GENESIS_HASH);
        totals.extend(entry_totals(entry.kind, &entry.postings).into_iter().map(
            |(account, total)| TotalRow {
                seq,
                account,
                total,
            },
        ));
        rows.push(row);
    }
    laps.lap("hash");
    tx.insert_entries(&rows).await?;
    let postings: Vec<PostingRow> = rows
        .iter()
        .flat_map(|row| {
            row.entry
                .postings
                .iter()
                .enumerate()
                .map(move |(idx, posting)| PostingRow {
                    seq: row.seq,
                    idx: idx as i64,
                    posting,
                })
        })
        .collect();
    tx.insert_postings(&postings).await?;
    laps.lap("insert entries and postings");
    tx.insert_totals(&totals).await?;
    laps.lap("insert totals");
    let checkpoints: Vec<Checkpoint> = rows
        .into_iter()
        .map(|r| Checkpoint {
            seq: r.seq,
            hash: r.hash,
        })
        .collect();
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
    if let Some(people) = &batch.roll_people {
        // People are recorded as written on their roll: only imports bring them.
        let import_id = import_id.ok_or_else(|| {
            StoreError::Corrupt("a roll's people without the import they came from".into())
        })?;
        tx.insert_roll_people(import_id, people.as_str()).await?;
        laps.lap("insert roll people");
    }
    tx.insert_audit(&batch.audit).await?;
    tx.commit().await?;
    laps.lap("commit");
    Ok(checkpoints)
}

/// What an import's validation read must not have changed before its commit,
/// which holds the append lock: validation reads without it, so that a roll
/// can be checked while another commits.
async fn check_since_validation(
    tx: &mut dyn LedgerTx,
    entries: &[NewEntry],
    commit: &ImportCommit,
    head_seq: i64,
) -> StoreResult<()> {
    let after_seq = commit.validated_at_seq;
    if after_seq >= head_seq {
        return Ok(());
    }
    if commit.kind == "payments" {
        // A payment roll read its district's approvals, payments and
        // vouchers: every one of them lives on the district's payable accounts.
        let district = district_accounts_pattern(&commit.district);
        if tx
            .accounts_changed_since(&district, after_seq, false)
            .await?
        {
            return Err(StoreError::Stale(format!(
                "district {}'s approvals or payments changed after this roll was validated; nothing was posted: validate it again / số liệu của huyện đã thay đổi trong lúc chờ, hãy kiểm tra lại",
                commit.district
            )));
        }
        return Ok(());
    }
    let program = format!("payable:{}:%", commit.program);
    if tx.accounts_changed_since(&program, after_seq, true).await? {
        check_one_approval_per_person(tx, entries, after_seq).await?;
    }
    Ok(())
}

/// A person holds at most one approval in force per program. Imports check
/// it when they validate; this check, under the append lock, closes the race
/// with whatever was appended after entry `after_seq`, which validation read
/// up to.
async fn check_one_approval_per_person(
    tx: &mut dyn LedgerTx,
    entries: &[NewEntry],
    after_seq: i64,
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
        let holders = tx.approval_holders(program, &ids, after_seq).await?;
        if let Some(first) = holders.first() {
            return Err(StoreError::Stale(format!(
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
