//! Search-index snapshots in the media store, so that a fresh node starts from a copy of the
//! index instead of rebuilding it from every story. The node holding the `search-snapshot`
//! lease uploads, every `[search] snapshot_minutes`, the files of the index's last commit that
//! the store does not have yet (segment files never change once written, so a name already
//! there is the same bytes), then a manifest (files, sizes, SHA-256, and the commit's feed
//! position with the store's id and epoch), then points `latest.json` at it; it keeps the
//! last [`KEEP`] manifests and deletes files no kept manifest names. A node starting with an
//! empty index downloads the latest snapshot of its own store beside `DATA/search`, checks
//! every size and checksum, renames it into place and follows the change feed from the
//! snapshot's position; anything unusable is logged and left for the full rebuild.
//!
//! Keys, under the media store's root or prefix (beside the media, which never contain a
//! `/`): `snapshots/search/files/{segment file}`, `snapshots/search/manifests/{time}-{seq}.json`,
//! `snapshots/search/latest.json`. May import `storage`, `search`, `media_store`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use super::search_indexer::mark_of;
use crate::media_store::{self, MediaStore, MediaStoreError};
use crate::search::snapshot::{self as files, Committed};
use crate::search::{Position, Recorded, SearchError, SearchIndex};
use crate::storage::{StorageError, Store};

/// The lease the node that takes snapshots holds.
pub const LEASE: &str = "search-snapshot";
const ROOT: &str = "snapshots/search";
const LATEST: &str = "snapshots/search/latest.json";
/// Manifests kept (the newest first); files only older ones name are deleted.
pub const KEEP: usize = 2;
const FORMAT: u32 = 1;

fn file_key(name: &str) -> String {
    format!("{ROOT}/files/{name}")
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error("search snapshot: {0}")]
    Objects(#[from] MediaStoreError),
    #[error("search snapshot: {0}")]
    Io(#[from] std::io::Error),
    #[error("search snapshot task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("search snapshot: this node lost the snapshot lease while uploading")]
    LostLease,
    #[error("search snapshot stopped before it was complete")]
    Interrupted,
    #[error("search snapshot: {0}")]
    Manifest(String),
}

/// One snapshot: the index's last commit as files, and where it stands in the change feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub store: String,
    pub epoch: i64,
    pub seq: i64,
    pub mark: String,
    pub docs: u64,
    /// Unix seconds.
    pub taken_at: i64,
    /// The node that took it ([`super::node_name`] and the application's number).
    pub node: String,
    /// tantivy's `meta.json` of the commit, with the feed position in its payload.
    pub meta_json: String,
    pub files: Vec<ManifestFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Latest {
    manifest: String,
}

/// What `/metrics` shows of snapshots: counted here, registered there as the same counters.
#[derive(Debug, Clone, Default)]
pub struct SnapshotCounters {
    pub taken: Counter,
    pub failed: Counter,
    pub files_uploaded: Counter,
    pub bytes_uploaded: Counter,
    /// The change-feed position of the last snapshot this node took.
    pub last_seq: Gauge,
    /// When this node last took one (Unix seconds).
    pub last_time: Gauge,
}

/// What one round did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    Uploaded(Report),
    /// The index has not moved since the latest snapshot.
    Unchanged {
        seq: i64,
    },
    /// Another node holds the lease (and takes the snapshots).
    NotHolder {
        holder: Option<String>,
    },
    /// The index has no feed position of this store yet (being rebuilt).
    NoPosition,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub manifest: String,
    pub seq: i64,
    pub docs: u64,
    /// Every file of the snapshot.
    pub files: Vec<String>,
    /// Those uploaded this time (the rest were in the store already).
    pub uploaded: Vec<String>,
    pub bytes_uploaded: u64,
}

/// How a start with an empty index went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restore {
    /// The index was not empty: nothing to restore.
    NotNeeded,
    /// No snapshot in the store.
    NoSnapshot,
    Restored {
        seq: i64,
        docs: u64,
        files: usize,
        bytes: u64,
    },
    /// A snapshot that does not belong to this store or its feed (the reason says how).
    Ignored(String),
    /// A snapshot that could not be read or did not check out (the reason says how).
    Refused(String),
}

