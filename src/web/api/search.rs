//! `GET /api/v1/search?q=&section=&from=&to=&page=&limit=`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

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
    let parsed = Params(&params)
        .parse(&state, search::PAGE_SIZE)
        .await
        .map_err(|e| ApiError::invalid("invalid_parameter", e.message))?;
    if parsed.request.q.trim().is_empty() {
        return Err(ApiError::invalid(
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
        return Err(ApiError::invalid("invalid_query", problem));
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
