//! HTTP caching for what readers and machines fetch: a strong `ETag` (a hash of the body) and
//! `Last-Modified` (the time of the newest change to the site's content) on pages, feeds,
//! sitemaps and the public API; `304 Not Modified` when the client already has the bytes;
//! `Cache-Control` with `s-maxage` and `stale-while-revalidate` for a CDN in front; and a
//! `Surrogate-Key` header naming what the response shows (`article:42 section:3 latest`), so
//! that a CDN can purge by the same tags the change feed announces.
//!
//! Private responses (newsroom pages, the admin API, anything `no-store` or setting a cookie)
//! and streamed bodies (large sitemaps) pass through untouched.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponseParts, Response, ResponseParts};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};

use super::cache::Storable;
use super::AppState;
use crate::config::CdnConfig;

/// The CDN lifetime of public responses without purge keys, in seconds at most.
pub const UNKEYED_S_MAXAGE: u32 = 60;

/// Largest body that is hashed for an ETag; anything bigger is streamed as it is.
const MAX_HASHED_BODY: u64 = 8 * 1024 * 1024;

/// What a response shows, as purge tags: `article:42`, `section:3`, `tag:7`, `author:5`,
/// `latest` (every list of newest stories), `home`, `feed`. Handlers add it to their response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheTags(pub Vec<String>);

impl CacheTags {
    pub fn new<I, S>(tags: I) -> CacheTags
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        CacheTags(tags.into_iter().map(Into::into).collect())
    }
}

impl IntoResponseParts for CacheTags {
    type Error = std::convert::Infallible;
    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        res.extensions_mut().insert(self);
        Ok(res)
    }
}

/// The keys a CDN keeps a response under when they differ from its [`CacheTags`]: a story
/// page leaves out its "latest stories" box, so that a publish does not purge every story
/// page from the CDN (the box there may lag by `s_maxage`; the server's own cache, which
/// keeps the box as a fragment of its own, still renews it at once).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EdgeTags(pub Vec<String>);

impl IntoResponseParts for EdgeTags {
    type Error = std::convert::Infallible;
    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        res.extensions_mut().insert(self);
        Ok(res)
    }
}

/// Names the keys in `Surrogate-Key` (space-separated: Varnish's xkey via the VCL, Fastly),
/// plus the site-wide key every cacheable response carries, and for Cloudflare also in
/// `Cache-Tag` (comma-separated).
fn insert_surrogate_keys(headers: &mut HeaderMap, tags: &[String], cdn: &CdnConfig) {
    let mut keys: Vec<&str> = tags.iter().map(String::as_str).collect();
    keys.push(crate::cdn::SITE_KEY);
    if let Ok(v) = HeaderValue::from_str(&keys.join(" ")) {
        headers.insert("surrogate-key", v);
    }
    if matches!(cdn, CdnConfig::Cloudflare { .. }) {
        if let Ok(v) = HeaderValue::from_str(&keys.join(",")) {
            headers.insert("cache-tag", v);
        }
    }
}

/// The part of a strong ETag that names the representation, without the `-br`/`-gzip` that
/// [`mark_encoding`] adds for a compressed body.
fn etag_core(tag: &str) -> &str {
    let tag = tag.trim().trim_start_matches("W/").trim_matches('"');
    for suffix in ["-br", "-gzip", "-zstd", "-deflate"] {
        if let Some(core) = tag.strip_suffix(suffix) {
            return core;
        }
    }
    tag
}

/// Whether an `If-None-Match` header lists this ETag (weak comparison, as RFC 9110 asks for
/// `If-None-Match`), or is `*`.
fn none_match(headers: &HeaderMap, etag: &str) -> Option<bool> {
    let value = headers.get(header::IF_NONE_MATCH)?.to_str().ok()?;
    let ours = etag_core(etag);
    Some(
        value.trim() == "*"
            || value
                .split(',')
                .any(|candidate| etag_core(candidate) == ours),
    )
}

pub(crate) fn http_date(t: i64) -> Option<HeaderValue> {
    let d = chrono::DateTime::from_timestamp(t, 0)?;
    HeaderValue::from_str(&d.format("%a, %d %b %Y %H:%M:%S GMT").to_string()).ok()
}

fn parse_http_date(v: &HeaderValue) -> Option<i64> {
    chrono::DateTime::parse_from_rfc2822(v.to_str().ok()?)
        .ok()
        .map(|d| d.timestamp())
}

fn is_private(headers: &HeaderMap) -> bool {
    headers.contains_key(header::SET_COOKIE)
        || headers
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("no-store") || v.contains("private"))
}

