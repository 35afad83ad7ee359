//! Live pages (লাইভ) on the reader site: the entries on the story page (newest first, the
//! latest [`PAGE_ENTRIES`], older ones at `/live/{id}?before=ENTRY`), the `LiveBlogPosting`
//! JSON-LD, and `/live/{id}/events`, the server-sent events that tell an open page that
//! entries changed.
//!
//! One follower per node ([`follow`], started by `App::serve`) reads the change feed — woken
//! by `Store::change_signal`, which PostgreSQL's NOTIFY drives on every node — and broadcasts
//! each live story's new revision to that node's streams; a stream never queries the store
//! after it has started. An entry added on node A therefore reaches readers connected to node
//! B. The event id is the page's revision, so a reconnect (`Last-Event-ID`) or a page loaded
//! from any cache (`?since=`, the revision it was drawn at) misses nothing. Streams are capped
//! per node (`[server] max_event_streams`, then 503 with `Retry-After`), send a comment well
//! inside the connection idle timeout, and end when the page ends or the server stops.

use std::collections::{BTreeSet, HashMap};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::{broadcast, watch, OwnedSemaphorePermit, Semaphore};

use crate::domain::live::{self, PAGE_ENTRIES};
use crate::domain::{text, urls};
use crate::storage::live::{LiveEntry, LivePage};
use crate::storage::{now, Store};
use crate::web::http_cache::CacheTags;
use crate::web::view::DateView;
use crate::web::{AppState, WebError};

/// How often the follower reads the change feed when nothing woke it: a safety net, since
/// every commit (this process's, or on PostgreSQL any node's) wakes it at once.
const POLL: Duration = Duration::from_secs(1);
/// Changes read from the feed at a time.
const BATCH: i64 = 500;
/// The longest wait between two keep-alive comments (shorter when the idle timeout is).
const KEEP_ALIVE_MAX: u64 = 15;
/// What a reader over the stream cap is told to wait, in seconds.
const RETRY_AFTER: &str = "30";
/// `liveBlogUpdate` carries the newest entries only.
const JSON_LD_UPDATES: usize = 10;

/// A live story's state after a change, as every stream of the node hears it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveEvent {
    pub article_id: i64,
    pub revision: i64,
    pub added: i64,
    pub ended: bool,
}

impl From<&LivePage> for LiveEvent {
    fn from(p: &LivePage) -> LiveEvent {
        LiveEvent {
            article_id: p.article_id,
            revision: p.revision,
            added: p.added,
            ended: p.ended_at.is_some(),
        }
    }
}

/// The node's live streams: the broadcast the follower feeds, the cap, and the signal that
/// the server is stopping (open streams must end for a graceful stop to finish).
pub struct LiveHub {
    events: broadcast::Sender<LiveEvent>,
    closing: watch::Sender<bool>,
    streams: Arc<Semaphore>,
    max_streams: usize,
}

impl LiveHub {
    pub fn new(max_streams: u32) -> LiveHub {
        LiveHub {
            // A stream that falls this far behind re-reads its page once (see `next_event`).
            events: broadcast::Sender::new(256),
            closing: watch::Sender::new(false),
            streams: Arc::new(Semaphore::new(max_streams as usize)),
            max_streams: max_streams as usize,
        }
    }

    /// Streams open on this node now.
    pub fn open_streams(&self) -> usize {
        self.max_streams - self.streams.available_permits()
    }

    /// Ends every open stream and refuses new ones (the server is stopping).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }
}

