//! Keeps the search index in step with the store by following the change feed. The index
//! records in its own commit the store it follows (the store's id and feed epoch) and the
//! last change it applied, so after a crash or restart it catches up from there; applying a
//! change twice is harmless (a story is re-read from the store and replaced). An index that
//! does not match its store (another store, another epoch, a position the feed never reached
//! or a different change at that position: a database restored from an older copy or
//! replaced) is rebuilt from the store, and the mismatch is logged with both sides.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::domain::{Article, StoryLead};
use crate::search::{self, IndexDoc, Position, Recorded, SearchError, SearchIndex};
use crate::storage::articles::Filter;
use crate::storage::changes::Change;
use crate::storage::{StorageError, Store};

/// Changes read per round.
const BATCH: i64 = 1_000;
/// Stories read (and committed to the index) at a time by a rebuild.
const REBUILD_BATCH: i64 = 2_000;
/// How often the feed is polled when idle: well inside the one second a publish may take to
/// become searchable.
pub const POLL: Duration = Duration::from_millis(200);

#[derive(Debug, thiserror::Error)]
pub enum IndexerError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error("index task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("stopped before the search index was complete")]
    Interrupted,
}

/// How the indexer is doing, for `/readyz`.
#[derive(Debug, Default)]
pub struct Health {
    /// The last round's error, cleared by the next round that succeeds.
    last_error: Mutex<Option<String>>,
    /// Documents the index held at start while the store had no stories at all (0: it did
    /// not happen): the database was lost or replaced by an empty one.
    content_lost: AtomicU64,
    /// How the start went with an empty index (a snapshot restored, or why not).
    restore: Mutex<Option<super::search_snapshot::Restore>>,
    /// After a restore: whether the index has since caught up with the feed once. Until it
    /// has, `/readyz` says the node is not ready.
    caught_up: std::sync::atomic::AtomicBool,
}

impl Health {
    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn set_error(&self, error: Option<String>) {
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = error;
    }

    /// Records how the start with an empty index went.
    pub fn set_restore(&self, restore: super::search_snapshot::Restore) {
        *self.restore.lock().unwrap_or_else(|p| p.into_inner()) = Some(restore);
    }

    /// How the start with an empty index went (`None`: no snapshot was looked for).
    pub fn restore(&self) -> Option<super::search_snapshot::Restore> {
        self.restore
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The feed position of the snapshot the index was restored from while it has not yet
    /// caught up with the feed since (`None` otherwise). `lag` is the index's lag now: at 0
    /// the index has caught up, for good.
    pub fn behind_after_restore(&self, lag: Option<i64>) -> Option<i64> {
        let Some(super::search_snapshot::Restore::Restored { seq, .. }) = self.restore() else {
            return None;
        };
        if self.caught_up.load(Ordering::Relaxed) {
            return None;
        }
        if lag == Some(0) {
            self.caught_up.store(true, Ordering::Relaxed);
            return None;
        }
        Some(seq)
    }

    /// How many stories the index held at start while the store had none, if that happened.
    pub fn content_lost(&self) -> Option<u64> {
        match self.content_lost.load(Ordering::Relaxed) {
            0 => None,
            n => Some(n),
        }
    }
}

/// Whether the index can be followed from the feed as it is.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    InStep,
    /// A new index: built from the store, nothing to warn about.
    Build,
    /// An index that does not match the store (the reason says how): rebuilt from the store.
    Rebuild(String),
    /// A rebuild was started and has not finished.
    Unfinished,
}

/// Names the change at a feed position: kind, entity and time (empty for position 0).
pub fn mark_of(change: Option<&Change>) -> String {
    change.map_or_else(String::new, |c| {
        format!("{}/{}/{}@{}", c.kind, c.entity, c.entity_id, c.created_at)
    })
}

