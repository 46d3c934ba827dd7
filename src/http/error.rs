//! The HTTP error: internals are logged, users see a clean message and a code.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("authentication required / cần đăng nhập")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("not found / không tìm thấy")]
    NotFound,
    /// Not found, saying what is missing.
    #[error("{0}")]
    Missing(String),
    #[error("{0}")]
    BadRequest(String),
    /// Refused input with a structured body (an import report, say).
    #[error("{message}")]
    Unprocessable {
        message: String,
        details: serde_json::Value,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("too many attempts; try again later / thử lại sau")]
    TooManyRequests,
    /// A quota is used up (uploads never committed): nothing was stored.
    #[error("{0}")]
    Quota(String),
    /// The login queue is full: try again in a moment.
    #[error("{}", crate::auth::password::PasswordError::Busy)]
    Busy,
    /// The answer is being worked out in the background: ask again.
    #[error("{0}")]
    Pending(String),
    #[error("internal error")]
    Internal(String),
}

/// Seconds a refused login should wait: a few hashes' time.
const BUSY_RETRY_AFTER_S: &str = "1";
/// Seconds before asking again for an answer worked out in the background.
const PENDING_RETRY_AFTER_S: &str = "5";

impl Error {
    pub fn internal(error: impl std::fmt::Display) -> Error {
        Error::Internal(error.to_string())
    }
}

impl From<crate::store::StoreError> for Error {
    fn from(error: crate::store::StoreError) -> Error {
        use crate::store::StoreError;
        match error {
            StoreError::Conflict(message) | StoreError::Stale(message) => Error::Conflict(message),
            other => Error::internal(other),
        }
    }
}

impl From<crate::ledger::AppendError> for Error {
    fn from(error: crate::ledger::AppendError) -> Error {
        use crate::ledger::AppendError;
        match error {
            AppendError::Conflict(message) | AppendError::Stale(message) => {
                Error::Conflict(message)
            }
            AppendError::BalanceRule(broken) => Error::Unprocessable {
                message: broken.to_string(),
                details: json!({ "account": broken.account, "shortfall_dong": broken.shortfall_dong }),
            },
            AppendError::Entry(e) => Error::BadRequest(e.to_string()),
            AppendError::Store(e) => e.into(),
        }
    }
}

impl From<crate::auth::Forbidden> for Error {
    fn from(error: crate::auth::Forbidden) -> Error {
        Error::Forbidden(error.0)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Error::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Error::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Error::NotFound | Error::Missing(_) => (StatusCode::NOT_FOUND, "not_found"),
            Error::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Error::Unprocessable { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "refused"),
            Error::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Error::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Error::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            Error::Pending(_) => (StatusCode::SERVICE_UNAVAILABLE, "pending"),
            Error::Quota(_) => (StatusCode::TOO_MANY_REQUESTS, "quota"),
            Error::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let retry_after = match self {
            Error::Busy => Some(BUSY_RETRY_AFTER_S),
            Error::Pending(_) => Some(PENDING_RETRY_AFTER_S),
            _ => None,
        };
        let mut body = json!({ "error": code, "message": self.to_string() });
        if let Error::Unprocessable { details, .. } = self {
            body["details"] = details;
        }
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(seconds),
            );
        }
        response
    }
}
