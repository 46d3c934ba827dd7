//! Reconciliation and report endpoints (read-only).
//!
//! History is append-only, so an answer computed at a journal position never
//! changes: answers are cached by (request, position) and a burst of equal
//! requests computes once (the others wait for it). Pages of a
//! reconciliation share the whole one, cached by (scope, position).

use super::openapi::ErrorBody;
use super::session::CurrentUser;
use super::{AppState, Error};
use crate::auth::{authorize, Action};
use crate::import::annotate::XLSX_CONTENT_TYPE;
use crate::reconcile;
use crate::report::{self, GroupBy};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(reconciliation))
        .routes(routes!(summary))
}

/// Past this many cached answers at one journal position the cache starts over.
pub const CACHED_ANSWERS_MAX: usize = 256;
/// Past this many whole reconciliations at one journal position (a
/// province's holds every beneficiary) their cache starts over.
pub const CACHED_RECONCILIATIONS_MAX: usize = 4;

/// A computed answer: content type and body.
pub type Answer = Arc<(&'static str, Bytes)>;

/// Values computed at the newest journal position, by a key that names the
/// question. Positions only grow, so values of an older one are dropped.
pub struct Memo<T> {
    values: Mutex<MemoValues<T>>,
    values_max: usize,
    /// Held while a value is computed, so a burst computes it once. (The
    /// reconciliations' lock is taken only under the answers' lock.)
    computing: tokio::sync::Mutex<()>,
}

struct MemoValues<T> {
    position: i64,
    by_key: HashMap<String, Arc<T>>,
}

impl<T> Memo<T> {
    pub fn new(values_max: usize) -> Memo<T> {
        assert!(values_max > 0, "a memo holds at least one value");
        Memo {
            values: Mutex::new(MemoValues {
                position: 0,
                by_key: HashMap::new(),
            }),
            values_max,
            computing: tokio::sync::Mutex::default(),
        }
    }

    fn get(&self, position: i64, key: &str) -> Option<Arc<T>> {
        let values = self.values.lock().ok()?;
        (values.position == position)
            .then(|| values.by_key.get(key).cloned())
            .flatten()
    }

    async fn get_or_compute<F>(
        &self,
        position: i64,
        key: String,
        compute: F,
    ) -> Result<Arc<T>, Error>
    where
        F: Future<Output = Result<T, Error>>,
    {
        if let Some(hit) = self.get(position, &key) {
            return Ok(hit);
        }
        let _computing = self.computing.lock().await;
        if let Some(hit) = self.get(position, &key) {
            return Ok(hit);
        }
        let value = Arc::new(compute.await?);
        if let Ok(mut values) = self.values.lock() {
            if position > values.position || values.by_key.len() >= self.values_max {
                values.by_key.clear();
                values.position = values.position.max(position);
            }
            if position == values.position {
                values.by_key.insert(key, value.clone());
            }
        }
        Ok(value)
    }
}

fn respond(answer: Answer) -> Response {
    ([(header::CONTENT_TYPE, answer.0)], answer.1.clone()).into_response()
}

fn json_bytes(value: &impl serde::Serialize) -> Result<(&'static str, Bytes), Error> {
    let body = serde_json::to_vec(value).map_err(Error::internal)?;
    Ok(("application/json", Bytes::from(body)))
}

async fn head_seq(state: &AppState) -> Result<i64, Error> {
    Ok(state.store.head().await?.map(|h| h.seq).unwrap_or(0))
}

/// Lines in a JSON reconciliation answer unless `limit` says otherwise: a
/// screen's worth; a district can hold tens of thousands of people.
const RECONCILIATION_PAGE_LINES_DEFAULT: usize = 1_000;
/// The most lines one JSON answer holds (the CSV export holds them all).
const RECONCILIATION_PAGE_LINES_MAX: usize = 10_000;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ReconcileQuery {
    /// The program's code, e.g. NQ68.
    program: String,
    /// One district (a district officer's own); the whole province without it.
    district: Option<String>,
    /// `json` (lines paged by default), `csv` or `xlsx` (an Excel workbook;
    /// both every line, unless `offset` or `limit` is given).
    #[param(value_type = Option<String>, pattern = "^(json|csv|xlsx)$")]
    format: Option<String>,
    /// Lines skipped.
    #[param(minimum = 0, maximum = 1000000000)]
    offset: Option<i64>,
    /// Lines in the answer: 1 to 10000, default 1000 (for CSV: every line).
    #[param(minimum = 1, maximum = 10000)]
    limit: Option<usize>,
}

impl ReconcileQuery {
    /// The page of lines asked for and whether the answer is a file (CSV
    /// or xlsx). JSON pages its lines by default; a file holds every line
    /// unless `offset` or `limit` is given, then the page they name.
    fn page(&self) -> Result<(Option<(usize, usize)>, bool), Error> {
        let csv = match self.format.as_deref() {
            None | Some("json") => false,
            Some("csv" | "xlsx") => true,
            Some(other) => {
                return Err(Error::BadRequest(format!(
                    "format '{other}' must be json, csv or xlsx"
                )))
            }
        };
        if csv && self.offset.is_none() && self.limit.is_none() {
            return Ok((None, true));
        }
        let offset = self.offset.unwrap_or(0);
        super::listing::check_offset(offset)?;
        let offset = usize::try_from(offset).map_err(Error::internal)?;
        let limit = self.limit.unwrap_or(RECONCILIATION_PAGE_LINES_DEFAULT);
        if !(1..=RECONCILIATION_PAGE_LINES_MAX).contains(&limit) {
            return Err(Error::BadRequest(format!(
                "limit {limit} must be between 1 and {RECONCILIATION_PAGE_LINES_MAX} lines; page with offset, or take format=csv for every line"
            )));
        }
        Ok((Some((offset, limit)), csv))
    }
}

/// A program's reconciliation: per beneficiary, approved, paid and
/// outstanding, with the payment lines refused. JSON pages its lines beside
/// `lines_total`; CSV holds every line.
#[utoipa::path(get, path = "/api/v1/reconciliation", tag = "reconciliation", params(ReconcileQuery),
    responses(
        (status = 200, content(
            (crate::reconcile::Reconciliation = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "a bad format, offset or limit", body = ErrorBody),
        (status = 403, description = "another district's, or an administrator", body = ErrorBody),
        (status = 404, description = "no such program", body = ErrorBody),
        (status = 409, description = "the ledger kept moving while it was read: ask again", body = ErrorBody),
    ))]
async fn reconciliation(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ReconcileQuery>,
) -> Result<Response, Error> {
    let district = query.district.as_deref();
    authorize(&user.user, Action::ReadDistrict { district })?;
    let mask = authorize(&user.user, Action::SeeNationalIds { district }).is_err();
    let page = query.page()?;
    let xlsx = query.format.as_deref() == Some("xlsx");
    // A commit landing after this read makes the answer's own checkpoint
    // newer than `head`: still exact, since the answer states it.
    let head = head_seq(&state).await?;
    let scope = format!("{}|{district:?}", query.program);
    let key = format!("reconcile|{scope}|{mask}|{page:?}|{xlsx}");
    let answer = state
        .answers
        .get_or_compute(head, key, async {
            // Every page and the export share one computed reconciliation.
            let whole = state
                .reconciliations
                .get_or_compute(head, scope, async {
                    // An unknown program is not an empty reconciliation.
                    let programs = state.store.program_definitions().await?;
                    if !programs.iter().any(|(code, _)| *code == query.program) {
                        return Err(Error::NotFound);
                    }
                    Ok(
                        reconcile::reconcile(state.store.as_ref(), &query.program, district)
                            .await?,
                    )
                })
                .await?;
            let (lines, csv) = page;
            let mut shown = match lines {
                Some((offset, limit)) => whole.page(offset, limit),
                None => (*whole).clone(),
            };
            if mask {
                shown.mask_ids();
            }
            if xlsx {
                let workbook = tokio::task::spawn_blocking(move || {
                    crate::report::xlsx::reconciliation_workbook(&shown)
                })
                .await
                .map_err(Error::internal)?
                .map_err(Error::internal)?;
                return Ok((XLSX_CONTENT_TYPE, Bytes::from(workbook)));
            }
            if csv {
                return Ok(("text/csv; charset=utf-8", Bytes::from(shown.to_csv())));
            }
            json_bytes(&shown)
        })
        .await?;
    if xlsx {
        let name = format!(
            "doi-chieu-{}{}.xlsx",
            query.program,
            district.map(|d| format!("-{d}")).unwrap_or_default()
        );
        return Ok(super::imports::attachment(
            XLSX_CONTENT_TYPE,
            &name,
            answer.1.clone(),
        ));
    }
    Ok(respond(answer))
}

/// The largest journal position a query may name.
const SEQ_MAX: i64 = 1_000_000_000_000_000;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SummaryQuery {
    /// Entries effective on or before this date (YYYY-MM-DD).
    #[param(format = Date)]
    as_of: String,
    /// Entries at or before this journal position (a report printed earlier).
    #[param(minimum = 0, maximum = 1000000000000000_i64)]
    at_seq: Option<i64>,
    /// Rows by `program` (default), `district` or `category`.
    #[param(value_type = Option<GroupBy>)]
    by: Option<String>,
    /// `json` (default), `csv`, `text` or `footnote` (the directive's sentence).
    #[param(value_type = Option<String>, pattern = "^(json|csv|text|footnote)$")]
    format: Option<String>,
    /// One district's figures (a district officer's own); the province without it.
    district: Option<String>,
}

/// Totals as of a date, at a stated journal position: for the province
/// (provincial officers, auditors) or one district (its officer too).
#[utoipa::path(get, path = "/api/v1/reports/summary", tag = "reports", params(SummaryQuery),
    responses(
        (status = 200, content(
            (crate::report::Summary = "application/json"),
            (String = "text/csv"),
            (String = "text/plain"),
        )),
        (status = 400, description = "a bad date, grouping or format", body = ErrorBody),
        (status = 403, description = "the province, or another district, for a district officer", body = ErrorBody),
    ))]
