//! Webhooks: tells the URLs admins registered (`storage::webhooks`) what happened, by signed
//! POSTs, without a publish ever waiting for them.
//!
//! Two halves. The **follower** runs on the one node holding the `webhooks` lease: it reads
//! the change feed from the lease's position, turns each change into events
//! (`domain::webhook::story_event`; which stories were public is the job's own record, so an
//! unpublish is told apart from a draft's save) and writes one delivery per subscribed active
//! webhook in the same transaction that moves the position on, so an event is written once
//! whatever crashes when. The **sender** runs on every node: it claims due deliveries (the
//! oldest waiting one of each webhook, so one URL gets its events in order) with a claim that
//! runs out if the node dies, POSTs them, and records each answer; a failure is tried again
//! with backoff (`domain::webhook::retry_after`) and given up after `MAX_ATTEMPTS`.
//!
//! Sending is at least once: a node that dies after the receiver answered but before the
//! answer was recorded sends again when its claim runs out. Receivers dedupe on
//! `Khobor-Delivery`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Job, JobCounters};
use crate::domain::webhook::{self, Event};
use crate::domain::{urls, Status};
use crate::storage::changes::Change;
use crate::storage::webhooks::{AttemptResult, NewDelivery, Outgoing};
use crate::storage::{now, StorageError, Store};

/// The lease's name in `job_leases`.
pub const LEASE: &str = crate::storage::webhooks::FEED_LEASE;
/// How long a taken lease lasts; renewed when less than half is left.
const LEASE_SECONDS: i64 = 20;
/// Changes read per round.
const BATCH: i64 = 200;
/// How often the follower polls the feed besides waking on the change signal, and how often
/// the sender looks for due deliveries besides being woken by its follower.
const POLL: Duration = Duration::from_millis(500);
/// How often a node without the lease asks for it.
const WAIT_FOR_LEASE: Duration = Duration::from_secs(2);
/// How long one POST may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claim on a delivery lasts: longer than a request may take.
const CLAIM_SECONDS: i64 = 60;
/// Deliveries in flight at once on one node.
const IN_FLIGHT: usize = 16;
/// How much of an answer is read (the log keeps an excerpt).
const READ_BYTES: usize = 4096;

/// The HTTP client deliveries go out on (as the CDN purger's: rustls, no redirects followed).
pub fn client() -> reqwest_tls::Client {
    crate::media_store::install_tls();
    reqwest_tls::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest_tls::redirect::Policy::none())
        .user_agent(concat!("Khobor-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the webhook HTTP client builds")
}

/// Follows the feed (while holding the lease) and sends due deliveries, until `stop`.
pub async fn run(
    store: Store,
    base_url: String,
    node: String,
    jobs: JobCounters,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let wake = Arc::new(tokio::sync::Notify::new());
    let follower = tokio::spawn(follow(
        store.clone(),
        base_url,
        node.clone(),
        jobs.clone(),
        Arc::clone(&wake),
        stop.clone(),
    ));
    send_loop(store, node, jobs, wake, stop).await;
    let _ = follower.await;
}

/// The lease as this node holds it.
#[derive(Debug, Clone, Copy)]
struct Held {
    until: i64,
    position: i64,
}