/// The node's one follower of the change feed for live pages; runs until `stop`.
pub async fn follow(state: AppState, mut stop: watch::Receiver<bool>) {
    let store = state.store();
    let mut changed = store.change_signal();
    let mut last = None;
    loop {
        match follow_once(store, state.live(), last).await {
            Ok(seq) => last = Some(seq),
            Err(e) => tracing::warn!(error = %e, "live pages could not read the change feed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = changed.changed() => {}
            _ = stop.changed() => break,
        }
    }
    state.live().close();
}

/// Reads the feed after `last` (from its end the first time) and tells the streams about each
/// live story it names; the last sequence read.
async fn follow_once(
    store: &Store,
    hub: &LiveHub,
    last: Option<i64>,
) -> Result<i64, crate::storage::StorageError> {
    let Some(mut last) = last else {
        return store.last_change_seq().await;
    };
    loop {
        let batch = store.changes_since(last, BATCH).await?;
        let mut stories = BTreeSet::new();
        for c in &batch {
            last = c.seq;
            if c.entity == "article" {
                stories.insert(c.entity_id);
            }
        }
        // Nobody listening on this node: nothing to look up.
        if hub.events.receiver_count() > 0 {
            for id in stories {
                if let Some(page) = store.live_page(id).await? {
                    let _ = hub.events.send(LiveEvent::from(&page));
                }
            }
        }
        if (batch.len() as i64) < BATCH {
            return Ok(last);
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Since {
    since: Option<String>,
}

/// What an open stream remembers.
struct Stream {
    id: i64,
    sent: i64,
    first: Option<LiveEvent>,
    done: bool,
    rx: broadcast::Receiver<LiveEvent>,
    closing: watch::Receiver<bool>,
    state: AppState,
    _permit: OwnedSemaphorePermit,
}

fn event(e: &LiveEvent) -> Event {
    Event::default()
        .id(e.revision.to_string())
        .event(if e.ended { "end" } else { "update" })
        .data(json!({ "revision": e.revision, "added": e.added, "ended": e.ended }).to_string())
}

/// The stream's next event, or `None` when it ends (the page ended, the server stops).
async fn next_event(mut s: Stream) -> Option<(Result<Event, Infallible>, Stream)> {
    if s.done {
        return None;
    }
    if let Some(first) = s.first.take() {
        s.sent = first.revision;
        s.done = first.ended;
        return Some((Ok(event(&first)), s));
    }
    loop {
        let received = tokio::select! {
            r = s.rx.recv() => r,
            _ = s.closing.wait_for(|c| *c) => return None,
        };
        let e = match received {
            Ok(e) if e.article_id == s.id => e,
            Ok(_) => continue,
            // Fell behind a burst of changes: the page as it is now.
            // Boxed: this rare query's future would otherwise sit in every waiting stream.
            Err(broadcast::error::RecvError::Lagged(_)) => {
                match Box::pin(s.state.store().live_page(s.id)).await {
                    Ok(Some(page)) => LiveEvent::from(&page),
                    _ => return None,
                }
            }
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        if e.revision > s.sent {
            s.sent = e.revision;
            s.done = e.ended;
            return Some((Ok(event(&e)), s));
        }
    }
}

fn refuse(status: StatusCode, retry: bool) -> Response {
    let mut r = (
        status,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
    )
        .into_response();
    if retry {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER));
    }
    r
}

/// `/live/{id}/events`: `text/event-stream` of the story's live page, never cached. 404 for
/// a story that has no live page (or is not published), 204 for one that has ended (an
/// `EventSource` then stops asking), 503 with `Retry-After` past the node's stream cap.
pub async fn events(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Since>,
    headers: HeaderMap,
) -> Response {
    let Some(id) = id.parse::<i64>().ok().filter(|i| *i > 0) else {
        return refuse(StatusCode::NOT_FOUND, false);
    };
    let hub = state.live();
    if *hub.closing.borrow() {
        return refuse(StatusCode::SERVICE_UNAVAILABLE, true);
    }
    let Ok(permit) = Arc::clone(&hub.streams).try_acquire_owned() else {
        return refuse(StatusCode::SERVICE_UNAVAILABLE, true);
    };
    // Subscribed before the page is read, so nothing committed in between is missed.
    let rx = hub.events.subscribe();
    let page = match state.store().published_live_page(id).await {
        Ok(Some(p)) => p,
        Ok(None) => return refuse(StatusCode::NOT_FOUND, false),
        Err(e) => return WebError::from(e).into_response(),
    };
    if page.ended_at.is_some() {
        return refuse(StatusCode::NO_CONTENT, false);
    }
    // What the reader has already seen: the last event it got, or the page it was drawn from.
    let since = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(q.since)
        .and_then(|s| s.trim().parse::<i64>().ok());
    let now = LiveEvent::from(&page);
    let first = since.filter(|s| *s < now.revision).map(|_| now);
    let stream = Stream {
        id,
        sent: since.unwrap_or(now.revision).min(now.revision),
        first,
        done: false,
        rx,
        closing: hub.closing.subscribe(),
        state: state.clone(),
        _permit: permit,
    };
    let idle = u64::from(state.config().server.idle_timeout);
    let every = (idle / 2).clamp(1, KEEP_ALIVE_MAX);
    let mut response = Sse::new(futures_util::stream::unfold(stream, next_event))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(every)))
        .into_response();
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Proxies (nginx) must pass events on as they come.
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// An entry's image, from the media library.
#[derive(Debug, Clone, Serialize)]
pub struct EntryImage {
    pub src: String,
    pub alt: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    /// Its responsive variants, once made (the original until then).
    pub picture: Option<crate::domain::article::Picture>,
}

/// An entry's embed: a link card to the post, no third-party frame or script.
#[derive(Debug, Clone, Serialize)]
pub struct EntryEmbed {
    pub url: String,
    pub network: String,
    pub label: &'static str,
    pub host: String,
}

/// One entry as the pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct EntryView {
    pub id: i64,
    pub html: String,
    #[serde(skip)]
    pub text: String,
    pub at: DateView,
    pub edited: Option<DateView>,
    pub key_event: bool,
    pub image: Option<EntryImage>,
    pub embed: Option<EntryEmbed>,
    pub author: Option<String>,
}

impl EntryView {
    /// `pictures`: the responsive variants of entries' images, by media id.
    pub fn new(
        state: &AppState,
        e: &LiveEntry,
        pictures: &HashMap<i64, crate::domain::article::Picture>,
        now: i64,
    ) -> EntryView {
        let tz = state.tz();
        EntryView {
            id: e.id,
            html: e.body_html.clone(),
            text: text::html_to_text(&e.body_html),
            at: DateView::new(e.created_at, tz, now),
            edited: (e.edited != 0).then(|| DateView::new(e.updated_at, tz, now)),
            key_event: e.key_event != 0,
            image: e.media_path.as_ref().map(|p| EntryImage {
                src: urls::media_public(state.media_base(), p),
                alt: e.media_alt.clone().unwrap_or_default(),
                width: e.media_width,
                height: e.media_height,
                picture: e
                    .media_id
                    .and_then(|m| pictures.get(&m))
                    .map(|p| p.for_readers(state.media_base())),
            }),
            embed: e.embed_url.as_ref().and_then(|u| {
                let network = live::network(u)?;
                Some(EntryEmbed {
                    url: u.clone(),
                    network: serde_json::to_value(network).ok()?.as_str()?.to_owned(),
                    label: network.label(),
                    host: url::Url::parse(u).ok()?.host_str()?.to_owned(),
                })
            }),
            author: e.author.clone(),
        }
    }
}

/// A story's live page as its page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct LiveView {
    pub live: bool,
    #[serde(skip)]
    pub started_at: i64,
    pub started: DateView,
    pub ended: Option<DateView>,
    pub revision: i64,
    pub added: i64,
    pub entries: Vec<EntryView>,
    /// The page of older entries, when there are more than the page shows.
    pub older: Option<String>,
    pub events: String,
}

