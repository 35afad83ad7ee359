//! Backups that restore: `khobor backup --to DEST`, `khobor restore --from DEST` and
//! `khobor backup verify --from DEST`. May import `config`, `datadir`, `storage` and
//! `media_store`; the CLI only parses and calls in here.
//!
//! A destination (a directory or `s3://bucket/prefix`, see [`Destination`]) holds:
//!
//! ```text
//! DEST/20261206T221500.123Z/database.sqlite | database.pgdump
//! DEST/20261206T221500.123Z/manifest.json      written last: a backup without it is incomplete
//! DEST/media/NAME                              every media object, shared by all backups
//! ```
//!
//! The database is snapshotted first (SQLite: `VACUUM INTO` a new file; PostgreSQL:
//! `pg_dump` from a snapshot exported by a repeatable-read transaction, in which the row
//! counts are taken too), then the media store is listed. Objects are written before the
//! rows that name them and never deleted, so every object a row of the snapshot names is in
//! that listing. Media names are content hashes, so an object already in `DEST/media` with
//! the same size is the same bytes: it is not copied again (its SHA-256 is taken from the
//! newest earlier manifest, or from the site's copy), which makes later backups incremental.
//!
//! Restoring checks everything before changing anything: the manifest, the database file's
//! size and SHA-256, every media object's, and (SQLite) each table's row count and checksum
//! in the fetched file; then media objects are put into the site's media store, then the
//! database goes into place (SQLite: renamed to khobor.db; PostgreSQL: `pg_restore` in one
//! transaction, then each table counted and checksummed).

mod destination;
mod postgres;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use destination::Destination;

use crate::config::Config;
use crate::media_store::{MediaStore, MediaStoreError, Put};
use crate::storage::copy::{CopyError, Tally};
use crate::storage::snapshot::{self, Facts};
use crate::storage::{identity, Location, StorageError};

/// The manifest format this khobor writes and reads.
pub const FORMAT: u32 = 1;
pub const MANIFEST: &str = "manifest.json";
pub const SQLITE_FILE: &str = "database.sqlite";
pub const POSTGRES_FILE: &str = "database.pgdump";
/// The folder of media objects every backup in a destination shares.
pub const MEDIA: &str = "media";
/// Media objects read, hashed and written at a time (a bucket answers each in a round trip).
const MEDIA_IN_FLIGHT: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Destination(String),
    #[error("cannot write to the backup destination {at}: {reason}; nothing was backed up")]
    NotWritable { at: String, reason: String },
    #[error("the backup destination {at} failed: {source}")]
    Store {
        at: String,
        source: object_store::Error,
    },
    #[error("no complete backup in {at} (a backup is complete once its manifest.json is written)")]
    NoBackup { at: String },
    #[error("backup {id} in {at} has no manifest.json: it is incomplete (stopped before it finished) or not a backup")]
    NoManifest { at: String, id: String },
    #[error("{at}/{id}/manifest.json is not a Khobor backup manifest: {reason}")]
    BadManifest {
        at: String,
        id: String,
        reason: String,
    },
    #[error("backup {id} is damaged: {file} {what}; nothing was restored")]
    Damaged {
        id: String,
        file: String,
        what: String,
    },
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Tool(String),
    #[error("cannot write {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Copy(#[from] CopyError),
    #[error(transparent)]
    Media(#[from] MediaStoreError),
    #[error(transparent)]
    DataDir(#[from] crate::datadir::DataDirError),
}

/// Which store a backup was taken of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    Sqlite,
    Postgres,
}

impl StoreKind {
    fn of(location: &Location) -> StoreKind {
        match location {
            Location::Sqlite(_) => StoreKind::Sqlite,
            Location::Postgres(_) => StoreKind::Postgres,
        }
    }

    fn file(self) -> &'static str {
        match self {
            StoreKind::Sqlite => SQLITE_FILE,
            StoreKind::Postgres => POSTGRES_FILE,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            StoreKind::Sqlite => "SQLite",
            StoreKind::Postgres => "PostgreSQL",
        }
    }
}

