//! `/metrics`: operational numbers for Prometheus, in the OpenMetrics text format written by the
//! `prometheus-client` crate. Requests are counted by the route's template (`/{section}/{id}`),
//! never the raw path, so a crawler walking every story cannot grow the label set without
//! bound. Counters are kept as requests and jobs happen; what the store and the followers know
//! (change-feed lag, pool connections, what the cache holds) is read at scrape time.
//! May import `jobs`, `storage`, `config` and the rest of `web`.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use super::cache::Cache;
use super::AppState;
use crate::jobs::search_snapshot::SnapshotCounters;
use crate::jobs::JobCounters;

/// What the scrape answers with: the format `prometheus-client` writes.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Request durations, seconds: from a cache hit (well under a millisecond) to a cold archive
/// list or an image upload (seconds).
const DURATION_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The label of a request no route matched (the site's 404 fallback).
pub const UNMATCHED: &str = "unmatched";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: &'static str,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FollowerLabels {
    follower: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RestoreLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    cache: &'static str,
}

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

/// The registry and the metrics that are set from outside the registry's own counters.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram, fn() -> Histogram>,
    lag: Family<FollowerLabels, Gauge>,
    pool_connections: Gauge,
    pool_idle: Gauge,
    live_streams: Gauge,
    cache_entries: Family<CacheLabels, Gauge>,
    cache_bytes: Family<CacheLabels, Gauge>,
    search_rebuilds: Gauge,
    search_restore: Family<RestoreLabels, Gauge>,
    views_dropped: Gauge,
}

