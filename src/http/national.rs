//! The national report for a ministry's readers: every provincial ledger of
//! the database summed, each at its own head, with the national checkpoint.
//! Served by the ministry's server (`ansinh serve` without `--ledger`),
//! whose own ledger holds the national readers.

use super::openapi::ErrorBody;
use super::session::CurrentUser;
use super::{AppState, Error};
use crate::auth::{authorize, Action};
use crate::domain::LedgerCode;
use crate::report::national::{NationalError, NationalSummary};
use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(national_report))
}

/// The most ledgers a request may name: every province once.
const LEDGERS_NAMED_MAX: usize = 63;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct NationalQuery {
    /// Entries effective on or before this date (YYYY-MM-DD).
    #[param(format = Date)]
    as_of: String,
    /// The ledgers to sum, by province code, comma-separated (default: every one).
    #[param(pattern = "^[0-9]{2}(,[0-9]{2})*$")]
    ledgers: Option<String>,
}

/// Every provincial ledger's totals as of a date, summed, each province at
/// its own head, with the digest of their checkpoints (national readers).
#[utoipa::path(get, path = "/api/v1/national/report", tag = "reports", params(NationalQuery),
    responses(
        (status = 200, body = NationalSummary),
        (status = 400, description = "a bad date or ledger code", body = ErrorBody),
        (status = 403, description = "anyone but a national reader", body = ErrorBody),
        (status = 404, description = "a ledger the database does not hold, or none at all", body = ErrorBody),
    ))]
async fn national_report(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<NationalQuery>,
) -> Result<Json<NationalSummary>, Error> {
    authorize(&user.user, Action::ReadNational)?;
    let as_of = crate::domain::date::parse_date(&query.as_of).map_err(Error::BadRequest)?;
    let chosen = ledgers(query.ledgers.as_deref())?;
    // A national reader exists only in a database's own ledger, whose
    // server always knows the database: without it, there is no report.
    let Some(national) = state.national.clone() else {
        return Err(Error::NotFound);
    };
    // Opening a ledger runs sqlx's migrator, whose future the compiler
    // cannot prove `Send` (rust-lang/rust#102211): the report runs to its
    // end on a blocking thread of its own instead of moving between workers.
    let runtime = tokio::runtime::Handle::current();
    let summary = tokio::task::spawn_blocking(move || {
        runtime.block_on(async { national.report(&chosen, as_of).await })
    })
    .await
    .map_err(Error::internal)?
    .map_err(|error| match error {
        NationalError::Store(error) => error.into(),
        refused => Error::Missing(refused.to_string()),
    })?;
    Ok(Json(summary))
}

fn ledgers(text: Option<&str>) -> Result<Vec<LedgerCode>, Error> {
    let Some(text) = text.filter(|text| !text.is_empty()) else {
        return Ok(Vec::new());
    };
    let codes: Vec<&str> = text.split(',').collect();
    if codes.len() > LEDGERS_NAMED_MAX {
        return Err(Error::BadRequest(format!(
            "at most {LEDGERS_NAMED_MAX} ledgers may be named, not {}",
            codes.len()
        )));
    }
    codes
        .into_iter()
        .map(|code| LedgerCode::parse(code.trim()).map_err(Error::BadRequest))
        .collect()
}
