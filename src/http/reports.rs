//! Reconciliation and report endpoints (read-only).

use super::session::CurrentUser;
use super::{AppState, Error};
use crate::auth::{authorize, Action};
use crate::ledger::report::{self, GroupBy};
use crate::reconcile;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reconciliation", get(reconciliation))
        .route("/api/v1/reports/summary", get(summary))
}

#[derive(Deserialize)]
struct ReconcileQuery {
    program: String,
    district: Option<String>,
    format: Option<String>,
}

async fn reconciliation(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ReconcileQuery>,
) -> Result<Response, Error> {
    let district = query.district.as_deref();
    authorize(&user.user, Action::ReadDistrict { district })?;
    let mut result = reconcile::reconcile(state.store.as_ref(), &query.program, district).await?;
    if authorize(&user.user, Action::SeeNationalIds { district }).is_err() {
        result.mask_ids();
    }
    Ok(match query.format.as_deref() {
        Some("csv") => (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            result.to_csv(),
        )
            .into_response(),
        _ => Json(result).into_response(),
    })
}

#[derive(Deserialize)]
struct SummaryQuery {
    as_of: String,
    at_seq: Option<i64>,
    by: Option<String>,
    format: Option<String>,
}

async fn summary(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<SummaryQuery>,
) -> Result<Response, Error> {
    authorize(&user.user, Action::ReadReports)?;
    let as_of = crate::cli::parse_date(&query.as_of).map_err(Error::BadRequest)?;
    let by = match query.by.as_deref() {
        None | Some("program") => GroupBy::Program,
        Some("district") => GroupBy::District,
        Some("category") => GroupBy::Category,
        Some(other) => {
            return Err(Error::BadRequest(format!(
                "by '{other}' must be program, district or category"
            )))
        }
    };
    let summary = report::summary(state.store.as_ref(), as_of, query.at_seq, by).await?;
    let text =
        |body: String, kind: &'static str| ([(header::CONTENT_TYPE, kind)], body).into_response();
    Ok(match query.format.as_deref() {
        Some("csv") => text(summary.to_csv(), "text/csv; charset=utf-8"),
        Some("text") => text(summary.to_text(), "text/plain; charset=utf-8"),
        Some("footnote") => text(summary.to_footnote(), "text/plain; charset=utf-8"),
        _ => Json(summary).into_response(),
    })
}
