//! Feeds, sitemaps and robots.txt over HTTP. The XML and JSON are built by `crate::feeds`;
//! this file fetches the stories and streams the large sitemap files.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::domain::{urls, Section};
use crate::feeds::{self, sitemap, FeedMeta};
use crate::storage::articles::Filter;
use crate::storage::now;

use super::http_cache::CacheTags;
use super::{absolute, AppState, WebError};

/// Stories per feed.
const FEED_SIZE: i64 = 50;
/// Stories fetched per query while streaming a sitemap file.
const SITEMAP_CHUNK: i64 = 2_000;

#[derive(Clone, Copy)]
enum Kind {
    Rss,
    Atom,
    Json,
}

impl Kind {
    fn file(self) -> &'static str {
        match self {
            Kind::Rss => "feed.xml",
            Kind::Atom => "atom.xml",
            Kind::Json => "feed.json",
        }
    }

    fn mime(self) -> &'static str {
        match self {
            Kind::Rss => "application/rss+xml; charset=utf-8",
            Kind::Atom => "application/atom+xml; charset=utf-8",
            Kind::Json => "application/feed+json; charset=utf-8",
        }
    }
}

async fn feed(
    state: &AppState,
    kind: Kind,
    section: Option<Section>,
) -> Result<Response, WebError> {
    let site = &state.config().site;
    let (filter, title, home) = match &section {
        Some(s) => (
            Filter::Section(s.id),
            format!("{} — {}", s.name, site.name),
            urls::section(&s.slug),
        ),
        None => (Filter::All, site.name.clone(), String::new()),
    };
    let ids = state
        .store()
        .published_ids_page(filter, 0, FEED_SIZE)
        .await?;
    let articles = state.store().published_articles(&ids).await?;
    let meta = FeedMeta {
        title,
        description: site.tagline.clone(),
        home_url: absolute(state, if home.is_empty() { "/" } else { &home }),
        feed_url: absolute(state, &format!("{home}/{}", kind.file())),
        base_url: site.base_url.clone(),
        timezone: site.timezone,
    };
    let body = match kind {
        Kind::Rss => feeds::rss(&meta, &articles),
        Kind::Atom => feeds::atom(&meta, &articles),
        Kind::Json => feeds::json_feed(&meta, &articles),
    };
    let mut tags = vec!["feed".to_owned(), "latest".to_owned()];
    tags.extend(section.map(|s| format!("section:{}", s.id)));
    Ok((CacheTags(tags), [(header::CONTENT_TYPE, kind.mime())], body).into_response())
}

async fn section_named(state: &AppState, slug: &str) -> Result<Section, WebError> {
    state
        .store()
        .section_by_slug(slug)
        .await?
        .ok_or(WebError::NotFound)
}

pub async fn site_rss(State(s): State<AppState>) -> Result<Response, WebError> {
    feed(&s, Kind::Rss, None).await
}

pub async fn site_atom(State(s): State<AppState>) -> Result<Response, WebError> {
    feed(&s, Kind::Atom, None).await
}

pub async fn site_json(State(s): State<AppState>) -> Result<Response, WebError> {
    feed(&s, Kind::Json, None).await
}

pub async fn section_rss(
    State(s): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let section = section_named(&s, &slug).await?;
    feed(&s, Kind::Rss, Some(section)).await
}

pub async fn section_atom(
    State(s): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let section = section_named(&s, &slug).await?;
    feed(&s, Kind::Atom, Some(section)).await
}

pub async fn section_json(
    State(s): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let section = section_named(&s, &slug).await?;
    feed(&s, Kind::Json, Some(section)).await
}

fn xml(body: impl Into<Body>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        body.into(),
    )
        .into_response()
}

/// `/sitemap.xml`: an index over the site's pages, the news sitemap and one file per 50,000
/// article ids.
pub async fn sitemap_index(State(state): State<AppState>) -> Result<Response, WebError> {
    let max_id = state.store().max_article_id().await?;
    let files = (max_id + sitemap::MAX_URLS - 1) / sitemap::MAX_URLS;
    let mut locs = vec![
        absolute(&state, "/sitemaps/pages.xml"),
        absolute(&state, "/sitemaps/news.xml"),
    ];
    locs.extend((1..=files).map(|n| absolute(&state, &format!("/sitemaps/articles-{n}.xml"))));
    Ok(xml(sitemap::index(&locs)))
}

