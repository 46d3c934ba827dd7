//! Corrections: a reversing entry that names the entry it corrects and why.
//! A whole entry, or one beneficiary's part of it; never the same part twice.

use crate::auth::{authorize, Action, Forbidden};
use crate::domain::journal::{Checkpoint, Entry, EntryKind, NewEntry, Posting, TEXT_FIELD_LEN_MAX};
use crate::domain::{AccountPath, AccountPrefix, AccountScope, AccountsRead, Money, User};
use crate::ledger::{append, AppendError, Batch, ReadAt};
use crate::store::{now_us, AuditEvent, Store, StoreError};
use std::collections::{BTreeSet, HashMap, HashSet};

#[derive(Debug, thiserror::Error)]
pub enum ReverseError {
    #[error("{0}")]
    Forbidden(#[from] Forbidden),
    #[error("không có bút toán {0} / entry {0} does not exist")]
    NotFound(i64),
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Append(#[from] AppendError),
}

pub struct ReverseRequest {
    pub seq: i64,
    pub reason: String,
    pub beneficiary: Option<String>,
}

/// Checks and posts a reversal: [`prepare`], then the append, which checks
/// again under its lock what the preparation read.
pub async fn reverse(
    store: &dyn Store,
    user: &User,
    request: ReverseRequest,
) -> Result<Checkpoint, ReverseError> {
    let batch = prepare(store, user, request).await?;
    let checkpoints = append(store, batch).await?;
    checkpoints
        .into_iter()
        .next()
        .ok_or_else(|| ReverseError::Refused("nothing was posted".into()))
}

/// The reversal's batch, checked against the ledger as it stands; nothing
/// is posted.
pub async fn prepare(
    store: &dyn Store,
    user: &User,
    request: ReverseRequest,
) -> Result<Batch, ReverseError> {
    authorize(user, Action::Reverse)?;
    let reason = request.reason.trim();
    if reason.is_empty() || reason.chars().count() > TEXT_FIELD_LEN_MAX {
        return Err(ReverseError::Refused(format!(
            "give a reason of 1 to {TEXT_FIELD_LEN_MAX} characters / cần nêu lý do"
        )));
    }
    let original = store
        .entry(request.seq)
        .await?
        .ok_or(ReverseError::NotFound(request.seq))?;
    if original.kind == EntryKind::Reversal {
        return Err(ReverseError::Refused(format!(
            "entry {} is itself a reversal; post a new entry instead / không đảo một bút toán đảo",
            original.seq
        )));
    }
    // What the checks below read is checked again under the append lock.
    let read_seq = store.head().await?.map_or(0, |head| head.seq);
    let done = already_reversed(store, &original).await?;
    let selected = select(&original, request.beneficiary.as_deref(), &done)?;
    check_unpaid_approvals(store, &original, &selected).await?;
    let read_at = approvals_read(&original, &selected, read_seq);
    let entry = reversing_entry(&original, selected, reason, request.beneficiary.as_deref())?;
    let now = now_us();
    Ok(Batch {
        actor: user.username.clone(),
        recorded_at_us: now,
        entries: vec![entry],
        program: None,
        import_commit: None,
        roll_people: None,
        refused_payments: Vec::new(),
        read_at,
        audit: AuditEvent {
            at_us: now,
            actor: user.username.clone(),
            action: "journal.reverse".into(),
            outcome: "ok".into(),
            detail: format!(
                "reversed entry {}{}: {reason}",
                original.seq,
                request
                    .beneficiary
                    .as_deref()
                    .map(|b| format!(" for beneficiary {b}"))
                    .unwrap_or_default()
            ),
        },
    })
}

/// Beneficiaries already reversed out of this entry; `None` inside means the
/// whole of an entry without beneficiaries was reversed.
async fn already_reversed(
    store: &dyn Store,
    original: &Entry,
) -> Result<HashSet<Option<String>>, ReverseError> {
    let mut done = HashSet::new();
    for correction in store.corrections_of(original.seq).await? {
        for posting in correction.postings {
            done.insert(posting.beneficiary);
        }
    }
    Ok(done)
}

fn select<'a>(
    original: &'a Entry,
    beneficiary: Option<&str>,
    done: &HashSet<Option<String>>,
) -> Result<Vec<&'a Posting>, ReverseError> {
    let has_beneficiaries = original.postings.iter().any(|p| p.beneficiary.is_some());
    if !has_beneficiaries {
        if beneficiary.is_some() {
            return Err(ReverseError::Refused(format!(
                "entry {} has no beneficiaries",
                original.seq
            )));
        }
        if !done.is_empty() {
            return Err(ReverseError::Refused(format!(
                "entry {} was already reversed / đã được đảo",
                original.seq
            )));
        }
        return Ok(original.postings.iter().collect());
    }
    if let Some(id) = beneficiary {
        if done.contains(&Some(id.to_string())) {
            return Err(ReverseError::Refused(format!(
                "beneficiary {id}'s part of entry {} was already reversed / đã được đảo",
                original.seq
            )));
        }
    }
    let selected: Vec<&Posting> = original
        .postings
        .iter()
        .filter(|p| match (&p.beneficiary, beneficiary) {
            (Some(b), Some(id)) => b == id,
            (Some(b), None) => !done.contains(&Some(b.clone())),
            (None, _) => false,
        })
        .collect();
    if selected.is_empty() {
        let message = match beneficiary {
            Some(id) => format!(
                "entry {} has no postings for beneficiary {id}",
                original.seq
            ),
            None => format!("entry {} was already reversed / đã được đảo", original.seq),
        };
        return Err(ReverseError::Refused(message));
    }
    Ok(selected)
}