impl Restore {
    pub fn as_str(&self) -> &'static str {
        match self {
            Restore::NotNeeded => "not_needed",
            Restore::NoSnapshot => "no_snapshot",
            Restore::Restored { .. } => "restored",
            Restore::Ignored(_) => "ignored",
            Restore::Refused(_) => "refused",
        }
    }
}

async fn read_manifest(objects: &MediaStore, key: &str) -> Result<Manifest, SnapshotError> {
    let bytes = objects
        .get_key(key)
        .await?
        .ok_or_else(|| SnapshotError::Manifest(format!("{key} is missing")))?;
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| SnapshotError::Manifest(format!("{key} cannot be read: {e}")))?;
    if manifest.format != FORMAT {
        return Err(SnapshotError::Manifest(format!(
            "{key} is in format {}, this version reads {FORMAT}",
            manifest.format
        )));
    }
    Ok(manifest)
}

/// The manifest `latest.json` points at, if any.
pub async fn latest(objects: &MediaStore) -> Result<Option<(String, Manifest)>, SnapshotError> {
    let Some(bytes) = objects.get_key(LATEST).await? else {
        return Ok(None);
    };
    let latest: Latest = serde_json::from_slice(&bytes)
        .map_err(|e| SnapshotError::Manifest(format!("{LATEST} cannot be read: {e}")))?;
    if !latest.manifest.starts_with(&format!("{ROOT}/manifests/")) {
        return Err(SnapshotError::Manifest(format!(
            "{LATEST} points outside the snapshots: {:?}",
            latest.manifest
        )));
    }
    let manifest = read_manifest(objects, &latest.manifest).await?;
    Ok(Some((latest.manifest, manifest)))
}

/// Takes a snapshot now if this node holds (or can take) the lease and the index moved since
/// the latest one. `owner` names this node in the lease; the lease is taken or renewed for
/// `lease_seconds`, and renewed while files upload. `stopped` is checked between files.
pub async fn take(
    store: &Store,
    index: &Arc<SearchIndex>,
    objects: &MediaStore,
    owner: &str,
    lease_seconds: i64,
    counters: &SnapshotCounters,
    stopped: &(dyn Fn() -> bool + Sync),
) -> Result<Taken, SnapshotError> {
    let result = take_inner(
        store,
        index,
        objects,
        owner,
        lease_seconds,
        counters,
        stopped,
    )
    .await;
    match &result {
        Ok(Taken::Uploaded(report)) => {
            counters.taken.inc();
            counters.last_seq.set(report.seq);
            counters.last_time.set(crate::storage::now());
        }
        Ok(_) => {}
        Err(_) => {
            counters.failed.inc();
        }
    }
    result
}

