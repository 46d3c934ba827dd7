//! Upload → validate (nothing posted) → import report → commit.

use super::session::CurrentUser;
use super::{AppState, Error};
use crate::auth::{authorize, Action};
use crate::domain::money::group_digits;
use crate::domain::Money;
use crate::import::parse::{RollKind, UnknownRollKind, FILE_BYTES_MAX};
use crate::import::pipeline::{self, ImportError, RollUpload};
use crate::import::report::{ImportReport, ImportStatus};
use axum::extract::multipart::MultipartError;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/imports", post(upload))
        .route("/api/v1/imports/{id}", get(show))
        .route("/api/v1/imports/{id}/commit", post(commit))
}

impl From<ImportError> for Error {
    fn from(error: ImportError) -> Error {
        match error {
            ImportError::Forbidden(f) => f.into(),
            ImportError::NotFound(_) => Error::NotFound,
            ImportError::Blocked(report) | ImportError::Stale(report) => Error::Unprocessable {
                message: format!(
                    "commit refused, nothing posted / không ghi sổ: {}",
                    report.blocking_text()
                ),
                details: serde_json::to_value(&*report).unwrap_or_default(),
            },
            ImportError::File(file) => Error::Unprocessable {
                message: file.to_string(),
                details: json!({ "code": file.code(), "line": file.line() }),
            },
            ImportError::Refused(message) => Error::BadRequest(message),
            ImportError::Quota(message) => Error::Quota(message),
            ImportError::Store(e) => e.into(),
            ImportError::Append(e) => e.into(),
        }
    }
}

async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<ImportReport>), Error> {
    let mut fields = std::collections::HashMap::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart.next_field().await.map_err(upload_error)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            if file.is_some() {
                return Err(Error::BadRequest(
                    "one file per upload: send each roll on its own / mỗi lần tải lên một tệp"
                        .into(),
                ));
            }
            let file_name = field.file_name().unwrap_or("upload.csv").to_string();
            let bytes = field.bytes().await.map_err(upload_error)?;
            file = Some((file_name, bytes.to_vec()));
        } else {
            let value = field.text().await.map_err(upload_error)?;
            fields.insert(name, value);
        }
    }
    let field = |name: &str| {
        fields
            .get(name)
            .cloned()
            .ok_or_else(|| Error::BadRequest(format!("missing form field '{name}'")))
    };
    let (file_name, bytes) =
        file.ok_or_else(|| Error::BadRequest("missing form field 'file'".into()))?;
    let kind: RollKind = field("kind")?
        .parse()
        .map_err(|e: UnknownRollKind| Error::BadRequest(e.to_string()))?;
    let upload = RollUpload {
        kind,
        program: field("program")?,
        district: field("district")?,
        file_name,
        bytes,
        expect_rows: fields
            .get("expect_rows")
            .filter(|v| !v.is_empty())
            .map(|v| v.parse())
            .transpose()
            .map_err(|_| Error::BadRequest("expect_rows must be a number".into()))?,
        expect_total: fields
            .get("expect_total")
            .filter(|v| !v.is_empty())
            .map(|v| Money::parse(v))
            .transpose()
            .map_err(|e| Error::BadRequest(e.to_string()))?,
    };
    let report = pipeline::stage(state.store.as_ref(), &user.user, &upload)
        .await?
        .report;
    if report.status == ImportStatus::Refused {
        // Stored as evidence with its report, but it can never be committed:
        // a refusal, with the whole report beside the message.
        return Err(Error::Unprocessable {
            message: format!(
                "the roll was checked and kept as import {}, but it cannot be committed / \
                 danh sách đã được kiểm tra và lưu, nhưng không thể ghi sổ: {}",
                report.import_id.unwrap_or_default(),
                report.blocking_text()
            ),
            details: serde_json::to_value(&report).map_err(Error::internal)?,
        });
    }
    Ok((StatusCode::CREATED, Json(report)))
}

/// A body past the upload limit is the same refusal as a file past the
/// import limit (code `too_large`), said so; other multipart errors are the client's.
fn upload_error(error: MultipartError) -> Error {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        let message = format!(
            "the upload is larger than the limit of {} bytes (64 MiB): split the roll into several files / \
             tệp vượt giới hạn {} byte (64 MiB): hãy chia danh sách thành nhiều tệp",
            group_digits(FILE_BYTES_MAX as i64, ','),
            group_digits(FILE_BYTES_MAX as i64, '.')
        );
        Error::Unprocessable {
            message,
            details: json!({ "code": "too_large", "line": null }),
        }
    } else {
        Error::BadRequest(format!(
            "bad upload / tệp tải lên không hợp lệ: {}",
            error.body_text()
        ))
    }
}

async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<ImportReport>, Error> {
    let record = state
        .store
        .import_record(id)
        .await?
        .ok_or(Error::NotFound)?;
    check_visible(&user.user, &record.district)?;
    let mut report: ImportReport =
        serde_json::from_str(&record.report_json).map_err(Error::internal)?;
    report.import_id = Some(id);
    if record.committed_by.is_some() {
        report.status = ImportStatus::Committed;
    }
    Ok(Json(report))
}

/// An import of a district the user may not read does not exist for them:
/// a 403 would confirm that it does.
fn check_visible(user: &crate::domain::User, district: &str) -> Result<(), Error> {
    let action = Action::ReadDistrict {
        district: Some(district),
    };
    authorize(user, action).map_err(|_| Error::NotFound)
}

async fn commit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<ImportReport>, Error> {
    if let Some(record) = state.store.import_record(id).await? {
        check_visible(&user.user, &record.district)?;
    }
    Ok(Json(
        pipeline::commit_staged(state.store.as_ref(), &user.user, id).await?,
    ))
}