/// Entries of story `id` before entry `before`, one page, and the link to the next one.
async fn entries_page(
    state: &AppState,
    id: i64,
    before: Option<i64>,
    now: i64,
) -> Result<(Vec<EntryView>, Option<String>), WebError> {
    let mut entries = state
        .store()
        .live_entries(id, before, PAGE_ENTRIES as i64 + 1)
        .await?;
    let older = (entries.len() > PAGE_ENTRIES).then(|| {
        entries.truncate(PAGE_ENTRIES);
        format!("/live/{id}?before={}", entries[PAGE_ENTRIES - 1].id)
    });
    let pictures = entry_pictures(state, &entries).await?;
    Ok((
        entries
            .iter()
            .map(|e| EntryView::new(state, e, &pictures, now))
            .collect(),
        older,
    ))
}

/// The responsive variants of the entries' images, by media id.
pub async fn entry_pictures(
    state: &AppState,
    entries: &[LiveEntry],
) -> Result<HashMap<i64, crate::domain::article::Picture>, WebError> {
    let mut ids: Vec<i64> = entries.iter().filter_map(|e| e.media_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let variants = state.store().media_variants(&ids).await?;
    Ok(entries
        .iter()
        .filter_map(|e| {
            let id = e.media_id?;
            let own: Vec<_> = variants
                .iter()
                .filter(|v| v.media_id == id)
                .cloned()
                .collect();
            let alt = e.media_alt.clone().unwrap_or_default();
            Some((id, crate::storage::media::picture(&own, &alt)?))
        })
        .collect())
}

/// Story `id`'s live page, if it ever had one: its state and latest entries.
pub async fn view(state: &AppState, id: i64, now: i64) -> Result<Option<LiveView>, WebError> {
    let Some(page) = state.store().live_page(id).await? else {
        return Ok(None);
    };
    let (entries, older) = entries_page(state, id, None, now).await?;
    let tz = state.tz();
    Ok(Some(LiveView {
        live: page.is_live(),
        started_at: page.started_at,
        started: DateView::new(page.started_at, tz, now),
        ended: page.ended_at.map(|t| DateView::new(t, tz, now)),
        revision: page.revision,
        added: page.added,
        entries,
        older,
        events: format!("/live/{id}/events"),
    }))
}

/// Turns a story's `NewsArticle` JSON-LD into a `LiveBlogPosting` with its newest entries.
pub fn json_ld(ld: &mut serde_json::Value, live: &LiveView, canonical: &str) {
    ld["@type"] = json!("LiveBlogPosting");
    ld["coverageStartTime"] = json!(live.started.iso);
    if let Some(ended) = &live.ended {
        ld["coverageEndTime"] = json!(ended.iso);
    }
    ld["liveBlogUpdate"] = live
        .entries
        .iter()
        .take(JSON_LD_UPDATES)
        .map(|e| {
            let mut update = json!({
                "@type": "BlogPosting",
                "headline": text::excerpt(&e.text, 110),
                "articleBody": e.text,
                "datePublished": e.at.iso,
                "dateModified": e.edited.as_ref().unwrap_or(&e.at).iso,
                "url": format!("{canonical}#entry-{}", e.id),
            });
            if let Some(img) = &e.image {
                update["image"] = json!(img.src);
            }
            update
        })
        .collect();
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Older {
    before: Option<String>,
}

/// `/live/{id}?before=ENTRY`: a live page's older entries, a page at a time, with a link back
/// to the story. Cached like the story (its key is `article:ID`).
pub async fn older(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Older>,
) -> Result<Response, WebError> {
    let id = id
        .parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or(WebError::NotFound)?;
    let before = match q.before.as_deref() {
        None | Some("") => None,
        Some(s) => Some(s.parse::<i64>().map_err(|_| WebError::NotFound)?),
    };
    let article = state
        .store()
        .published_article(id)
        .await?
        .ok_or(WebError::NotFound)?;
    if state.store().live_page(id).await?.is_none() {
        return Err(WebError::NotFound);
    }
    let now = now();
    let (entries, older) = entries_page(&state, id, before, now).await?;
    if entries.is_empty() && before.is_some() {
        return Err(WebError::NotFound);
    }
    let html = state
        .render(
            "live.html",
            now,
            minijinja::context! {
                headline => article.headline,
                story => urls::article(&article.section.slug, id),
                entries => entries, older => older,
            },
        )
        .await?;
    Ok((CacheTags(vec![format!("article:{id}")]), Html(html)).into_response())
}
