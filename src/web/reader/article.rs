//! The article page, the 301s that lead to it, and the fallback for every unknown path.

use axum::extract::{OriginalUri, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use crate::domain::{urls, Article};
use crate::storage::now;
use crate::web::http_cache::CacheTags;
use crate::web::view::{ArticleView, CardView};
use crate::web::{AppState, WebError};

use super::{latest_cards, LATEST_SIZE};

/// Related stories under an article.
const RELATED_SIZE: usize = 4;

pub fn moved_permanently(to: &str) -> Response {
    (
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, to.to_owned())],
    )
        .into_response()
}

/// Only a positive decimal number is an article id; anything else is simply not a page.
fn parse_id(s: &str) -> Result<i64, WebError> {
    match s.parse::<i64>() {
        Ok(id) if id > 0 && s.bytes().all(|b| b.is_ascii_digit()) => Ok(id),
        _ => Err(WebError::NotFound),
    }
}

/// `/{section}/{id}`: the story, or a 301 to its canonical path if the section is not its own.
pub async fn article(
    State(state): State<AppState>,
    Path((section, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let article = state
        .store()
        .published_article(id)
        .await?
        .ok_or(WebError::NotFound)?;
    if article.section.slug != section {
        return Ok(moved_permanently(&urls::article(&article.section.slug, id)));
    }
    let now = now();
    let view = ArticleView::new(&article, state.base_url(), state.tz(), now);
    let latest = latest_cards(&state, LATEST_SIZE, Some(id), now).await?;
    let related = related_cards(&state, &article, now).await;
    let ld = json_ld(&state, &article, &view);
    let html = state
        .render(
            "article.html",
            now,
            minijinja::context! {
                article => view, latest => latest, related => related, json_ld => ld,
            },
        )
        .await?;
    let mut tags = vec![
        format!("article:{id}"),
        format!("section:{}", article.section.id),
        "latest".to_owned(),
    ];
    tags.extend(article.tags.iter().map(|t| format!("tag:{}", t.id)));
    tags.extend(article.authors.iter().map(|a| format!("author:{}", a.id)));
    Ok((CacheTags(tags), Html(html)).into_response())
}

/// Stories like this one, from the search index. The page does without them rather than fail
/// if the index is unavailable.
async fn related_cards(state: &AppState, article: &Article, now: i64) -> Vec<CardView> {
    let index = std::sync::Arc::clone(state.search());
    let a = article.clone();
    let ids = match tokio::task::spawn_blocking(move || index.related(&a, RELATED_SIZE)).await {
        Ok(Ok(ids)) => ids,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "related stories unavailable");
            return Vec::new();
        }
        Err(e) => {
            tracing::warn!(error = %e, "related stories task failed");
            return Vec::new();
        }
    };
    match state.store().published_articles(&ids).await {
        Ok(list) => list
            .iter()
            .map(|a| CardView::new(&a.card(), state.tz(), now))
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "related stories unavailable");
            Vec::new()
        }
    }
}

/// `/{section}/{id}/anything`: old slugged links land on the canonical path.
pub async fn article_with_suffix(
    State(state): State<AppState>,
    Path((_section, id, _rest)): Path<(String, String, String)>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let article = state
        .store()
        .published_article(id)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(moved_permanently(&urls::article(&article.section.slug, id)))
}

/// Any other path: a recorded redirect, a trailing slash to drop, or the 404 page.
pub async fn fallback(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, WebError> {
    let path = uri.path();
    if let Some(id) = state.store().redirect_for(path).await? {
        if let Some(a) = state.store().published_article(id).await? {
            return Ok(moved_permanently(&urls::article(&a.section.slug, a.id)));
        }
    }
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let to = match uri.query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_owned(),
        };
        return Ok(moved_permanently(if to.is_empty() { "/" } else { &to }));
    }
    Err(WebError::NotFound)
}

/// schema.org `NewsArticle`, serialised so it can't close its `<script>` element early.
fn json_ld(state: &AppState, a: &Article, v: &ArticleView) -> String {
    let site = &state.config().site;
    let authors: Vec<_> = if a.authors.is_empty() {
        vec![json!({"@type": "Organization", "name": site.name, "url": site.base_url})]
    } else {
        v.authors
            .iter()
            .map(|p| json!({"@type": "Person", "name": p.name, "url": format!("{}{}", site.base_url, p.url)}))
            .collect()
    };
    let mut ld = json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": a.headline,
        "description": v.description,
        "inLanguage": "bn",
        "url": v.canonical,
        "mainEntityOfPage": {"@type": "WebPage", "@id": v.canonical},
        "datePublished": v.published.iso,
        "dateModified": v.updated.as_ref().unwrap_or(&v.published).iso,
        "articleSection": a.section.name,
        "keywords": a.tags.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
        "author": authors,
        "publisher": {"@type": "NewsMediaOrganization", "name": site.name, "url": site.base_url},
    });
    if let Some(img) = &v.image {
        ld["image"] = json!([format!("{}{}", site.base_url, img)]);
    }
    ld.to_string().replace("</", "<\\/")
}