async fn take_inner(
    store: &Store,
    index: &Arc<SearchIndex>,
    objects: &MediaStore,
    owner: &str,
    lease_seconds: i64,
    counters: &SnapshotCounters,
    stopped: &(dyn Fn() -> bool + Sync),
) -> Result<Taken, SnapshotError> {
    if store
        .take_lease(LEASE, owner, lease_seconds)
        .await?
        .is_none()
    {
        let holder = store.lease(LEASE).await?.and_then(|l| l.owner);
        return Ok(Taken::NotHolder { holder });
    }
    let mut renewed = Instant::now();
    // Held until the upload is over: tantivy keeps these files while this value lives.
    let committed: Committed = {
        let index = Arc::clone(index);
        tokio::task::spawn_blocking(move || index.committed()).await??
    };
    let identity = store.identity().await?;
    let (seq, mark) = match &committed.recorded {
        Recorded::Position(Position::At {
            store: id,
            epoch,
            seq,
            mark,
        }) if *id == identity.id && *epoch == identity.feed_epoch => (*seq, mark.clone()),
        _ => return Ok(Taken::NoPosition),
    };
    let previous = match latest(objects).await {
        Ok(found) => found.map(|(_, m)| m),
        Err(e) => {
            tracing::warn!(error = %e, "the latest search snapshot cannot be read; taking a new one");
            None
        }
    };
    if let Some(p) = &previous {
        if p.store == identity.id
            && p.epoch == identity.feed_epoch
            && p.seq == seq
            && p.docs == committed.docs
        {
            return Ok(Taken::Unchanged { seq });
        }
    }
    // Checksums of files the latest snapshot has already listed (same name, same size: the
    // same immutable file) are taken from it rather than read again.
    let known: BTreeMap<&str, &ManifestFile> = previous
        .iter()
        .flat_map(|p| p.files.iter())
        .map(|f| (f.name.as_str(), f))
        .collect();
    let there: BTreeMap<String, u64> = objects
        .list_keys(&format!("{ROOT}/files"))
        .await?
        .into_iter()
        .map(|o| (o.name, o.size))
        .collect();
    let mut listed = Vec::with_capacity(committed.files.len());
    let mut uploaded = Vec::new();
    let mut bytes_uploaded = 0;
    for file in &committed.files {
        if stopped() {
            return Err(SnapshotError::Interrupted);
        }
        if renewed.elapsed() > Duration::from_secs((lease_seconds / 3).max(1) as u64) {
            if store
                .take_lease(LEASE, owner, lease_seconds)
                .await?
                .is_none()
            {
                return Err(SnapshotError::LostLease);
            }
            renewed = Instant::now();
        }
        let sha256 = match known.get(file.name.as_str()) {
            Some(k) if k.size == file.size => k.sha256.clone(),
            _ => {
                let path = file.path.clone();
                tokio::task::spawn_blocking(move || files::sha256_file(&path)).await??
            }
        };
        let key = file_key(&file.name);
        if there.get(&key) != Some(&file.size) {
            objects.put_file(&key, &file.path, file.size).await?;
            counters.files_uploaded.inc();
            counters.bytes_uploaded.inc_by(file.size);
            uploaded.push(file.name.clone());
            bytes_uploaded += file.size;
        }
        listed.push(ManifestFile {
            name: file.name.clone(),
            size: file.size,
            sha256,
        });
    }
    let taken_at = crate::storage::now();
    let manifest = Manifest {
        format: FORMAT,
        store: identity.id,
        epoch: identity.feed_epoch,
        seq,
        mark,
        docs: committed.docs,
        taken_at,
        node: owner.to_owned(),
        meta_json: committed.meta_json.clone(),
        files: listed,
    };
    drop(committed);
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let key = format!("{ROOT}/manifests/{millis:015}-{seq:012}.json");
    let body =
        serde_json::to_vec_pretty(&manifest).map_err(|e| SnapshotError::Manifest(e.to_string()))?;
    objects.put_key(&key, Bytes::from(body)).await?;
    // Still the holder? Then, and only then, the new snapshot becomes the latest.
    let state = serde_json::json!({ "manifest": key }).to_string();
    if !store.advance_lease(LEASE, owner, seq, Some(&state)).await? {
        return Err(SnapshotError::LostLease);
    }
    let pointer = serde_json::to_vec(&Latest {
        manifest: key.clone(),
    })
    .map_err(|e| SnapshotError::Manifest(e.to_string()))?;
    objects.put_key(LATEST, Bytes::from(pointer)).await?;
    if let Err(e) = prune(objects, &key, &manifest).await {
        // The snapshot itself is complete; old files are pruned next time.
        tracing::warn!(error = %e, "old search snapshots could not be pruned");
    }
    Ok(Taken::Uploaded(Report {
        manifest: key,
        seq,
        docs: manifest.docs,
        files: manifest.files.iter().map(|f| f.name.clone()).collect(),
        uploaded,
        bytes_uploaded,
    }))
}

