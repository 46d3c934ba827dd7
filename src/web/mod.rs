//! HTML pages, Vietnamese first. One page that talks to the JSON API.

use axum::response::Html;
use axum::routing::get;
use axum::Router;

const INDEX_HTML: &str = include_str!("index.html");

/// The pages need no state of their own: any application state will do.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/", get(|| async { Html(INDEX_HTML) }))
}