/// What a backup holds; `DEST/ID/manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: u32,
    pub id: String,
    pub khobor_version: String,
    /// The newest migration applied to the store backed up.
    pub schema_version: i64,
    pub store: StoreKind,
    /// The store's random id (`store_identity`), kept by a restore.
    pub store_id: String,
    /// When the snapshot was taken, RFC 3339 UTC.
    pub created_at: String,
    pub database: FileEntry,
    /// Every table (bar the migration history): row count and checksum, as in the snapshot.
    pub tables: BTreeMap<String, TableEntry>,
    /// Every media object, in `DEST/media/`.
    pub media: Vec<FileEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableEntry {
    pub rows: u64,
    /// The table's checksum (see `storage::copy::Tally`), 32 hex digits.
    #[serde(with = "hex_u128")]
    pub checksum: u128,
}

impl From<Tally> for TableEntry {
    fn from(t: Tally) -> TableEntry {
        TableEntry {
            rows: t.rows,
            checksum: t.checksum,
        }
    }
}

mod hex_u128 {
    pub fn serialize<S: serde::Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v:032x}"))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let text: String = serde::Deserialize::deserialize(d)?;
        u128::from_str_radix(&text, 16).map_err(serde::de::Error::custom)
    }
}

impl Manifest {
    /// The manifest in `bytes`, refused unless it is one this khobor can restore.
    fn parse(bytes: &[u8], at: &str, id: &str) -> Result<Manifest, BackupError> {
        let bad = |reason: String| BackupError::BadManifest {
            at: at.to_owned(),
            id: id.to_owned(),
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON ({e})")))?;
        match value.get("format").and_then(serde_json::Value::as_u64) {
            Some(f) if f == u64::from(FORMAT) => {}
            Some(f) => {
                return Err(bad(format!(
                    "format {f}, and this khobor reads format {FORMAT} (restore it with the khobor that made it, or a newer one)"
                )))
            }
            None => return Err(bad("no format number".to_owned())),
        }
        let manifest: Manifest = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
        if manifest.id != id {
            return Err(bad(format!("it names backup {:?}", manifest.id)));
        }
        if manifest
            .media
            .iter()
            .any(|m| !crate::media_store::valid_name(&m.name))
        {
            return Err(bad("a media name is not one Khobor makes".to_owned()));
        }
        Ok(manifest)
    }
}

/// A new backup's id: the time it starts, sortable as text.
fn new_id(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y%m%dT%H%M%S%.3fZ").to_string()
}

/// Whether a folder's name is a backup id.
fn is_backup_id(name: &str) -> bool {
    // The parser also takes the time without its milliseconds, which `new_id` never makes.
    name.len() == "20261206T221500.123Z".len()
        && chrono::NaiveDateTime::parse_from_str(name, "%Y%m%dT%H%M%S%.3fZ").is_ok()
}

/// What `khobor backup` did.
#[derive(Debug, Clone)]
pub struct BackupReport {
    pub id: String,
    /// The destination, for messages.
    pub at: String,
    pub store: StoreKind,
    pub database_bytes: u64,
    pub tables: usize,
    pub rows: u64,
    pub media_objects: usize,
    pub media_bytes: u64,
    pub media_copied: usize,
    pub media_skipped: usize,
    pub snapshot_time: Duration,
    pub elapsed: Duration,
}

/// Backs up the store and media of `config` to `to` (a directory or `s3://bucket/prefix`)
/// while the site keeps serving. `progress` is told each step.
pub async fn backup(
    config: &Config,
    to: &str,
    mut progress: impl FnMut(&str),
) -> Result<BackupReport, BackupError> {
    let started = Instant::now();
    if let Location::Sqlite(db) = &config.store {
        if !db.is_file() {
            return Err(BackupError::Refused(format!(
                "no store at {}: --data must be the data directory of the site to back up (or give its --database-url)",
                db.display()
            )));
        }
    }
    let dest = Destination::for_writing(to, config)?;
    dest.check_writable().await?;
    let now = chrono::Utc::now();
    let id = new_id(now);
    if dest.size(&format!("{id}/{MANIFEST}")).await?.is_some() {
        return Err(BackupError::Refused(format!(
            "a backup {id} is in {} already",
            dest.describe()
        )));
    }
    let kind = StoreKind::of(&config.store);
    let work = tempfile::tempdir().map_err(|source| BackupError::File {
        path: std::env::temp_dir().display().to_string(),
        source,
    })?;
    let file = work.path().join(kind.file());
    progress("taking a snapshot of the store");
    let facts = match &config.store {
        Location::Sqlite(db) => {
            let (db, into) = (db.clone(), file.clone());
            blocking(move || -> Result<Facts, BackupError> {
                snapshot::sqlite_snapshot(&db, &into)?;
                Ok(snapshot::sqlite_facts(&into)?)
            })
            .await?
        }
        Location::Postgres(url) => {
            let mut snap = snapshot::PgSnapshot::begin(url).await?;
            let dumped = postgres::dump(url, &snap.name, &file).await;
            let facts = match dumped {
                Ok(()) => snap.facts().await.map_err(BackupError::from),
                Err(e) => Err(e),
            };
            snap.end().await;
            facts?
        }
    };
    let snapshot_time = started.elapsed();
    let database = file_entry(&file, kind.file()).await?;
    progress(&format!(
        "snapshot taken: {} bytes, {} tables; writing it to {}",
        database.size,
        facts.tables.len(),
        dest.describe()
    ));
    dest.put_file(&format!("{id}/{}", kind.file()), &file)
        .await?;
    drop(work);

    // After the snapshot: every object its rows name is in this listing (see the module's
    // documentation).
    let media = MediaStore::open(&config.media.store)?;
    let objects = media.list().await?;
    progress(&format!(
        "copying media: {} objects in {}",
        objects.len(),
        media.describe()
    ));
    let known = known_sums(&dest).await;
    let results: Vec<(FileEntry, bool)> = futures_util::stream::iter(objects)
        .map(|o| back_up_object(&media, &dest, &known, o))
        .buffer_unordered(MEDIA_IN_FLIGHT)
        .try_filter_map(|done| async move { Ok(done) })
        .try_collect()
        .await?;
    let media_copied = results.iter().filter(|(_, copied)| *copied).count();
    let mut entries: Vec<FileEntry> = results.into_iter().map(|(e, _)| e).collect();
    entries.sort_by(|a, b| a.name.cmp(&b.name));

    let rows = facts.tables.values().map(|t| t.rows).sum();
    let manifest = Manifest {
        format: FORMAT,
        id: id.clone(),
        khobor_version: env!("CARGO_PKG_VERSION").to_owned(),
        schema_version: facts.schema_version,
        store: kind,
        store_id: facts.store_id,
        created_at: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        database: database.clone(),
        tables: facts
            .tables
            .iter()
            .map(|(t, tally)| (t.clone(), TableEntry::from(*tally)))
            .collect(),
        media: entries,
    };
    let json = serde_json::to_vec_pretty(&manifest).expect("a manifest serialises");
    // Last: only now is the backup complete.
    dest.put(&format!("{id}/{MANIFEST}"), Bytes::from(json))
        .await?;
    Ok(BackupReport {
        id,
        at: dest.describe().to_owned(),
        store: kind,
        database_bytes: database.size,
        tables: manifest.tables.len(),
        rows,
        media_objects: manifest.media.len(),
        media_bytes: manifest.media.iter().map(|m| m.size).sum(),
        media_copied,
        media_skipped: manifest.media.len() - media_copied,
        snapshot_time,
        elapsed: started.elapsed(),
    })
}

/// One media object into `DEST/media/`: skipped when an object of its name and size is
/// there already. Returns its entry and whether it was copied; `None` for an object gone
/// from the store since it was listed.
async fn back_up_object(
    media: &MediaStore,
    dest: &Destination,
    known: &HashMap<String, FileEntry>,
    object: crate::media_store::Listed,
) -> Result<Option<(FileEntry, bool)>, BackupError> {
    let key = format!("{MEDIA}/{}", object.name);
    let there = dest.size(&key).await?;
    if there == Some(object.size) {
        if let Some(entry) = known.get(&object.name).filter(|k| k.size == object.size) {
            return Ok(Some((entry.clone(), false)));
        }
    }
    let Some(bytes) = media.get(&object.name).await? else {
        return Ok(None);
    };
    let entry = FileEntry {
        name: object.name.clone(),
        size: bytes.len() as u64,
        sha256: sha256_of(bytes.clone()).await?,
    };
    if there == Some(entry.size) {
        return Ok(Some((entry, false)));
    }
    dest.put(&key, bytes).await?;
    Ok(Some((entry, true)))
}

/// Media checksums the newest readable earlier manifest recorded, by name.
async fn known_sums(dest: &Destination) -> HashMap<String, FileEntry> {
    let Ok(ids) = complete_backups(dest).await else {
        return HashMap::new();
    };
    for id in ids.iter().rev() {
        if let Ok(Some(bytes)) = dest.get(&format!("{id}/{MANIFEST}")).await {
            if let Ok(m) = Manifest::parse(&bytes, dest.describe(), id) {
                return m.media.into_iter().map(|e| (e.name.clone(), e)).collect();
            }
        }
    }
    HashMap::new()
}

/// The backups in `dest` that have a manifest, oldest first.
async fn complete_backups(dest: &Destination) -> Result<Vec<String>, BackupError> {
    let mut out = Vec::new();
    for folder in dest.folders().await? {
        if is_backup_id(&folder) && dest.size(&format!("{folder}/{MANIFEST}")).await?.is_some() {
            out.push(folder);
        }
    }
    Ok(out)
}

/// The backup `id` (or the newest complete one) and its manifest.
async fn pick(dest: &Destination, id: Option<&str>) -> Result<Manifest, BackupError> {
    let id = match id {
        Some(id) => id.trim().to_owned(),
        None => complete_backups(dest)
            .await?
            .pop()
            .ok_or_else(|| BackupError::NoBackup {
                at: dest.describe().to_owned(),
            })?,
    };
    if !is_backup_id(&id) {
        return Err(BackupError::Refused(format!(
            "{id:?} is not a backup id (they look like 20261206T221500.123Z)"
        )));
    }
    let bytes = dest
        .get(&format!("{id}/{MANIFEST}"))
        .await?
        .ok_or_else(|| BackupError::NoManifest {
            at: dest.describe().to_owned(),
            id: id.clone(),
        })?;
    Manifest::parse(&bytes, dest.describe(), &id)
}

/// What `khobor restore` did.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub id: String,
    pub store: StoreKind,
    /// Where the store now is, for messages.
    pub target: String,
    pub tables: usize,
    pub rows: u64,
    pub media_objects: usize,
    /// Put into the media store (the others were there already).
    pub media_created: usize,
    pub elapsed: Duration,
}