/// Deletes manifests older than the newest [`KEEP`] (never `current`), then files that no
/// kept manifest names.
async fn prune(
    objects: &MediaStore,
    current: &str,
    manifest: &Manifest,
) -> Result<(), SnapshotError> {
    let mut manifests: Vec<String> = objects
        .list_keys(&format!("{ROOT}/manifests"))
        .await?
        .into_iter()
        .map(|o| o.name)
        .filter(|n| n.ends_with(".json"))
        .collect();
    manifests.sort();
    let mut keep: Vec<String> = manifests.iter().rev().take(KEEP).cloned().collect();
    if !keep.iter().any(|k| k == current) {
        keep.push(current.to_owned());
    }
    let mut referenced: BTreeSet<String> =
        manifest.files.iter().map(|f| file_key(&f.name)).collect();
    for k in keep.iter().filter(|k| *k != current) {
        match read_manifest(objects, k).await {
            Ok(m) => referenced.extend(m.files.iter().map(|f| file_key(&f.name))),
            // A manifest that cannot be read keeps nothing, and is pruned in its turn.
            Err(e) => {
                tracing::warn!(manifest = %k, error = %e, "unreadable search snapshot manifest")
            }
        }
    }
    for old in manifests.iter().filter(|m| !keep.contains(m)) {
        objects.delete_key(old).await?;
    }
    for file in objects.list_keys(&format!("{ROOT}/files")).await? {
        if !referenced.contains(&file.name) {
            objects.delete_key(&file.name).await?;
        }
    }
    Ok(())
}

/// Runs in `serve` on every node: every `every`, takes or renews the lease and, holding it,
/// takes a snapshot if the index moved. The lease lasts three intervals (at least a minute),
/// so it is renewed well before it runs out; it is released when the node stops.
pub async fn run(
    store: Store,
    index: Arc<SearchIndex>,
    objects: MediaStore,
    owner: String,
    every: Duration,
    counters: SnapshotCounters,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let lease_seconds = (every.as_secs().saturating_mul(3)).max(60) as i64;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
        let stopped = {
            let stop = stop.clone();
            move || *stop.borrow()
        };
        let started = Instant::now();
        match take(
            &store,
            &index,
            &objects,
            &owner,
            lease_seconds,
            &counters,
            &stopped,
        )
        .await
        {
            Ok(Taken::Uploaded(r)) => tracing::info!(
                snapshot.manifest = %r.manifest,
                snapshot.seq = r.seq,
                snapshot.docs = r.docs,
                snapshot.files = r.files.len(),
                snapshot.uploaded = r.uploaded.len(),
                snapshot.bytes_uploaded = r.bytes_uploaded,
                duration_ms = started.elapsed().as_millis() as u64,
                "search index snapshot taken"
            ),
            Ok(other) => tracing::debug!(outcome = ?other, "no search index snapshot this time"),
            Err(SnapshotError::Interrupted) => break,
            Err(e) => tracing::error!(error = %e, "search index snapshot failed"),
        }
    }
    if let Err(e) = store.release_lease(LEASE, &owner).await {
        tracing::warn!(error = %e, "the search snapshot lease could not be released");
    }
}

/// At start, before the index is opened: if the index in `live` is empty, puts the latest
/// snapshot of this store in its place. Never fails: whatever goes wrong is logged and
/// reported, and the indexer then rebuilds from the store as it would have.
pub async fn restore_if_empty(store: &Store, objects: &MediaStore, live: &Path) -> Restore {
    if !files::is_empty(live) {
        return Restore::NotNeeded;
    }
    let started = Instant::now();
    let outcome = match restore(store, objects, live).await {
        Ok(outcome) => outcome,
        Err(e) => Restore::Refused(e.to_string()),
    };
    match &outcome {
        Restore::Restored {
            seq,
            docs,
            files,
            bytes,
        } => tracing::info!(
            snapshot.seq = seq,
            snapshot.docs = docs,
            snapshot.files = files,
            snapshot.bytes = bytes,
            duration_ms = started.elapsed().as_millis() as u64,
            "search index restored from a snapshot; following the change feed from there"
        ),
        Restore::NoSnapshot => {
            tracing::info!(
                "no search index snapshot to start from; building the index from the store"
            )
        }
        Restore::Ignored(reason) => tracing::warn!(
            reason = %reason,
            "the latest search index snapshot is not this store's; building the index from the store"
        ),
        Restore::Refused(reason) => tracing::warn!(
            reason = %reason,
            "the latest search index snapshot cannot be used; building the index from the store"
        ),
        Restore::NotNeeded => {}
    }
    outcome
}

