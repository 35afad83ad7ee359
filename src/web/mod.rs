//! HTTP: the reader site, feeds and sitemaps, static assets and the public API. Handlers are
//! split by resource; this file builds the router and the shared state. May import every
//! module except the CLI.

pub mod api;
pub mod assets;
pub mod cache;
pub mod error;
pub mod feeds;
pub mod health;
pub mod http_cache;
pub mod metrics;
pub mod newsroom;
pub mod reader;
pub mod search;
pub mod server;
pub mod view;

use std::sync::Arc;

use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::Router;
use minijinja::Environment;
use serde::Serialize;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::jobs::{search_indexer, JobCounters};
use crate::search::SearchIndex;
use crate::storage::Store;

pub use error::{ApiError, WebError};

/// What every handler shares: the store, the configuration and the compiled templates.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    search: Arc<SearchIndex>,
    /// How the search indexer is doing, for `/readyz`.
    indexer: Arc<search_indexer::Health>,
    config: Config,
    templates: Environment<'static>,
    /// Where uploads' bytes are kept: the data directory's media/ or a bucket.
    media: crate::media_store::MediaStore,
    /// Woken after each upload so the media worker makes its variants.
    media_wake: Arc<tokio::sync::Notify>,
    /// Decoding an upload takes tens of megabytes; at most two are decoded at once.
    image_permits: Arc<tokio::sync::Semaphore>,
    /// Rendered pages and fragments (see [`cache`]).
    cache: cache::Cache,
    /// Sanitising, password hashing and other CPU-heavy work (see [`crate::cpu`]).
    cpu: crate::cpu::CpuPool,
    /// Every story action with its permission checks (see [`crate::stories`]).
    stories: crate::stories::StoryService,
    cards: crate::cards::CardService,
    /// What the background jobs did, counted by the jobs themselves.
    jobs: JobCounters,
    /// Search snapshots taken and uploaded, counted by the snapshot job.
    snapshots: crate::jobs::search_snapshot::SnapshotCounters,
    /// Everything `/metrics` reports (see [`metrics`]).
    metrics: metrics::Metrics,
    /// Readings counted on this node and not yet written (see [`crate::jobs::views`]).
    views: Arc<crate::jobs::views::ViewCounter>,
    /// The most-read lists as last worked out.
    most_read: reader::most_read::MostRead,
    /// Live pages' event streams on this node (see [`reader::live`]).
    live: reader::live::LiveHub,
}