/// `/sitemaps/{file}`: `pages.xml`, `news.xml` or `articles-N.xml`.
pub async fn sitemap_file(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, WebError> {
    match file.as_str() {
        "pages.xml" => pages_sitemap(&state).await,
        "news.xml" => news_sitemap(&state).await,
        _ => {
            // One spelling per file: no leading zeros (`articles-01.xml` would repeat
            // `articles-1.xml`), and a number whose range can't hold an article is not found
            // rather than overflowing.
            let n: i64 = file
                .strip_prefix("articles-")
                .and_then(|f| f.strip_suffix(".xml"))
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0'))
                .and_then(|n| n.parse().ok())
                .filter(|n| *n >= 1)
                .ok_or(WebError::NotFound)?;
            let max_id = state.store().max_article_id().await?;
            let first = (n - 1).checked_mul(sitemap::MAX_URLS);
            if first.is_none_or(|first| first >= max_id) {
                return Err(WebError::NotFound);
            }
            Ok(articles_sitemap(state, n))
        }
    }
}

async fn pages_sitemap(state: &AppState) -> Result<Response, WebError> {
    let mut out = String::from(sitemap::URLSET_OPEN);
    out.push_str(&sitemap::url_entry(&absolute(state, "/"), None));
    out.push_str(&sitemap::url_entry(&absolute(state, "/latest"), None));
    for s in state.store().sections().await? {
        out.push_str(&sitemap::url_entry(
            &absolute(state, &urls::section(&s.slug)),
            None,
        ));
    }
    out.push_str(sitemap::URLSET_CLOSE);
    Ok(xml(out))
}

/// Articles with ids in `((n-1)·50000, n·50000]`, streamed a chunk at a time so that the
/// response never holds the whole file.
fn articles_sitemap(state: AppState, n: i64) -> Response {
    let first = (n - 1) * sitemap::MAX_URLS;
    let last = n * sitemap::MAX_URLS;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(4);
    tokio::spawn(async move {
        if tx.send(Ok(sitemap::URLSET_OPEN.to_owned())).await.is_err() {
            return;
        }
        let mut after = first;
        loop {
            let rows = match state
                .store()
                .sitemap_chunk(after, last, SITEMAP_CHUNK)
                .await
            {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::error!(error = %e, "sitemap stream failed");
                    let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                    return;
                }
            };
            let Some(&(last_id, _, _)) = rows.last() else {
                break;
            };
            let mut chunk = String::with_capacity(rows.len() * 120);
            for (id, section, updated) in &rows {
                let loc = absolute(&state, &urls::article(section, *id));
                let lastmod = sitemap::w3c_time(*updated, state.tz());
                chunk.push_str(&sitemap::url_entry(&loc, Some(&lastmod)));
            }
            if tx.send(Ok(chunk)).await.is_err() {
                return;
            }
            after = last_id;
        }
        let _ = tx.send(Ok(sitemap::URLSET_CLOSE.to_owned())).await;
    });
    let stream = tokio_stream_from(rx);
    xml(Body::from_stream(stream))
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<String, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<String, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// Stories of the last 48 hours, as Google News wants them.
async fn news_sitemap(state: &AppState) -> Result<Response, WebError> {
    let now = now();
    // Google News reads at most 1,000 stories from one news sitemap.
    let cards = state
        .store()
        .list_published(Filter::Between(now - 48 * 3600, now + 1), None, 1000)
        .await?;
    let items: Vec<sitemap::NewsItem> = cards
        .iter()
        .map(|a| sitemap::NewsItem {
            loc: absolute(state, &urls::article(&a.section.slug, a.id)),
            title: a.headline.clone(),
            published: sitemap::w3c_time(a.published_at, state.tz()),
        })
        .collect();
    Ok(xml(sitemap::news(&state.config().site.name, &items)))
}

pub async fn robots(State(state): State<AppState>) -> Response {
    let body = format!(
        "User-agent: *\nAllow: /\nDisallow: /newsroom/\nDisallow: /api/v1/admin/\n\nSitemap: {}\nSitemap: {}\n",
        absolute(&state, "/sitemap.xml"),
        absolute(&state, "/sitemaps/news.xml"),
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}
