//! Upload → validate (nothing posted) → import report → commit.

use super::listing::{self, Listing};
use super::openapi::ErrorBody;
use super::session::CurrentUser;
use super::{AppState, Error};
use crate::auth::{authorize, Action};
use crate::domain::money::group_digits;
use crate::domain::Money;
use crate::import::annotate;
use crate::import::parse::{RollKind, UnknownRollKind, FILE_BYTES_MAX};
use crate::import::pipeline::{self, ImportError, RollUpload};
use crate::import::report::{ImportReport, ImportStatus};
use crate::store::{ImportFilter, ImportRecord};
use axum::extract::multipart::MultipartError;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, upload))
        .routes(routes!(show))
        .routes(routes!(original_file))
        .routes(routes!(annotated_file))
        .routes(routes!(commit))
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

/// The form's fields beside `file`.
const UPLOAD_TEXT_FIELDS: &[&str] = &[
    "kind",
    "program",
    "district",
    "expect_rows",
    "expect_total",
    "sheet",
];

/// The fields of an upload (`multipart/form-data`); no others.
#[derive(ToSchema, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // describes the form the handler reads field by field
struct UploadForm {
    kind: RollKind,
    /// The program's code, e.g. NQ68.
    program: String,
    /// The district's code (3 digits); a district officer's own.
    #[schema(pattern = "^[0-9]{3}$")]
    district: String,
    /// The roll, at most 64 MiB: CSV (UTF-8, `,` `;` or tab), an Excel
    /// `.xlsx` or a LibreOffice `.ods` workbook.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The workbook's sheet to read (default: the first); not for CSV.
    #[schema(nullable = false, max_length = 255)]
    sheet: Option<String>,
    /// Rows the officer counted: the import is refused unless it accepts as many.
    #[schema(nullable = false, maximum = 1000000000)]
    expect_rows: Option<u64>,
    /// Total the officer added up, whole đồng in digits.
    #[schema(nullable = false, pattern = "^[0-9]{1,15}$")]
    expect_total: Option<String>,
}

/// Upload a roll: it is validated and stored, nothing is posted. 201 with
/// the import report when it can be committed; 422 with the report in
/// `details` when it cannot.
#[utoipa::path(post, path = "/api/v1/imports", tag = "imports",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = ImportReport),
        (status = 400, description = "a missing or malformed form field", body = ErrorBody),
        (status = 403, description = "district officers, for their own district only", body = ErrorBody),
        (status = 404, description = "no such program", body = ErrorBody),
        (status = 409, description = "the ledger moved while it was read: upload again", body = ErrorBody),
        (status = 422, description = "the roll was checked (and kept) but cannot be committed, or the file is unreadable", body = ErrorBody),
        (status = 429, description = "the district's quota of uploads never committed is used up", body = ErrorBody),
    ))]
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
            refuse_nul(&file_name)?;
            let bytes = field.bytes().await.map_err(upload_error)?;
            file = Some((file_name, bytes.to_vec()));
        } else if UPLOAD_TEXT_FIELDS.contains(&name.as_str()) {
            let value = field.text().await.map_err(upload_error)?;
            refuse_nul(&value)?;
            fields.insert(name, value);
        } else {
            return Err(Error::BadRequest(format!(
                "unknown form field '{name}': send {} and file / trường không hợp lệ",
                UPLOAD_TEXT_FIELDS.join(", ")
            )));
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
    // Who may import for this district is decided before the roll is read.
    let district = field("district")?;
    if !(district.len() == 3 && district.bytes().all(|b| b.is_ascii_digit())) {
        return Err(Error::BadRequest(format!(
            "'{district}' is not a district code: 3 digits / mã huyện gồm 3 chữ số"
        )));
    }
    authorize(
        &user.user,
        Action::ImportRoll {
            district: &district,
        },
    )?;
    let kind: RollKind = field("kind")?
        .parse()
        .map_err(|e: UnknownRollKind| Error::BadRequest(e.to_string()))?;
    let upload = RollUpload {
        kind,
        program: field("program")?,
        district,
        file_name,
        bytes,
        sheet: fields.get("sheet").filter(|v| !v.is_empty()).cloned(),
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

/// A form's text holds no NUL character (see `refuse_nul_characters`).
fn refuse_nul(text: &str) -> Result<(), Error> {
    if text.contains('\0') {
        return Err(Error::BadRequest(
            "text may not contain NUL characters / không nhận ký tự NUL".into(),
        ));
    }
    Ok(())
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

/// An import and its report.
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "imports",
    params(("id" = i64, Path, description = "the import's id", minimum = 1, maximum = 1000000000000000_i64)),
    responses(
        (status = 200, body = ImportReport),
        (status = 404, description = "no such import in the districts this user reads", body = ErrorBody),
    ))]
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

/// Commit an import's accepted rows, atomically.
#[utoipa::path(post, path = "/api/v1/imports/{id}/commit", tag = "imports",
    params(("id" = i64, Path, description = "the import's id", minimum = 1, maximum = 1000000000000000_i64)),
    responses(
        (status = 200, description = "committed: the report with the entries posted", body = ImportReport),
        (status = 403, description = "district officers, for their own district only", body = ErrorBody),
        (status = 404, description = "no such import in the districts this user reads", body = ErrorBody),
        (status = 409, description = "already committed, or the ledger moved meanwhile", body = ErrorBody),
        (status = 422, description = "the roll cannot be committed; the report is in details", body = ErrorBody),
    ))]
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    program: Option<String>,
    /// A district officer lists their own district whether or not they say so.
    district: Option<String>,
    kind: Option<RollKind>,
    status: Option<CommitStatus>,
    /// Uploaded on or after this day (YYYY-MM-DD, UTC).
    #[param(format = Date)]
    from: Option<String>,
    /// Uploaded on or before this day (YYYY-MM-DD, UTC).
    #[param(format = Date)]
    to: Option<String>,
    /// Rows skipped (from 0).
    #[param(minimum = 0, maximum = 1000000000)]
    offset: Option<i64>,
    /// Rows in this answer: 1 to 1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// Whether an upload's rows are in the ledger.
