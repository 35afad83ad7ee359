//! The public, read-only JSON API under `/api/v1`. Errors are JSON with a stable `code`.

pub mod admin;
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
        .route("/openapi.json", get(openapi))
        .nest("/admin", admin::router())
        // The reader's `/{section}/{id}/{*rest}` would otherwise answer unknown API paths with
        // an HTML page; API clients always get JSON.
        .route("/", any(unknown_endpoint))
        .route("/{*rest}", any(unknown_endpoint))
}

/// The OpenAPI 3.1 description of the public and admin APIs.
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
}

/// Parameters that each match the document but together break a rule it can only state in
/// words (`section` with `tag`, `from` after `to`, a query without a word): 422, so that a
/// 400 always means the request itself is not what the document describes.
fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError {
        status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        code,
        message: message.into(),
    }
}

async fn unknown_endpoint() -> ApiError {
    ApiError::not_found("endpoint")
}
