//! Polls the agency wires into the newsroom's queue. One node at a time does it, holding the
//! `wires` lease (`storage::leases`); each source is polled on its own interval with a
//! conditional GET (ETag / Last-Modified), a timeout and a size limit, its response read on
//! the blocking pool (`domain::wire`), and its items queued (`Store::add_wire_items`). A
//! source that fails — unreachable, slow, an HTML page, garbage — has the reason recorded on it
//! and waits twice as long before each next try (up to an hour); the others go on.

use std::time::Duration;

use super::{Job, JobCounters};
use crate::domain::wire::{self, WireError, MAX_FEED_BYTES};
use crate::storage::wires::WireSource;
use crate::storage::{now, StorageError, Store};

/// The lease's name in `job_leases`.
pub const LEASE: &str = "wires";
const LEASE_SECONDS: i64 = 30;
/// How often the holder looks for sources due.
const TICK: Duration = Duration::from_secs(1);
/// How often a node without the lease asks for it.
const WAIT_FOR_LEASE: Duration = Duration::from_secs(5);
/// The longest wait after failures.
const MAX_BACKOFF_SECONDS: i64 = 3600;
/// Sources polled at once.
const AT_ONCE: usize = 4;

/// The HTTP client wires are fetched with.
#[derive(Debug, Clone)]
pub struct WireClient {
    client: reqwest_tls::Client,
}

impl WireClient {
    pub fn new(timeout: Duration) -> WireClient {
        crate::media_store::install_tls();
        let client = reqwest_tls::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest_tls::redirect::Policy::limited(5))
            .user_agent(concat!(
                "Khobor/",
                env!("CARGO_PKG_VERSION"),
                " (wire reader)"
            ))
            .build()
            .expect("an HTTP client with these settings builds");
        WireClient { client }
    }
}

/// What one poll of a source came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Polled {
    /// The source said nothing changed (304).
    NotModified,
    /// Items read: new, updated, unchanged, and those left out with the reason.
    Read {
        new: u64,
        updated: u64,
        unchanged: u64,
        skipped: Vec<String>,
    },
    /// The poll failed; the reason is recorded on the source.
    Failed(String),
}

#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("{0}")]
    Http(String),
    #[error("উৎস HTTP {0} উত্তর দিয়েছে")]
    Status(u16),
    #[error(transparent)]
    Wire(#[from] WireError),
}

/// The response of a conditional GET: `None` for 304.
struct Fetched {
    body: Option<Vec<u8>>,
    etag: Option<String>,
    last_modified: Option<String>,
}

fn describe(e: &reqwest_tls::Error) -> String {
    if e.is_timeout() {
        "উৎস সময়মতো উত্তর দেয়নি".to_owned()
    } else if e.is_connect() {
        "উৎসে সংযোগ করা যায়নি".to_owned()
    } else if e.is_redirect() {
        "উৎস বারবার অন্য ঠিকানায় পাঠাচ্ছে".to_owned()
    } else {
        format!("অনুরোধ ব্যর্থ হয়েছে: {e}")
    }
}

