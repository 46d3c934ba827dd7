//! The OpenAPI document, generated from the handlers' `#[utoipa::path]`
//! attributes and the types they take and answer, as the routes are
//! registered (`utoipa_axum::routes!`): a route and its description are one
//! registration. Served at /api/v1/openapi.json; a page that reads it, with
//! its script beside it (nothing fetched from elsewhere), at /api/docs.
//!
//! The refusals every operation shares are added here, by what the
//! operation takes, rather than repeated on each handler: 401 and (for
//! writes, the CSRF check) 403 where a session is needed, 413/415/422
//! where a body is read, 400 (a malformed path, query or body, or text
//! holding a NUL) and 500 everywhere. Handlers declare the statuses of their own decisions.

use super::AppState;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use std::sync::Arc;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, ToSchema};

/// Every refusal's body: a stable code, a message a user can act on
/// (English and Vietnamese), and for some refusals the structured reason
/// (an import report, a balance rule's account and shortfall).
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// `unauthorized`, `forbidden`, `not_found`, `bad_request`, `refused`,
    /// `conflict`, `rate_limited`, `quota`, `busy`, `too_large`,
    /// `unsupported_media_type`, `method_not_allowed` or `internal`.
    pub error: String,
    pub message: String,
    /// Present on some refusals (`refused`): what was refused and why.
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "ansinh",
        description = "Audited ledger for social-support disbursement. Amounts are whole đồng \
            (integers). Lists take `offset` (from 0) and `limit` (1 to 1000, default 100) and \
            answer `{items, offset, limit, total}`, oldest first; filters are query parameters \
            named as the fields they filter, dates are `YYYY-MM-DD` (inclusive, UTC for upload \
            and audit times)."
    ),
    modifiers(&Security),
    security(("bearer" = []), ("cookie" = [])),
    // Types that only parameters name (the document collects those of bodies itself).
    components(schemas(
        ErrorBody,
        crate::report::export::Format,
        crate::report::GroupBy,
        crate::domain::journal::EntryKind,
        crate::import::parse::RollKind,
        super::imports::CommitStatus
    )),
    tags(
        (name = "system"), (name = "session"), (name = "imports"), (name = "reconciliation"),
        (name = "reports"), (name = "journal"), (name = "programs"), (name = "users"),
        (name = "exports"), (name = "audit")
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::session::COOKIE_NAME,
            ))),
        );
    }
}

fn error_response(description: &str) -> RefOr<Response> {
    let content = utoipa::openapi::ContentBuilder::new()
        .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
        .build();
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content("application/json", content)
            .build(),
    )
}

/// Adds the shared refusals to every operation (see the module's doc).
pub fn finish(mut openapi: OpenApi) -> OpenApi {
    for item in openapi.paths.paths.values_mut() {
        for_each_operation(item, |method, operation| {
            add_shared_refusals(method, operation)
        });
    }
    openapi
}

fn for_each_operation(item: &mut PathItem, mut each: impl FnMut(&str, &mut Operation)) {
    let operations = [
        ("get", &mut item.get),
        ("post", &mut item.post),
        ("put", &mut item.put),
        ("delete", &mut item.delete),
    ];
    for (method, operation) in operations {
        if let Some(operation) = operation {
            each(method, operation);
        }
    }
}

fn add_shared_refusals(method: &str, operation: &mut Operation) {
    let public = operation
        .security
        .as_ref()
        .is_some_and(|security| security.is_empty() || security.iter().all(is_empty_requirement));
    let body_types: Vec<String> = operation
        .request_body
        .as_ref()
        .map(|body| body.content.keys().cloned().collect())
        .unwrap_or_default();
    let responses = &mut operation.responses.responses;
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status.to_string())
            .or_insert_with(|| error_response(description));
    };
    if !public {
        add("401", "no session, or an expired one");
        if method != "get" {
            add(
                "403",
                "a cookie session without its X-CSRF-Token, or a role or district that may not",
            );
        }
    }
    // Any request can carry a malformed path or query, or text with a NUL.
    add(
        "400",
        "a malformed path, query or body, or text holding a NUL",
    );
    if !body_types.is_empty() {
        add("413", "a body larger than the upload limit");
        add("415", "a body of another content type");
    }
    if body_types.iter().any(|t| t == "application/json") {
        add(
            "422",
            "a JSON body without a required field or of the wrong type",
        );
    }
    add("500", "an internal error (logged; no detail shown)");
}

/// The pattern of text the API takes: anything but NUL (see `refuse_nul_characters`).
const TEXT_PATTERN: &str = "^[^\\u0000]*$";

/// Says in the document what the API refuses of every text it takes: a
/// NUL character. Added to each string parameter and each string field of
/// a request body that has no pattern, format or list of values already.
pub fn forbid_nul_in_text(document: &mut serde_json::Value) {
    let mut body_schemas = Vec::new();
    if let Some(paths) = document["paths"].as_object_mut() {
        for item in paths.values_mut().filter_map(|i| i.as_object_mut()) {
            // `get_mut`, not indexing: indexing a missing key would add it.
            for operation in item.values_mut() {
                let parameters = operation
                    .get_mut("parameters")
                    .and_then(|p| p.as_array_mut());
                for parameter in parameters.into_iter().flatten() {
                    if let Some(schema) = parameter.get_mut("schema") {
                        restrict_text(schema);
                    }
                }
                let content = operation
                    .get_mut("requestBody")
                    .and_then(|body| body.get_mut("content"))
                    .and_then(|content| content.as_object_mut());
                for media in content.into_iter().flat_map(|c| c.values_mut()) {
                    let Some(schema) = media.get_mut("schema") else {
                        continue;
                    };
                    match schema.get("$ref").and_then(|r| r.as_str()) {
                        Some(reference) => body_schemas.push(reference.to_string()),
                        None => restrict_text(schema),
                    }
                }
            }
        }
    }
    for reference in body_schemas {
        let name = reference.trim_start_matches("#/components/schemas/");
        let properties = document
            .get_mut("components")
            .and_then(|c| c.get_mut("schemas"))
            .and_then(|s| s.get_mut(name))
            .and_then(|schema| schema.get_mut("properties"))
            .and_then(|p| p.as_object_mut());
        for property in properties.into_iter().flat_map(|p| p.values_mut()) {
            restrict_text(property);
        }
    }
}

fn restrict_text(schema: &mut serde_json::Value) {
    let is_text = match schema.get("type") {
        Some(serde_json::Value::String(t)) => t == "string",
        Some(serde_json::Value::Array(types)) => types.iter().any(|t| t == "string"),
        _ => false,
    };
    let constrained = ["pattern", "format", "enum"]
        .iter()
        .any(|key| schema.get(key).is_some());
    if is_text && !constrained {
        schema["pattern"] = serde_json::Value::from(TEXT_PATTERN);
    }
}

fn is_empty_requirement(requirement: &utoipa::openapi::security::SecurityRequirement) -> bool {
    serde_json::to_value(requirement).is_ok_and(|v| v.as_object().is_some_and(|o| o.is_empty()))
}

/// The document and the page that shows it; `document` is the finished one.
pub fn router(document: Arc<serde_json::Value>) -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let document = document.clone();
                async move { Json(document.as_ref().clone()) }
            }),
        )
        .route("/api/docs", get(|| async { Html(DOCS_HTML) }))
        .route(
            "/api/docs/docs.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    DOCS_JS,
                )
                    .into_response()
            }),
        )
}

const DOCS_HTML: &str = include_str!("docs.html");
const DOCS_JS: &str = include_str!("docs.js");