async fn summary(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<SummaryQuery>,
) -> Result<Response, Error> {
    let district = query.district.as_deref();
    match district {
        Some(district) => authorize(
            &user.user,
            Action::ReadDistrict {
                district: Some(district),
            },
        )?,
        None => authorize(&user.user, Action::ReadReports)?,
    }
    let as_of = crate::domain::date::parse_date(&query.as_of).map_err(Error::BadRequest)?;
    if let Some(seq) = query.at_seq.filter(|seq| !(0..=SEQ_MAX).contains(seq)) {
        return Err(Error::BadRequest(format!(
            "at_seq {seq} must be a journal position from 0 to {SEQ_MAX}"
        )));
    }
    let by = match query.by.as_deref() {
        None => GroupBy::default(),
        Some(text) => <GroupBy as clap::ValueEnum>::from_str(text, false).map_err(|_| {
            Error::BadRequest(format!("by '{text}' must be program, district or category"))
        })?,
    };
    let format = match query.format.as_deref() {
        None | Some("json") => "json",
        Some("csv") => "csv",
        Some("text") => "text",
        Some("footnote") => "footnote",
        Some(other) => {
            return Err(Error::BadRequest(format!(
                "format '{other}' must be json, csv, text or footnote"
            )))
        }
    };
    let head = head_seq(&state).await?;
    let key = format!(
        "summary|{as_of}|{:?}|{by:?}|{format}|{district:?}",
        query.at_seq
    );
    let answer = state
        .answers
        .get_or_compute(head, key, async {
            let summary =
                report::summary_of(state.store.as_ref(), as_of, query.at_seq, by, district).await?;
            Ok(match format {
                "csv" => ("text/csv; charset=utf-8", Bytes::from(summary.to_csv())),
                "text" => ("text/plain; charset=utf-8", Bytes::from(summary.to_text())),
                "footnote" => (
                    "text/plain; charset=utf-8",
                    Bytes::from(summary.to_footnote()),
                ),
                _ => json_bytes(&summary)?,
            })
        })
        .await?;
    Ok(respond(answer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    async fn counted(memo: &Memo<usize>, runs: &AtomicUsize, position: i64, key: &str) -> usize {
        let computed = memo.get_or_compute(position, key.to_string(), async {
            Ok(runs.fetch_add(1, Ordering::SeqCst) + 1)
        });
        *computed.await.expect("computed")
    }

    #[tokio::test]
    async fn a_memo_keeps_the_newest_position_only() {
        let memo = Memo::new(2);
        let runs = AtomicUsize::new(0);
        assert_eq!(counted(&memo, &runs, 5, "a").await, 1);
        assert_eq!(counted(&memo, &runs, 5, "a").await, 1, "kept");
        assert_eq!(
            counted(&memo, &runs, 6, "a").await,
            2,
            "a newer position computes"
        );
        assert_eq!(
            counted(&memo, &runs, 5, "a").await,
            3,
            "an older one is not kept…"
        );
        assert_eq!(
            counted(&memo, &runs, 6, "a").await,
            2,
            "…and drops nothing newer"
        );
        assert_eq!(counted(&memo, &runs, 6, "b").await, 4);
        assert_eq!(
            counted(&memo, &runs, 6, "c").await,
            5,
            "past the limit: start over"
        );
        assert_eq!(counted(&memo, &runs, 6, "c").await, 5);
        assert_eq!(counted(&memo, &runs, 6, "a").await, 6);
    }

    #[tokio::test]
    async fn a_burst_computes_once() {
        let memo = Memo::new(4);
        let runs = AtomicUsize::new(0);
        let burst = (0..8).map(|_| counted(&memo, &runs, 1, "a"));
        let answers = futures_util::future::join_all(burst).await;
        assert!(answers.iter().all(|&a| a == 1), "{answers:?}");
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }
}