/// Restores the backup `id` (default: the newest complete one) from `from` into the empty
/// store of `config` and its media store. Everything in the backup is checked before
/// anything is changed; a target with a store in it is refused.
pub async fn restore(
    config: &Config,
    from: &str,
    id: Option<&str>,
    mut progress: impl FnMut(&str),
) -> Result<RestoreReport, BackupError> {
    let started = Instant::now();
    let dest = Destination::for_reading(from, config)?;
    let manifest = pick(&dest, id).await?;
    let id = manifest.id.clone();
    let kind = StoreKind::of(&config.store);
    refuse_unrestorable(&manifest, kind)?;
    // The target must be empty; on SQLite the data directory is held for the whole restore,
    // so no server starts on it half-way.
    let _lock = match &config.store {
        Location::Sqlite(db) => {
            let occupied = || {
                let wal = PathBuf::from(format!("{}-wal", db.display()));
                if db.exists() || wal.exists() {
                    return Err(BackupError::Refused(format!(
                        "the data directory {} holds a store already ({}): restore goes into a data directory without one; nothing was changed",
                        config.data_dir.display(),
                        db.display()
                    )));
                }
                Ok(())
            };
            // Before the lock (a running site holds it: its store is the better reason), and
            // again under it.
            occupied()?;
            let lock = crate::datadir::DataDirLock::acquire(&config.data_dir)?;
            occupied()?;
            Some(lock)
        }
        Location::Postgres(url) => {
            let tables = snapshot::postgres_tables(url).await?;
            if tables > 0 {
                return Err(BackupError::Refused(format!(
                    "the database {} is not empty ({tables} tables): restore goes into an empty database, such as a fresh createdb; nothing was changed",
                    config.store.describe()
                )));
            }
            None
        }
    };

    progress(&format!("fetching backup {id} from {}", dest.describe()));
    let (staging, _work) = match &config.store {
        Location::Sqlite(db) => (PathBuf::from(format!("{}.restoring", db.display())), None),
        Location::Postgres(_) => {
            let work = tempfile::tempdir().map_err(|source| BackupError::File {
                path: std::env::temp_dir().display().to_string(),
                source,
            })?;
            (work.path().join(kind.file()), Some(work))
        }
    };
    let checked = fetch_checked(&dest, &manifest, &staging).await;
    let checked = match checked {
        Ok(()) => check_media(&dest, &manifest).await.and_then(|problems| {
            match problems.into_iter().next() {
                None => Ok(()),
                Some((file, what)) => Err(BackupError::Damaged {
                    id: id.clone(),
                    file,
                    what,
                }),
            }
        }),
        Err(e) => Err(e),
    };
    let checked = match (checked, kind) {
        (Ok(()), StoreKind::Sqlite) => {
            let file = staging.clone();
            match blocking(move || Ok(snapshot::sqlite_facts(&file)?)).await {
                Ok(facts) => compare_tables(&manifest, &facts.tables)
                    .into_iter()
                    .next()
                    .map_or(Ok(()), |(file, what)| {
                        Err(BackupError::Damaged {
                            id: id.clone(),
                            file,
                            what,
                        })
                    }),
                Err(e) => Err(BackupError::Damaged {
                    id: id.clone(),
                    file: format!("{id}/{}", kind.file()),
                    what: format!("cannot be read as a store ({e})"),
                }),
            }
        }
        (other, _) => other,
    };
    if let Err(e) = checked {
        let _ = std::fs::remove_file(&staging);
        return Err(e);
    }

    // Media before the rows that name them.
    let media = MediaStore::open(&config.media.store)?;
    progress(&format!(
        "putting {} media objects into {}",
        manifest.media.len(),
        media.describe()
    ));
    let created: Vec<bool> = futures_util::stream::iter(&manifest.media)
        .map(|entry| restore_object(&dest, &media, &id, entry))
        .buffer_unordered(MEDIA_IN_FLIGHT)
        .try_collect()
        .await
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&staging);
        })?;
    let media_created = created.iter().filter(|c| **c).count();

    progress("restoring the store");
    let target = match &config.store {
        Location::Sqlite(db) => {
            std::fs::rename(&staging, db).map_err(|source| BackupError::File {
                path: db.display().to_string(),
                source,
            })?;
            if let Some(dir) = db.parent() {
                if let Ok(d) = std::fs::File::open(dir) {
                    let _ = d.sync_all();
                }
            }
            db.display().to_string()
        }
        Location::Postgres(url) => {
            postgres::restore(url, &staging).await?;
            let facts = snapshot::postgres_facts(url).await?;
            if let Some((table, what)) = compare_tables(&manifest, &facts.tables).into_iter().next()
            {
                return Err(BackupError::Refused(format!(
                    "backup {id} was restored into {}, but {table} {what}: the restore is not what was backed up",
                    config.store.describe()
                )));
            }
            config.store.describe()
        }
    };
    Ok(RestoreReport {
        id,
        store: kind,
        target,
        tables: manifest.tables.len(),
        rows: manifest.tables.values().map(|t| t.rows).sum(),
        media_objects: manifest.media.len(),
        media_created,
        elapsed: started.elapsed(),
    })
}

