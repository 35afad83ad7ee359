//! The public, read-only JSON API under `/api/v1`. Errors are JSON with a stable `code`.

pub mod articles;

use axum::routing::get;
use axum::Router;

use super::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/articles", get(articles::list))
        .route("/articles/{id}", get(articles::one))
        .route("/sections", get(articles::sections))
        .route("/tags", get(articles::tags))
        .fallback(|| async { ApiError::not_found("endpoint") })
}
