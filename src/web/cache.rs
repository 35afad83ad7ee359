//! The server's own cache, for a breaking-news spike: whole public responses, stored once and
//! served as brotli, gzip or plain bytes as each reader asks, and the fragments pages are
//! composed of (a story's page around its body, the latest list, related stories, a section's
//! block on the home page).
//!
//! Every entry carries purge tags (`article:42`, `section:3`, `tag:7`, `author:5`, `latest`,
//! `home`, `feed`). The cache follows the change feed and drops exactly the entries whose tags
//! a change names: a publish drops the latest list and the pages showing it, which are then
//! put together again from the story fragments still cached, so no story is rendered again
//! because another one was published. A request that started rendering before a change is not
//! stored after it (the generation check), and this process's own writes are applied before
//! the next request is answered; other processes' writes are found by following the feed (woken by
//! `Store::change_signal`, polled as a safety net).
//!
//! Memory is bounded: the least recently used entries go first once the configured size is
//! reached. Entries also expire after the configured TTL, since lists say "৫ মিনিট আগে".

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::io::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use http_body_util::BodyExt;
use lru::LruCache;
use prometheus_client::metrics::counter::Counter;

use super::http_cache::{self, CacheTags};
use super::AppState;
use crate::config::CacheConfig;
use crate::domain::Section;
use crate::storage::articles::Filter;
use crate::storage::changes::Stale;
use crate::storage::{StorageError, Store};

/// How often the change feed is polled for other processes' writes: well inside the second
/// in which a publish must be visible everywhere.
pub const POLL: Duration = Duration::from_millis(100);

/// Share of the memory budget kept for fragments; the rest holds whole responses.
const FRAGMENT_SHARE: usize = 4;

/// Paths that are never cached here: the newsroom, the admin API, and files that are already
/// content-addressed or static.
const PRIVATE_PREFIXES: &[&str] = &["/newsroom", "/api/v1/admin", "/static/", "/media/"];

/// Query parameters that only trackers add (a story shared on Facebook arrives with a new
/// `fbclid` per reader); they are left out of the cache key so the shared page stays one entry.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid", "gclid", "dclid", "msclkid", "igshid", "mibextid", "yclid", "_ga", "ref_src",
];

/// Marks a response the inner layers produced as fit to store: public, complete, 200, tagged.
#[derive(Debug, Clone, Copy)]
pub struct Storable;

/// Marks a response as a reading of story ID, for the most-read lists; kept with a stored
/// page, so a reader served from the cache is counted too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewOf(pub i64);

/// A rendered part of a page, with what it shows as purge tags.
#[derive(Debug, Clone, Default)]
pub struct Fragment {
    pub html: String,
    pub tags: Vec<String>,
    /// The canonical path of the page the fragment belongs to, where that matters (a story
    /// asked for under another section's path is redirected without loading it).
    pub canonical: Option<String>,
}

impl Fragment {
    /// Puts `parts` into the placeholders of this fragment's HTML and joins all the tags.
    pub fn compose(&self, parts: &[(&str, &Fragment)]) -> (String, Vec<String>) {
        let mut html = self.html.clone();
        let mut tags: BTreeSet<&str> = self.tags.iter().map(String::as_str).collect();
        for (slot, part) in parts {
            html = html.replacen(slot, &part.html, 1);
            tags.extend(part.tags.iter().map(String::as_str));
        }
        (html, tags.into_iter().map(str::to_owned).collect())
    }
}

/// A stored response. Compressed forms are made the first time a reader asks for them; each
/// form keeps its headers ready, so a hit only copies them.
pub struct Page {
    html: bool,
    /// The story the page is a reading of (see [`ViewOf`]).
    view_of: Option<ViewOf>,
    /// The route that answered it, which requests served from the cache are counted under.
    route: Option<MatchedPath>,
    etag: String,
    base: HeaderMap,
    identity: Representation,
    gzip: OnceLock<Representation>,
    br: OnceLock<Representation>,
}

struct Representation {
    body: Bytes,
    etag: String,
    headers: HeaderMap,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

/// What the client accepts, best first: brotli, then gzip, else the plain bytes.
fn choose_encoding(headers: &HeaderMap) -> Encoding {
    let Some(value) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return Encoding::Identity;
    };
    let (mut br, mut gzip) = (false, false);
    for item in value.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        if refused {
            continue;
        }
        match name.as_str() {
            "br" => br = true,
            "gzip" | "x-gzip" | "*" => gzip = true,
            _ => {}
        }
    }
    if br {
        Encoding::Brotli
    } else if gzip {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

fn gzip(bytes: &[u8]) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    Bytes::from(encoder.finish().unwrap_or_default())
}

