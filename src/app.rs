//! Building and running the application: the one function `khobor serve` and the tests share.

use std::net::SocketAddr;

use tokio::net::TcpListener;

use std::sync::Arc;

use crate::config::Config;
use crate::jobs::search_indexer::{self, IndexerError};
use crate::search::{SearchError, SearchIndex};
use crate::storage::{StorageError, Store};
use crate::web::{self, AppState};

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Search(#[from] SearchError),
}

/// The assembled application: an open store and the router over it.
pub struct App {
    pub state: AppState,
    pub router: axum::Router,
}

impl App {
    /// Opens (and migrates) the store and opens the search index in the configured data
    /// directory, and builds the router.
    pub async fn build(config: Config) -> Result<App, BuildError> {
        let store = Store::open(&config.db_path()).await?;
        let translit =
            bangla::banglish::Transliterator::with_aliases(config.search_aliases.clone());
        let search = Arc::new(SearchIndex::open(&config.search_dir(), translit)?);
        let state = AppState::new(store, search, config);
        let router = web::router(state.clone());
        Ok(App { state, router })
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
            &self.state.config().media_dir(),
            self.state.image_permits(),
        )
        .await
    }

    /// Serves until `shutdown` resolves, then lets requests in flight finish.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let addr: Option<SocketAddr> = listener.local_addr().ok();
        tracing::info!(addr = ?addr, "khobor is serving");
        let store = self.state.store().clone();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let indexer = tokio::spawn(search_indexer::run(
            store.clone(),
            Arc::clone(self.state.search()),
            stopped.clone(),
        ));
        let scheduler = tokio::spawn(crate::jobs::scheduler::run(store.clone(), stopped.clone()));
        let cache = tokio::spawn(web::cache::follow(self.state.clone(), stopped.clone()));
        let media = tokio::spawn(crate::jobs::media_variants::run(
            store.clone(),
            self.state.config().media_dir(),
            Arc::clone(self.state.media_wake()),
            Arc::clone(self.state.image_permits()),
            stopped,
        ));
        // Small responses go out at once instead of waiting for Nagle's algorithm.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY not set");
            }
        });
        axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        let _ = stop.send(true);
        let _ = indexer.await;
        let _ = scheduler.await;
        let _ = media.await;
        let _ = cache.await;
        store.close().await;
        Ok(())
    }
}