async fn follow(
    store: Store,
    base_url: String,
    owner: String,
    jobs: JobCounters,
    wake: Arc<tokio::sync::Notify>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut changed = store.change_signal();
    let mut held: Option<Held> = None;
    let mut backoff = Duration::from_millis(500);
    loop {
        let wait = match round(&store, &base_url, &owner, &mut held).await {
            Ok(written) => {
                backoff = Duration::from_millis(500);
                if written > 0 {
                    wake.notify_one();
                }
                if held.is_some() {
                    POLL
                } else {
                    WAIT_FOR_LEASE
                }
            }
            Err(e) => {
                jobs.failed(Job::Webhooks);
                tracing::warn!(error = %e, "webhook events could not be written; trying again");
                let wait = backoff;
                backoff = (backoff * 2).min(Duration::from_secs(8));
                wait
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = changed.changed(), if held.is_some() && wait == POLL => {}
            _ = stop.changed() => break,
        }
    }
    if held.is_some() {
        if let Err(e) = store.release_lease(LEASE, &owner).await {
            tracing::warn!(error = %e, "could not give the webhooks lease back");
        }
    }
}

/// Writes the deliveries for every change the lease's position has not reached, if `owner`
/// holds (or can take) the lease: what the running job does each round, and what tests call
/// to drive it by hand. How many deliveries it wrote.
pub async fn follow_once(
    store: &Store,
    base_url: &str,
    owner: &str,
) -> Result<usize, StorageError> {
    let mut held = None;
    round(store, base_url, owner, &mut held).await
}

async fn round(
    store: &Store,
    base_url: &str,
    owner: &str,
    held: &mut Option<Held>,
) -> Result<usize, StorageError> {
    if held.is_none_or(|h| h.until - now() < LEASE_SECONDS / 2) {
        match store.take_lease(LEASE, owner, LEASE_SECONDS).await? {
            None => {
                if held.take().is_some() {
                    tracing::info!("another node follows the feed for webhooks now");
                }
                return Ok(0);
            }
            Some(lease) => {
                let position = match (held.as_ref(), lease.position) {
                    (Some(h), _) => h.position,
                    (None, Some(p)) => p,
                    // The first follower of this store starts from now.
                    (None, None) => match store.start_webhook_feed(LEASE, owner).await? {
                        Some(p) => p,
                        None => return Ok(0),
                    },
                };
                if held.is_none() {
                    tracing::info!(position, "this node follows the feed for webhooks");
                }
                *held = Some(Held {
                    until: lease.lease_until,
                    position,
                });
            }
        }
    }
    let Some(mut h) = *held else {
        return Ok(0);
    };
    let newest = store.last_change_seq().await?;
    if h.position > newest {
        // The feed is behind the position: the database was restored from an older copy.
        // Changes from here on are new, whatever their numbers.
        tracing::warn!(
            position = h.position,
            newest,
            "the change feed is behind the webhooks position; going on from its end"
        );
        if !store
            .enqueue_webhook_deliveries(LEASE, owner, h.position, newest, &[], &[], &[])
            .await?
        {
            *held = None;
            return Ok(0);
        }
        h.position = newest;
        *held = Some(h);
    }
    let mut written = 0;
    loop {
        let changes = store.changes_since(h.position, BATCH).await?;
        let Some(last) = changes.last().map(|c| c.seq) else {
            break;
        };
        let planned = plan(store, base_url, &changes).await?;
        if !store
            .enqueue_webhook_deliveries(
                LEASE,
                owner,
                h.position,
                last,
                &planned.deliveries,
                &planned.public,
                &planned.withdrawn,
            )
            .await?
        {
            // The lease ran out and another node took it: it goes on from its own position.
            *held = None;
            return Ok(written);
        }
        written += planned.deliveries.len();
        h.position = last;
        *held = Some(h);
    }
    Ok(written)
}

/// What a run of changes comes to: the deliveries, and the stories that became public or
/// stopped being so.
#[derive(Debug, Default)]
struct Planned {
    deliveries: Vec<NewDelivery>,
    public: Vec<i64>,
    withdrawn: Vec<i64>,
}

async fn plan(store: &Store, base_url: &str, changes: &[Change]) -> Result<Planned, StorageError> {
    let subscribers: Vec<(i64, Vec<Event>)> = store
        .webhook_subscribers()
        .await?
        .into_iter()
        .map(|(id, events)| (id, webhook::parse_events(&events)))
        .collect();
    let mut planned = Planned::default();
    // Whether each story is public as of the change being read (the store's record, moved
    // along the run).
    let mut public: std::collections::HashMap<i64, bool> = std::collections::HashMap::new();
    for c in changes {
        let (event, data) = match c.entity.as_str() {
            "article" => {
                let was = match public.get(&c.entity_id) {
                    Some(p) => *p,
                    None => store.webhook_announced(c.entity_id).await?,
                };
                let story = store.webhook_story(c.entity_id).await?;
                let published_now = story
                    .as_ref()
                    .is_some_and(|s| s.status == Status::Published.as_str());
                let (event, is) = webhook::story_event(&c.kind, was, published_now);
                public.insert(c.entity_id, is);
                if is && !was {
                    planned.withdrawn.retain(|id| *id != c.entity_id);
                    planned.public.push(c.entity_id);
                } else if was && !is {
                    planned.public.retain(|id| *id != c.entity_id);
                    planned.withdrawn.push(c.entity_id);
                }
                let Some(event) = event else { continue };
                (event, story_json(base_url, c.entity_id, story.as_ref()))
            }
            "breaking" => {
                let Some(state) = webhook::breaking_event(&c.kind) else {
                    continue;
                };
                let Some(alert) = store.webhook_breaking(c.entity_id).await? else {
                    continue;
                };
                let link = match (alert.article_id, &alert.section_slug) {
                    (Some(id), Some(slug)) => {
                        Some(format!("{base_url}{}", urls::article(slug, id)))
                    }
                    _ => None,
                };
                let data = serde_json::json!({ "breaking": {
                    "id": alert.id,
                    "text": alert.text,
                    "link": link,
                    "state": state,
                    "created_at": rfc3339(alert.created_at),
                    "expires_at": rfc3339(alert.expires_at),
                }});
                (Event::Breaking, data)
            }
            _ => continue,
        };
        if subscribers
            .iter()
            .all(|(_, events)| !events.contains(&event))
        {
            continue;
        }
        let payload = data.to_string();
        for (id, events) in &subscribers {
            if events.contains(&event) {
                planned.deliveries.push(NewDelivery {
                    webhook_id: *id,
                    event: event.as_str(),
                    change_seq: c.seq,
                    occurred_at: c.created_at,
                    payload: payload.clone(),
                });
            }
        }
    }
    Ok(planned)
}

fn story_json(
    base_url: &str,
    id: i64,
    story: Option<&crate::storage::webhooks::WebhookStory>,
) -> serde_json::Value {
    match story {
        Some(s) => serde_json::json!({ "story": {
            "id": s.id,
            "url": format!("{base_url}{}", urls::article(&s.section_slug, s.id)),
            "headline": s.headline,
            "section": { "slug": s.section_slug, "name": s.section_name },
            "status": s.status,
            "published_at": s.published_at.map(rfc3339),
            "updated_at": rfc3339(s.updated_at),
        }}),
        // Deleted: only its id is left to tell.
        None => serde_json::json!({ "story": { "id": id, "url": null, "status": "deleted" } }),
    }
}

fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(crate::domain::clamp_time(t), 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The body sent for a delivery: its id, event and time around the stored data, the same
/// bytes on every attempt.
pub fn body(o: &Outgoing) -> String {
    let mut map = match serde_json::from_str::<serde_json::Value>(&o.payload) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    map.insert("id".into(), o.id.into());
    map.insert("event".into(), o.event.clone().into());
    map.insert("occurred_at".into(), rfc3339(o.occurred_at).into());
    serde_json::Value::Object(map).to_string()
}

async fn send_loop(
    store: Store,
    owner: String,
    jobs: JobCounters,
    wake: Arc<tokio::sync::Notify>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let client = client();
    let permits = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let mut in_flight = tokio::task::JoinSet::new();
    loop {
        while in_flight.try_join_next().is_some() {}
        let free = permits.available_permits() as i64;
        let claimed = if free > 0 {
            store
                .claim_webhook_deliveries(&owner, now(), CLAIM_SECONDS, free)
                .await
        } else {
            Ok(Vec::new())
        };
        match claimed {
            Ok(claimed) => {
                for o in claimed {
                    let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                        break;
                    };
                    let (store, client, owner, jobs, wake) = (
                        store.clone(),
                        client.clone(),
                        owner.clone(),
                        jobs.clone(),
                        Arc::clone(&wake),
                    );
                    in_flight.spawn(async move {
                        deliver(&store, &client, &owner, &jobs, &o, now()).await;
                        drop(permit);
                        // The webhook's next delivery may go now.
                        wake.notify_one();
                    });
                }
            }
            Err(e) => {
                jobs.failed(Job::Webhooks);
                tracing::warn!(error = %e, "webhook deliveries could not be claimed");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = wake.notified() => {}
            _ = stop.changed() => break,
        }
    }
    // A request cut short is sent again when its claim runs out.
    in_flight.abort_all();
}

/// Sends every delivery due at `at` that `owner` can claim and waits for the answers: what the
/// sender does each round, for tests to drive with a clock of their own. How many it sent.
pub async fn deliver_due(
    store: &Store,
    client: &reqwest_tls::Client,
    owner: &str,
    jobs: &JobCounters,
    at: i64,
) -> Result<usize, StorageError> {
    let claimed = store
        .claim_webhook_deliveries(owner, at, CLAIM_SECONDS, IN_FLIGHT as i64)
        .await?;
    let n = claimed.len();
    futures_util::future::join_all(
        claimed
            .iter()
            .map(|o| deliver(store, client, owner, jobs, o, at)),
    )
    .await;
    Ok(n)
}

/// One attempt of one delivery, recorded.
async fn deliver(
    store: &Store,
    client: &reqwest_tls::Client,
    owner: &str,
    jobs: &JobCounters,
    o: &Outgoing,
    at: i64,
) {
    let started = Instant::now();
    let (status, excerpt, error) = post(client, o).await;
    let ok = status.is_some_and(|s| (200..300).contains(&s));
    let attempt = o.attempts + 1;
    let (state, next_attempt_at) = if ok {
        ("delivered", at)
    } else {
        match webhook::retry_after(attempt) {
            Some(wait) => ("pending", at + wait),
            None => ("failed", at),
        }
    };
    let result = AttemptResult {
        at,
        status,
        excerpt,
        error,
        duration_ms: started.elapsed().as_millis().min(i64::MAX as u128) as i64,
        state,
        next_attempt_at,
    };
    if ok {
        jobs.done(Job::Webhooks, 1);
    } else {
        jobs.failed(Job::Webhooks);
        tracing::info!(delivery = o.id, webhook = o.webhook_id, attempt, status, error = ?result.error, state, "webhook delivery failed");
    }
    match store.finish_webhook_attempt(o.id, owner, &result).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            delivery = o.id,
            "webhook delivery claim lost before its answer was recorded"
        ),
        Err(e) => {
            tracing::warn!(error = %e, delivery = o.id, "webhook answer could not be recorded; it is sent again when the claim runs out")
        }
    }
}