fn brotli_compress(bytes: &[u8]) -> Bytes {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 6,
        lgwin: 22,
        ..Default::default()
    };
    let mut out = Vec::with_capacity(bytes.len() / 4);
    let _ = brotli::BrotliCompress(&mut &bytes[..], &mut out, &params);
    Bytes::from(out)
}

impl Page {
    fn new(
        mut headers: HeaderMap,
        identity: Bytes,
        view_of: Option<ViewOf>,
        route: Option<MatchedPath>,
    ) -> Page {
        let etag = headers
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("\"\"")
            .trim_matches('"')
            .to_owned();
        for h in [
            header::ETAG,
            header::LAST_MODIFIED,
            header::CONTENT_LENGTH,
            header::CONTENT_ENCODING,
            header::VARY,
        ] {
            headers.remove(h);
        }
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        let html = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        let identity = Page::representation(&headers, &etag, identity, None);
        Page {
            html,
            view_of,
            route,
            etag,
            base: headers,
            identity,
            gzip: OnceLock::new(),
            br: OnceLock::new(),
        }
    }

    fn representation(
        base: &HeaderMap,
        etag: &str,
        body: Bytes,
        encoding: Option<&'static str>,
    ) -> Representation {
        let etag = match encoding {
            Some(e) => format!("\"{etag}-{e}\""),
            None => format!("\"{etag}\""),
        };
        let mut headers = base.clone();
        if let Ok(v) = HeaderValue::from_str(&etag) {
            headers.insert(header::ETAG, v);
        }
        if let Some(e) = encoding {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
        }
        Representation {
            body,
            etag,
            headers,
        }
    }

    /// Bytes this entry is charged for: the body and room for its compressed forms.
    fn size(&self) -> usize {
        self.identity.body.len() + self.identity.body.len() / 2 + 1024
    }

    fn form(&self, encoding: Encoding) -> &Representation {
        match encoding {
            Encoding::Identity => &self.identity,
            Encoding::Gzip => self.gzip.get_or_init(|| {
                let body = gzip(&self.identity.body);
                Page::representation(&self.base, &self.etag, body, Some("gzip"))
            }),
            Encoding::Brotli => self.br.get_or_init(|| {
                let body = brotli_compress(&self.identity.body);
                Page::representation(&self.base, &self.etag, body, Some("br"))
            }),
        }
    }

    fn respond(&self, request: &HeaderMap, cache: &Cache, state: &'static str) -> Response {
        let form = self.form(choose_encoding(request));
        let mut headers = form.headers.clone();
        let last_change = cache.last_change();
        if let Some(v) = cache.last_modified() {
            headers.insert(header::LAST_MODIFIED, v);
        }
        headers.insert("x-cache", HeaderValue::from_static(state));
        let mut response = if http_cache::not_modified(request, &form.etag, self.html, last_change)
        {
            headers.remove(header::CONTENT_TYPE);
            headers.remove(header::CONTENT_ENCODING);
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            r
        } else {
            Response::new(Body::from(form.body.clone()))
        };
        *response.headers_mut() = headers;
        if let Some(v) = self.view_of {
            response.extensions_mut().insert(v);
        }
        response
    }
}

struct Entry<T> {
    value: T,
    tags: Box<[String]>,
    size: usize,
    expires: Instant,
}

/// An LRU map bounded by the bytes its entries are charged for.
struct Lru<T> {
    map: LruCache<String, Entry<T>>,
    bytes: usize,
    budget: usize,
}

impl<T: Clone> Lru<T> {
    fn new(budget: usize) -> Lru<T> {
        Lru {
            map: LruCache::unbounded(),
            bytes: 0,
            budget,
        }
    }

    fn get(&mut self, key: &str, now: Instant) -> Option<T> {
        let fresh = self.map.get(key).map(|e| e.expires > now)?;
        if !fresh {
            self.remove(key);
            return None;
        }
        self.map.get(key).map(|e| e.value.clone())
    }

    fn remove(&mut self, key: &str) {
        if let Some(e) = self.map.pop(key) {
            self.bytes -= e.size;
        }
    }