/// Compares the position the index recorded with the store, and logs a mismatch with both
/// sides. When the index is ahead of the feed, or the feed holds a different change at its
/// position, the store was put back to an older copy: a new feed epoch is started, so that
/// anything else holding a position in the old one starts again too.
pub async fn verify(store: &Store, index: &SearchIndex) -> Result<Verdict, IndexerError> {
    let identity = store.identity().await?;
    let newest = store.last_change_seq().await?;
    let recorded = index.recorded()?;
    let reason = match &recorded {
        Recorded::Nothing => return Ok(Verdict::Build),
        // Indexes from before stores had an identity: followed as before while they are not
        // ahead of the feed; the next commit records the identity.
        Recorded::Legacy(seq) if *seq <= newest => return Ok(Verdict::InStep),
        Recorded::Legacy(_) => "the index is ahead of the store's change feed".to_owned(),
        Recorded::Unreadable(_) => "the index's position cannot be read".to_owned(),
        Recorded::Position(Position::Rebuilding { store: id, epoch })
            if *id == identity.id && *epoch == identity.feed_epoch =>
        {
            return Ok(Verdict::Unfinished)
        }
        Recorded::Position(Position::Rebuilding { .. }) => {
            "an unfinished rebuild from another store or epoch".to_owned()
        }
        Recorded::Position(Position::At {
            store: id,
            epoch,
            seq,
            mark,
        }) => {
            if *id != identity.id {
                "the index was built from another store (the database was replaced)".to_owned()
            } else if *epoch != identity.feed_epoch {
                "the store's change feed started a new epoch".to_owned()
            } else if *seq > newest {
                store.bump_feed_epoch(identity.feed_epoch).await?;
                "the index is ahead of the store's change feed (the database was restored from an older copy)".to_owned()
            } else if *mark != mark_of(store.change_at(*seq).await?.as_ref()) {
                store.bump_feed_epoch(identity.feed_epoch).await?;
                "the store's change feed holds a different change at the index's position (the database was restored from an older copy and written since)".to_owned()
            } else {
                return Ok(Verdict::InStep);
            }
        }
    };
    tracing::warn!(
        index.position = %recorded,
        store.id = %identity.id,
        store.feed_epoch = identity.feed_epoch,
        store.feed_seq = newest,
        reason = %reason,
        "the search index does not match the store; rebuilding it from the store"
    );
    Ok(Verdict::Rebuild(reason))
}

/// Checks the index against the store at start. An index that does not match is emptied at
/// once (it would answer searches with stories the store does not have, or under ids the
/// store now gives to other stories) and rebuilt by the next [`catch_up`]. An index with
/// documents over a store with no stories at all is a loud warning, kept in `health`.
pub async fn prepare(
    store: &Store,
    index: &SearchIndex,
    health: &Health,
) -> Result<Verdict, IndexerError> {
    let docs = index.num_docs();
    if docs > 0 && !store.has_stories().await? {
        tracing::warn!(
            index.documents = docs,
            "THE STORE HAS NO STORIES but the search index holds {docs}: khobor.db was lost or replaced by an empty database; stop Khobor and restore khobor.db from a backup"
        );
        health.content_lost.store(docs, Ordering::Relaxed);
    }
    let verdict = verify(store, index).await?;
    match verdict {
        Verdict::Rebuild(_) => {
            let identity = store.identity().await?;
            index.reset(&Position::Rebuilding {
                store: identity.id,
                epoch: identity.feed_epoch,
            })?;
        }
        Verdict::Build if store.count_published(Filter::All).await? == 0 => {
            // Nothing to build: recorded at once, so that a new paper is ready from the start.
            index.apply(&[], &[], &feed_position(store).await?)?;
            return Ok(Verdict::InStep);
        }
        _ => {}
    }
    Ok(verdict)
}

/// The store's newest feed position, as an index that has applied all of it records it.
async fn feed_position(store: &Store) -> Result<Position, IndexerError> {
    let identity = store.identity().await?;
    let seq = store.last_change_seq().await?;
    Ok(Position::At {
        store: identity.id,
        epoch: identity.feed_epoch,
        seq,
        mark: mark_of(store.change_at(seq).await?.as_ref()),
    })
}

/// Applies every change not yet in the index. Returns how many changes were applied.
pub async fn catch_up(store: &Store, index: &Arc<SearchIndex>) -> Result<usize, IndexerError> {
    catch_up_until(store, index, &|| false).await
}

