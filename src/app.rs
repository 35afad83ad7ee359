//! Building and running the application: the one function `khobor serve` and the tests share.

use std::net::SocketAddr;

use tokio::net::TcpListener;

use std::sync::Arc;

use crate::config::Config;
use crate::config::MediaStoreConfig;
use crate::datadir::{self, DataDirError, DataDirLock};
use crate::jobs::search_indexer::{self, IndexerError};
use crate::jobs::search_snapshot::{self, SnapshotError, Taken};
use crate::media_store::{MediaStore, MediaStoreError};
use crate::search::{SearchError, SearchIndex};
use crate::storage::{Location, StorageError, Store};
use crate::web::{self, AppState};

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Indexer(#[from] IndexerError),
    #[error(transparent)]
    Media(#[from] MediaStoreError),
}

/// The assembled application: an open store and the router over it.
pub struct App {
    pub state: AppState,
    pub router: axum::Router,
    /// This process's hold on the data directory, for as long as the application lives.
    lock: DataDirLock,
    /// This application among the nodes, as the leases it takes name it.
    node: String,
}

/// This application's name in leases: the process's, and a number for each application the
/// process builds (tests run several nodes in one process).
fn node_for_app() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}/{n}", crate::jobs::node_name())
}

impl App {
    /// Takes the data directory's lock, checks that it and the store can be written and that
    /// the store is whole, opens (and migrates) the store, restores an empty search index from
    /// the latest snapshot of this store when there is one, opens the search index and checks
    /// it against the store, and builds the router. Anything wrong is refused here with one
    /// clear error rather than found by readers' requests later.
    pub async fn build(config: Config) -> Result<App, BuildError> {
        let lock = DataDirLock::acquire(&config.data_dir)?;
        let mut dirs = vec![config.search_dir()];
        if let MediaStoreConfig::Local { dir } = &config.media.store {
            dirs.push(dir.clone());
        }
        for dir in dirs {
            if dir.exists() {
                datadir::check_writable(&dir)?;
            }
        }
        // SQLite would open a read-only file read-only without a word, and fail every save.
        if let Location::Sqlite(db) = &config.store {
            datadir::check_file_writable(db)?;
        }
        let local_media = match &config.media.store {
            MediaStoreConfig::Local { dir } => Some(dir.as_path()),
            MediaStoreConfig::S3(_) => None,
        };
        let removed = datadir::clean_leftovers(&config.spool_dir(), local_media);
        if removed > 0 {
            tracing::info!(files = removed, "removed files half-written before a crash");
        }
        let store = config.open_store().await?;
        store
            .check_at_start()
            .await
            .map_err(|e| match &config.store {
                Location::Sqlite(db) => e.damaged_if_corrupt(db),
                Location::Postgres(_) => e,
            })?;
        // Opened (settings checked) without contacting it, except to look for a search
        // snapshot when the index is empty: a bucket that is down fails uploads with a clear
        // message while pages go on being served (and an empty index is rebuilt instead).
        let media = MediaStore::open(&config.media.store)?;
        let indexer = Arc::new(search_indexer::Health::default());
        // A fresh node starts from the latest snapshot of this store, if there is one, before
        // search is served; otherwise (or if it does not check out) the indexer rebuilds.
        let restore = search_snapshot::restore_if_empty(&store, &media, &config.search_dir()).await;
        indexer.set_restore(restore);
        let translit =
            bangla::banglish::Transliterator::with_aliases(config.search_aliases.clone());
        let search = Arc::new(SearchIndex::open(&config.search_dir(), translit)?);
        search_indexer::prepare(&store, &search, &indexer).await?;
        let state = AppState::new(store, search, indexer, media, config);
        let router = web::router(state.clone());
        Ok(App {
            state,
            router,
            lock,
            node: node_for_app(),
        })
    }

    /// This application's name in the leases it takes.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// Takes a search-index snapshot now, as the snapshot job does (the same lease: refused
    /// with [`Taken::NotHolder`] while another node holds it).
    pub async fn snapshot_search(&self) -> Result<Taken, SnapshotError> {
        let state = &self.state;
        let lease = state
            .config()
            .snapshots
            .every
            .map_or(600, |d| d.as_secs().saturating_mul(3).max(60) as i64);
        search_snapshot::take(
            state.store(),
            state.search(),
            state.media_store(),
            &self.node,
            lease,
            state.snapshots(),
            &|| false,
        )
        .await
    }

    /// The lock file this application holds in its data directory.
    pub fn lock_file(&self) -> &std::path::Path {
        self.lock.path()
    }

    pub fn store(&self) -> &Store {
        self.state.store()
    }

    /// Brings the search index up to date with the change feed now (the running server does
    /// this continuously; tools and tests call it to know the index has caught up).
    pub async fn sync_search(&self) -> Result<usize, IndexerError> {
        search_indexer::catch_up(self.state.store(), self.state.search()).await
    }

