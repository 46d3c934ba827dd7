//! Verification: recompute the chain, the per-entry totals and the balance
//! rules from the stored rows, trusting nothing the database says about them.
//! The store streams rows into a [`Verifier`]; the first problem is kept.

use super::canonical::{EntryFields, EntryHasher, GENESIS_HASH};
use crate::domain::journal::{
    AccountTotal, Checkpoint, EntryKind, Posting, StoredHeader, StoredPosting,
};
use crate::domain::AccountPath;
use crate::store::JournalSink;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct VerifyProblem {
    /// The first entry found bad (or the first missing one).
    pub seq: i64,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerifyReport {
    pub entries: u64,
    pub postings: u64,
    pub head: Option<Checkpoint>,
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
    balances: HashMap<String, i64>,
    postings_seen: u64,
    problem: Option<VerifyProblem>,
    checkpoint: Option<Checkpoint>,
}

impl Verifier {
    pub fn new(checkpoint: Option<Checkpoint>) -> Verifier {
        Verifier {
            headers: Vec::new(),
            stored_totals: HashMap::new(),
            next_header: 0,
            current: Vec::new(),
            prev_hash: GENESIS_HASH,
            expected_seq: 1,
            balances: HashMap::new(),
            postings_seen: 0,
            problem: None,
            checkpoint,
        }
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

    pub fn finish(mut self) -> VerifyReport {
        self.finish_current();
        while self.problem.is_none() && self.next_header < self.headers.len() {
            self.check_next_header(&[]);
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
        VerifyReport {
            entries: self.headers.len() as u64,
            postings: self.postings_seen,
            head: self.headers.last().map(|h| Checkpoint {
                seq: h.seq,
                hash: h.hash.clone(),
            }),
            problem: self.problem,
        }
    }

    fn fail(&mut self, seq: i64, reason: String) {
        if self.problem.is_none() {
            self.problem = Some(VerifyProblem { seq, reason });
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
            self.check_next_header(&[]);
        }
        if self.problem.is_some() {
            return;
        }
        match self.headers.get(self.next_header) {
            Some(header) if header.seq == seq => self.check_next_header(&postings),
            _ => self.fail(
                seq,
                format!("postings exist for entry {seq}, which is missing from the journal"),
            ),
        }
    }

    fn check_next_header(&mut self, postings: &[StoredPosting]) {
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
        postings: &[StoredPosting],
    ) -> Result<(), String> {
        if header.prev_hash != hex::encode(self.prev_hash) {
            return Err("its previous-hash link does not match the entry before it".into());
        }
        let recomputed = hash_of(header, &self.prev_hash, postings)?;
        if hex::encode(recomputed) != header.hash {
            return Err(
                "its contents do not match its hash (a value was changed, or a posting added or removed)"
                    .into(),
            );
        }
        self.prev_hash = recomputed;
        let sum: i64 = postings.iter().map(|p| p.amount_dong).sum();
        if sum != 0 {
            return Err(format!("its postings sum to {sum}, not zero"));
        }
        let kind = EntryKind::parse(&header.kind).ok_or("unknown entry kind")?;
        self.check_totals(header.seq, kind, postings)?;
        self.apply_balances(postings)
    }

    fn check_totals(
        &mut self,
        seq: i64,
        kind: EntryKind,
        postings: &[StoredPosting],
    ) -> Result<(), String> {
        let typed: Vec<Posting> = postings
            .iter()
            .map(|p| {
                Ok(Posting {
                    account: AccountPath::parse(&p.account)?,
                    amount: crate::domain::Money::from_dong(p.amount_dong),
                    beneficiary: p.beneficiary.clone(),
                    source_line: p.source_line.and_then(|l| u64::try_from(l).ok()),
                    reference: p.reference.clone(),
                })
            })
            .collect::<Result<_, String>>()?;
        let recomputed = super::totals::entry_totals(kind, &typed).map_err(|e| e.to_string())?;
        let stored = self.stored_totals.remove(&seq).unwrap_or_default();
        if recomputed != stored {
            return Err("its stored account totals differ from its postings".into());
        }
        Ok(())
    }

    fn apply_balances(&mut self, postings: &[StoredPosting]) -> Result<(), String> {
        for posting in postings {
            let balance = self.balances.entry(posting.account.clone()).or_insert(0);
            *balance += posting.amount_dong;
        }
        for posting in postings {
            let ruled = AccountPath::parse(&posting.account)
                .map(|a| a.must_not_go_negative())
                .unwrap_or(false);
            let balance = self.balances[&posting.account];
            if ruled && balance < 0 {
                return Err(format!(
                    "account {} goes below zero ({balance}) after this entry",
                    posting.account
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
) -> Result<[u8; 32], String> {
    let fields = EntryFields {
        seq: header.seq,
        effective_date: &header.effective_date,
        recorded_at_us: header.recorded_at_us,
        actor: &header.actor,
        kind: &header.kind,
        reference: &header.reference,
        memo: &header.memo,
        corrects_seq: header.corrects_seq,
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
}

/// Streams the whole journal from the store through a [`Verifier`].
pub async fn run(
    store: &dyn crate::store::Store,
    checkpoint: Option<Checkpoint>,
) -> crate::store::StoreResult<VerifyReport> {
    let mut verifier = Verifier::new(checkpoint);
    store.scan(&mut verifier).await?;
    Ok(verifier.finish())
}