/// [`catch_up`], stopping between batches once `stopped` says so (a rebuild stopped so
/// stays marked unfinished and starts again next time). An index that does not match the
/// store is rebuilt from it first.
pub async fn catch_up_until(
    store: &Store,
    index: &Arc<SearchIndex>,
    stopped: &(dyn Fn() -> bool + Sync),
) -> Result<usize, IndexerError> {
    match verify(store, index).await? {
        Verdict::InStep => {}
        Verdict::Unfinished => {
            tracing::info!("finishing an interrupted search index rebuild");
            rebuild(store, index, |_| {}, stopped).await?;
        }
        Verdict::Build | Verdict::Rebuild(_) => {
            rebuild(store, index, |_| {}, stopped).await?;
        }
    }
    let identity = store.identity().await?;
    let mut applied = 0;
    loop {
        if stopped() {
            return Ok(applied);
        }
        let from = index.applied_seq()?;
        let changes = store.changes_since(from, BATCH).await?;
        let Some(last) = changes.last() else {
            return Ok(applied);
        };
        let position = Position::At {
            store: identity.id.clone(),
            epoch: identity.feed_epoch,
            seq: last.seq,
            mark: mark_of(Some(last)),
        };
        let ids: Vec<i64> = changes
            .iter()
            .filter(|c| c.entity == "article")
            .map(|c| c.entity_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let articles = store.published_articles(&ids).await?;
        let published: BTreeSet<i64> = articles.iter().map(|a| a.id).collect();
        let deletes: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| !published.contains(id))
            .collect();
        let index = Arc::clone(index);
        // Indexed, then related stories worked out against the index that now holds them.
        let related = tokio::task::spawn_blocking(move || {
            let docs: Vec<IndexDoc<'_>> = articles.iter().map(IndexDoc::from).collect();
            index.apply(&docs, &deletes, &position)?;
            let leads: Vec<StoryLead> = articles.iter().map(StoryLead::of).collect();
            index.related_lists(&leads)
        })
        .await??;
        store.set_related(&related).await?;
        applied += changes.len();
    }
}

/// Follows the change feed until `stop` fires; a round in progress stops at its next batch.
pub async fn run(
    store: Store,
    index: Arc<SearchIndex>,
    health: Arc<Health>,
    jobs: super::JobCounters,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut changed = store.change_signal();
    loop {
        let stopped = {
            let stop = stop.clone();
            move || *stop.borrow()
        };
        match catch_up_until(&store, &index, &stopped).await {
            Ok(applied) => {
                health.set_error(None);
                jobs.done(super::Job::SearchIndex, applied as u64);
            }
            Err(IndexerError::Interrupted) => return,
            Err(e) => {
                tracing::error!(error = %e, "search indexer");
                health.set_error(Some(e.to_string()));
                jobs.failed(super::Job::SearchIndex);
            }
        }
        if stopped() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = changed.changed() => {}
            _ = stop.changed() => return,
        }
    }
}

/// Rebuilds the index in place from the store: every published story, then the feed
/// position at the start (so changes made during the rebuild are applied afterwards, not
/// lost). Until it is complete the index records an unfinished rebuild, so one stopped or
/// killed half-way is started again rather than followed from the feed (stories that came in
/// by `khobor archive` have no feed rows: the feed alone would never bring them back).
pub async fn rebuild(
    store: &Store,
    index: &Arc<SearchIndex>,
    progress: impl Fn(usize),
    stopped: &(dyn Fn() -> bool + Sync),
) -> Result<usize, IndexerError> {
    let identity = store.identity().await?;
    let start = feed_position(store).await?;
    let rebuilding = Position::Rebuilding {
        store: identity.id,
        epoch: identity.feed_epoch,
    };
    index.reset(&rebuilding)?;
    index.note_rebuild();
    // Added batch by batch and committed once, with the feed position of the start.
    let done = each_published(store, progress, stopped, |articles| {
        let idx = Arc::clone(index);
        async move {
            tokio::task::spawn_blocking(move || {
                let docs: Vec<IndexDoc<'_>> = articles.iter().map(IndexDoc::from).collect();
                idx.add(&docs)
            })
            .await??;
            Ok(())
        }
    })
    .await?;
    if stopped() {
        return Err(IndexerError::Interrupted);
    }
    let idx = Arc::clone(index);
    tokio::task::spawn_blocking(move || idx.apply(&[], &[], &start)).await??;
    Ok(done)
}