    fn insert(&mut self, key: String, entry: Entry<T>) {
        if entry.size > self.budget {
            return;
        }
        self.remove(&key);
        self.bytes += entry.size;
        self.map.put(key, entry);
        while self.bytes > self.budget {
            match self.map.pop_lru() {
                Some((_, e)) => self.bytes -= e.size,
                None => break,
            }
        }
    }

    /// Drops every entry carrying one of `tags`; returns how many.
    fn invalidate(&mut self, tags: &HashSet<String>) -> usize {
        let doomed: Vec<String> = self
            .map
            .iter()
            .filter(|(_, e)| e.tags.iter().any(|t| tags.contains(t)))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &doomed {
            self.remove(k);
        }
        doomed.len()
    }

    fn clear(&mut self) {
        self.map.clear();
        self.bytes = 0;
    }

    fn contains(&self, key: &str) -> bool {
        self.map.contains(key)
    }
}

/// Counters, for tests and the benchmark report.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    pub page_hits: u64,
    pub page_misses: u64,
    pub fragment_hits: u64,
    pub fragment_renders: u64,
    pub invalidated: u64,
}

/// The same counters as [`CacheStats`], kept as Prometheus counters so that `/metrics`
/// registers clones of them (a clone shares the value) instead of copying numbers over.
#[derive(Default)]
pub(super) struct Counters {
    pub(super) page_hits: Counter,
    pub(super) page_misses: Counter,
    pub(super) fragment_hits: Counter,
    pub(super) fragment_renders: Counter,
    pub(super) invalidated: Counter,
}

/// What the cache holds now: entries and the bytes they are charged for.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CacheSizes {
    pub pages: usize,
    pub page_bytes: usize,
    pub fragments: usize,
    pub fragment_bytes: usize,
}

pub struct Cache {
    enabled: bool,
    ttl: Duration,
    pages: Mutex<Lru<Arc<Page>>>,
    fragments: Mutex<Lru<Arc<Fragment>>>,
    /// Bumped by every change applied: an entry rendered before a bump is not stored.
    generation: AtomicU64,
    /// The last change-feed sequence applied; -1 before the first look (the cache is empty
    /// then, so it starts at the end of the feed).
    applied_seq: AtomicI64,
    /// `Store::writes` when the cache last caught up.
    seen_writes: AtomicU64,
    /// Time of the newest change (0: none yet): every public page's `Last-Modified`.
    last_change: AtomicI64,
    /// The sections, as every page's menu shows them; emptied with everything else.
    sections: Mutex<Option<Arc<Vec<Section>>>>,
    /// How many stories each list holds, for the API's `total` (a `COUNT(*)` per request cost
    /// up to half a second at 300,000 stories); valid for one generation.
    counts: Mutex<(u64, HashMap<Filter, i64>)>,
    /// `last_change` as an HTTP date, made once per change rather than once per response.
    last_modified: Mutex<(i64, Option<HeaderValue>)>,
    catching_up: tokio::sync::Mutex<()>,
    /// Pages being rendered: later requests for the same page wait for the first one.
    in_flight: Mutex<HashMap<String, tokio::sync::watch::Receiver<()>>>,
    pub(super) counters: Counters,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Removes a page from the in-flight map when its render ends, however it ends.
struct FlightGuard<'a> {
    cache: &'a Cache,
    key: String,
    _done: tokio::sync::watch::Sender<()>,
}

impl Drop for FlightGuard<'_> {
    fn drop(&mut self) {
        lock(&self.cache.in_flight).remove(&self.key);
    }
}

