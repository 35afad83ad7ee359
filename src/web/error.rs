//! One error type for the reader site and one for the API. Not-found and bad input say what
//! was wrong (in Bengali on pages, with a stable code in JSON); internal errors are logged
//! once here and never shown.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::storage::StorageError;

use super::AppState;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("template: {0}")]
    Template(#[from] minijinja::Error),
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::Storage(_) | WebError::Template(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// What an error page says; attached to the response by `WebError` and turned into the full
/// Bengali page (with the site's header and footer) by `render_error_pages`.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub title: &'static str,
    pub message: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        let page = match &self {
            WebError::NotFound => ErrorPage {
                title: "পাতাটি খুঁজে পাওয়া যায়নি",
                message: "আপনি যে পাতাটি খুঁজছেন সেটি নেই, সরিয়ে নেওয়া হয়েছে অথবা ঠিকানাটি ভুল।".to_owned(),
            },
            WebError::BadRequest(why) => ErrorPage {
                title: "অনুরোধটি সঠিক নয়",
                message: why.clone(),
            },
            WebError::Forbidden(why) => ErrorPage {
                title: "অনুমতি নেই",
                message: why.clone(),
            },
            WebError::Storage(_) | WebError::Template(_) => {
                tracing::error!(error = %self, "request failed");
                ErrorPage {
                    title: "একটি সমস্যা হয়েছে",
                    message: "সাময়িক একটি ত্রুটির কারণে পাতাটি দেখানো যাচ্ছে না। একটু পরে আবার চেষ্টা করুন।"
                        .to_owned(),
                }
            }
        };
        let mut response = status.into_response();
        response.extensions_mut().insert(page);
        response
    }
}

/// Middleware: replaces the bare body of an error response with the site's error page.
pub async fn render_error_pages(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    let Some(page) = response.extensions().get::<ErrorPage>().cloned() else {
        return response;
    };
    let status = response.status();
    let body = state
        .render_error(status.as_u16(), page.title, &page.message)
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "error page failed to render");
            format!(
                "<!doctype html><html lang=\"bn\"><title>{0}</title><h1>{0}</h1>",
                page.title
            )
        });
    let mut response = (status, Html(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, error_cache_control(status));
    response
}

/// How long an error may be kept. A page that is not there may be kept briefly by a CDN (so a
/// scan of made-up URLs does not reach the server every time) but never by the browser, as
/// the story may be published a moment later; every other error is never stored.
pub fn error_cache_control(status: StatusCode) -> HeaderValue {
    match status {
        StatusCode::NOT_FOUND | StatusCode::GONE => {
            HeaderValue::from_static("public, max-age=0, s-maxage=10")
        }
        _ => HeaderValue::from_static("no-store"),
    }
}

/// An error from the JSON API: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn not_found(what: &str) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: format!("{what} not found"),
        }
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> ApiError {
        tracing::error!(error = %e, "api request failed");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "internal error".into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            [(header::CACHE_CONTROL, error_cache_control(self.status))],
            Json(json!({"error": {"code": self.code, "message": self.message}})),
        )
            .into_response()
    }
}
