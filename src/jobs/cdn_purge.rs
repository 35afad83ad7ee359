//! Purges the CDN as the store changes. One node at a time does it, holding the `cdn-purge`
//! lease (`storage::leases`): it reads the change feed from the position the lease records,
//! works out the keys of the pages each run of changes made stale (`Store::stale_keys`, the
//! page cache's own rule), sends them to the CDN (`crate::cdn`) and only then moves the
//! position on. A purge that fails is retried with backoff from the same position, so a change
//! is never passed over; a node that dies holding the lease only delays purging until the
//! lease runs out and another node goes on from the recorded position. A node that stops
//! gives the lease back at once.
//!
//! Followers wake on the store's change signal (a commit here, NOTIFY on PostgreSQL) and poll
//! every 250 ms besides, so a publish reaches the CDN well within a second.

use std::time::Duration;

use super::{Job, JobCounters};
use crate::cdn::{PurgeError, Purger, SITE_KEY};
use crate::storage::changes::Stale;
use crate::storage::{now, StorageError, Store};

/// The lease's name in `job_leases`.
pub const LEASE: &str = "cdn-purge";
/// How long a taken lease lasts; renewed when less than half is left.
const LEASE_SECONDS: i64 = 20;
/// Changes read per round.
const BATCH: i64 = 500;
/// How often the holder polls the feed besides waking on the change signal.
const POLL: Duration = Duration::from_millis(250);
/// How often a node without the lease asks for it.
const WAIT_FOR_LEASE: Duration = Duration::from_secs(2);
/// Longest wait after a failed round (shorter than the lease, so a CDN outage does not cost
/// the lease).
const MAX_BACKOFF: Duration = Duration::from_secs(8);

#[derive(Debug, thiserror::Error)]
enum RoundError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Purge(#[from] PurgeError),
}

/// The lease as this node holds it.
#[derive(Debug, Clone, Copy)]
struct Held {
    until: i64,
    /// The last change whose purges the CDN confirmed.
    position: i64,
}

/// Follows the change feed and purges the CDN while this node holds the lease, until `stop`.
pub async fn run(
    store: Store,
    purger: Purger,
    node: String,
    jobs: JobCounters,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    // The application's own name (`App::node`): two servers in one process (as in the tests)
    // are two holders too.
    let owner = node.as_str();
    let mut changed = store.change_signal();
    let mut held: Option<Held> = None;
    let mut backoff = Duration::from_millis(500);
    loop {
        let wait = match round(&store, &purger, &jobs, owner, &mut held).await {
            Ok(()) => {
                backoff = Duration::from_millis(500);
                if held.is_some() {
                    POLL
                } else {
                    WAIT_FOR_LEASE
                }
            }
            Err(e) => {
                jobs.failed(Job::CdnPurge);
                tracing::warn!(error = %e, cdn = purger.kind(), "CDN purge failed; trying again");
                let wait = backoff;
                backoff = (backoff * 2).min(MAX_BACKOFF);
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
        if let Err(e) = store.release_lease(LEASE, owner).await {
            tracing::warn!(error = %e, "could not give the CDN purge lease back");
        }
    }
}

/// Renews (or takes) the lease, then purges for every change after the recorded position.
async fn round(
    store: &Store,
    purger: &Purger,
    jobs: &JobCounters,
    owner: &str,
    held: &mut Option<Held>,
) -> Result<(), RoundError> {
    if held.is_none_or(|h| h.until - now() < LEASE_SECONDS / 2) {
        match store.take_lease(LEASE, owner, LEASE_SECONDS).await? {
            None => {
                if held.take().is_some() {
                    tracing::info!("another node purges the CDN now");
                }
                return Ok(());
            }
            Some(lease) => {
                let position = match (held.as_ref(), lease.position) {
                    (Some(h), _) => h.position,
                    (None, Some(p)) => p,
                    // The first purger of this store starts from now: pages cached before
                    // any purger ran are the CDN's to expire.
                    (None, None) => {
                        let last = store.last_change_seq().await?;
                        store.advance_lease(LEASE, owner, last, None).await?;
                        last
                    }
                };
                if held.is_none() {
                    tracing::info!(cdn = purger.kind(), position, "this node purges the CDN");
                }
                *held = Some(Held {
                    until: lease.lease_until,
                    position,
                });
            }
        }
    }
    let Some(mut h) = *held else {
        return Ok(());
    };
    let newest = store.last_change_seq().await?;
    if h.position > newest {
        // The feed is behind the position: the database was restored from an older copy.
        tracing::warn!(
            position = h.position,
            newest,
            "the change feed is behind the CDN purge position; purging every page"
        );
        purge(purger, jobs, &[SITE_KEY.to_owned()]).await?;
        h.position = newest;
        if !store.advance_lease(LEASE, owner, newest, None).await? {
            *held = None;
            return Ok(());
        }
    }
    loop {
        let changes = store.changes_since(h.position, BATCH).await?;
        let Some(last) = changes.last() else {
            break;
        };
        let keys: Vec<String> = match store.stale_keys(&changes).await? {
            Stale::Everything => vec![SITE_KEY.to_owned()],
            Stale::Keys(keys) => keys.into_iter().collect(),
        };
        purge(purger, jobs, &keys).await?;
        h.position = last.seq;
        if !store.advance_lease(LEASE, owner, h.position, None).await? {
            // The lease ran out and another node took it: it goes on from its own position.
            *held = None;
            return Ok(());
        }
        *held = Some(h);
    }
    *held = Some(h);
    Ok(())
}

async fn purge(purger: &Purger, jobs: &JobCounters, keys: &[String]) -> Result<(), PurgeError> {
    for request in purger.requests(keys) {
        purger.send(&request).await?;
        jobs.done(Job::CdnPurge, 1);
    }
    tracing::debug!(keys = keys.len(), "CDN purged");
    Ok(())
}
