//! The HTTP API under /api/v1 (JSON), one `router()` per module.

mod error;
mod exports;
mod imports;
mod journal;
mod limiter;
mod listing;
mod national;
mod openapi;
mod programs;
mod reports;
pub mod session;
mod users;

pub use error::Error;

use crate::store::Store;
use axum::{Json, Router};
use serde::Serialize;
use std::sync::Arc;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Uploads larger than the import limit are refused before they are read whole.
pub const BODY_BYTES_MAX: usize = crate::import::parse::FILE_BYTES_MAX + 64 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub login_limiter: Arc<limiter::LoginLimiter>,
    pub answers: Arc<reports::Memo<(&'static str, axum::body::Bytes)>>,
    /// A ledger's first, whole verification, run in the background.
    pub first_verification: Arc<journal::FirstVerification>,
    /// The database's provincial ledgers, for the national report: on the
    /// ministry's server (the database's own ledger) only.
    pub national: Option<Arc<crate::report::national::NationalLedgers>>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>) -> AppState {
        AppState {
            store,
            login_limiter: Arc::default(),
            answers: Arc::new(reports::Memo::new(reports::CACHED_ANSWERS_MAX)),
            first_verification: Arc::default(),
            national: None,
        }
    }

    /// The state of the server of a database's own ledger (`database_url`,
    /// served without `--ledger`): its national readers read every
    /// provincial ledger of the database.
    pub fn for_database(store: Arc<dyn Store>, database_url: &str) -> AppState {
        let national = store
            .ledger()
            .is_none()
            .then(|| Arc::new(crate::report::national::NationalLedgers::new(database_url)));
        AppState {
            national,
            ..AppState::new(store)
        }
    }
}

/// Every API route with its description: each is registered here once.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health))
        .merge(session::router())
        .merge(journal::router())
        .merge(imports::router())
        .merge(reports::router())
        .merge(programs::router())
        .merge(users::router())
        .merge(exports::router())
        .merge(national::router())
}

/// The OpenAPI document of the API, as served at /api/v1/openapi.json.
pub fn openapi_document() -> serde_json::Value {
    document_json(api().split_for_parts().1)
}

fn document_json(document: utoipa::openapi::OpenApi) -> serde_json::Value {
    let mut document = serde_json::to_value(openapi::finish(document)).unwrap_or_default();
    openapi::forbid_nul_in_text(&mut document);
    document
}

pub fn app(state: AppState) -> Router {
    let (api, document) = api().split_for_parts();
    let document = Arc::new(document_json(document));
    api.merge(openapi::router(document))
        .merge(crate::web::router())
        .layer(axum::extract::DefaultBodyLimit::max(BODY_BYTES_MAX))
        .layer(axum::middleware::from_fn(refuse_nul_characters))
        .layer(axum::middleware::from_fn(json_refusals))
        .layer(axum::middleware::from_fn(security_headers))
        // One log line per answered request: status and latency in its span.
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(
                    tower_http::trace::DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Micros),
                ),
        )
        .with_state(state)
}

#[derive(Serialize, utoipa::ToSchema)]
struct Health {
    /// `ok`.
    status: &'static str,
    /// `sqlite` or `postgres`.
    backend: &'static str,
    /// The journal's last entry (0 when empty).
    head_seq: i64,
    /// That entry's hash: with `head_seq`, the checkpoint a monitor can keep.
    head_hash: Option<String>,
    /// The read replica, when reads go to one (`--read-database-url`).
    #[serde(skip_serializing_if = "Option::is_none")]
    replica: Option<HealthReplica>,
}

/// A read replica as health sees it: how far it has replayed, or why it
/// does not answer. While it lags, reads it cannot serve go to the primary.
#[derive(Serialize, utoipa::ToSchema)]
struct HealthReplica {
    /// The replica's journal head (`head_seq` minus this is its lag in entries).
    head_seq: Option<i64>,
    /// Why it did not answer (reads then go to the primary).
    error: Option<String>,
}

/// Liveness and the journal's head.
#[utoipa::path(get, path = "/api/v1/health", tag = "system", security(()),
    responses((status = 200, body = Health)))]
async fn health(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<Json<Health>, Error> {
    let head = state.store.head().await?;
    let replica = state.store.replica_status().await.map(|r| HealthReplica {
        head_seq: r.head_seq,
        error: r.error,
    });
    Ok(Json(Health {
        status: "ok",
        backend: state.store.backend_name(),
        head_seq: head.as_ref().map_or(0, |h| h.seq),
        head_hash: head.map(|h| h.hash),
        replica,
    }))
}

/// Headers on every answer: no framing, no type sniffing, the page's
/// content policy; and answers of the API, which hold personal data, are
/// never stored by a browser or a proxy.
async fn security_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{header, HeaderValue};
    let is_api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(crate::web::content_security_policy()),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if is_api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Refusals made by axum itself (a malformed body, a bad path or query, a
/// wrong content type, an unknown route) become the same `{error, message}`
/// JSON as the API's own errors.
async fn json_refusals(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_api || !status.is_client_error() || is_json {
        return response;
    }
    const REFUSAL_BYTES_MAX: usize = 4 * 1024;
    let text = axum::body::to_bytes(response.into_body(), REFUSAL_BYTES_MAX)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let code = match status.as_u16() {
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "too_large",
        415 => "unsupported_media_type",
        422 => "refused",
        _ => "bad_request",
    };
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("refused").to_string()
    } else {
        text
    };
    let body = serde_json::json!({ "error": code, "message": message });
    (status, Json(body)).into_response()
}

/// No text the API takes may hold a NUL character: PostgreSQL cannot store
/// one in text, and both backends must answer alike. Refused here, at the
/// boundary, for the path and query (`%00`) and for the strings of a JSON
/// body; a multipart upload's text fields are checked field by field.
async fn refuse_nul_characters(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Result<axum::response::Response, Error> {
    let refusal = || {
        Error::BadRequest(
            "text may not contain NUL characters (%00, \\u0000) / không nhận ký tự NUL".into(),
        )
    };
    let uri = request.uri().to_string();
    if uri.contains("%00") || uri.contains('\0') {
        return Err(refusal());
    }
    let is_json = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return Ok(next.run(request).await);
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_BYTES_MAX).await else {
        use axum::response::IntoResponse;
        let message =
            format!("a JSON body may hold at most {BODY_BYTES_MAX} bytes / dữ liệu quá lớn");
        let body = serde_json::json!({ "error": "too_large", "message": message });
        return Ok((axum::http::StatusCode::PAYLOAD_TOO_LARGE, Json(body)).into_response());
    };
    if serde_json::from_slice::<serde_json::Value>(&bytes).is_ok_and(|v| holds_nul(&v)) {
        return Err(refusal());
    }
    let request = axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes));
    Ok(next.run(request).await)
}

fn holds_nul(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(fields) => fields.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

/// The span of one request: method and path. The path only: a query string
/// may carry what logs must never hold.
fn request_span(request: &axum::extract::Request) -> tracing::Span {
    tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
}

/// Ctrl-C, or SIGTERM (how systemd stops a service): stop accepting
/// connections and let the requests in flight (a commit among them) finish.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: requests in flight finish, new connections are refused");
}

/// Serves on `bind` until Ctrl-C or SIGTERM; prints the address actually
/// bound (port 0 works).
pub async fn serve(state: AppState, bind: &str) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let address = listener.local_addr()?;
    println!("ansinh listening on http://{address}");
    tracing::info!(%address, "listening");
    let app = app(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}