impl Metrics {
    /// Registers every metric; the cache's and the jobs' counters are registered as clones
    /// of the ones they increment.
    pub fn new(cache: &Cache, jobs: &JobCounters, snapshots: &SnapshotCounters) -> Metrics {
        let mut registry = Registry::with_prefix("khobor");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            requests.clone(),
        );
        let durations: Family<RouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(duration_histogram);
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer a request (until its headers are ready), by route template",
            Unit::Seconds,
            durations.clone(),
        );
        let c = &cache.counters;
        registry.register(
            "page_cache_hits",
            "Requests answered from the page cache",
            c.page_hits.clone(),
        );
        registry.register(
            "page_cache_misses",
            "Cacheable requests the page cache could not answer",
            c.page_misses.clone(),
        );
        registry.register(
            "fragment_cache_hits",
            "Page fragments taken from the cache",
            c.fragment_hits.clone(),
        );
        registry.register(
            "fragment_cache_renders",
            "Page fragments rendered because they were not cached",
            c.fragment_renders.clone(),
        );
        registry.register(
            "cache_invalidated",
            "Cached pages and fragments dropped because of a change",
            c.invalidated.clone(),
        );
        let cache_entries = Family::<CacheLabels, Gauge>::default();
        registry.register(
            "cache_entries",
            "Entries in the page and fragment caches",
            cache_entries.clone(),
        );
        let cache_bytes = Family::<CacheLabels, Gauge>::default();
        registry.register_with_unit(
            "cache_size",
            "Memory the page and fragment caches are charged for",
            Unit::Bytes,
            cache_bytes.clone(),
        );
        let lag = Family::<FollowerLabels, Gauge>::default();
        registry.register(
            "change_feed_lag",
            "Change-feed entries a follower has not applied yet (absent while it has no position)",
            lag.clone(),
        );
        registry.register(
            "jobs",
            "Background work done and failed, by job",
            jobs.family().clone(),
        );
        registry.register(
            "search_snapshots_taken",
            "Search-index snapshots this node uploaded (it held the snapshot lease)",
            snapshots.taken.clone(),
        );
        registry.register(
            "search_snapshots_failed",
            "Search-index snapshots this node started and could not finish",
            snapshots.failed.clone(),
        );
        registry.register(
            "search_snapshot_files_uploaded",
            "Index files uploaded by snapshots (files the store had already are not counted)",
            snapshots.files_uploaded.clone(),
        );
        registry.register_with_unit(
            "search_snapshot_uploaded",
            "Bytes of index files uploaded by snapshots",
            Unit::Bytes,
            snapshots.bytes_uploaded.clone(),
        );
        registry.register(
            "search_snapshot_last_position",
            "Change-feed position of the last snapshot this node took",
            snapshots.last_seq.clone(),
        );
        registry.register_with_unit(
            "search_snapshot_last_time",
            "When this node last took a snapshot (Unix time)",
            Unit::Seconds,
            snapshots.last_time.clone(),
        );
        let search_rebuilds = Gauge::default();
        registry.register(
            "search_rebuilds",
            "Rebuilds of the search index from the store since this process started",
            search_rebuilds.clone(),
        );
        let search_restore = Family::<RestoreLabels, Gauge>::default();
        registry.register(
            "search_start",
            "How the search index started empty: 1 for what happened (restored from a snapshot, no_snapshot, ignored, refused)",
            search_restore.clone(),
        );
        let pool_connections = Gauge::default();
        registry.register(
            "db_pool_connections",
            "Connections open in the database pool",
            pool_connections.clone(),
        );
        let pool_idle = Gauge::default();
        registry.register(
            "db_pool_idle",
            "Idle connections in the database pool",
            pool_idle.clone(),
        );
        let views_dropped = Gauge::default();
        registry.register(
            "views_dropped",
            "Readings of story pages not counted since start because too many waited to be written (the store was slow or unreachable)",
            views_dropped.clone(),
        );
        let live_streams = Gauge::default();
        registry.register(
            "live_streams",
            "Live pages' event streams open on this node",
            live_streams.clone(),
        );
        Metrics {
            registry,
            live_streams,
            requests,
            durations,
            lag,
            pool_connections,
            pool_idle,
            cache_entries,
            cache_bytes,
            search_rebuilds,
            search_restore,
            views_dropped,
        }
    }

    pub(crate) fn observe(&self, route: &str, method: &Method, status: StatusCode, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                method: method_label(method),
                status: status.as_u16(),
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// Sets the gauges read at scrape time from the store, the followers and the cache.
    async fn refresh(&self, state: &AppState) {
        let store = state.store();
        let pool = store.pool();
        self.pool_connections.set(i64::from(pool.size()));
        self.pool_idle.set(pool.num_idle() as i64);
        self.views_dropped
            .set(state.views().dropped().min(i64::MAX as u64) as i64);
        self.live_streams.set(state.live().open_streams() as i64);

        let sizes = state.cache().sizes();
        for (cache, entries, bytes) in [
            ("page", sizes.pages, sizes.page_bytes),
            ("fragment", sizes.fragments, sizes.fragment_bytes),
        ] {
            let labels = CacheLabels { cache };
            self.cache_entries
                .get_or_create(&labels)
                .set(entries as i64);
            self.cache_bytes.get_or_create(&labels).set(bytes as i64);
        }

        self.search_rebuilds
            .set(state.search().rebuilds().min(i64::MAX as u64) as i64);
        if let Some(restore) = state.indexer().restore() {
            if !matches!(restore, crate::jobs::search_snapshot::Restore::NotNeeded) {
                self.search_restore
                    .get_or_create(&RestoreLabels {
                        outcome: restore.as_str(),
                    })
                    .set(1);
            }
        }

        let newest = match store.last_change_seq().await {
            Ok(seq) => Some(seq),
            Err(e) => {
                tracing::warn!(error = %e, "metrics: the change feed could not be read");
                None
            }
        };
        // The CDN purger's position is the lease's, whichever node holds it; absent when
        // no CDN is configured.
        let cdn_position = if state.config().cdn == crate::config::CdnConfig::None {
            None
        } else {
            match store.lease(crate::jobs::cdn_purge::LEASE).await {
                Ok(lease) => lease.and_then(|l| l.position),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics: the CDN purge lease could not be read");
                    None
                }
            }
        };
        // The webhooks follower's position is its lease's, whichever node holds it.
        let webhooks_position = match store.lease(crate::jobs::webhooks::LEASE).await {
            Ok(lease) => lease.and_then(|l| l.position),
            Err(e) => {
                tracing::warn!(error = %e, "metrics: the webhooks lease could not be read");
                None
            }
        };
        let followers = [
            ("cache", state.cache().applied_seq()),
            ("cdn_purge", cdn_position),
            ("webhooks", webhooks_position),
            (
                "search",
                state
                    .search()
                    .recorded()
                    .ok()
                    .as_ref()
                    .and_then(super::health::position_in_feed),
            ),
        ];
        for (follower, applied) in followers {
            let labels = FollowerLabels { follower };
            match (newest, applied) {
                (Some(newest), Some(applied)) => {
                    self.lag
                        .get_or_create(&labels)
                        .set((newest - applied).max(0));
                }
                // No number is better than a made-up one: an alert on the lag then sees the
                // series vanish instead of a reassuring 0.
                _ => {
                    self.lag.remove(&labels);
                }
            }
        }
    }

    /// The whole exposition, `# EOF` included.
    fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::with_capacity(16 * 1024);
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// Methods as labels: the standard ones by name, anything else as `other` (a client may send
/// any token as a method; each would otherwise be a series of its own).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Middleware, outermost: counts and times every request by the route it matched. The
/// router puts `MatchedPath` into the request before the layers wrapped around each route
/// run, so cache hits are counted under their route too.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let method = request.method().clone();
    let response = next.run(request).await;
    state.metrics().observe(
        route.as_deref().unwrap_or(UNMATCHED),
        &method,
        response.status(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`. With `[metrics] token` set, only `Authorization: Bearer <token>` is
/// answered; without it the numbers are public, for deployments that listen on loopback only.
pub async fn serve(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.config().metrics.token {
        if !bearer_matches(&headers, expected) {
            return (
                StatusCode::UNAUTHORIZED,
                [
                    (header::WWW_AUTHENTICATE, "Bearer"),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                "use `Authorization: Bearer <metrics token>`\n",
            )
                .into_response();
        }
    }
    let metrics = state.metrics();
    metrics.refresh(&state).await;
    match metrics.encode() {
        Ok(text) => {
            let mut response = text.into_response();
            let h = response.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "metrics could not be encoded");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CACHE_CONTROL, "no-store")],
            )
                .into_response()
        }
    }
}

/// Compares digests rather than the strings, so the time taken says nothing about how much
/// of a guessed token was right.
fn bearer_matches(headers: &HeaderMap, expected: &str) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    crate::auth::token_hash(given.trim()) == crate::auth::token_hash(expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_passes() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
            h
        };
        let token = "s3cret-metrics-token";
        assert!(bearer_matches(&with("Bearer s3cret-metrics-token"), token));
        assert!(!bearer_matches(&with("Bearer s3cret-metrics-toke"), token));
        assert!(!bearer_matches(&with("Basic s3cret-metrics-token"), token));
        assert!(!bearer_matches(&with("s3cret-metrics-token"), token));
        assert!(!bearer_matches(&HeaderMap::new(), token));
    }

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(
            method_label(&Method::from_bytes(b"PROPFIND").unwrap()),
            "other"
        );
    }
}
