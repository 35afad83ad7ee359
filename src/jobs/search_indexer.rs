//! Keeps the search index in step with the store by following the change feed. The index
//! records the last sequence it applied in its own commit, so after a crash or restart it
//! catches up from there; applying a change twice is harmless (a story is re-read from the
//! store and replaced).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use crate::domain::Article;
use crate::search::{IndexDoc, SearchError, SearchIndex};
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
}

/// Applies every change not yet in the index. Returns how many changes were applied.
pub async fn catch_up(store: &Store, index: &Arc<SearchIndex>) -> Result<usize, IndexerError> {
    let mut applied = 0;
    loop {
        let from = index.applied_seq()?;
        let changes = store.changes_since(from, BATCH).await?;
        let Some(last) = changes.last().map(|c| c.seq) else {
            return Ok(applied);
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
            index.apply(&docs, &deletes, last)?;
            index.related_lists(&articles)
        })
        .await??;
        store.set_related(&related).await?;
        applied += changes.len();
    }
}

/// Follows the change feed until `stop` fires.
pub async fn run(
    store: Store,
    index: Arc<SearchIndex>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = catch_up(&store, &index).await {
            tracing::error!(error = %e, "search indexer");
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Rebuilds the index from the store: every published story, then the feed position at the
/// start (so changes made during the rebuild are applied afterwards, not lost).
pub async fn rebuild(
    store: &Store,
    index: &Arc<SearchIndex>,
    progress: impl Fn(usize),
) -> Result<usize, IndexerError> {
    let start_seq = store.last_change_seq().await?;
    index.clear()?;
    let done = each_published(store, progress, |articles| {
        let idx = Arc::clone(index);
        async move {
            // Until the rebuild is complete the index claims to have applied nothing.
            tokio::task::spawn_blocking(move || {
                let docs: Vec<IndexDoc<'_>> = articles.iter().map(IndexDoc::from).collect();
                idx.apply(&docs, &[], 0)
            })
            .await??;
            Ok(())
        }
    })
    .await?;
    let idx = Arc::clone(index);
    tokio::task::spawn_blocking(move || idx.apply(&[], &[], start_seq)).await??;
    Ok(done)
}

/// Works out and stores the related stories of every published story (after a rebuild, so that
/// no story page has to search for them when first shown). Returns how many stories.
pub async fn relate_all(
    store: &Store,
    index: &Arc<SearchIndex>,
    progress: impl Fn(usize),
) -> Result<usize, IndexerError> {
    each_published(store, progress, |articles| {
        let idx = Arc::clone(index);
        async move {
            let related =
                tokio::task::spawn_blocking(move || idx.related_lists(&articles)).await??;
            store.set_related(&related).await?;
            Ok(())
        }
    })
    .await
}

/// Hands every published story to `f`, [`REBUILD_BATCH`] at a time in id order, reporting how
/// many have been done. Returns how many stories.
async fn each_published<F, Fut>(
    store: &Store,
    progress: impl Fn(usize),
    mut f: F,
) -> Result<usize, IndexerError>
where
    F: FnMut(Vec<Article>) -> Fut,
    Fut: std::future::Future<Output = Result<(), IndexerError>>,
{
    let mut after = 0;
    let mut done = 0;
    loop {
        let ids = store.published_ids_after(after, REBUILD_BATCH).await?;
        let Some(&last) = ids.last() else { break };
        f(store.published_articles(&ids).await?).await?;
        done += ids.len();
        progress(done);
        after = last;
    }
    Ok(done)
}
