//! The officers' web application, Vietnamese first: one page and a few
//! plain scripts (no framework, no build step) over the JSON API. Every
//! asset is inside the binary, served from its own path so the content
//! policy can allow scripts and styles from this origin only.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

const INDEX_HTML: &str = include_str!("index.html");

/// The application's files by path, with their content type. Scripts run
/// in this order (each `defer`): `core.js` first, it catches errors and
/// holds what the screens share.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("app.css"),
    ),
    ("core.js", JS, include_str!("core.js")),
    ("i18n.js", JS, include_str!("i18n.js")),
    ("widgets.js", JS, include_str!("widgets.js")),
    ("district.js", JS, include_str!("district.js")),
    ("province.js", JS, include_str!("province.js")),
    ("auditor.js", JS, include_str!("auditor.js")),
    ("admin.js", JS, include_str!("admin.js")),
    ("national.js", JS, include_str!("national.js")),
    ("main.js", JS, include_str!("main.js")),
];
const JS: &str = "text/javascript; charset=utf-8";

/// The pages need no state of their own: any application state will do.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(|| async { Html(INDEX_HTML) }))
        .route("/assets/{name}", get(asset))
}

async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(path, _, _)| *path == name) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                // Assets change only with the binary; revalidate each load.
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The Content-Security-Policy of every answer: scripts and styles from
/// this origin only (no inline code at all, so an injected script does not
/// run), nothing from elsewhere, no framing.
pub fn content_security_policy() -> &'static str {
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_no_inline_code_and_the_page_has_none() {
        let policy = content_security_policy();
        assert!(policy.contains("script-src 'self';"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        // Inline code would be refused by the browser: the page holds none.
        assert!(!INDEX_HTML.contains("<script>"), "inline script");
        assert!(!INDEX_HTML.contains("<style"), "inline style");
        assert!(!INDEX_HTML.contains("style="), "style attribute");
        for handler in ["onclick=", "onload=", "onsubmit=", "onerror="] {
            assert!(!INDEX_HTML.contains(handler), "inline {handler}");
        }
    }

    #[test]
    fn every_script_the_page_loads_is_served() {
        for (name, _, body) in ASSETS {
            assert!(!body.is_empty(), "{name}");
            assert!(INDEX_HTML.contains(&format!("/assets/{name}")), "{name}");
        }
    }
}
