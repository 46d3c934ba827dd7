//! HTML pages, Vietnamese first. One page that talks to the JSON API; every
//! asset is inside the binary.

use axum::response::Html;
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

const INDEX_HTML: &str = include_str!("index.html");

/// The pages need no state of their own: any application state will do.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/", get(|| async { Html(INDEX_HTML) }))
}

/// The Content-Security-Policy of every answer: nothing from elsewhere, no
/// framing, and of inline code only the page's own script and style, named
/// by their digests (an injected script has another digest and does not run).
/// Style attributes stay allowed: the report's bars are drawn with widths.
pub fn content_security_policy() -> &'static str {
    static POLICY: OnceLock<String> = OnceLock::new();
    POLICY.get_or_init(|| {
        format!(
            "default-src 'self'; script-src {}; style-src {}; style-src-attr 'unsafe-inline'; \
             img-src 'self' data:; \
             connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            inline_digests(INDEX_HTML, "<script>", "</script>"),
            inline_digests(INDEX_HTML, "<style>", "</style>"),
        )
    })
}

/// `'sha256-…'` of each inline block between `open` and `close`.
fn inline_digests(page: &str, open: &str, close: &str) -> String {
    let mut digests = vec!["'self'".to_string()];
    let mut rest = page;
    while let Some(start) = rest.find(open) {
        let body = &rest[start + open.len()..];
        let Some(end) = body.find(close) else {
            break;
        };
        let digest = Sha256::digest(&body.as_bytes()[..end]);
        digests.push(format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest)
        ));
        rest = &body[end + close.len()..];
    }
    digests.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_page_script_and_style_by_digest() {
        let policy = content_security_policy();
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        // One script and one style block: 'self' and one digest each.
        assert_eq!(policy.matches("'sha256-").count(), 2, "{policy}");
        let page = "<script>a</script><p><script>b</script>";
        assert_eq!(
            inline_digests(page, "<script>", "</script>")
                .matches("sha256")
                .count(),
            2
        );
    }
}