/// What reversing an approval read: the paid and outstanding amounts on the
/// payable accounts of its program and district. A payment committed
/// meanwhile would make "unpaid" untrue, so the commit checks it again.
fn approvals_read(original: &Entry, selected: &[&Posting], seq: i64) -> Option<ReadAt> {
    if original.kind != EntryKind::Approval {
        return None;
    }
    let account = selected
        .iter()
        .map(|p| &p.account)
        .find(|a| a.kind() == "payable")?;
    let (program, district) = (account.segment(1)?, account.segment(2)?);
    Some(ReadAt {
        seq,
        reads: AccountsRead {
            scope: AccountScope::Under(AccountPrefix::payable_of_program_district(
                program, district,
            )),
            approvals_only: false,
        },
        stale_message: "what this correction read (approvals or payments of its people) changed \
            while it was checked; nothing was posted: try again / số liệu đã thay đổi trong lúc \
            kiểm tra, hãy thử lại"
            .into(),
    })
}

/// An approval can only be reversed while its money is unpaid: reverse the payments first.
async fn check_unpaid_approvals(
    store: &dyn Store,
    original: &Entry,
    selected: &[&Posting],
) -> Result<(), ReverseError> {
    if original.kind != EntryKind::Approval {
        return Ok(());
    }
    // Each account's own entries are read once: payments are not indexed by person.
    // Per person and account: (outstanding, paid).
    let mut outstanding: HashMap<(String, String), (i64, i64)> = HashMap::new();
    let accounts: BTreeSet<&AccountPath> = selected.iter().map(|p| &p.account).collect();
    for account in accounts {
        let prefix = AccountPrefix::of_account(account);
        for balance in store.beneficiary_balances(&prefix).await? {
            if balance.account == account.as_str() {
                let found = outstanding
                    .entry((balance.account, balance.beneficiary))
                    .or_default();
                found.0 += balance.amount_dong;
                found.1 += balance.paid_dong;
            }
        }
    }
    for posting in selected {
        let Some(id) = &posting.beneficiary else {
            continue;
        };
        let (left, paid) = outstanding
            .get(&(posting.account.as_str().to_string(), id.clone()))
            .copied()
            .unwrap_or((0, 0));
        if left < posting.amount.dong() && paid <= 0 {
            // Nothing paid, less outstanding: a reversal committed since
            // this one read what was reversed.
            return Err(ReverseError::Refused(format!(
                "beneficiary {id}'s part of entry {} was already reversed / đã được đảo",
                original.seq
            )));
        }
        if left < posting.amount.dong() {
            return Err(ReverseError::Refused(format!(
                "beneficiary {id} has been paid {} đồng of this approval: reverse the payment first / đã chi, cần đảo bút toán chi trước",
                Money::from_dong(posting.amount.dong() - left).format_vi()
            )));
        }
    }
    Ok(())
}

/// The posting without a beneficiary whose account shares the longest path
/// (after the kind) with `account`.
fn closest_aggregate<'a>(original: &'a Entry, account: &AccountPath) -> Option<&'a Posting> {
    let own: Vec<&str> = account.as_str().split(':').skip(1).collect();
    original
        .postings
        .iter()
        .filter(|p| p.beneficiary.is_none())
        .map(|p| {
            let shared = p
                .account
                .as_str()
                .split(':')
                .skip(1)
                .zip(&own)
                .take_while(|(a, b)| a == *b)
                .count();
            (shared, p)
        })
        .filter(|(shared, _)| *shared > 0)
        .max_by_key(|(shared, _)| *shared)
        .map(|(_, p)| p)
}

fn reversing_entry(
    original: &Entry,
    selected: Vec<&Posting>,
    reason: &str,
    beneficiary: Option<&str>,
) -> Result<NewEntry, ReverseError> {
    let mut postings: Vec<Posting> = selected
        .iter()
        .map(|p| Posting {
            amount: p.amount.neg(),
            ..(*p).clone()
        })
        .collect();
    // A beneficiary's share is balanced on the entry's account without
    // beneficiaries that is closest to its own (the district budget of an
    // approval, the category's `disbursed` account of a payment).
    let mut balancing: Vec<Posting> = Vec::new();
    for posting in &selected {
        let Some(target) = closest_aggregate(original, &posting.account) else {
            if posting.beneficiary.is_some() {
                return Err(ReverseError::Refused(format!(
                    "entry {} cannot be reversed in part",
                    original.seq
                )));
            }
            continue;
        };
        match balancing.iter_mut().find(|b| b.account == target.account) {
            Some(existing) => {
                existing.amount = Money::from_dong(existing.amount.dong() + posting.amount.dong())
            }
            None => balancing.push(Posting {
                amount: posting.amount,
                beneficiary: None,
                source_line: None,
                reference: None,
                ..target.clone()
            }),
        }
    }
    if selected.iter().any(|p| p.beneficiary.is_some()) {
        postings.extend(balancing);
    }
    let today = chrono::Utc::now().date_naive();
    Ok(NewEntry {
        effective_date: today.max(original.effective_date),
        kind: EntryKind::Reversal,
        reference: format!(
            "reversal of entry {} ({})",
            original.seq, original.reference
        ),
        memo: match beneficiary {
            Some(id) => format!("{reason} [beneficiary {id}]"),
            None => reason.to_string(),
        },
        corrects_seq: Some(original.seq),
        postings,
    })
}
