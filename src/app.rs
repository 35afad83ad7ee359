//! Building and running the application: the one function `khobor serve` and the tests share.

use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::config::Config;
use crate::storage::{StorageError, Store};
use crate::web::{self, AppState};

/// The assembled application: an open store and the router over it.
pub struct App {
    pub state: AppState,
    pub router: axum::Router,
}

impl App {
    /// Opens (and migrates) the store in the configured data directory, and builds the router.
    pub async fn build(config: Config) -> Result<App, StorageError> {
        let store = Store::open(&config.db_path()).await?;
        let state = AppState::new(store, config);
        let router = web::router(state.clone());
        Ok(App { state, router })
    }

    pub fn store(&self) -> &Store {
        self.state.store()
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
        axum::serve(listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await?;
        store.close().await;
        Ok(())
    }
}