/// Rebuilds the index into a new directory beside `live` and swaps it in only when it is
/// complete: a rebuild stopped (or killed) half-way leaves the live index as it was, still
/// answering every search it answered. No index may be open on `live` meanwhile.
pub async fn rebuild_beside(
    store: &Store,
    live: &Path,
    translit: bangla::banglish::Transliterator,
    progress: impl Fn(usize),
    stopped: &(dyn Fn() -> bool + Sync),
) -> Result<usize, IndexerError> {
    let staging = search::staging_dir(live);
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|source| SearchError::Dir {
            path: staging.display().to_string(),
            source,
        })?;
    }
    let index = Arc::new(SearchIndex::open_for_rebuild(&staging, translit)?);
    let result = rebuild(store, &index, progress, stopped).await;
    // Every task holding a clone has finished: this is the last one. It merges what was
    // committed, which is nothing when the rebuild was stopped (it commits once, at the end).
    // It waits for the merge (16 s at a million stories) off the async workers.
    let finished: Result<(), IndexerError> = match Arc::try_unwrap(index) {
        Ok(index) => tokio::task::spawn_blocking(move || index.finish())
            .await
            .map_err(IndexerError::from)
            .and_then(|r| Ok(r?)),
        Err(_) => Err(SearchError::Corrupt("index still in use".into()).into()),
    };
    match result.and_then(|done| finished.map(|()| done)) {
        Ok(done) => {
            search::swap_in(&staging, live)?;
            Ok(done)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

/// Each story's id with its related stories' ids, best first.
type RelatedLists = Vec<(i64, Vec<i64>)>;

/// Works out and stores the related stories of every published story (after a rebuild, so that
/// no story page has to search for them when first shown). Returns how many stories.
pub async fn relate_all(
    store: &Store,
    index: &Arc<SearchIndex>,
    progress: impl Fn(usize),
    stopped: &(dyn Fn() -> bool + Sync),
) -> Result<usize, IndexerError> {
    // A batch is worked out on every core while the next one is read from the store and the
    // one before is written to it; each reads only the stories' headlines and leads.
    let mut after = 0;
    let mut done = 0;
    let mut working: Option<tokio::task::JoinHandle<search::Result<RelatedLists>>> = None;
    loop {
        if stopped() {
            return Err(IndexerError::Interrupted);
        }
        let ids = store.published_ids_after(after, REBUILD_BATCH).await?;
        let next = match ids.last() {
            Some(&last) => {
                after = last;
                Some(store.published_leads(&ids).await?)
            }
            None => None,
        };
        if let Some(batch) = working.take() {
            let related = batch.await??;
            store.set_related(&related).await?;
            done += related.len();
            progress(done);
        }
        let Some(leads) = next else { break };
        let idx = Arc::clone(index);
        working = Some(tokio::task::spawn_blocking(move || {
            idx.related_lists(&leads)
        }));
    }
    Ok(done)
}

/// Hands every published story to `f`, [`REBUILD_BATCH`] at a time in id order, reporting how
/// many have been done, until `stopped` says so (then [`IndexerError::Interrupted`]). Returns
/// how many stories.
async fn each_published<F, Fut>(
    store: &Store,
    progress: impl Fn(usize),
    stopped: &(dyn Fn() -> bool + Sync),
    mut f: F,
) -> Result<usize, IndexerError>
where
    F: FnMut(Vec<Article>) -> Fut,
    Fut: std::future::Future<Output = Result<(), IndexerError>>,
{
    let mut after = 0;
    let mut done = 0;
    loop {
        if stopped() {
            return Err(IndexerError::Interrupted);
        }
        let ids = store.published_ids_after(after, REBUILD_BATCH).await?;
        let Some(&last) = ids.last() else { break };
        f(store.published_articles(&ids).await?).await?;
        done += ids.len();
        progress(done);
        after = last;
    }
    Ok(done)
}
