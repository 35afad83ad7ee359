//! Makes the responsive variants of uploaded images in the background: woken by each upload,
//! and at start-up for anything left half done (an upload stays 'processing' until its
//! variants are stored, so a crash loses nothing). One image at a time, and each decode takes
//! one of the permits uploads decode under, so uploads and this job together never decode more
//! images at once than there are permits.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{watch, Notify, Semaphore};

use super::{Job, JobCounters};
use crate::media_store::MediaStore;
use crate::storage::media::MediaVariant;
use crate::storage::{StorageError, Store};

/// How long a node may hold an upload before another may take it over: far longer than
/// making one image's variants takes.
pub const LEASE_SECONDS: i64 = 300;

/// Processes every pending upload no other node holds, each claimed first (see
/// [`Store::claim_media`]) and made under one of `permits`; returns how many were handled.
/// Stops early, giving the claim back, once `permits` is closed (shutting down), or when the
/// media store cannot be reached (the upload stays pending, and is tried again on the next
/// wake or the 30-second round).
pub async fn process_pending(
    store: &Store,
    media: &MediaStore,
    permits: &Arc<Semaphore>,
    jobs: &JobCounters,
) -> Result<usize, StorageError> {
    let me = super::node_name();
    let mut done = 0;
    while let Some(m) = store.claim_media(me, LEASE_SECONDS).await? {
        let name = m.path.trim_start_matches("/media/").to_owned();
        let original = match media.get(&name).await {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                // On a local media store, uploaded to another node's disk: that node (woken
                // by its upload) makes the variants; this claim runs out in case it died.
                tracing::warn!(media = m.id, name = %name, store = media.describe(), "original not in this node's media store; left to the node that has it");
                continue;
            }
            Err(e) => {
                tracing::error!(media = m.id, error = %e, "image variants: the original cannot be read");
                jobs.failed(Job::MediaVariants);
                store.release_media(m.id, me).await?;
                return Ok(done);
            }
        };
        let Ok(permit) = Arc::clone(permits).acquire_owned().await else {
            store.release_media(m.id, me).await?;
            return Ok(done);
        };
        if !process_one(store, media, m.id, original, permit, jobs).await? {
            store.release_media(m.id, me).await?;
            return Ok(done);
        }
        done += 1;
    }
    Ok(done)
}

/// Makes and stores one upload's variants; `false` when the media store could not take
/// them (the upload stays pending).
async fn process_one(
    store: &Store,
    media: &MediaStore,
    id: i64,
    original: Bytes,
    permit: tokio::sync::OwnedSemaphorePermit,
    jobs: &JobCounters,
) -> Result<bool, StorageError> {
    let made = tokio::task::spawn_blocking(move || {
        // Held by the decode itself, so it is returned only when the pixels are freed.
        let _permit = permit;
        make_variants(&original, id)
    })
    .await;
    match made {
        Ok(Ok(variants)) => {
            // Every object before the rows that name them.
            for (v, bytes) in &variants {
                if let Err(e) = media.put_new(&v.name, bytes.clone()).await {
                    tracing::error!(media = id, error = %e, "image variants cannot be stored");
                    jobs.failed(Job::MediaVariants);
                    return Ok(false);
                }
            }
            let rows: Vec<MediaVariant> = variants.into_iter().map(|(v, _)| v).collect();
            store.finish_media(id, &rows).await?;
            jobs.done(Job::MediaVariants, 1);
            Ok(true)
        }
        Ok(Err(why)) => {
            tracing::error!(media = id, error = %why, "image variants failed");
            jobs.failed(Job::MediaVariants);
            store.fail_media(id).await?;
            Ok(true)
        }
        Err(panic) => {
            tracing::error!(media = id, error = %panic, "image variants panicked");
            jobs.failed(Job::MediaVariants);
            store.fail_media(id).await?;
            Ok(true)
        }
    }
}

fn make_variants(bytes: &[u8], id: i64) -> Result<Vec<(MediaVariant, Bytes)>, String> {
    let limits = media::Limits::default();
    let original = media::reopen(bytes, &limits).map_err(|e| e.to_string())?;
    let variants = media::variants(&original, &limits).map_err(|e| e.to_string())?;
    Ok(variants
        .into_iter()
        .map(|v| {
            let row = MediaVariant {
                media_id: id,
                width: i64::from(v.width),
                height: i64::from(v.height),
                mime: v.format.mime().to_owned(),
                name: media::variant_name(&v),
                bytes: v.bytes.len() as i64,
            };
            (row, Bytes::from(v.bytes))
        })
        .collect())
}

/// Runs until `stop` turns true.
pub async fn run(
    store: Store,
    media: MediaStore,
    wake: Arc<Notify>,
    permits: Arc<Semaphore>,
    jobs: JobCounters,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = process_pending(&store, &media, &permits, &jobs).await {
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
