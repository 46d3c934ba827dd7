//! Exports of the whole journal for auditors' own tools. The export is
//! written to an unnamed temporary file as the journal is scanned, then
//! streamed from it in chunks: memory stays bounded whatever the journal's
//! size, and an export that fails midway answers an error instead of a
//! truncated file.

use super::openapi::ErrorBody;
use super::session::CurrentUser;
use super::{AppState, Error};
use crate::auth::{authorize, Action};
use crate::report::export::{self, Format};
use crate::store::{now_us, AuditEvent};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::io::{Seek, Write};
use tokio::io::AsyncReadExt;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(download))
}

/// Bytes read from the temporary file per chunk of the answer.
const CHUNK_BYTES: usize = 64 * 1024;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// Only entries effective on or before this date (YYYY-MM-DD).
    #[param(format = Date)]
    as_of: Option<String>,
}

/// The journal as an hledger/ledger-cli journal, a Beancount file, or CSV
/// (one posting per row); auditors only.
#[utoipa::path(get, path = "/api/v1/exports/{format}", tag = "exports",
    params(("format" = Format, Path, description = "ledger, beancount or csv"), ExportQuery),
    responses(
        (status = 200, content(
            (String = "text/plain", example = "2021-08-16 * \"2315/QĐ-UBND\""),
            (String = "text/csv"),
        )),
        (status = 403, description = "auditors only", body = ErrorBody),
    ))]
async fn download(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(format): Path<Format>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, Error> {
    authorize(&user.user, Action::Export)?;
    let as_of = super::listing::date("as_of", query.as_of.as_deref())?;
    let mut file = tempfile::tempfile().map_err(Error::internal)?;
    {
        let mut out = std::io::BufWriter::new(&mut file);
        export::export(state.store.as_ref(), format, as_of, &mut out).await?;
        out.flush().map_err(Error::internal)?;
    }
    file.rewind().map_err(Error::internal)?;
    state
        .store
        .audit(AuditEvent {
            at_us: now_us(),
            actor: user.user.username.clone(),
            action: "journal.export".into(),
            outcome: "ok".into(),
            detail: format!("{format:?} as of {as_of:?} over HTTP"),
        })
        .await?;
    let (content_type, extension) = match format {
        Format::Ledger => ("text/plain; charset=utf-8", "journal"),
        Format::Beancount => ("text/plain; charset=utf-8", "beancount"),
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
    };
    let file = tokio::fs::File::from_std(file);
    let chunks = futures_util::stream::unfold(file, |mut file| async move {
        let mut chunk = vec![0u8; CHUNK_BYTES];
        match file.read(&mut chunk).await {
            Ok(0) => None,
            Ok(read) => {
                chunk.truncate(read);
                Some((Ok::<_, std::io::Error>(chunk), file))
            }
            Err(error) => Some((Err(error), file)),
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"ansinh.{extension}\""),
            ),
        ],
        Body::from_stream(chunks),
    )
        .into_response())
}
