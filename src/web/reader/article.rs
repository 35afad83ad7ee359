//! The article page, the 301s that lead to it, and the fallback for every unknown path.

use axum::extract::{OriginalUri, Path, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use crate::domain::geo::COUNTRY;
use crate::domain::{urls, Article, ArticleCard};
use crate::search::RELATED_KEPT;
use crate::storage::now;
use std::sync::Arc;

use crate::web::cache::{Fragment, ViewOf};
use crate::web::http_cache::{CacheTags, EdgeTags};
use crate::web::view::{ArticleView, CardView, CorrectionView, DateView};
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

/// Where the latest list and the related stories go in a cached story page.
const LATEST_SLOT: &str = "<!--khobor:latest-->";
const RELATED_SLOT: &str = "<!--khobor:related-->";
const MOST_READ_SLOT: &str = "<!--khobor:most-read-->";

/// `/{section}/{id}`: the story, or a 301 to its canonical path if the section is not its own.
///
/// The page is put together from three cached fragments: the story's own page (tagged with
/// its id only), the latest list (`latest`) and its related stories (their ids). A publish
/// elsewhere drops the latest list, not the story.
pub async fn article(
    State(state): State<AppState>,
    Path((section, id)): Path<(String, String)>,
    uri: Uri,
) -> Result<Response, WebError> {
    if section == COUNTRY && parse_id(&id).is_err() {
        return super::places::page(&state, &id, &uri).await;
    }
    let id = parse_id(&id)?;
    let cache = state.cache();
    let mut loaded: Option<Loaded> = None;
    let story = cache
        .fragment(&format!("story:{id}"), || {
            story_fragment(&state, id, &mut loaded)
        })
        .await?
        .ok_or(WebError::NotFound)?;
    let canonical = story.canonical.clone().unwrap_or_default();
    if canonical != urls::article(&section, id) {
        return Ok(moved_permanently(&canonical));
    }
    // The boxes beside the story, at once: each not in the cache is a read of its own (on
    // PostgreSQL a round trip).
    let related_key = format!("related:{id}");
    let (latest, related, most_read) = tokio::try_join!(
        latest_fragment(&state, id),
        async {
            Ok::<_, WebError>(
                cache
                    .fragment(&related_key, || related_fragment(&state, id, loaded.take()))
                    .await?
                    .unwrap_or_default(),
            )
        },
        async {
            // The path is the story's canonical one: its section is the one in the path.
            let section_id = cache
                .sections(state.store())
                .await?
                .iter()
                .find(|s| s.slug == section)
                .map(|s| s.id);
            super::most_read::beside(&state, section_id).await
        },
    )?;
    let (html, tags) = story.compose(&[
        (LATEST_SLOT, &latest),
        (RELATED_SLOT, &related),
        (MOST_READ_SLOT, &most_read),
    ]);
    // The CDN keeps the page under the story's and its related stories' keys, not the
    // latest or most-read boxes': a publish must not purge every story page.
    let mut edge: Vec<String> = story.tags.iter().chain(&related.tags).cloned().collect();
    edge.sort();
    edge.dedup();
    let mut response = (CacheTags(tags), EdgeTags(edge), Html(html)).into_response();
    response.extensions_mut().insert(ViewOf(id));
    Ok(response)
}

/// What rendering the story read that its related stories need: the story, and the related
/// stories kept for it (read beside the story, so that a page rendered from scratch waits
/// for one round of reads, not two).
struct Loaded {
    article: Article,
    related: RelatedRead,
}

type RelatedRead = Result<Option<Vec<ArticleCard>>, crate::storage::StorageError>;

/// The story's page with empty slots for the latest list and related stories.
async fn story_fragment(
    state: &AppState,
    id: i64,
    loaded: &mut Option<Loaded>,
) -> Result<Option<Fragment>, WebError> {
    let now = now();
    let store = state.store();
    // Independent reads, at once: on PostgreSQL each is a round trip. The related stories'
    // failure is not the page's (they are left out), so their read's result is kept as is.
    let (article, corrections, live, places, cards, related) = tokio::try_join!(
        async { Ok::<_, WebError>(store.published_article(id).await?) },
        async { Ok::<_, WebError>(store.corrections_of(id).await?) },
        super::live::view(state, id, now),
        async { Ok::<_, WebError>(store.article_places(id).await?) },
        async { Ok::<_, WebError>(store.cards_of(id).await?) },
        async { Ok::<_, WebError>(store.related_cards(id).await) },
    )?;
    let Some(article) = article else {
        return Ok(None);
    };
    let view = ArticleView::new(
        &article,
        state.base_url(),
        state.tz(),
        now,
        state.media_base(),
    );
    let corrections: Vec<CorrectionView> = corrections
        .iter()
        .map(|c| CorrectionView::new(c, state.tz(), now))
        .collect();
    let places: Vec<super::places::PlaceLink> = places
        .iter()
        .map(|(p, parent)| super::places::PlaceLink {
            url: p.url(),
            name: crate::domain::geo::label(p, parent.as_ref()),
        })
        .collect();
    let ld = json_ld(state, &article, &view, &corrections, live.as_ref(), now);
    // The story's cards still current; the newest Open Graph card is the link preview of a
    // story without a photo.
    let cards: Vec<super::cards::CardPageView> = cards
        .iter()
        .filter(|c| c.superseded_by.is_none())
        .map(|c| super::cards::CardPageView::new(state, c, now))
        .collect();
    let og_card = cards.iter().find(|c| c.layout == "og");
    let html = state
        .render(
            "article.html",
            now,
            minijinja::context! {
                article => view, json_ld => ld, cards => cards, og_card => og_card,
                corrections => corrections, live => live, places => places,
                latest_html => LATEST_SLOT, related_html => RELATED_SLOT,
                most_read_html => MOST_READ_SLOT,
            },
        )
        .await?;
    let canonical = Some(urls::article(&article.section.slug, id));
    *loaded = Some(Loaded { article, related });
    Ok(Some(Fragment {
        html,
        tags: vec![format!("article:{id}")],
        canonical,
    }))
}

/// The সর্বশেষ list beside a story: the newest stories, without the story itself. One list is
/// shared by every story not in it; a story that is in it gets its own variant.
async fn latest_fragment(state: &AppState, id: i64) -> Result<Arc<Fragment>, WebError> {
    let cache = state.cache();
    let shared = cache
        .fragment("latest", || latest_list(state, None))
        .await?
        .unwrap_or_default();
    if !shared.tags.contains(&format!("article:{id}")) {
        return Ok(shared);
    }
    Ok(cache
        .fragment(&format!("latest-without:{id}"), || {
            latest_list(state, Some(id))
        })
        .await?
        .unwrap_or_default())
}

async fn latest_list(state: &AppState, except: Option<i64>) -> Result<Option<Fragment>, WebError> {
    let cards = latest_cards(state, LATEST_SIZE, except, now()).await?;
    list_fragment(state, "latest", cards, vec!["latest".to_owned()])
}

/// A list of cards rendered by `fragments/{name}.html` (which sees them as `name`), tagged with
/// `tags` and the id of every story it shows.
fn list_fragment(
    state: &AppState,
    name: &str,
    cards: Vec<CardView>,
    mut tags: Vec<String>,
) -> Result<Option<Fragment>, WebError> {
    tags.extend(cards.iter().map(|c| format!("article:{}", c.id)));
    let html = state.render_part(
        &format!("fragments/{name}.html"),
        minijinja::Value::from_serialize(std::collections::BTreeMap::from([(name, cards)])),
    )?;
    Ok(Some(Fragment {
        html,
        tags,
        canonical: None,
    }))
}

/// Stories like this one, from the search index, tagged with their ids (and this story's, as
/// its text decides them). The page does without them rather than fail if the index is
/// unavailable.
async fn related_fragment(
    state: &AppState,
    id: i64,
    loaded: Option<Loaded>,
) -> Result<Option<Fragment>, WebError> {
    let (article, kept) = match loaded {
        Some(l) => (l.article, Some(l.related)),
        None => match state.store().published_article(id).await? {
            Some(a) => (a, None),
            None => return Ok(None),
        },
    };
    let related = related_cards(state, &article, kept, now()).await;
    list_fragment(state, "related", related, vec![format!("article:{id}")])
}

/// Stories like this one: those the search indexer worked out when it indexed the story, or,
/// for a story it has not reached yet, from the search index now. `kept`: the kept ones if
/// they were read already.
async fn related_cards(
    state: &AppState,
    article: &Article,
    kept: Option<RelatedRead>,
    now: i64,
) -> Vec<CardView> {
    match related_stories(state, article, kept).await {
        Ok(cards) => cards
            .iter()
            .take(RELATED_SIZE)
            .map(|c| CardView::new(c, state.tz(), now, state.media_base()))
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "related stories unavailable");
            Vec::new()
        }
    }
}