/// Site-wide values every page's chrome needs.
#[derive(Serialize)]
struct Chrome<'a> {
    name: &'a str,
    tagline: &'a str,
    base_url: &'a str,
    sections: Vec<view::SectionView>,
    today: view::DateView,
}

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("macros.html", include_str!("../../templates/macros.html")),
    ("home.html", include_str!("../../templates/home.html")),
    ("article.html", include_str!("../../templates/article.html")),
    ("list.html", include_str!("../../templates/list.html")),
    ("error.html", include_str!("../../templates/error.html")),
    ("search.html", include_str!("../../templates/search.html")),
    ("card.html", include_str!("../../templates/card.html")),
    ("cards.html", include_str!("../../templates/cards.html")),
    (
        "corrections.html",
        include_str!("../../templates/corrections.html"),
    ),
    ("live.html", include_str!("../../templates/live.html")),
    (
        "live_macros.html",
        include_str!("../../templates/live_macros.html"),
    ),
    (
        "newsroom/live.html",
        include_str!("../../templates/newsroom/live.html"),
    ),
    (
        "most_read.html",
        include_str!("../../templates/most_read.html"),
    ),
    (
        "fragments/most_read.html",
        include_str!("../../templates/fragments/most_read.html"),
    ),
    (
        "newsroom/places.html",
        include_str!("../../templates/newsroom/places.html"),
    ),
    (
        "fragments/district.html",
        include_str!("../../templates/fragments/district.html"),
    ),
    (
        "newsroom/breaking.html",
        include_str!("../../templates/newsroom/breaking.html"),
    ),
    (
        "newsroom/redirects.html",
        include_str!("../../templates/newsroom/redirects.html"),
    ),
    (
        "newsroom/wires.html",
        include_str!("../../templates/newsroom/wires.html"),
    ),
    (
        "newsroom/wire_item.html",
        include_str!("../../templates/newsroom/wire_item.html"),
    ),
    (
        "newsroom/wire_sources.html",
        include_str!("../../templates/newsroom/wire_sources.html"),
    ),
    (
        "newsroom/webhooks.html",
        include_str!("../../templates/newsroom/webhooks.html"),
    ),
    (
        "newsroom/webhook_log.html",
        include_str!("../../templates/newsroom/webhook_log.html"),
    ),
    (
        "newsroom/cards.html",
        include_str!("../../templates/newsroom/cards.html"),
    ),
    (
        "fragments/latest.html",
        include_str!("../../templates/fragments/latest.html"),
    ),
    (
        "fragments/related.html",
        include_str!("../../templates/fragments/related.html"),
    ),
    (
        "fragments/section_block.html",
        include_str!("../../templates/fragments/section_block.html"),
    ),
    (
        "newsroom/base.html",
        include_str!("../../templates/newsroom/base.html"),
    ),
    (
        "newsroom/login.html",
        include_str!("../../templates/newsroom/login.html"),
    ),
    (
        "newsroom/login_code.html",
        include_str!("../../templates/newsroom/login_code.html"),
    ),
    (
        "newsroom/dashboard.html",
        include_str!("../../templates/newsroom/dashboard.html"),
    ),
    (
        "newsroom/editor.html",
        include_str!("../../templates/newsroom/editor.html"),
    ),
    (
        "newsroom/revisions.html",
        include_str!("../../templates/newsroom/revisions.html"),
    ),
    (
        "newsroom/media.html",
        include_str!("../../templates/newsroom/media.html"),
    ),
    (
        "newsroom/users.html",
        include_str!("../../templates/newsroom/users.html"),
    ),
    (
        "newsroom/tokens.html",
        include_str!("../../templates/newsroom/tokens.html"),
    ),
    (
        "newsroom/settings.html",
        include_str!("../../templates/newsroom/settings.html"),
    ),
    (
        "newsroom/audit.html",
        include_str!("../../templates/newsroom/audit.html"),
    ),
    (
        "newsroom/account.html",
        include_str!("../../templates/newsroom/account.html"),
    ),
    (
        "newsroom/taxonomy.html",
        include_str!("../../templates/newsroom/taxonomy.html"),
    ),
];

fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("template {name} does not compile: {e}"));
    }
    env.set_formatter(escape_formatter);
    env.add_filter("bn", |v: minijinja::Value| {
        bangla::digits::to_bengali_digits(&v.to_string())
    });
    env
}

/// HTML escaping for template output. minijinja's default also escapes `/`, which turns every
/// URL and desk signature ("টাইমস/এসআই") into `&#x2f;` soup; only `& < > " '` need escaping
/// in text and quoted attributes.
fn escape_formatter(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    if state.auto_escape() == minijinja::AutoEscape::None || value.is_safe() {
        return write!(out, "{value}").map_err(minijinja::Error::from);
    }
    if value.is_none() || value.is_undefined() {
        return Ok(());
    }
    let text = value.to_string();
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    out.write_str(&escaped).map_err(minijinja::Error::from)
}

