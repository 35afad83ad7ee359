//! Counting readings for the most-read lists without costing a page anything: the web layer
//! hands each reading to [`ViewCounter::record`] (a hash and a set lookup under a lock, in
//! memory), and [`run`] writes what gathered to the store in one batch every few seconds, on
//! every node. The store turns readings into counts once, whichever node saw them
//! (`Store::record_readings`). A reader's address and browser stay in this process's memory
//! until the batch is written and are never stored: only a keyed mark of them, deleted with
//! its window.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::{Job, JobCounters};
use crate::domain::views::{self, hour, window};
use crate::storage::views::Reading;
use crate::storage::{now, StorageError, Store};

/// Readings held between batches; past this, readings are dropped (and counted as dropped)
/// rather than let memory grow while the store is unreachable.
const MAX_PENDING: usize = 100_000;
/// A batch this large is written at once rather than at the next tick.
const FLUSH_AT: usize = 20_000;
/// Readers remembered per window on this node, so a reload costs no memory.
const MAX_SEEN: usize = 200_000;

/// A reading waiting for the next batch.
#[derive(Debug, Clone)]
struct Pending {
    window: i64,
    article_id: i64,
    hour: i64,
    reader: String,
}

#[derive(Default)]
struct Inner {
    window: i64,
    /// Readings this node already took in this window (a process-keyed hash).
    seen: HashSet<u64>,
    pending: Vec<Pending>,
}

/// The readings this node has seen and not yet written.
pub struct ViewCounter {
    enabled: bool,
    keys: RandomState,
    inner: Mutex<Inner>,
    wake: tokio::sync::Notify,
    dropped: AtomicU64,
}

impl std::fmt::Debug for ViewCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewCounter")
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

impl ViewCounter {
    pub fn new(enabled: bool) -> ViewCounter {
        ViewCounter {
            enabled,
            keys: RandomState::new(),
            inner: Mutex::new(Inner::default()),
            wake: tokio::sync::Notify::new(),
            dropped: AtomicU64::new(0),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Readings dropped because too many were waiting (the store was unreachable).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Notes that `reader` (see `views::reader_key`) read story `article_id` at `t`.
    pub fn record(&self, article_id: i64, address: &str, user_agent: &str, t: i64) {
        if !self.enabled {
            return;
        }
        let w = window(t);
        let local = self.keys.hash_one((w, article_id, address, user_agent));
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.window != w {
            inner.window = w;
            inner.seen.clear();
        }
        if inner.seen.contains(&local) {
            return;
        }
        if inner.pending.len() >= MAX_PENDING {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if inner.seen.len() < MAX_SEEN {
            inner.seen.insert(local);
        }
        inner.pending.push(Pending {
            window: w,
            article_id,
            hour: hour(t),
            reader: views::reader_key(address, user_agent),
        });
        if inner.pending.len() == FLUSH_AT {
            self.wake.notify_one();
        }
    }

    fn take(&self) -> Vec<Pending> {
        std::mem::take(&mut self.inner.lock().unwrap_or_else(|e| e.into_inner()).pending)
    }

    /// Puts back readings a failed batch did not write, as far as there is room.
    fn put_back(&self, mut readings: Vec<Pending>) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let room = MAX_PENDING.saturating_sub(inner.pending.len());
        if readings.len() > room {
            self.dropped
                .fetch_add((readings.len() - room) as u64, Ordering::Relaxed);
            readings.truncate(room);
        }
        readings.append(&mut inner.pending);
        inner.pending = readings;
    }

    /// Writes every reading gathered so far to the store; returns how many counted (readings
    /// another node or an earlier batch had already counted do not).
    pub async fn flush(&self, store: &Store) -> Result<u64, StorageError> {
        let pending = self.take();
        if pending.is_empty() {
            return Ok(0);
        }
        match write(store, &pending).await {
            Ok(n) => Ok(n),
            Err(e) => {
                self.put_back(pending);
                Err(e)
            }
        }
    }
}

async fn write(store: &Store, pending: &[Pending]) -> Result<u64, StorageError> {
    let mut salts: HashMap<i64, String> = HashMap::new();
    for p in pending {
        for w in [p.window, p.window - 1] {
            if let std::collections::hash_map::Entry::Vacant(e) = salts.entry(w) {
                e.insert(store.view_salt(w).await?);
            }
        }
    }
    let pending = pending.to_vec();
    // Hashing a large batch is CPU work: off the async workers.
    let readings = tokio::task::spawn_blocking(move || {
        pending
            .iter()
            .map(|p| Reading {
                window: p.window,
                mark: views::mark(&salts[&p.window], p.window, p.article_id, &p.reader),
                previous_mark: views::mark(
                    &salts[&(p.window - 1)],
                    p.window - 1,
                    p.article_id,
                    &p.reader,
                ),
                article_id: p.article_id,
                hour: p.hour,
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    let t = now();
    // Marks of the two windows before this one are kept: a batch written just after a window
    // closed still finds its readings' marks in the window before theirs.
    store
        .record_readings(&readings, window(t) - 2, hour(t))
        .await
}

/// Writes the gathered readings every `every`, or at once when many have gathered, until
/// `stop`; then writes what is left.
pub async fn run(
    store: Store,
    counter: std::sync::Arc<ViewCounter>,
    every: Duration,
    jobs: JobCounters,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let stopping = tokio::select! {
            _ = tokio::time::sleep(every) => false,
            _ = counter.wake.notified() => false,
            _ = stop.changed() => true,
        };
        match counter.flush(&store).await {
            Ok(n) => jobs.done(Job::Views, n),
            Err(e) => {
                jobs.failed(Job::Views);
                tracing::warn!(error = %e, "could not write the view counts; keeping them for the next batch");
            }
        }
        if stopping {
            return;
        }
    }
}