/// A backup this khobor cannot restore into a store of `kind`, refused with why.
fn refuse_unrestorable(manifest: &Manifest, kind: StoreKind) -> Result<(), BackupError> {
    if manifest.store != kind {
        return Err(BackupError::Refused(format!(
            "backup {} is of {} store and the target is {}: restore it into {} store (then `khobor migrate-store` copies an SQLite store into PostgreSQL)",
            manifest.id,
            article(manifest.store),
            article(kind),
            article(manifest.store),
        )));
    }
    let expected = identity::expected_schema_version();
    if manifest.schema_version > expected {
        return Err(BackupError::Refused(format!(
            "backup {} has schema version {}, newer than this khobor's {expected}: restore it with the khobor that made it ({}) or a newer one",
            manifest.id, manifest.schema_version, manifest.khobor_version
        )));
    }
    Ok(())
}

fn article(kind: StoreKind) -> String {
    match kind {
        StoreKind::Sqlite => "an SQLite".to_owned(),
        StoreKind::Postgres => "a PostgreSQL".to_owned(),
    }
}

/// Fetches the backup's database file into `to` and checks its size and SHA-256.
async fn fetch_checked(
    dest: &Destination,
    manifest: &Manifest,
    to: &Path,
) -> Result<(), BackupError> {
    let key = format!("{}/{}", manifest.id, manifest.database.name);
    let damaged = |what: String| BackupError::Damaged {
        id: manifest.id.clone(),
        file: key.clone(),
        what,
    };
    if !dest.download(&key, to).await? {
        return Err(damaged("is missing".to_owned()));
    }
    let found = file_entry(to, &manifest.database.name).await?;
    if let Some(what) = differs(&manifest.database, &found) {
        return Err(damaged(what));
    }
    Ok(())
}

