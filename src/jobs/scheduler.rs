//! Publishes scheduled stories when their time comes, whether or not anyone visits the site.
//! It checks every second; the first check runs at start-up, so a story whose time passed
//! while the server was down goes out at once. Each story is claimed through the store, so
//! several nodes can run this side by side.

use std::time::Duration;

use tokio::sync::watch;

use crate::storage::{now, Store};

/// One pass: publishes what is due now; returns the ids published.
pub async fn tick(store: &Store) -> Vec<i64> {
    match store.publish_due(now()).await {
        Ok(ids) => {
            for id in &ids {
                tracing::info!(article = id, "scheduled story published");
            }
            ids
        }
        Err(e) => {
            tracing::error!(error = %e, "scheduled publishing failed");
            Vec::new()
        }
    }
}

pub async fn run(store: Store, mut stop: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut passes: u64 = 0;
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.changed() => return,
        }
        tick(&store).await;
        passes += 1;
        if passes % 3600 == 1 {
            let t = now();
            if let Err(e) = store.prune_sessions(t, t - 86_400).await {
                tracing::warn!(error = %e, "pruning sessions failed");
            }
        }
    }
}