/// The published ones among the stories kept as related to `article`, best first.
async fn related_stories(
    state: &AppState,
    article: &Article,
    kept: Option<RelatedRead>,
) -> Result<Vec<ArticleCard>, Box<dyn std::error::Error + Send + Sync>> {
    let kept = match kept {
        Some(read) => read?,
        None => state.store().related_cards(article.id).await?,
    };
    if let Some(cards) = kept {
        return Ok(cards);
    }
    // Searched here rather than on the blocking pool, whose thread hand-offs cost more than
    // the search in all but the largest archives.
    let ids = state.search().related(article, RELATED_KEPT)?;
    Ok(state.store().published_cards(&ids).await?)
}

/// `/{section}/{id}/anything`: old slugged links land on the canonical path.
pub async fn article_with_suffix(
    State(state): State<AppState>,
    Path((section, id, rest)): Path<(String, String, String)>,
    uri: Uri,
) -> Result<Response, WebError> {
    if section == COUNTRY && parse_id(&id).is_err() {
        return super::places::page(&state, &format!("{id}/{rest}"), &uri).await;
    }
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
    if let Some(to) = old_link(&state, path, uri.query()).await? {
        return Ok(moved_permanently(&to));
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

/// Middleware: a page not found under a route (`/<old-slug>` looks like a section,
/// `/category/<parent>/<child>` like a story) is looked up among the old links before the 404
/// (or 400) stands.
pub async fn old_links(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let uri = request.uri().clone();
    let response = next.run(request).await;
    // 400 too: a slug cut inside a letter is not UTF-8, which a route's path parameter refuses.
    if !matches!(
        response.status(),
        StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST
    ) {
        return response;
    }
    match old_link(&state, uri.path(), uri.query()).await {
        Ok(Some(to)) => moved_permanently(&to),
        Ok(None) => response,
        Err(e) => e.into_response(),
    }
}

/// Where an old link recorded by an import (or by hand) leads now: a published story, or a
/// section, tag or author page.
pub async fn old_link(
    state: &AppState,
    path: &str,
    query: Option<&str>,
) -> Result<Option<String>, WebError> {
    if let Some(id) = state.store().redirect_for(path, query).await? {
        if let Some(a) = state.store().published_article(id).await? {
            return Ok(Some(urls::article(&a.section.slug, a.id)));
        }
    }
    Ok(state.store().path_redirect_for(path, query).await?)
}

/// schema.org `NewsArticle`, serialised so that nothing in it can end or confuse its
/// `<script>` element.
fn json_ld(
    state: &AppState,
    a: &Article,
    v: &ArticleView,
    corrections: &[CorrectionView],
    live: Option<&super::live::LiveView>,
    now: i64,
) -> String {
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
    // Corrections and updates, newest first: each a CorrectionComment, and the newest one is
    // when the story was last modified.
    if let Some(newest) = corrections.first() {
        let modified = newest.created_at.max(a.updated_at);
        ld["dateModified"] = json!(DateView::new(modified, state.tz(), now).iso);
        ld["correction"] = corrections
            .iter()
            .map(|c| {
                json!({
                    "@type": "CorrectionComment",
                    "text": format!("{}: {}", c.label, c.note),
                    "datePublished": c.at.iso,
                })
            })
            .collect();
    }
    // A live page is a `LiveBlogPosting` (a kind of NewsArticle) with its newest entries.
    if let Some(live) = live {
        super::live::json_ld(&mut ld, live, &v.canonical);
    }
    crate::web::view::json_in_html(&ld)
}
