//! The public, read-only JSON API under `/api/v1`. Errors are JSON with a stable `code`.

pub mod articles;
pub mod search;

use axum::routing::{any, get};
use axum::Router;

use super::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/articles", get(articles::list))
        .route("/articles/{id}", get(articles::one))
        .route("/sections", get(articles::sections))
        .route("/tags", get(articles::tags))
        .route("/search", get(search::search))
        // The reader's `/{section}/{id}/{*rest}` would otherwise answer unknown API paths with
        // an HTML page; API clients always get JSON.
        .route("/", any(unknown_endpoint))
        .route("/{*rest}", any(unknown_endpoint))
}

async fn unknown_endpoint() -> ApiError {
    ApiError::not_found("endpoint")
}