    /// Makes the variants of every upload still waiting for them (the running server does
    /// this in the background).
    pub async fn process_media(&self) -> Result<usize, StorageError> {
        crate::jobs::media_variants::process_pending(
            self.state.store(),
            self.state.media_store(),
            self.state.image_permits(),
            self.state.jobs(),
        )
        .await
    }

    /// Writes the views this node has counted to the store now and works the most-read lists
    /// out again at the next page (the running server writes them every `[views]
    /// flush_seconds` and works the lists out once a minute). Returns how many counted.
    pub async fn count_views_now(&self) -> Result<u64, StorageError> {
        let n = self.state.views().flush(self.state.store()).await?;
        self.state.most_read().forget().await;
        self.state
            .cache()
            .invalidate(&["most-read".to_owned()].into_iter().collect());
        Ok(n)
    }

    /// Polls every active wire source now, due or not (the running server polls each on its
    /// own interval, on the node holding the `wires` lease).
    pub async fn poll_wires_now(
        &self,
    ) -> Result<Vec<(i64, crate::jobs::wires::Polled)>, StorageError> {
        let sources: Vec<_> = self
            .state
            .store()
            .wire_sources()
            .await?
            .into_iter()
            .filter(|s| s.active == 1)
            .collect();
        let client = crate::jobs::wires::WireClient::new(self.state.config().wires.timeout());
        Ok(
            crate::jobs::wires::poll_all(self.state.store(), &client, sources, self.state.jobs())
                .await,
        )
    }

    /// Serves until `shutdown` resolves, then lets requests in flight finish. The background
    /// jobs are told to stop as soon as `shutdown` resolves, alongside the requests.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let App {
            state,
            router,
            lock: _lock,
            node,
        } = self;
        let addr: Option<SocketAddr> = listener.local_addr().ok();
        tracing::info!(addr = ?addr, "khobor is serving");
        if state.config().metrics.token.is_none() && addr.is_some_and(|a| !a.ip().is_loopback()) {
            tracing::warn!(
                "/metrics is open to anyone who can reach this address; set [metrics] token or KHOBOR_METRICS_TOKEN"
            );
        }
        let store = state.store().clone();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let stop = Arc::new(stop);
        let shutdown = {
            let stop = Arc::clone(&stop);
            async move {
                shutdown.await;
                let _ = stop.send(true);
            }
        };
        let indexer = tokio::spawn(search_indexer::run(
            store.clone(),
            Arc::clone(state.search()),
            Arc::clone(state.indexer()),
            state.jobs().clone(),
            stopped.clone(),
        ));
        let scheduler = tokio::spawn(crate::jobs::scheduler::run(
            store.clone(),
            state.config().retention,
            state.jobs().clone(),
            stopped.clone(),
        ));
        let cache = tokio::spawn(web::cache::follow(state.clone(), stopped.clone()));
        let wires = tokio::spawn(crate::jobs::wires::run(
            store.clone(),
            crate::jobs::wires::WireClient::new(state.config().wires.timeout()),
            node.clone(),
            state.jobs().clone(),
            stopped.clone(),
        ));
        let views = tokio::spawn(crate::jobs::views::run(
            store.clone(),
            Arc::clone(state.views()),
            std::time::Duration::from_secs(u64::from(state.config().views.flush_seconds)),
            state.jobs().clone(),
            stopped.clone(),
        ));
        let live = tokio::spawn(web::reader::live::follow(state.clone(), stopped.clone()));
        let media = tokio::spawn(crate::jobs::media_variants::run(
            store.clone(),
            state.media_store().clone(),
            Arc::clone(state.media_wake()),
            Arc::clone(state.image_permits()),
            state.jobs().clone(),
            stopped.clone(),
        ));
        let cdn = crate::cdn::Purger::new(&state.config().cdn).map(|purger| {
            tokio::spawn(crate::jobs::cdn_purge::run(
                store.clone(),
                purger,
                node.clone(),
                state.jobs().clone(),
                stopped.clone(),
            ))
        });
        let webhooks = tokio::spawn(crate::jobs::webhooks::run(
            store.clone(),
            state.config().site.base_url.clone(),
            node.clone(),
            state.jobs().clone(),
            stopped.clone(),
        ));
        let snapshots = state.config().snapshots.every.map(|every| {
            tokio::spawn(search_snapshot::run(
                store.clone(),
                Arc::clone(state.search()),
                state.media_store().clone(),
                node,
                every,
                state.snapshots().clone(),
                stopped.clone(),
            ))
        });
        let limits = state.config().server;
        let served = web::server::serve(listener, state.clone(), router, limits, shutdown).await;
        let _ = stop.send(true);
        let _ = indexer.await;
        let _ = scheduler.await;
        let _ = media.await;
        let _ = cache.await;
        let _ = views.await;
        let _ = wires.await;
        let _ = webhooks.await;
        let _ = live.await;
        if let Some(cdn) = cdn {
            let _ = cdn.await;
        }
        if let Some(snapshots) = snapshots {
            let _ = snapshots.await;
        }
        store.close().await;
        served
    }
}
