//! The journal as auditors and provincial officers read it: entries listed
//! and one entry with its postings paged, verification, reversals; and the
//! audit trail.

use super::listing::{self, Listing};
use super::openapi::ErrorBody;
use super::session::CurrentUser;
use super::{AppState, Error};
use crate::auth::{authorize, Action};
use crate::domain::journal::EntryKind;
use crate::domain::{Checkpoint, Entry};
use crate::ledger::verify;
use crate::store::{AuditFilter, AuditRecord, EntryFilter, EntrySummary};
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(entries))
        .routes(routes!(entry))
        .routes(routes!(reverse))
        .routes(routes!(run_verify))
        .routes(routes!(audit_events))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct EntriesQuery {
    kind: Option<EntryKind>,
    /// Entries effective on or after this date (YYYY-MM-DD).
    #[param(format = Date)]
    from: Option<String>,
    /// Entries effective on or before this date (YYYY-MM-DD).
    #[param(format = Date)]
    to: Option<String>,
    /// Entries that touch this program's accounts.
    program: Option<String>,
    /// Entries that touch this district's accounts.
    district: Option<String>,
    /// Rows skipped (from 0).
    #[param(minimum = 0, maximum = 1000000000)]
    offset: Option<i64>,
    /// Rows in this answer: 1 to 1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// The `LIKE` patterns of the accounts of a program and/or district: the
/// program's appropriation or budgets, and the district's budget, payable
/// and disbursed accounts (`kind:PROGRAM:DISTRICT[:CATEGORY]`).
fn account_patterns(program: Option<&str>, district: Option<&str>) -> Option<(String, String)> {
    let escape = |text: &str| text.replace(['%', '_'], "");
    match (program.map(escape), district.map(escape)) {
        (None, None) => None,
        (Some(p), None) => Some((format!("%:{p}"), format!("%:{p}:%"))),
        (None, Some(d)) => Some((format!("%:%:{d}"), format!("%:%:{d}:%"))),
        (Some(p), Some(d)) => Some((format!("%:{p}:{d}"), format!("%:{p}:{d}:%"))),
    }
}

/// Entries in seq order, filtered; each with its number of postings.
#[utoipa::path(get, path = "/api/v1/journal", tag = "journal", params(EntriesQuery),
    responses(
        (status = 200, body = Listing<EntrySummary>),
        (status = 403, description = "auditors and provincial officers only", body = ErrorBody),
    ))]
