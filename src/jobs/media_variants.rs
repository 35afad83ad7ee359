//! Makes the responsive variants of uploaded images in the background: woken by each upload,
//! and at start-up for anything left half done (an upload stays 'processing' until its
//! variants are stored, so a crash loses nothing). One image at a time, and each decode takes
//! one of the permits uploads decode under, so uploads and this job together never decode more
//! images at once than there are permits.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify, Semaphore};

use super::{Job, JobCounters};
use crate::storage::media::MediaVariant;
use crate::storage::{StorageError, Store};

/// How long a node may hold an upload before another may take it over: far longer than
/// making one image's variants takes.
pub const LEASE_SECONDS: i64 = 300;

/// Processes every pending upload no other node holds, each claimed first (see
/// [`Store::claim_media`]) and made under one of `permits`; returns how many were handled.
/// Stops early, giving the claim back, once `permits` is closed (shutting down).
pub async fn process_pending(
    store: &Store,
    dir: &Path,
    permits: &Arc<Semaphore>,
    jobs: &JobCounters,
) -> Result<usize, StorageError> {
    let me = super::node_name();
    let mut done = 0;
    while let Some(m) = store.claim_media(me, LEASE_SECONDS).await? {
        let original = dir.join(m.path.trim_start_matches("/media/"));
        if !original.exists() {
            // Uploaded to another node's disk: that node (woken by its upload) makes the
            // variants; this claim runs out in case it died.
            tracing::warn!(media = m.id, path = %original.display(), "original not on this node; left to the node that has it");
            continue;
        }
        let Ok(permit) = Arc::clone(permits).acquire_owned().await else {
            store.release_media(m.id, me).await?;
            return Ok(done);
        };
        process_one(store, dir, m.id, original, permit, jobs).await?;
        done += 1;
    }
    Ok(done)
}

async fn process_one(
    store: &Store,
    dir: &Path,
    id: i64,
    file: PathBuf,
    permit: tokio::sync::OwnedSemaphorePermit,
    jobs: &JobCounters,
) -> Result<(), StorageError> {
    let out_dir = dir.to_path_buf();
    let made = tokio::task::spawn_blocking(move || {
        // Held by the decode itself, so it is returned only when the pixels are freed.
        let _permit = permit;
        make_variants(&file, &out_dir, id)
    })
    .await;
    match made {
        Ok(Ok(variants)) => {
            store.finish_media(id, &variants).await?;
            jobs.done(Job::MediaVariants, 1);
            Ok(())
        }
        Ok(Err(why)) => {
            tracing::error!(media = id, error = %why, "image variants failed");
            jobs.failed(Job::MediaVariants);
            store.fail_media(id).await
        }
        Err(panic) => {
            tracing::error!(media = id, error = %panic, "image variants panicked");
            jobs.failed(Job::MediaVariants);
            store.fail_media(id).await
        }
    }
}

fn make_variants(file: &PathBuf, dir: &Path, id: i64) -> Result<Vec<MediaVariant>, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let limits = media::Limits::default();
    let original = media::reopen(&bytes, &limits).map_err(|e| e.to_string())?;
    let variants = media::variants(&original, &limits).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(variants.len());
    for v in &variants {
        let name = media::variant_name(v);
        let path = dir.join(&name);
        if !path.exists() {
            let tmp = dir.join(format!(".{name}.tmp"));
            std::fs::write(&tmp, &v.bytes).map_err(|e| e.to_string())?;
            std::fs::rename(&tmp, &path).map_err(|e| e.to_string())?;
        }
        out.push(MediaVariant {
            media_id: id,
            width: i64::from(v.width),
            height: i64::from(v.height),
            mime: v.format.mime().to_owned(),
            name,
            bytes: v.bytes.len() as i64,
        });
    }
    Ok(out)
}

/// Runs until `stop` turns true.
pub async fn run(
    store: Store,
    dir: PathBuf,
    wake: Arc<Notify>,
    permits: Arc<Semaphore>,
    jobs: JobCounters,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = process_pending(&store, &dir, &permits, &jobs).await {
            tracing::error!(error = %e, "media worker");
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = stop.changed() => return,
            // A safety net for uploads recorded by another node.
            _ = tokio::time::sleep(Duration::from_secs(30)) => {}
        }
    }
}