impl AppState {
    pub fn new(
        store: Store,
        search: Arc<SearchIndex>,
        indexer: Arc<search_indexer::Health>,
        media: crate::media_store::MediaStore,
        config: Config,
    ) -> AppState {
        let cache = cache::Cache::new(&config.cache);
        let jobs = JobCounters::default();
        let snapshots = crate::jobs::search_snapshot::SnapshotCounters::default();
        let metrics = metrics::Metrics::new(&cache, &jobs, &snapshots);
        let cpu = crate::cpu::CpuPool::for_this_machine();
        let stories = crate::stories::StoryService::new(
            store.clone(),
            cpu.clone(),
            config.site.timezone,
            config.site.short_name.clone(),
        );
        let cards = crate::cards::CardService::new(
            store.clone(),
            cpu.clone(),
            crate::cards::SiteFacts {
                name: config.site.name.clone(),
                base_url: config.site.base_url.clone(),
                tz: config.site.timezone,
            },
            config.card_keys(),
            crate::cards::CardImages::new(media.clone()),
        );
        AppState {
            inner: Arc::new(Inner {
                cards,
                store,
                search,
                indexer,
                templates: templates(),
                media,
                media_wake: Arc::new(tokio::sync::Notify::new()),
                image_permits: Arc::new(tokio::sync::Semaphore::new(2)),
                cache,
                cpu,
                stories,
                jobs,
                snapshots,
                metrics,
                views: Arc::new(crate::jobs::views::ViewCounter::new(config.views.enabled)),
                most_read: Default::default(),
                live: reader::live::LiveHub::new(
                    config
                        .server
                        .max_event_streams
                        .min((config.server.max_connections / 2).max(1)),
                ),
                config,
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Photocards: making, signing and finding them.
    pub fn cards(&self) -> &crate::cards::CardService {
        &self.inner.cards
    }

    pub fn stories(&self) -> &crate::stories::StoryService {
        &self.inner.stories
    }

    pub fn search(&self) -> &Arc<SearchIndex> {
        &self.inner.search
    }

    pub fn indexer(&self) -> &Arc<search_indexer::Health> {
        &self.inner.indexer
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn cache(&self) -> &cache::Cache {
        &self.inner.cache
    }

    pub fn jobs(&self) -> &JobCounters {
        &self.inner.jobs
    }

    /// This node's view counter (see [`crate::jobs::views`]).
    pub fn views(&self) -> &Arc<crate::jobs::views::ViewCounter> {
        &self.inner.views
    }

    pub fn most_read(&self) -> &reader::most_read::MostRead {
        &self.inner.most_read
    }

    pub fn snapshots(&self) -> &crate::jobs::search_snapshot::SnapshotCounters {
        &self.inner.snapshots
    }

    pub fn metrics(&self) -> &metrics::Metrics {
        &self.inner.metrics
    }

    /// Live pages' event streams on this node.
    pub fn live(&self) -> &reader::live::LiveHub {
        &self.inner.live
    }

    /// Runs CPU-heavy work off the async workers, a bounded number at a time.
    pub async fn cpu<T, F>(&self, work: F) -> T
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.inner.cpu.run(work).await
    }

    /// Argon2 verification (tens of milliseconds of CPU) on the CPU pool.
    pub async fn verify_password(&self, password: &str, hash: &str) -> bool {
        let (password, hash) = (password.to_owned(), hash.to_owned());
        self.cpu(move || crate::auth::verify_password(&password, &hash))
            .await
    }

    /// A new Argon2id hash, made on the CPU pool.
    pub async fn hash_password(&self, password: &str) -> String {
        let password = password.to_owned();
        self.cpu(move || crate::auth::hash_password(&password))
            .await
    }

    /// Where uploads' originals and variants are written and read.
    pub fn media_store(&self) -> &crate::media_store::MediaStore {
        &self.inner.media
    }

    /// The address readers fetch a media object from: `/media/{name}` on this site, or
    /// under `[media] base_url` when one is set (see [`crate::domain::urls::media_public`]).
    pub fn media_base(&self) -> Option<&str> {
        self.inner.config.media.base_url.as_deref()
    }

    pub fn media_wake(&self) -> &Arc<tokio::sync::Notify> {
        &self.inner.media_wake
    }

    pub fn image_permits(&self) -> &Arc<tokio::sync::Semaphore> {
        &self.inner.image_permits
    }

    pub fn wake_media_worker(&self) {
        self.inner.media_wake.notify_one();
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.inner.config.site.timezone
    }

    pub fn base_url(&self) -> &str {
        &self.inner.config.site.base_url
    }

    async fn chrome(&self, now: i64) -> Result<Chrome<'_>, WebError> {
        let site = &self.inner.config.site;
        let sections = self.cache().sections(self.store()).await?;
        Ok(Chrome {
            name: &site.name,
            tagline: &site.tagline,
            base_url: &site.base_url,
            sections: sections.iter().map(view::SectionView::from).collect(),
            today: view::DateView::new(now, site.timezone, now),
        })
    }

    /// Renders a page template with the site chrome added as `site`.
    pub async fn render(
        &self,
        name: &str,
        now: i64,
        ctx: minijinja::Value,
    ) -> Result<String, WebError> {
        let chrome = self.chrome(now).await?;
        let ctx = minijinja::context! { site => chrome, ..ctx };
        Ok(self.inner.templates.get_template(name)?.render(ctx)?)
    }

    /// Renders a fragment template: a part of a page, without the site chrome.
    pub fn render_part(&self, name: &str, ctx: minijinja::Value) -> Result<String, WebError> {
        Ok(self.inner.templates.get_template(name)?.render(ctx)?)
    }

    fn render_error(
        &self,
        status: u16,
        title: &str,
        message: &str,
    ) -> Result<String, minijinja::Error> {
        let site = &self.inner.config.site;
        let now = crate::storage::now();
        let ctx = minijinja::context! {
            site => minijinja::context! {
                name => site.name, tagline => site.tagline, base_url => site.base_url,
                sections => Vec::<view::SectionView>::new(),
                today => view::DateView::new(now, site.timezone, now),
            },
            status => status, title => title, message => message,
            home => "/", latest => "/latest",
        };
        self.inner.templates.get_template("error.html")?.render(ctx)
    }
}

/// The Content-Security-Policy of every response: only Khobor's own scripts, styles, fonts
/// and images; JSON-LD blocks are data, not script, so they need no exception.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The Content-Security-Policy with the origin of `[media] base_url` (a CDN or a bucket)
/// allowed for images, when one is set.
pub fn csp(media_base: Option<&str>) -> String {
    let origin = media_base
        .and_then(|b| url::Url::parse(b).ok())
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null");
    match origin {
        Some(origin) => CSP.replacen(
            "img-src 'self' data:;",
            &format!("img-src 'self' {origin} data:;"),
            1,
        ),
        None => CSP.to_owned(),
    }
}

/// No page of Khobor's uses the camera, microphone, location, payment or USB, and no
/// embedded page may either.
pub const PERMISSIONS_POLICY: &str =
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()";

/// HSTS for a site served over https: browsers then never try plain http again for a year.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// The whole application's router, as `khobor serve` runs it and tests drive it.
pub fn router(state: AppState) -> Router {
    let hsts = state.base_url().starts_with("https://").then_some(HSTS);
    let csp = HeaderValue::from_str(&csp(state.media_base()))
        .unwrap_or_else(|_| HeaderValue::from_static(CSP));
    let body_timeout =
        std::time::Duration::from_secs(u64::from(state.config().server.body_timeout));
    let reader = Router::new()
        .route("/", get(reader::home::home))
        .route("/latest", get(reader::lists::latest))
        .route("/search", get(reader::search::search_page))
        .route("/tag/{slug}", get(reader::lists::tag))
        .route("/author/{slug}", get(reader::lists::author))
        .route("/archive/{year}/{month}/{day}", get(reader::lists::archive))
        .route("/{section}", get(reader::lists::section))
        .route("/{section}/{id}", get(reader::article::article))
        .route(
            "/{section}/{id}/{*rest}",
            get(reader::article::article_with_suffix),
        )
        .route("/feed.xml", get(feeds::site_rss))
        .route("/atom.xml", get(feeds::site_atom))
        .route("/feed.json", get(feeds::site_json))
        .route("/{section}/feed.xml", get(feeds::section_rss))
        .route("/{section}/atom.xml", get(feeds::section_atom))
        .route("/{section}/feed.json", get(feeds::section_json))
        .route("/sitemap.xml", get(feeds::sitemap_index))
        .route("/sitemaps/{file}", get(feeds::sitemap_file))
        .route("/robots.txt", get(feeds::robots))
        .route("/theme.css", get(assets::theme_css))
        .route("/static/{*path}", get(assets::static_file))
        .route("/favicon.ico", get(assets::favicon))
        .route("/media/{name}", get(newsroom::media::serve_file))
        .route("/c", get(reader::cards::lookup))
        .route("/c/", get(reader::cards::lookup))
        .route("/c/{file}", get(reader::cards::card_file))
        // The QR code carries the card's URL upper-cased (its compact alphanumeric mode).
        .route("/C/{file}", get(reader::cards::card_file))
        .route("/cards", get(reader::cards::recent))
        .route("/corrections", get(reader::corrections::list))
        .route("/most-read", get(reader::most_read::site))
        .route("/most-read/{section}", get(reader::most_read::section))
        .route("/my-district", get(reader::places::pick))
        .route("/breaking.json", get(reader::breaking::json))
        .route("/live/{id}", get(reader::live::older))
        .route(
            "/.well-known/khobor-card-keys.json",
            get(reader::cards::keys),
        )
        .route("/.well-known/trust.txt", get(reader::cards::trust_txt))
        .fallback(reader::article::fallback)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            reader::article::old_links,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::render_error_pages,
        ));
    let newsroom = newsroom::router()
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::render_error_pages,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store, private"),
        ));
    Router::new()
        .merge(newsroom)
        .merge(reader)
        .nest("/api/v1", api::router())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http_cache::conditional,
        ))
        // Responses bound for the cache are stored plain and compressed by it, once.
        .layer(
            CompressionLayer::new().compress_when(DefaultPredicate::new().and(
                |_, _, _: &_, ext: &axum::http::Extensions| ext.get::<cache::Storable>().is_none(),
            )),
        )
        .layer(axum::middleware::from_fn(http_cache::mark_encoding))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            csp,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static(PERMISSIONS_POLICY),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            hsts.map(HeaderValue::from_static),
        ))
        // A body that stops arriving is given up on rather than holding its task.
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            body_timeout,
        ))
        .layer(TraceLayer::new_for_http())
        // Load balancers' polls stay out of the request log: a 503 from /readyz is a report,
        // not a failed request.
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        // Outermost: a cached response is answered before any other layer runs; it was stored
        // with the headers those layers gave it.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cache::serve,
        ))
        // Outside the cache, so readers served from it are counted for the most-read lists.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            reader::most_read::count,
        ))
        // Beside the cache, not inside it: every scrape is answered afresh.
        .route("/metrics", get(metrics::serve))
        // Likewise: an event stream is never stored, compressed or hashed for an ETag.
        .route("/live/{id}/events", get(reader::live::events))
        // Outside everything, so that cache hits are counted and timed like the rest.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .with_state(state)
}

/// Absolute URL for a site path.
pub fn absolute(state: &AppState, path: &str) -> String {
    format!("{}{}", state.base_url(), path)
}

/// Absolute URL of a media object given by its site path (`/media/{name}`): on this site, or
/// under `[media] base_url` when one is set.
pub fn media_url(state: &AppState, path: &str) -> String {
    let public = crate::domain::urls::media_public(state.media_base(), path);
    if public.starts_with('/') {
        absolute(state, &public)
    } else {
        public
    }
}

#[cfg(test)]
mod tests {
    /// Every template file in the repository is compiled into the binary under its path.
    #[test]
    fn every_template_file_is_registered() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut files = Vec::new();
        for dir in [root.clone(), root.join("newsroom"), root.join("fragments")] {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "html") {
                    files.push(
                        path.strip_prefix(&root)
                            .unwrap()
                            .to_string_lossy()
                            .into_owned(),
                    );
                }
            }
        }
        for f in &files {
            assert!(
                super::TEMPLATES.iter().any(|(name, _)| name == f),
                "{f} is not in TEMPLATES"
            );
        }
        assert_eq!(files.len(), super::TEMPLATES.len());
    }
}
