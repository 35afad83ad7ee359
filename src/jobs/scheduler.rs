//! Publishes scheduled stories when their time comes, whether or not anyone visits the site.
//! It checks every second; the first check runs at start-up, so a story whose time passed
//! while the server was down goes out at once. Each story is claimed through the store, so
//! several nodes can run this side by side. Once an hour it also prunes what only grows:
//! expired sessions and logins, audit lines and failed-login records past their retention,
//! and webhook deliveries that are over and older than `domain::webhook::LOG_DAYS`.

use std::time::Duration;

use tokio::sync::watch;

use super::{Job, JobCounters};
use crate::config::RetentionConfig;
use crate::storage::{now, Result, Store};

/// One pass: publishes what is due now and takes down breaking-news alerts that ran out (their
/// pages leave every cache); returns the ids published.
pub async fn tick(store: &Store, jobs: &JobCounters) -> Vec<i64> {
    if let Err(e) = store.note_expired_breaking(now()).await {
        tracing::warn!(error = %e, "expired breaking-news alerts not noted; trying again");
    }
    match store.publish_due(now()).await {
        Ok(ids) => {
            for id in &ids {
                tracing::info!(article = id, "scheduled story published");
            }
            jobs.done(Job::ScheduledPublish, ids.len() as u64);
            ids
        }
        Err(e) => {
            tracing::error!(error = %e, "scheduled publishing failed");
            jobs.failed(Job::ScheduledPublish);
            Vec::new()
        }
    }
}

/// Deletes expired sessions, half-finished logins and known browsers, and audit lines and
/// failed-login records older than their retention at time `at`.
pub async fn prune(store: &Store, retention: RetentionConfig, at: i64) -> Result<()> {
    const DAY: i64 = 86_400;
    store
        .prune_sessions(at, at - i64::from(retention.login_failures_days) * DAY)
        .await?;
    let gone = store
        .prune_audit(at - i64::from(retention.audit_days) * DAY)
        .await?;
    if gone > 0 {
        tracing::info!(lines = gone, "old audit lines pruned");
    }
    let gone = store
        .prune_webhook_deliveries(at - crate::domain::webhook::LOG_DAYS * DAY)
        .await?;
    if gone > 0 {
        tracing::info!(deliveries = gone, "old webhook deliveries pruned");
    }
    Ok(())
}

pub async fn run(
    store: Store,
    retention: RetentionConfig,
    jobs: JobCounters,
    mut stop: watch::Receiver<bool>,
) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut passes: u64 = 0;
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.changed() => return,
        }
        tick(&store, &jobs).await;
        passes += 1;
        if passes % 3600 == 1 {
            match prune(&store, retention, now()).await {
                Ok(()) => jobs.done(Job::Prune, 1),
                Err(e) => {
                    tracing::warn!(error = %e, "pruning sessions and old records failed");
                    jobs.failed(Job::Prune);
                }
            }
        }
    }
}