async fn restore(
    store: &Store,
    objects: &MediaStore,
    live: &Path,
) -> Result<Restore, SnapshotError> {
    let Some((key, manifest)) = latest(objects).await? else {
        return Ok(Restore::NoSnapshot);
    };
    let identity = store.identity().await?;
    if manifest.store != identity.id {
        return Ok(Restore::Ignored(format!(
            "{key} is a snapshot of another store ({}, this is {})",
            manifest.store, identity.id
        )));
    }
    if manifest.epoch != identity.feed_epoch {
        return Ok(Restore::Ignored(format!(
            "{key} is of change-feed epoch {}, the store is in epoch {}",
            manifest.epoch, identity.feed_epoch
        )));
    }
    let newest = store.last_change_seq().await?;
    if manifest.seq > newest
        || manifest.mark != mark_of(store.change_at(manifest.seq).await?.as_ref())
    {
        return Ok(Restore::Ignored(format!(
            "{key} is at feed position {}, which the store's feed (now at {newest}) does not hold as recorded",
            manifest.seq
        )));
    }
    // The commit inside must say what the manifest says, or the index would follow the feed
    // from somewhere else.
    let payload = serde_json::from_str::<serde_json::Value>(&manifest.meta_json)
        .ok()
        .and_then(|m| m.get("payload").and_then(|p| p.as_str()).map(str::to_owned))
        .and_then(|p| serde_json::from_str::<Position>(&p).ok());
    let expected = Position::At {
        store: manifest.store.clone(),
        epoch: manifest.epoch,
        seq: manifest.seq,
        mark: manifest.mark.clone(),
    };
    if payload.as_ref() != Some(&expected) {
        return Ok(Restore::Refused(format!(
            "{key}: the index's own record of its position differs from the manifest's"
        )));
    }
    if let Some(bad) = manifest
        .files
        .iter()
        .find(|f| !media_store::valid_name(&f.name))
    {
        return Ok(Restore::Refused(format!(
            "{key} names a file {:?}",
            bad.name
        )));
    }
    let staging = files::restore_dir(live);
    if staging.exists() {
        tokio::fs::remove_dir_all(&staging).await?;
    }
    tokio::fs::create_dir_all(&staging).await?;
    let result = download(objects, &manifest, &staging).await;
    let result = match result {
        Ok(bytes) => {
            let names: Vec<String> = manifest.files.iter().map(|f| f.name.clone()).collect();
            let (meta, docs) = (manifest.meta_json.clone(), manifest.docs);
            let (staging2, live2) = (staging.clone(), live.to_path_buf());
            tokio::task::spawn_blocking(move || {
                files::install(&staging2, &live2, &meta, &names, docs)
            })
            .await?
            .map(|()| bytes)
            .map_err(SnapshotError::from)
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(bytes) => Ok(Restore::Restored {
            seq: manifest.seq,
            docs: manifest.docs,
            files: manifest.files.len(),
            bytes,
        }),
        Err(e) => {
            let _ = tokio::fs::remove_dir_all(&staging).await;
            match e {
                SnapshotError::Manifest(reason) => Ok(Restore::Refused(reason)),
                other => Err(other),
            }
        }
    }
}

/// Downloads every file of `manifest` into `dir` and checks its size and SHA-256. Returns the
/// bytes downloaded.
async fn download(
    objects: &MediaStore,
    manifest: &Manifest,
    dir: &Path,
) -> Result<u64, SnapshotError> {
    let mut total = 0;
    for file in &manifest.files {
        let key = file_key(&file.name);
        let Some(mut reading) = objects.read_key(&key).await? else {
            return Err(SnapshotError::Manifest(format!("{key} is missing")));
        };
        let path = dir.join(&file.name);
        let mut out = tokio::fs::File::create(&path).await?;
        let mut size = 0u64;
        while let Some(chunk) = reading.bytes.next().await {
            let chunk = chunk?;
            size += chunk.len() as u64;
            out.write_all(&chunk).await?;
        }
        out.sync_all().await?;
        drop(out);
        if size != file.size {
            return Err(SnapshotError::Manifest(format!(
                "{key} is {size} bytes, the manifest says {}",
                file.size
            )));
        }
        let sum = tokio::task::spawn_blocking(move || files::sha256_file(&path)).await??;
        if sum != file.sha256 {
            return Err(SnapshotError::Manifest(format!(
                "{key} does not match its checksum (SHA-256 {sum}, the manifest says {})",
                file.sha256
            )));
        }
        total += size;
    }
    Ok(total)
}
