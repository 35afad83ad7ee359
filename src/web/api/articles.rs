//! `/api/v1/articles`, `/api/v1/sections`, `/api/v1/tags`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};

use crate::domain::{urls, Article};
use crate::feeds::sitemap::w3c_time;
use crate::storage::articles::Filter;
use crate::web::http_cache::CacheTags;
use crate::web::{absolute, ApiError, AppState};

pub const MAX_LIMIT: i64 = 100;
const DEFAULT_LIMIT: i64 = 20;

#[derive(Serialize)]
struct ArticleJson {
    id: i64,
    external_id: Option<String>,
    url: String,
    headline: String,
    kicker: Option<String>,
    summary: Option<String>,
    body_html: String,
    section: Value,
    tags: Vec<Value>,
    authors: Vec<Value>,
    credit: Option<String>,
    signature: Option<String>,
    dateline: Option<String>,
    source: Option<String>,
    published_at: Option<String>,
    updated_at: String,
}

fn to_json(state: &AppState, a: &Article) -> ArticleJson {
    let tz = state.tz();
    ArticleJson {
        id: a.id,
        external_id: a.external_id.clone(),
        url: absolute(state, &urls::article(&a.section.slug, a.id)),
        headline: a.headline.clone(),
        kicker: a.kicker.clone(),
        summary: a.summary.clone(),
        body_html: a.body_html.clone(),
        section: json!({"id": a.section.id, "slug": a.section.slug, "name": a.section.name,
                         "url": absolute(state, &urls::section(&a.section.slug))}),
        tags: a
            .tags
            .iter()
            .map(|t| json!({"slug": t.slug, "name": t.name, "url": absolute(state, &urls::tag(&t.slug))}))
            .collect(),
        authors: a
            .authors
            .iter()
            .map(|p| json!({"slug": p.slug, "name": p.name, "url": absolute(state, &urls::author(&p.slug))}))
            .collect(),
        credit: a.credit.clone(),
        signature: a.signature.clone(),
        dateline: a.dateline.clone(),
        source: a.source_name.clone(),
        published_at: a.published_at.map(|t| w3c_time(t, tz)),
        updated_at: w3c_time(a.updated_at, tz),
    }
}

fn positive(params: &HashMap<String, String>, name: &str, default: i64) -> Result<i64, ApiError> {
    match params.get(name) {
        None => Ok(default),
        Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            ApiError::invalid(
                "invalid_parameter",
                format!("`{name}` must be a whole number of at least 1, got {v:?}"),
            )
        }),
    }
}

/// `GET /api/v1/articles?page=&limit=&section=&tag=`: newest first.
pub async fn list(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<(CacheTags, Json<Value>), ApiError> {
    for key in params.keys() {
        if !matches!(key.as_str(), "page" | "limit" | "section" | "tag") {
            return Err(ApiError::invalid(
                "unknown_parameter",
                format!("unknown parameter `{key}`; use page, limit, section or tag"),
            ));
        }
    }
    let page = positive(&params, "page", 1)?;
    let limit = positive(&params, "limit", DEFAULT_LIMIT)?;
    if limit > MAX_LIMIT {
        return Err(ApiError::invalid(
            "invalid_parameter",
            format!("`limit` must be at most {MAX_LIMIT}, got {limit}"),
        ));
    }
    // An empty value is no filter (a form may send `section=&tag=`).
    let given = |name: &str| params.get(name).filter(|v| !v.is_empty());
    let filter = match (given("section"), given("tag")) {
        (Some(_), Some(_)) => {
            return Err(super::unprocessable(
                "invalid_parameter",
                "give `section` or `tag`, not both",
            ))
        }
        (Some(slug), None) => {
            let s = state
                .store()
                .section_by_slug(slug)
                .await?
                .ok_or_else(|| ApiError::not_found("section"))?;
            Filter::Section(s.id)
        }
        (None, Some(slug)) => {
            let t = state
                .store()
                .tag_by_slug(slug)
                .await?
                .ok_or_else(|| ApiError::not_found("tag"))?;
            Filter::Tag(t.id)
        }
        (None, None) => Filter::All,
    };
    let offset = (page - 1).saturating_mul(limit);
    let ids = state
        .store()
        .published_ids_page(filter, offset, limit)
        .await?;
    let total = state.cache().count_published(state.store(), filter).await?;
    let articles = state.store().published_articles(&ids).await?;
    let items: Vec<ArticleJson> = articles.iter().map(|a| to_json(&state, a)).collect();
    Ok((
        CacheTags::new(["latest"]),
        Json(json!({
            "articles": items,
            "page": page,
            "limit": limit,
            "total": total,
            "pages": (total + limit - 1) / limit,
        })),
    ))
}

/// `GET /api/v1/articles/{id}`.
pub async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<(CacheTags, Json<Value>), ApiError> {
    let id: i64 = id
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::not_found("article"))?;
    let a = state
        .store()
        .published_article(id)
        .await?
        .ok_or_else(|| ApiError::not_found("article"))?;
    let tags = CacheTags(vec![
        format!("article:{id}"),
        format!("section:{}", a.section.id),
    ]);
    Ok((tags, Json(json!({"article": to_json(&state, &a)}))))
}

pub async fn sections(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let sections = state.store().sections().await?;
    let items: Vec<Value> = sections
        .iter()
        .map(|s| json!({"id": s.id, "slug": s.slug, "name": s.name, "url": absolute(&state, &urls::section(&s.slug))}))
        .collect();
    Ok(Json(json!({"sections": items})))
}

pub async fn tags(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let tags = state.store().tags_with_counts(1000).await?;
    let items: Vec<Value> = tags
        .iter()
        .map(|(t, n)| json!({"id": t.id, "slug": t.slug, "name": t.name, "articles": n, "url": absolute(&state, &urls::tag(&t.slug))}))
        .collect();
    Ok(Json(json!({"tags": items})))
}
