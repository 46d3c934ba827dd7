//! The auditor's view: journal entries, verification, the audit trail.

use super::session::CurrentUser;
use super::{AppState, Error};
use crate::auth::{authorize, Action};
use crate::domain::{Checkpoint, Role};
use crate::ledger::verify;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

/// Audit listings are bounded.
const AUDIT_EVENTS_MAX: i64 = 1_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/journal/{seq}", get(entry))
        .route("/api/v1/verify", get(run_verify))
        .route("/api/v1/audit", get(audit_events))
        .route(
            "/api/v1/journal/{seq}/reverse",
            axum::routing::post(reverse),
        )
}

async fn entry(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(seq): Path<i64>,
) -> Result<Json<crate::domain::Entry>, Error> {
    authorize(&user.user, Action::ReadJournal)?;
    let mut entry = state.store.entry(seq).await?.ok_or(Error::NotFound)?;
    if authorize(&user.user, Action::SeeNationalIds { district: None }).is_err() {
        for posting in &mut entry.postings {
            posting.beneficiary = posting
                .beneficiary
                .as_deref()
                .map(crate::domain::national_id::mask);
        }
    }
    Ok(Json(entry))
}

#[derive(Deserialize)]
struct VerifyQuery {
    checkpoint: Option<String>,
}

async fn run_verify(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<VerifyQuery>,
) -> Result<Json<verify::VerifyReport>, Error> {
    authorize(&user.user, Action::ReadJournal)?;
    let checkpoint = query
        .checkpoint
        .as_deref()
        .map(Checkpoint::parse)
        .transpose()
        .map_err(Error::BadRequest)?;
    Ok(Json(verify::run(state.store.as_ref(), checkpoint).await?))
}

#[derive(Deserialize)]
struct AuditQuery {
    limit: Option<i64>,
}

async fn audit_events(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Vec<crate::store::AuditRecord>>, Error> {
    if !matches!(user.user.role, Role::Auditor | Role::Admin) {
        return Err(Error::Forbidden(
            "only auditors and administrators read the audit trail / chỉ kiểm toán viên".into(),
        ));
    }
    let limit = query.limit.unwrap_or(100).clamp(1, AUDIT_EVENTS_MAX);
    Ok(Json(state.store.audit_events(limit).await?))
}

#[derive(Deserialize)]
struct ReverseBody {
    reason: String,
    beneficiary: Option<String>,
}

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