/// How `found` differs from what the manifest recorded, if it does.
fn differs(recorded: &FileEntry, found: &FileEntry) -> Option<String> {
    if found.size != recorded.size {
        Some(format!(
            "is {} bytes, and the manifest says {}",
            found.size, recorded.size
        ))
    } else if found.sha256 != recorded.sha256 {
        Some(format!(
            "has SHA-256 {}, and the manifest says {}",
            found.sha256, recorded.sha256
        ))
    } else {
        None
    }
}

/// Every media object of the backup read and checked against the manifest: the files that
/// differ (or are missing), each with what is wrong.
async fn check_media(
    dest: &Destination,
    manifest: &Manifest,
) -> Result<Vec<(String, String)>, BackupError> {
    let found: Vec<Option<(String, String)>> = futures_util::stream::iter(&manifest.media)
        .map(|entry| async move {
            let key = format!("{MEDIA}/{}", entry.name);
            match dest.get(&key).await? {
                None => Ok::<_, BackupError>(Some((key, "is missing".to_owned()))),
                Some(bytes) => {
                    let found = FileEntry {
                        name: entry.name.clone(),
                        size: bytes.len() as u64,
                        sha256: sha256_of(bytes).await?,
                    };
                    Ok(differs(entry, &found).map(|what| (key, what)))
                }
            }
        })
        .buffered(MEDIA_IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

/// One media object from the backup into the media store, checked again as it goes (it was
/// checked before anything was changed). Returns whether it was created.
async fn restore_object(
    dest: &Destination,
    media: &MediaStore,
    id: &str,
    entry: &FileEntry,
) -> Result<bool, BackupError> {
    let key = format!("{MEDIA}/{}", entry.name);
    let damaged = |what: String| BackupError::Damaged {
        id: id.to_owned(),
        file: key.clone(),
        what,
    };
    let bytes = dest
        .get(&key)
        .await?
        .ok_or_else(|| damaged("is missing".to_owned()))?;
    let found = FileEntry {
        name: entry.name.clone(),
        size: bytes.len() as u64,
        sha256: sha256_of(bytes.clone()).await?,
    };
    if let Some(what) = differs(entry, &found) {
        return Err(damaged(what));
    }
    match media.put_new(&entry.name, bytes).await? {
        Put::Created => Ok(true),
        Put::AlreadyThere => {
            // Names are content hashes: the same bytes, if the same size.
            let size = media.head(&entry.name).await?.map(|l| l.size);
            if size != Some(entry.size) {
                return Err(BackupError::Refused(format!(
                    "the media store {} holds {} with {} bytes, and the backup's is {} bytes: that object is damaged; remove it and restore again",
                    media.describe(),
                    entry.name,
                    size.unwrap_or(0),
                    entry.size
                )));
            }
            Ok(false)
        }
    }
}

/// Tables whose count or checksum differ from the manifest's (or that are missing or extra),
/// each with what differs.
fn compare_tables(manifest: &Manifest, found: &BTreeMap<String, Tally>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (table, recorded) in &manifest.tables {
        match found.get(table) {
            None => out.push((format!("table {table}"), "is missing".to_owned())),
            Some(t) if t.rows != recorded.rows => out.push((
                format!("table {table}"),
                format!(
                    "has {} rows, and the manifest says {}",
                    t.rows, recorded.rows
                ),
            )),
            Some(t) if t.checksum != recorded.checksum => out.push((
                format!("table {table}"),
                format!(
                    "has checksum {:032x}, and the manifest says {:032x}",
                    t.checksum, recorded.checksum
                ),
            )),
            Some(_) => {}
        }
    }
    for table in found.keys().filter(|t| !manifest.tables.contains_key(*t)) {
        out.push((
            format!("table {table}"),
            "is not in the manifest".to_owned(),
        ));
    }
    out
}

/// What `khobor backup verify` found.
#[derive(Debug, Clone)]
pub struct VerifyReport {
    pub id: String,
    pub store: StoreKind,
    pub tables: usize,
    pub rows: u64,
    pub media_objects: usize,
    /// Each file or table that differs from the manifest, with what differs; empty when the
    /// backup restores to exactly what was backed up.
    pub problems: Vec<(String, String)>,
    pub elapsed: Duration,
}

impl VerifyReport {
    pub fn verified(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Restores the backup `id` (default: the newest complete one) into a scratch location (a
/// temporary file; for PostgreSQL a scratch database on the server of `config`'s store,
/// dropped afterwards) and compares it, and every media object, with the manifest.
pub async fn verify(
    config: &Config,
    from: &str,
    id: Option<&str>,
    mut progress: impl FnMut(&str),
) -> Result<VerifyReport, BackupError> {
    let started = Instant::now();
    let dest = Destination::for_reading(from, config)?;
    let manifest = pick(&dest, id).await?;
    let id = manifest.id.clone();
    let server = match (manifest.store, &config.store) {
        (StoreKind::Postgres, Location::Postgres(url)) => Some(url.clone()),
        (StoreKind::Postgres, Location::Sqlite(_)) => {
            return Err(BackupError::Refused(format!(
                "backup {id} is of a PostgreSQL store: verifying it restores it into a scratch database, so give a server with --database-url (the scratch database is made there and dropped)"
            )))
        }
        (StoreKind::Sqlite, _) => None,
    };
    let work = tempfile::tempdir().map_err(|source| BackupError::File {
        path: std::env::temp_dir().display().to_string(),
        source,
    })?;
    let file = work.path().join(&manifest.database.name);
    let key = format!("{id}/{}", manifest.database.name);
    progress(&format!("fetching {key} from {}", dest.describe()));
    let mut problems = Vec::new();
    match fetch_checked(&dest, &manifest, &file).await {
        Ok(()) => {
            progress("restoring it into a scratch store");
            let restored = match &server {
                None => {
                    let f = file.clone();
                    blocking(move || -> Result<Facts, BackupError> {
                        let damage = snapshot::sqlite_problems(&f)?;
                        if let Some(first) = damage.first() {
                            return Err(BackupError::Refused(format!(
                                "SQLite's quick_check: {first}"
                            )));
                        }
                        Ok(snapshot::sqlite_facts(&f)?)
                    })
                    .await
                }
                Some(url) => verify_postgres(url, &file).await,
            };
            match restored {
                Ok(facts) => problems.extend(compare_tables(&manifest, &facts.tables)),
                Err(e) => problems.push((key, format!("does not restore: {e}"))),
            }
        }
        Err(BackupError::Damaged { file, what, .. }) => problems.push((file, what)),
        Err(e) => return Err(e),
    }
    progress(&format!("checking {} media objects", manifest.media.len()));
    problems.extend(check_media(&dest, &manifest).await?);
    Ok(VerifyReport {
        id,
        store: manifest.store,
        tables: manifest.tables.len(),
        rows: manifest.tables.values().map(|t| t.rows).sum(),
        media_objects: manifest.media.len(),
        problems,
        elapsed: started.elapsed(),
    })
}

/// The dump restored into a scratch database beside `url`'s, counted, and dropped.
async fn verify_postgres(url: &str, dump: &Path) -> Result<Facts, BackupError> {
    let name = format!(
        "khobor_verify_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis()
    );
    let scratch = snapshot::create_scratch(url, &name).await?;
    let result = async {
        postgres::restore(&scratch, dump).await?;
        Ok::<_, BackupError>(snapshot::postgres_facts(&scratch).await?)
    }
    .await;
    if let Err(e) = snapshot::drop_scratch(url, &name).await {
        tracing::warn!(error = %e, database = %name, "scratch database not dropped");
    }
    result
}

/// A file's name, size and SHA-256, read on a blocking thread.
async fn file_entry(path: &Path, name: &str) -> Result<FileEntry, BackupError> {
    let p = path.to_owned();
    let (size, sha256) = blocking(move || -> Result<(u64, String), BackupError> {
        use std::io::Read;
        let mut file = std::fs::File::open(&p).map_err(|source| BackupError::File {
            path: p.display().to_string(),
            source,
        })?;
        let mut hash = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut size = 0u64;
        loop {
            let n = file.read(&mut buf).map_err(|source| BackupError::File {
                path: p.display().to_string(),
                source,
            })?;
            if n == 0 {
                break;
            }
            hash.update(&buf[..n]);
            size += n as u64;
        }
        Ok((size, hex::encode(hash.finalize())))
    })
    .await?;
    Ok(FileEntry {
        name: name.to_owned(),
        size,
        sha256,
    })
}

/// SHA-256 of `bytes` in hex, worked out on a blocking thread.
async fn sha256_of(bytes: Bytes) -> Result<String, BackupError> {
    blocking(move || Ok(hex::encode(Sha256::digest(&bytes)))).await
}

/// Runs CPU- or disk-heavy work off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BackupError> + Send + 'static,
) -> Result<T, BackupError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| BackupError::Tool(format!("a backup task stopped: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_as_time_and_are_told_from_other_folders() {
        let a = new_id(chrono::DateTime::from_timestamp_millis(1_765_000_000_123).unwrap());
        let b = new_id(chrono::DateTime::from_timestamp_millis(1_765_000_000_124).unwrap());
        assert!(a < b, "{a} {b}");
        assert!(is_backup_id(&a), "{a}");
        assert!(!is_backup_id(MEDIA));
        assert!(!is_backup_id("20261206T221500Z"));
    }

    #[test]
    fn a_manifest_reads_back_and_a_garbled_one_is_refused() {
        let m = Manifest {
            format: FORMAT,
            id: "20261206T221500.123Z".into(),
            khobor_version: "0.1.0".into(),
            schema_version: 9,
            store: StoreKind::Sqlite,
            store_id: "ab".into(),
            created_at: "2026-12-06T22:15:00.123Z".into(),
            database: FileEntry {
                name: SQLITE_FILE.into(),
                size: 3,
                sha256: "00".into(),
            },
            tables: [(
                "articles".to_owned(),
                TableEntry {
                    rows: 2,
                    checksum: u128::MAX - 5,
                },
            )]
            .into(),
            media: vec![],
        };
        let json = serde_json::to_vec(&m).unwrap();
        assert_eq!(Manifest::parse(&json, "d", &m.id).unwrap(), m);
        let text = String::from_utf8(json.clone()).unwrap();
        assert!(text.contains("\"store\":\"sqlite\""), "{text}");
        for (bytes, says) in [
            (&json[..json.len() - 3], "not JSON"),
            (&b"{\"format\": 2}"[..], "format 2"),
            (&b"{}"[..], "no format"),
        ] {
            let e = Manifest::parse(bytes, "d", &m.id).unwrap_err().to_string();
            assert!(e.contains(says), "{e}");
            assert!(
                e.starts_with("d/20261206T221500.123Z/manifest.json is not"),
                "{e}"
            );
        }
        let e = Manifest::parse(&json, "d", "20261206T221500.999Z")
            .unwrap_err()
            .to_string();
        assert!(e.contains("it names backup"), "{e}");
    }
}
