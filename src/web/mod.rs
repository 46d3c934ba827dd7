//! HTML pages, Vietnamese first. One page that talks to the JSON API.

use crate::http::AppState;
use axum::response::Html;
use axum::routing::get;
use axum::Router;

const INDEX_HTML: &str = include_str!("index.html");

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(|| async { Html(INDEX_HTML) }))
}