impl Cache {
    pub fn new(config: &CacheConfig) -> Cache {
        let budget = config.memory_mb as usize * 1024 * 1024;
        Cache {
            enabled: budget > 0,
            ttl: Duration::from_secs(u64::from(config.ttl)),
            pages: Mutex::new(Lru::new(budget - budget / FRAGMENT_SHARE)),
            fragments: Mutex::new(Lru::new(budget / FRAGMENT_SHARE)),
            generation: AtomicU64::new(0),
            applied_seq: AtomicI64::new(-1),
            seen_writes: AtomicU64::new(0),
            last_change: AtomicI64::new(0),
            last_modified: Mutex::new((0, None)),
            sections: Mutex::new(None),
            counts: Mutex::new((0, HashMap::new())),
            catching_up: tokio::sync::Mutex::new(()),
            in_flight: Mutex::new(HashMap::new()),
            counters: Counters::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn stats(&self) -> CacheStats {
        let c = &self.counters;
        CacheStats {
            page_hits: c.page_hits.get(),
            page_misses: c.page_misses.get(),
            fragment_hits: c.fragment_hits.get(),
            fragment_renders: c.fragment_renders.get(),
            invalidated: c.invalidated.get(),
        }
    }

    /// Entries and bytes held now (one lock each, briefly: a scrape, not a request, asks).
    pub fn sizes(&self) -> CacheSizes {
        let (pages, page_bytes) = {
            let pages = lock(&self.pages);
            (pages.map.len(), pages.bytes)
        };
        let fragments = lock(&self.fragments);
        CacheSizes {
            pages,
            page_bytes,
            fragments: fragments.map.len(),
            fragment_bytes: fragments.bytes,
        }
    }

    /// The last change-feed sequence this cache has applied; `None` before its first look at
    /// the feed (it is empty then, and starts at the feed's end).
    pub fn applied_seq(&self) -> Option<i64> {
        Some(self.applied_seq.load(Ordering::Acquire)).filter(|seq| *seq >= 0)
    }

    /// Whether a fragment is cached now (for tests that check what a change dropped).
    pub fn has_fragment(&self, key: &str) -> bool {
        lock(&self.fragments).contains(key)
    }

    /// Whether a response is cached now under this path and query.
    pub fn has_page(&self, path_and_query: &str) -> bool {
        match path_and_query.parse::<Uri>() {
            Ok(uri) => lock(&self.pages).contains(&key_for(&uri)),
            Err(_) => false,
        }
    }

    /// Time of the newest change this cache has applied, when it is following the feed.
    pub fn last_change(&self) -> Option<i64> {
        if !self.enabled || self.applied_seq.load(Ordering::Acquire) < 0 {
            return None;
        }
        Some(self.last_change.load(Ordering::Acquire)).filter(|t| *t > 0)
    }

    fn last_modified(&self) -> Option<HeaderValue> {
        let t = self.last_change()?;
        let mut memo = lock(&self.last_modified);
        if memo.0 != t {
            *memo = (t, http_cache::http_date(t));
        }
        memo.1.clone()
    }

    /// The cached fragment under `key`, or the one `render` makes (stored unless a change came
    /// in while it was being made). `render` returning `None` (nothing to show) is not cached.
    pub async fn fragment<E, Fut>(
        &self,
        key: &str,
        render: impl FnOnce() -> Fut,
    ) -> Result<Option<Arc<Fragment>>, E>
    where
        Fut: Future<Output = Result<Option<Fragment>, E>>,
    {
        if self.enabled {
            if let Some(f) = lock(&self.fragments).get(key, Instant::now()) {
                self.counters.fragment_hits.inc();
                return Ok(Some(f));
            }
        }
        let generation = self.generation.load(Ordering::Acquire);
        let Some(fragment) = render().await? else {
            return Ok(None);
        };
        self.counters.fragment_renders.inc();
        let fragment = Arc::new(fragment);
        if self.enabled {
            let entry = Entry {
                size: fragment.html.len() + 256,
                tags: fragment.tags.clone().into_boxed_slice(),
                value: Arc::clone(&fragment),
                expires: Instant::now() + self.ttl,
            };
            let mut fragments = lock(&self.fragments);
            if self.generation.load(Ordering::Acquire) == generation {
                fragments.insert(key.to_owned(), entry);
            }
        }
        Ok(Some(fragment))
    }

    /// The page stored under `key`, counted as a hit when there is one.
    fn page(&self, key: &str) -> Option<Arc<Page>> {
        let page = lock(&self.pages).get(key, Instant::now());
        if page.is_some() {
            self.counters.page_hits.inc();
        }
        page
    }

    fn store_page(&self, key: String, page: Arc<Page>, tags: &[String], generation: u64) {
        let entry = Entry {
            size: page.size() + key.len(),
            tags: tags.to_vec().into_boxed_slice(),
            value: page,
            expires: Instant::now() + self.ttl,
        };
        let mut pages = lock(&self.pages);
        if self.generation.load(Ordering::Acquire) == generation {
            pages.insert(key, entry);
        }
    }

    /// Drops every page and fragment carrying one of `tags`.
    pub fn invalidate(&self, tags: &HashSet<String>) {
        // Bumped first, under the locks, so a render that read the old data cannot store it.
        let mut pages = lock(&self.pages);
        let mut fragments = lock(&self.fragments);
        self.generation.fetch_add(1, Ordering::AcqRel);
        let n = pages.invalidate(tags) + fragments.invalidate(tags);
        self.counters.invalidated.inc_by(n as u64);
    }

    /// Drops everything (a section renamed shows on every page).
    pub fn clear(&self) {
        let mut pages = lock(&self.pages);
        let mut fragments = lock(&self.fragments);
        self.generation.fetch_add(1, Ordering::AcqRel);
        let n = pages.map.len() + fragments.map.len();
        pages.clear();
        fragments.clear();
        *lock(&self.sections) = None;
        self.counters.invalidated.inc_by(n as u64);
    }

    /// The sections in menu order, read from the store once until a taxonomy change.
    pub async fn sections(&self, store: &Store) -> Result<Arc<Vec<Section>>, StorageError> {
        if self.enabled {
            if let Some(s) = lock(&self.sections).as_ref() {
                return Ok(Arc::clone(s));
            }
        }
        let generation = self.generation.load(Ordering::Acquire);
        let sections = Arc::new(store.sections().await?);
        if self.enabled && self.generation.load(Ordering::Acquire) == generation {
            *lock(&self.sections) = Some(Arc::clone(&sections));
        }
        Ok(sections)
    }

    /// The number of published stories `filter` selects, counted once per generation.
    pub async fn count_published(
        &self,
        store: &Store,
        filter: Filter,
    ) -> Result<i64, StorageError> {
        let generation = self.generation.load(Ordering::Acquire);
        if self.enabled {
            let counts = lock(&self.counts);
            if counts.0 == generation {
                if let Some(n) = counts.1.get(&filter) {
                    return Ok(*n);
                }
            }
        }
        let n = store.count_published(filter).await?;
        if self.enabled && self.generation.load(Ordering::Acquire) == generation {
            let mut counts = lock(&self.counts);
            if counts.0 != generation {
                counts.1.clear();
                counts.0 = generation;
            }
            // Bounded: one entry per section, tag or author asked about.
            if counts.1.len() < 10_000 {
                counts.1.insert(filter, n);
            }
        }
        Ok(n)
    }

    /// Whether this process wrote something the cache has not applied yet.
    fn behind(&self, store: &Store) -> bool {
        self.applied_seq.load(Ordering::Acquire) < 0
            || store.writes() != self.seen_writes.load(Ordering::Acquire)
    }

    /// Applies every change-feed entry not applied yet.
    pub async fn catch_up(&self, store: &Store) -> Result<(), StorageError> {
        let _one_at_a_time = self.catching_up.lock().await;
        let writes = store.writes();
        if self.applied_seq.load(Ordering::Acquire) < 0 {
            let seq = store.last_change_seq().await?;
            let time = store.last_change_time().await?.unwrap_or(0);
            self.last_change.store(time, Ordering::Release);
            self.applied_seq.store(seq, Ordering::Release);
            self.seen_writes.store(writes, Ordering::Release);
            return Ok(());
        }
        loop {
            let from = self.applied_seq.load(Ordering::Acquire);
            let changes = store.changes_since(from, 500).await?;
            let Some(last) = changes.last() else {
                break;
            };
            match store.stale_keys(&changes).await? {
                Stale::Everything => self.clear(),
                Stale::Keys(keys) => self.invalidate(&keys.into_iter().collect()),
            }
            let newest = changes.iter().map(|c| c.created_at).max().unwrap_or(0);
            self.last_change.fetch_max(newest, Ordering::AcqRel);
            self.applied_seq.store(last.seq, Ordering::Release);
        }
        self.seen_writes.store(writes, Ordering::Release);
        Ok(())
    }

    fn join_flight(&self, key: &str) -> Result<FlightGuard<'_>, tokio::sync::watch::Receiver<()>> {
        let mut in_flight = lock(&self.in_flight);
        if let Some(rx) = in_flight.get(key) {
            return Err(rx.clone());
        }
        let (tx, rx) = tokio::sync::watch::channel(());
        in_flight.insert(key.to_owned(), rx);
        Ok(FlightGuard {
            cache: self,
            key: key.to_owned(),
            _done: tx,
        })
    }
}

/// Follows the change feed for writes made by other processes until `stop` fires.
pub async fn follow(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut changed = state.store().change_signal();
    loop {
        if let Err(e) = state.cache().catch_up(state.store()).await {
            tracing::warn!(error = %e, "cache could not read the change feed");
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = changed.changed() => {}
            _ = stop.changed() => return,
        }
    }
}

/// The cache key of a request: its path and query, without trackers' parameters.
fn key_for(uri: &Uri) -> String {
    let path = uri.path();
    let Some(query) = uri.query().filter(|q| !q.is_empty()) else {
        return path.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            !(name.is_empty() || name.starts_with("utm_") || TRACKING_PARAMS.contains(&name))
        })
        .collect();
    if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

fn cacheable<B>(request: &axum::http::Request<B>) -> bool {
    matches!(*request.method(), Method::GET | Method::HEAD)
        && !PRIVATE_PREFIXES
            .iter()
            .any(|p| request.uri().path().starts_with(p))
        && !request.headers().contains_key(header::AUTHORIZATION)
}

/// A GET answered from memory, before the router and its layers are entered (`web::server`
/// asks this first): the stored page as [`serve`] would answer it on a hit, with the route it
/// was stored from. `None` whenever [`serve`] would do anything more than answer a hit: the
/// cache off or behind the change feed, a request it does not cache, a page not stored.
pub fn hit<B>(
    state: &AppState,
    request: &axum::http::Request<B>,
) -> Option<(Response, Option<MatchedPath>)> {
    let cache = state.cache();
    if request.method() != Method::GET
        || !cache.enabled()
        || !cacheable(request)
        || cache.behind(state.store())
    {
        return None;
    }
    let page = cache.page(&key_for(request.uri()))?;
    Some((
        page.respond(request.headers(), cache, "hit"),
        page.route.clone(),
    ))
}

/// Middleware, outermost of the response-shaping layers: answers from the cache when it can,
/// and otherwise lets the request through and stores what comes back if it is storable.
pub async fn serve(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let cache = state.cache();
    if !cache.enabled() || !cacheable(&request) {
        return next.run(request).await;
    }
    if cache.behind(state.store()) {
        if let Err(e) = cache.catch_up(state.store()).await {
            tracing::warn!(error = %e, "cache could not read the change feed");
            return next.run(request).await;
        }
    }
    let key = key_for(request.uri());
    if let Some(page) = cache.page(&key) {
        return page.respond(request.headers(), cache, "hit");
    }
    let _flight = match cache.join_flight(&key) {
        Ok(guard) => Some(guard),
        Err(mut rx) => {
            // Returns when the first request's render ends (its sender is dropped).
            let _ = rx.changed().await;
            if let Some(page) = cache.page(&key) {
                return page.respond(request.headers(), cache, "hit");
            }
            None
        }
    };
    cache.counters.page_misses.inc();
    let generation = cache.generation.load(Ordering::Acquire);
    let conditions = request.headers().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    if response.extensions().get::<Storable>().is_none() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            tracing::warn!(error = %e, "response body failed");
            return Response::from_parts(parts, Body::empty());
        }
    };
    let tags = parts
        .extensions
        .get::<CacheTags>()
        .map(|t| t.0.clone())
        .unwrap_or_default();
    let view_of = parts.extensions.get::<ViewOf>().copied();
    let page = Arc::new(Page::new(parts.headers, bytes, view_of, route));
    cache.store_page(key, Arc::clone(&page), &tags, generation);
    page.respond(&conditions, cache, "miss")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trackers_do_not_split_the_cache() {
        let key = |s: &str| key_for(&s.parse::<Uri>().unwrap());
        assert_eq!(key("/bangladesh/42?fbclid=IwAR0abc"), "/bangladesh/42");
        assert_eq!(
            key("/bangladesh/42?utm_source=fb&utm_medium=social"),
            "/bangladesh/42"
        );
        assert_eq!(key("/latest?before=abc&fbclid=x"), "/latest?before=abc");
        assert_eq!(key("/search?q=padma"), "/search?q=padma");
        assert_eq!(key("/"), "/");
    }

    #[test]
    fn the_best_accepted_encoding_is_chosen() {
        let enc = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            choose_encoding(&h)
        };
        assert_eq!(choose_encoding(&HeaderMap::new()), Encoding::Identity);
        assert_eq!(enc("gzip, deflate, br, zstd"), Encoding::Brotli);
        assert_eq!(enc("gzip"), Encoding::Gzip);
        assert_eq!(enc("br;q=0, gzip;q=0.5"), Encoding::Gzip);
        assert_eq!(enc("identity"), Encoding::Identity);
        assert_eq!(enc("*"), Encoding::Gzip);
    }

    #[test]
    fn the_lru_stays_within_its_budget_and_drops_by_tag() {
        let mut lru: Lru<u32> = Lru::new(1000);
        let later = Instant::now() + Duration::from_secs(60);
        let entry = |v: u32, tags: &[&str]| Entry {
            value: v,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            size: 400,
            expires: later,
        };
        lru.insert("a".into(), entry(1, &["article:1", "latest"]));
        lru.insert("b".into(), entry(2, &["article:2"]));
        assert_eq!(lru.get("a", Instant::now()), Some(1));
        lru.insert("c".into(), entry(3, &["section:3"]));
        // "b" was the least recently used.
        assert!(!lru.contains("b") && lru.contains("a") && lru.contains("c"));
        assert_eq!(lru.bytes, 800);
        let tags: HashSet<String> = ["latest".to_owned()].into();
        assert_eq!(lru.invalidate(&tags), 1);
        assert!(!lru.contains("a") && lru.contains("c"));
        assert_eq!(lru.bytes, 400);
        // Expired entries are not served.
        assert_eq!(lru.get("c", later + Duration::from_secs(1)), None);
        assert_eq!(lru.bytes, 0);
    }

    fn cache() -> Cache {
        Cache::new(&CacheConfig::default())
    }

    fn fragment(html: &str, tags: &[&str]) -> Fragment {
        Fragment {
            html: html.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            canonical: None,
        }
    }

    #[tokio::test]
    async fn a_fragment_rendered_across_a_change_is_not_kept() {
        let cache = cache();
        let got: Result<_, ()> = cache
            .fragment("latest", || async {
                // A publish lands while the old list is being rendered.
                cache.invalidate(&["latest".to_owned()].into());
                Ok(Some(fragment("<ol>old</ol>", &["latest"])))
            })
            .await;
        assert_eq!(got.unwrap().unwrap().html, "<ol>old</ol>");
        assert!(!cache.has_fragment("latest"), "stale render stored");
        let got: Result<_, ()> = cache
            .fragment("latest", || async {
                Ok(Some(fragment("<ol>new</ol>", &["latest"])))
            })
            .await;
        assert_eq!(got.unwrap().unwrap().html, "<ol>new</ol>");
        assert!(cache.has_fragment("latest"));
        let got: Result<_, ()> = cache
            .fragment("latest", || async {
                panic!("a cached fragment is rendered again")
            })
            .await;
        assert_eq!(got.unwrap().unwrap().html, "<ol>new</ol>");
        assert_eq!(cache.stats().fragment_hits, 1);
    }

    #[tokio::test]
    async fn nothing_is_kept_when_the_cache_is_off() {
        let cache = Cache::new(&CacheConfig {
            memory_mb: 0,
            ..CacheConfig::default()
        });
        for _ in 0..2 {
            let got: Result<_, ()> = cache
                .fragment("latest", || async { Ok(Some(fragment("x", &["latest"]))) })
                .await;
            assert!(got.unwrap().is_some());
        }
        assert_eq!(cache.stats().fragment_renders, 2);
        assert!(!cache.has_fragment("latest"));
    }

    #[test]
    fn fragments_compose_into_their_slots() {
        let page = Fragment {
            html: "<main>A<!--x-->B<!--y--></main>".into(),
            tags: vec!["article:1".into()],
            canonical: None,
        };
        let x = Fragment {
            html: "<ol>latest</ol>".into(),
            tags: vec!["latest".into()],
            canonical: None,
        };
        let y = Fragment {
            html: "<p>r</p>".into(),
            tags: vec!["article:2".into()],
            canonical: None,
        };
        let (html, tags) = page.compose(&[("<!--x-->", &x), ("<!--y-->", &y)]);
        assert_eq!(html, "<main>A<ol>latest</ol>B<p>r</p></main>");
        assert_eq!(tags, vec!["article:1", "article:2", "latest"]);
    }
}