/// Whether the client's copy is current: its `If-None-Match` lists `etag`, or, when it sent
/// no ETag, its `If-Modified-Since` is not older than the last change. Dates are trusted only
/// for bodies without relative times ("৩ ঘণ্টা আগে" on HTML pages changes with the clock, not
/// with the content).
pub(crate) fn not_modified(
    conditions: &HeaderMap,
    etag: &str,
    html: bool,
    last_change: Option<i64>,
) -> bool {
    match none_match(conditions, etag) {
        Some(matched) => matched,
        None => {
            let since = conditions
                .get(header::IF_MODIFIED_SINCE)
                .and_then(parse_http_date);
            !html && matches!((since, last_change), (Some(s), Some(l)) if l <= s)
        }
    }
}

/// Middleware: validators, conditional requests and cache headers for public responses.
pub async fn conditional(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let method = request.method().clone();
    let conditions = request.headers().clone();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || is_private(response.headers()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let small = axum::body::HttpBody::size_hint(&body)
        .exact()
        .is_some_and(|n| n <= MAX_HASHED_BODY);
    if !small {
        return Response::from_parts(parts, body);
    }
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            tracing::warn!(error = %e, "response body failed");
            return Response::from_parts(parts, Body::empty());
        }
    };
    let etag = match parts
        .headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
    {
        Some(existing) => existing.to_owned(),
        None => format!("\"{}\"", &hex::encode(Sha256::digest(&bytes))[..24]),
    };
    if let Ok(v) = HeaderValue::from_str(&etag) {
        parts.headers.insert(header::ETAG, v);
    }
    let last_change = match state.cache().last_change() {
        Some(t) => Some(t),
        None => match state.store().last_change_time().await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, "last change time unavailable");
                None
            }
        },
    };
    if let Some(v) = last_change.and_then(http_date) {
        parts.headers.insert(header::LAST_MODIFIED, v);
    }
    let tags = parts.extensions.get::<CacheTags>().map(|CacheTags(tags)| {
        parts
            .extensions
            .get::<EdgeTags>()
            .map_or(tags, |e| &e.0)
            .clone()
    });
    let tagged = tags.is_some();
    // Every response carries the site-wide key, so purging it reaches them all.
    insert_surrogate_keys(
        &mut parts.headers,
        tags.as_deref().unwrap_or_default(),
        &state.config().cdn,
    );
    if !parts.headers.contains_key(header::CACHE_CONTROL) {
        let c = &state.config().cache;
        // What has no keys (search results, sitemaps) is not purged when a story changes,
        // so a CDN keeps it no longer than the default minute however long it keeps pages.
        let s_maxage = if tagged {
            c.s_maxage
        } else {
            c.s_maxage.min(UNKEYED_S_MAXAGE)
        };
        let value = format!(
            "public, max-age={}, s-maxage={s_maxage}, stale-while-revalidate={}",
            c.max_age, c.stale_while_revalidate
        );
        if let Ok(v) = HeaderValue::from_str(&value) {
            parts.headers.insert(header::CACHE_CONTROL, v);
        }
    }
    if tagged && method == Method::GET && state.cache().enabled() {
        // The cache layer outside stores it and answers conditional requests itself.
        parts.extensions.insert(Storable);
        return Response::from_parts(parts, Body::from(bytes));
    }
    let html = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if not_modified(&conditions, &etag, html, last_change) {
        parts.status = StatusCode::NOT_MODIFIED;
        for h in [header::CONTENT_LENGTH, header::CONTENT_TYPE] {
            parts.headers.remove(h);
        }
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Middleware outside the compression layer: a compressed body is a different representation,
/// so its strong ETag gets the encoding appended (`"abc-br"`), as RFC 9110 requires.
pub async fn mark_encoding(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let encoding = response
        .headers()
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(encoding) = encoding {
        let tagged = response
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .filter(|t| t.starts_with('"'))
            .map(|t| format!("\"{}-{encoding}\"", t.trim_matches('"')));
        if let Some(v) = tagged.and_then(|t| HeaderValue::from_str(&t).ok()) {
            response.headers_mut().insert(header::ETAG, v);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_match_across_encodings_and_lists() {
        let mut h = HeaderMap::new();
        assert_eq!(none_match(&h, "\"abc\""), None);
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", \"abc-br\""),
        );
        assert_eq!(none_match(&h, "\"abc\""), Some(true));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("W/\"abc-gzip\""),
        );
        assert_eq!(none_match(&h, "\"abc\""), Some(true));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"abd\""));
        assert_eq!(none_match(&h, "\"abc\""), Some(false));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert_eq!(none_match(&h, "\"abc\""), Some(true));
    }

    #[test]
    fn http_dates_round_trip() {
        let v = http_date(1_764_300_000).unwrap();
        assert_eq!(v, "Fri, 28 Nov 2025 03:20:00 GMT");
        assert_eq!(parse_http_date(&v), Some(1_764_300_000));
    }
}