/// POSTs a delivery: the answer's status and the start of its body, or why there was none.
async fn post(
    client: &reqwest_tls::Client,
    o: &Outgoing,
) -> (Option<i64>, Option<String>, Option<String>) {
    let body = body(o);
    let signature = webhook::signature(&o.secret, now(), &body);
    let sent = client
        .post(&o.url)
        .header("Content-Type", "application/json")
        .header("Khobor-Event", &o.event)
        .header("Khobor-Delivery", o.id.to_string())
        .header("Khobor-Signature", signature)
        .body(body)
        .send()
        .await;
    let mut response = match sent {
        Ok(r) => r,
        Err(e) => return (None, None, Some(error_text(&e))),
    };
    let status = i64::from(response.status().as_u16());
    let mut bytes = Vec::new();
    let mut error = None;
    while bytes.len() < READ_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(e) => {
                error = Some(error_text(&e));
                break;
            }
        }
    }
    bytes.truncate(READ_BYTES);
    let excerpt: String = String::from_utf8_lossy(&bytes)
        .chars()
        .take(webhook::EXCERPT_CHARS)
        .collect();
    (Some(status), Some(excerpt), error)
}

fn error_text(e: &reqwest_tls::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    // The source chain says why (refused, reset, DNS) without the URL repeated.
    let mut why = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        why = s.to_string();
        source = s.source();
    }
    let text = if why.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {why}")
    };
    text.chars().take(webhook::EXCERPT_CHARS).collect()
}