async fn entries(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<EntriesQuery>,
) -> Result<Json<Listing<EntrySummary>>, Error> {
    authorize(&user.user, Action::ReadJournal)?;
    let page = listing::page(query.offset, query.limit)?;
    let day = |name, text: &Option<String>| {
        listing::date(name, text.as_deref()).map(|d| d.map(|d| d.format("%Y-%m-%d").to_string()))
    };
    let filter = EntryFilter {
        kind: query.kind.map(|k| k.as_str().to_string()),
        from: day("from", &query.from)?,
        to: day("to", &query.to)?,
        accounts: account_patterns(query.program.as_deref(), query.district.as_deref()),
    };
    let listed = state.store.entries_page(&filter, page).await?;
    Ok(Json(Listing::new(listed, page)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PostingsQuery {
    /// Postings skipped (from 0).
    #[param(minimum = 0, maximum = 1000000000)]
    offset: Option<i64>,
    /// Postings in this answer: 1 to 1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// An entry with one page of its postings.
#[derive(Serialize, ToSchema)]
struct EntryPage {
    #[serde(flatten)]
    entry: Entry,
    /// Postings skipped before `postings[0]`.
    postings_offset: i64,
    /// Postings of the whole entry.
    postings_total: i64,
}

/// One journal entry, its postings paged; national IDs are masked for
/// those who may not see them.
#[utoipa::path(get, path = "/api/v1/journal/{seq}", tag = "journal",
    params(("seq" = i64, Path, description = "the entry's position in the journal", minimum = 1, maximum = 1000000000000000_i64), PostingsQuery),
    responses(
        (status = 200, body = EntryPage),
        (status = 403, description = "auditors and provincial officers only", body = ErrorBody),
        (status = 404, description = "no such entry", body = ErrorBody),
    ))]
async fn entry(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(seq): Path<i64>,
    Query(query): Query<PostingsQuery>,
) -> Result<Json<EntryPage>, Error> {
    authorize(&user.user, Action::ReadJournal)?;
    let page = listing::page(query.offset, query.limit)?;
    let (mut entry, postings_total) = state
        .store
        .entry_page(seq, page)
        .await?
        .ok_or(Error::NotFound)?;
    if authorize(&user.user, Action::SeeNationalIds { district: None }).is_err() {
        for posting in &mut entry.postings {
            posting.beneficiary = posting
                .beneficiary
                .as_deref()
                .map(crate::domain::national_id::mask);
        }
    }
    Ok(Json(EntryPage {
        entry,
        postings_offset: page.offset,
        postings_total,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct VerifyQuery {
    /// A checkpoint printed on a report, `SEQ:HASH`: verified to be in the chain.
    #[param(pattern = "^[0-9]{1,18}:[0-9a-fA-F]{64}$")]
    checkpoint: Option<String>,
}

/// Verify what was appended since the last verification (the chain, the
/// per-entry totals, the ruled balances, the imports' evidence, the audit
/// trail), optionally proving that a checkpoint is in the chain. Takes
/// milliseconds after a commit; the whole ledger is recomputed by the CLI's
/// `ansinh verify --full`, which no request waits for.
#[utoipa::path(get, path = "/api/v1/verify", tag = "journal", params(VerifyQuery),
    responses(
        (status = 200, description = "the verification's report; `problem` is null when all is well", body = verify::VerifyReport),
        (status = 400, description = "the checkpoint is not SEQ:HASH", body = ErrorBody),
        (status = 403, description = "auditors and provincial officers only", body = ErrorBody),
        (status = 503, description = "the ledger was never verified: its first, whole verification runs in the background; ask again after `Retry-After` seconds", body = ErrorBody),
    ))]
async fn run_verify(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<VerifyQuery>,
) -> Result<Json<verify::VerifyReport>, Error> {
    authorize(&user.user, Action::ReadJournal)?;
    let checkpoint = query
        .checkpoint
        .as_deref()
        .map(parse_checkpoint)
        .transpose()?;
    let finished = state.first_verification.take_finished()?;
    let mut report = match finished {
        Some(report) => report,
        None => match state.store.last_verification().await? {
            Some(_) => verify::run_incremental(state.store.as_ref()).await?,
            None => state.first_verification.start(&state.store).await?,
        },
    };
    if let Some(checkpoint) = checkpoint.filter(|_| report.is_ok()) {
        let stored = state.store.entry(checkpoint.seq).await?.map(|e| e.hash);
        if stored.as_deref() != Some(checkpoint.hash.as_str()) {
            report.problem = Some(verify::VerifyProblem {
                at: verify::Place::Entry(checkpoint.seq),
                reason: match stored {
                    None => format!("the checkpoint names entry {} but the journal ends before it: it was truncated", checkpoint.seq),
                    Some(hash) => format!("entry {} has hash {hash} but the checkpoint says {}: history was rewritten", checkpoint.seq, checkpoint.hash),
                },
            });
        }
    }
    Ok(Json(report))
}

/// A ledger never verified is verified whole once, in the background: no
/// request holds the CPU for the seconds that takes. Requests meanwhile are
/// told to ask again; the first one after the run gets its report. A
/// passing run records its reach (later requests check what follows); after
/// a failing one, the next request starts a new run.
#[derive(Default)]
pub struct FirstVerification {
    state: std::sync::Mutex<FirstRun>,
}

#[derive(Default)]
enum FirstRun {
    #[default]
    Idle,
    Running,
    Done(Box<verify::VerifyReport>),
    /// A run passed and recorded its reach: requests check what follows
    /// (a request that read "never verified" just before cannot start
    /// another whole run).
    Passed,
}

impl FirstVerification {
    /// The report of a run that has finished, once; "ask again" while one
    /// runs (its reach may be recorded before its report is here).
    fn take_finished(&self) -> Result<Option<verify::VerifyReport>, Error> {
        let mut run = self.state.lock().map_err(Error::internal)?;
        match std::mem::take(&mut *run) {
            FirstRun::Done(report) => {
                if report.problem.is_none() {
                    *run = FirstRun::Passed;
                }
                Ok(Some(*report))
            }
            FirstRun::Running => {
                *run = FirstRun::Running;
                Err(pending())
            }
            other => {
                *run = other;
                Ok(None)
            }
        }
    }

    /// Starts the run unless it is under way or has passed; an empty
    /// ledger is verified at once (nothing to record).
    async fn start(
        self: &Arc<Self>,
        store: &Arc<dyn crate::store::Store>,
    ) -> Result<verify::VerifyReport, Error> {
        if store.head().await?.is_none() {
            return Ok(verify::run_incremental(store.as_ref()).await?);
        }
        let passed = {
            let mut run = self.state.lock().map_err(Error::internal)?;
            match std::mem::take(&mut *run) {
                FirstRun::Done(report) => {
                    if report.problem.is_none() {
                        *run = FirstRun::Passed;
                    }
                    return Ok(*report);
                }
                FirstRun::Passed => {
                    *run = FirstRun::Passed;
                    true
                }
                FirstRun::Running => {
                    *run = FirstRun::Running;
                    false
                }
                FirstRun::Idle => {
                    *run = FirstRun::Running;
                    self.spawn_run(store);
                    false
                }
            }
        };
        if passed {
            return Ok(verify::run_incremental(store.as_ref()).await?);
        }
        Err(pending())
    }

    fn spawn_run(self: &Arc<Self>, store: &Arc<dyn crate::store::Store>) {
        let (this, store) = (self.clone(), store.clone());
        tokio::spawn(async move {
            let finished = match verify::run_recorded(store.as_ref()).await {
                Ok(report) => FirstRun::Done(Box::new(report)),
                Err(error) => {
                    tracing::error!(%error, "the first verification could not run");
                    FirstRun::Idle
                }
            };
            if let Ok(mut run) = this.state.lock() {
                *run = finished;
            }
        });
    }
}

fn pending() -> Error {
    Error::Pending(
        "sổ cái chưa được kiểm tra lần nào: đang kiểm tra toàn bộ ở chế độ nền, hãy thử lại sau ít giây / this ledger was never verified: its first, whole verification is running in the background; ask again in a few seconds".into(),
    )
}

/// `SEQ:HASH` exactly as the document's pattern says: digits (at most 18),
/// a colon, 64 hex digits.
fn parse_checkpoint(text: &str) -> Result<Checkpoint, Error> {
    let shaped = text.split_once(':').is_some_and(|(seq, hash)| {
        (1..=18).contains(&seq.len()) && seq.bytes().all(|b| b.is_ascii_digit()) && hash.len() == 64
    });
    if !shaped {
        return Err(Error::BadRequest(format!(
            "checkpoint '{text}' must look like SEQ:HASH (digits, a colon, 64 hex digits)"
        )));
    }
    Checkpoint::parse(text).map_err(Error::BadRequest)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// Events of this user (as they typed their name, for refused logins).
    actor: Option<String>,
    /// Events whose action starts with this: `login`, `import.`, `journal.reverse`, `user.`…
    action: Option<String>,
    /// Events on or after this day (YYYY-MM-DD, UTC).
    #[param(format = Date)]
    from: Option<String>,
    /// Events on or before this day (YYYY-MM-DD, UTC).
    #[param(format = Date)]
    to: Option<String>,
    /// Rows skipped (from 0).
    #[param(minimum = 0, maximum = 1000000000)]
    offset: Option<i64>,
    /// Rows in this answer: 1 to 1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// The audit trail, oldest first; auditors and administrators only.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses(
        (status = 200, body = Listing<AuditRecord>),
        (status = 403, description = "auditors and administrators only", body = ErrorBody),
    ))]
async fn audit_events(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Listing<AuditRecord>>, Error> {
    authorize(&user.user, Action::ReadAudit)?;
    let page = listing::page(query.offset, query.limit)?;
    let (from_us, until_us) = listing::time_bounds(query.from.as_deref(), query.to.as_deref())?;
    let filter = AuditFilter {
        actor: query.actor,
        action: query.action,
        from_us,
        until_us,
    };
    let listed = state.store.audit_page(&filter, page).await?;
    Ok(Json(Listing::new(listed, page)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReverseBody {
    /// Why, kept on the reversing entry (its memo).
    reason: String,
    /// Reverse only this person's part of the entry (their national ID).
    beneficiary: Option<String>,
}

/// Reverse an entry, or one beneficiary's part of it (provincial officers).
#[utoipa::path(post, path = "/api/v1/journal/{seq}/reverse", tag = "journal",
    params(("seq" = i64, Path, description = "the entry to reverse", minimum = 1, maximum = 1000000000000000_i64)),
    request_body = ReverseBody,
    responses(
        (status = 200, description = "the reversing entry's checkpoint", body = Checkpoint),
        (status = 400, description = "the reversal is not a valid entry", body = ErrorBody),
        (status = 403, description = "provincial officers only", body = ErrorBody),
        (status = 404, description = "no such entry", body = ErrorBody),
        (status = 409, description = "already reversed, paid first, or the ledger moved", body = ErrorBody),
        (status = 422, description = "a balance rule refuses it", body = ErrorBody),
    ))]
async fn reverse(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(seq): Path<i64>,
    Json(body): Json<ReverseBody>,
) -> Result<Json<Checkpoint>, Error> {
    use crate::reverse::{self, ReverseError, ReverseRequest};
    let request = ReverseRequest {
        seq,
        reason: body.reason,
        beneficiary: body.beneficiary,
    };
    reverse::reverse(state.store.as_ref(), &user.user, request)
        .await
        .map(Json)
        .map_err(|e| match e {
            ReverseError::Forbidden(f) => f.into(),
            ReverseError::NotFound(_) => Error::NotFound,
            ReverseError::Refused(message) => Error::Conflict(message),
            ReverseError::Store(e) => e.into(),
            ReverseError::Append(e) => e.into(),
        })
}