async fn fetch(client: &WireClient, source: &WireSource) -> Result<Fetched, FetchError> {
    let mut request = client.client.get(&source.url);
    if let Some(etag) = &source.etag {
        request = request.header("if-none-match", etag);
    }
    if let Some(lm) = &source.last_modified {
        request = request.header("if-modified-since", lm);
    }
    let mut response = request
        .send()
        .await
        .map_err(|e| FetchError::Http(describe(&e)))?;
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let etag = header("etag");
    let last_modified = header("last-modified");
    if status == 304 {
        return Ok(Fetched {
            body: None,
            etag: etag.or(source.etag.clone()),
            last_modified: last_modified.or(source.last_modified.clone()),
        });
    }
    if !(200..300).contains(&status) {
        return Err(FetchError::Status(status));
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_FEED_BYTES as u64)
    {
        return Err(WireError::TooLarge.into());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FetchError::Http(describe(&e)))?
    {
        if body.len() + chunk.len() > MAX_FEED_BYTES {
            return Err(WireError::TooLarge.into());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched {
        body: Some(body),
        etag,
        last_modified,
    })
}

/// Polls one source and records the outcome on it.
pub async fn poll(
    store: &Store,
    client: &WireClient,
    source: &WireSource,
) -> Result<Polled, StorageError> {
    let t = now();
    let outcome = async {
        let fetched = fetch(client, source).await?;
        let Some(body) = fetched.body else {
            return Ok((fetched.etag, fetched.last_modified, None));
        };
        let format = source.format();
        let parsed = tokio::task::spawn_blocking(move || wire::parse(format, &body))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
        Ok::<_, FetchError>((fetched.etag, fetched.last_modified, Some(parsed)))
    }
    .await;
    match outcome {
        Ok((etag, last_modified, parsed)) => {
            let polled = match parsed {
                None => Polled::NotModified,
                Some(parsed) => {
                    let added = store.add_wire_items(source.id, &parsed.items).await?;
                    Polled::Read {
                        new: added.new,
                        updated: added.updated,
                        unchanged: added.unchanged,
                        skipped: parsed.skipped,
                    }
                }
            };
            let seen = match &polled {
                Polled::Read { new, .. } => *new,
                _ => 0,
            };
            store
                .wire_poll_answered(
                    source.id,
                    etag.as_deref(),
                    last_modified.as_deref(),
                    t + source.poll_seconds,
                    seen,
                )
                .await?;
            Ok(polled)
        }
        Err(e) => {
            let reason = e.to_string();
            let wait =
                (source.poll_seconds << (source.failures + 1).min(12)).min(MAX_BACKOFF_SECONDS);
            store
                .wire_poll_failed(source.id, &reason, t + wait.max(source.poll_seconds))
                .await?;
            tracing::warn!(source = source.id, agency = %source.agency, error = %reason, "wire poll failed");
            Ok(Polled::Failed(reason))
        }
    }
}

/// Polls `sources`, a few at a time; each outcome beside its source's id.
pub async fn poll_all(
    store: &Store,
    client: &WireClient,
    sources: Vec<WireSource>,
    jobs: &JobCounters,
) -> Vec<(i64, Polled)> {
    let mut results = Vec::new();
    for batch in sources.chunks(AT_ONCE) {
        let mut set = tokio::task::JoinSet::new();
        for source in batch.iter().cloned() {
            let (store, client) = (store.clone(), client.clone());
            set.spawn(async move {
                let outcome = poll(&store, &client, &source).await;
                (source.id, outcome)
            });
        }
        while let Some(done) = set.join_next().await {
            let (id, outcome) = done.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
            match outcome {
                Ok(polled) => {
                    match &polled {
                        Polled::Failed(_) => jobs.failed(Job::Wires),
                        _ => jobs.done(Job::Wires, 1),
                    }
                    results.push((id, polled));
                }
                Err(e) => {
                    jobs.failed(Job::Wires);
                    tracing::warn!(source = id, error = %e, "wire poll could not be recorded");
                    results.push((id, Polled::Failed(e.to_string())));
                }
            }
        }
    }
    results
}

/// Polls the sources that are due while this node holds the lease, until `stop`.
pub async fn run(
    store: Store,
    client: WireClient,
    node: String,
    jobs: JobCounters,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut held_until = 0i64;
    loop {
        let mut wait = WAIT_FOR_LEASE;
        if held_until - now() < LEASE_SECONDS / 2 {
            match store.take_lease(LEASE, &node, LEASE_SECONDS).await {
                Ok(Some(lease)) => held_until = lease.lease_until,
                Ok(None) => held_until = 0,
                Err(e) => {
                    held_until = 0;
                    tracing::warn!(error = %e, "could not ask for the wires lease");
                }
            }
        }
        if held_until > now() {
            wait = TICK;
            match store.due_wire_sources(now()).await {
                Ok(due) if !due.is_empty() => {
                    poll_all(&store, &client, due, &jobs).await;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not read the wire sources"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => break,
        }
    }
    if held_until > 0 {
        let _ = store.release_lease(LEASE, &node).await;
    }
}