#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(super) enum CommitStatus {
    Committed,
    Uncommitted,
}

/// Uploads, oldest first, filtered; auditors and provincial officers see
/// every district, a district officer their own.
#[utoipa::path(get, path = "/api/v1/imports", tag = "imports", params(ListQuery),
    responses(
        (status = 200, body = Listing<ImportRecord>),
        (status = 403, description = "another district's, or an administrator", body = ErrorBody),
    ))]
async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<Json<Listing<ImportRecord>>, Error> {
    let district = query.district.or_else(|| user.user.district.clone());
    authorize(
        &user.user,
        Action::ReadDistrict {
            district: district.as_deref(),
        },
    )?;
    let page = listing::page(query.offset, query.limit)?;
    let (from_us, until_us) = listing::time_bounds(query.from.as_deref(), query.to.as_deref())?;
    let filter = ImportFilter {
        program: query.program,
        district,
        kind: query.kind.map(|k| k.as_str().to_string()),
        committed: query.status.map(|s| matches!(s, CommitStatus::Committed)),
        from_us,
        until_us,
    };
    let listed = state.store.imports_page(&filter, page).await?;
    Ok(Json(Listing::new(listed, page)))
}

/// The file as uploaded, byte for byte (its SHA-256 is in the report).
#[utoipa::path(get, path = "/api/v1/imports/{id}/file", tag = "imports",
    params(("id" = i64, Path, description = "the import's id", minimum = 1, maximum = 1000000000000000_i64)),
    responses(
        (status = 200, content((String = "application/octet-stream"))),
        (status = 404, description = "no such import in the districts this user reads", body = ErrorBody),
    ))]
async fn original_file(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, Error> {
    let record = state
        .store
        .import_record(id)
        .await?
        .ok_or(Error::NotFound)?;
    check_visible(&user.user, &record.district)?;
    let bytes = state
        .store
        .import_content(id)
        .await?
        .ok_or(Error::NotFound)?;
    let file_name: String = record
        .file_name
        .chars()
        .filter(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\\'))
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The roll as an Excel workbook annotated with what the import report found:
/// the officer's rows as uploaded (CSV or workbook, every cell as text), the
/// header frozen, and a last column `Lỗi / Error` with each row's errors and
/// warnings; rows with errors in red. Fixed in place, the workbook can be
/// uploaded again as it is: the importer ignores that column.
#[utoipa::path(get, path = "/api/v1/imports/{id}/annotated", tag = "imports",
    params(("id" = i64, Path, description = "the import's id", minimum = 1, maximum = 1000000000000000_i64)),
    responses(
        (status = 200, description = "the annotated roll, `<file name>-loi.xlsx`",
            content((String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 404, description = "no such import in the districts this user reads", body = ErrorBody),
        (status = 422, description = "the stored file cannot be read again", body = ErrorBody),
    ))]
async fn annotated_file(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, Error> {
    let record = state
        .store
        .import_record(id)
        .await?
        .ok_or(Error::NotFound)?;
    check_visible(&user.user, &record.district)?;
    let bytes = state
        .store
        .import_content(id)
        .await?
        .ok_or(Error::NotFound)?;
    let report: ImportReport =
        serde_json::from_str(&record.report_json).map_err(Error::internal)?;
    // Reading and writing a large roll is CPU work: off the async runtime.
    let workbook =
        tokio::task::spawn_blocking(move || annotate::annotated_workbook(&bytes, &report))
            .await
            .map_err(Error::internal)?
            .map_err(|error| match error {
                // Read when it was uploaded; said so, should it not read again.
                annotate::AnnotateError::File(file) => Error::Unprocessable {
                    message: file.to_string(),
                    details: json!({ "code": file.code(), "line": file.line() }),
                },
                other => Error::internal(other),
            })?;
    Ok(attachment(
        annotate::XLSX_CONTENT_TYPE,
        &annotate::annotated_file_name(&record.file_name),
        workbook,
    ))
}

/// A download: its media type and its file name (ASCII for old clients,
/// UTF-8 beside it, RFC 6266).
pub(super) fn attachment(
    content_type: &str,
    file_name: &str,
    bytes: impl IntoResponse,
) -> Response {
    let ascii: String = file_name
        .chars()
        .filter(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\\'))
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response()
}
