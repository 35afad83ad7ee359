//! `GET /api/v1/search?q=&section=&from=&to=&page=&limit=`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::search::query::MAX_QUERY_CHARS;
use crate::web::search::{self, Params};
use crate::web::{absolute, ApiError, AppState};

pub async fn search(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    for key in params.keys() {
        if !matches!(
            key.as_str(),
            "q" | "section" | "from" | "to" | "page" | "limit"
        ) {
            return Err(ApiError::invalid(
                "unknown_parameter",
                format!("unknown parameter `{key}`; use q, section, from, to, page or limit"),
            ));
        }
    }
    check_form(&params)?;
    // The form is checked above, so what is left is a section that does not exist (404, as
    // for /articles) or `from` after `to`.
    let parsed = Params(&params)
        .parse(&state, search::PAGE_SIZE)
        .await
        .map_err(|e| match e.param {
            "section" => ApiError::not_found("section"),
            _ => super::unprocessable("invalid_parameter", e.message),
        })?;
    if parsed.request.q.trim().is_empty() {
        return Err(super::unprocessable(
            "empty_query",
            "`q` must contain at least one word",
        ));
    }
    let outcome = search::run(&state, parsed.request).await.map_err(|e| {
        tracing::error!(error = %e, "search failed");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "search failed".into(),
        }
    })?;
    if let Some(problem) = outcome.problem {
        return Err(super::unprocessable("invalid_query", problem));
    }
    let hits: Vec<Value> = outcome
        .hits
        .iter()
        .map(|h| {
            json!({
                "id": h.id,
                "external_id": h.external_id,
                "headline": h.headline,
                "url": absolute(&state, &h.url),
                "section": {"name": h.section.name, "url": absolute(&state, &h.section.url)},
                "published_at": h.date.iso,
                "snippet": h.snippet,
            })
        })
        .collect();
    Ok(Json(json!({
        "hits": hits,
        "total": outcome.total,
        "page": parsed.page,
        "limit": parsed.limit,
        "expansions": outcome.expansions,
        "did_you_mean": outcome.did_you_mean,
    })))
}

/// The parameters as the document types them, strictly: the reader's search form is more
/// forgiving (Bengali digits, blank fields), an API client gets a 400 naming the parameter.
fn check_form(params: &HashMap<String, String>) -> Result<(), ApiError> {
    let q = params.get("q").map(String::as_str).unwrap_or("");
    if q.is_empty() {
        return Err(ApiError::invalid(
            "empty_query",
            "`q` is required and must not be empty",
        ));
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::invalid(
            "invalid_query",
            format!("`q` must be at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    for (name, max) in [("page", search::MAX_PAGE), ("limit", search::MAX_LIMIT)] {
        if let Some(v) = params.get(name) {
            let ok = v.bytes().all(|b| b.is_ascii_digit())
                && v.parse::<usize>().is_ok_and(|n| (1..=max).contains(&n));
            if !ok {
                return Err(ApiError::invalid(
                    "invalid_parameter",
                    format!("`{name}` must be a whole number from 1 to {max}, got {v:?}"),
                ));
            }
        }
    }
    for name in ["from", "to"] {
        if let Some(v) = params.get(name) {
            // YYYY-MM-DD, in ASCII or Bengali digits; whether it is a real day is a 422 later.
            let ascii = bangla::digits::to_ascii_digits(v);
            let ok = ascii.len() == 10
                && ascii.bytes().enumerate().all(|(i, b)| {
                    if i == 4 || i == 7 {
                        b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                });
            if !ok {
                return Err(ApiError::invalid(
                    "invalid_parameter",
                    format!("`{name}` must be a date such as 2024-04-14, got {v:?}"),
                ));
            }
        }
    }
    Ok(())
}
