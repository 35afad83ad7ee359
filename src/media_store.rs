//! Where media bytes live: the data directory's `media/` folder (the default, one file per
//! object, the layout every site has had) or a bucket on any S3-compatible service, behind one
//! interface over the `object_store` crate. Every write and read of an upload's original or
//! its variants goes through [`MediaStore`]: the newsroom's uploads, the variants job, the
//! WordPress importer, `/media/{name}` and `khobor media migrate`. May import `config`.
//!
//! Names are content hashes (`3fa9c1d2e4b5a6f7.jpg`, `3fa9c1d2e4b5a6f7-320.webp`), so an
//! object never changes once written: a write is a conditional create ([`MediaStore::put_new`]),
//! and finding the name taken means the same bytes are there already. A create is atomic on
//! both backends (S3 publishes an object only when its upload completes; on disk the bytes
//! go to a staging file that is hard-linked into place), so a crash never leaves a partial
//! object under a real name.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use sha2::{Digest, Sha256};

use crate::config::{MediaStoreConfig, S3Config};

/// Media bytes on disk or in a bucket; cheap to clone (one shared client).
#[derive(Clone)]
pub struct MediaStore {
    inner: Arc<dyn ObjectStore>,
    /// Where, for messages: the directory, or `endpoint/bucket/prefix`.
    at: Arc<str>,
    remote: bool,
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaStore").field("at", &self.at).finish()
    }
}

/// What a conditional create found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    Created,
    /// An object of that name was there already: the same bytes, since names are hashes.
    AlreadyThere,
}

#[derive(Debug, thiserror::Error)]
pub enum MediaStoreError {
    #[error("the media store at {at} cannot be reached: {source}")]
    Unreachable {
        at: String,
        source: object_store::Error,
    },
    #[error(
        "the media store at {at} refused Khobor's credentials (check the access key and secret: \
         AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or [media] access_key_id / secret_access_key): {source}"
    )]
    Denied {
        at: String,
        source: object_store::Error,
    },
    #[error(
        "the media store at {at} cannot be reached: its TLS certificate is not signed by an \
         authority Khobor trusts (for a service behind a private CA, give that CA's PEM file in \
         AWS_CA_BUNDLE or [media] ca_bundle): {source}"
    )]
    Untrusted {
        at: String,
        source: object_store::Error,
    },
    #[error("the media store at {at} failed: {source}")]
    Failed {
        at: String,
        source: object_store::Error,
    },
    #[error("the media directory {at} cannot be made: {source}")]
    Directory { at: String, source: std::io::Error },
    #[error("the media store cannot be set up: {0}")]
    Setup(object_store::Error),
    #[error("{0}")]
    Certificates(String),
    #[error("{0:?} is not a media object name")]
    BadName(String),
}

impl MediaStoreError {
    /// The service could not be reached or answered with an error, as opposed to a bad name.
    pub fn is_unavailable(&self) -> bool {
        !matches!(self, MediaStoreError::BadName(_))
    }
}

type Result<T, E = MediaStoreError> = std::result::Result<T, E>;

/// Whether a request failed because the service's TLS certificate was not trusted: rustls's
/// "invalid peer certificate" somewhere down the error's chain of causes.
fn refused_certificate(error: &object_store::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if e.to_string().contains("invalid peer certificate") {
            return true;
        }
        cause = e.source();
    }
    false
}

/// An object as listed: its name and size in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub name: String,
    pub size: u64,
    /// The store's entity tag (on S3 the MD5 of an object uploaded in one piece).
    pub e_tag: Option<String>,
}

/// An object being read: its size and its bytes as they arrive.
pub struct Reading {
    pub size: u64,
    pub bytes: BoxStream<'static, Result<Bytes>>,
}

/// A media object's name as Khobor makes them: lowercase ASCII letters, digits, `-` and `.`,
/// not starting with a dot (the temporary files of older versions did), at most 100 bytes.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

/// Installs ring as rustls's process-wide crypto provider, once, before any HTTPS client is
/// made (object_store's reqwest and the CDN purger's are built with rustls but no provider of
/// their own).
pub fn install_tls() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err only when a provider is installed already, which is just as good. rustls marks
        // ring's provider deprecated for lacking post-quantum key exchange; aws-lc-rs has it
        // but needs cmake and a second crypto stack to build, for traffic to a bucket.
        #[allow(deprecated)]
        let provider = rustls::crypto::ring::default_provider();
        let _ = provider.install_default();
    });
}

/// Retries of transient failures (connection errors, 5xx, throttling) with exponential
/// backoff: bounded so that an upload facing a dead bucket fails within about ten seconds
/// instead of holding its request for minutes (object_store's default is three).
fn retry() -> object_store::RetryConfig {
    object_store::RetryConfig {
        backoff: object_store::BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            base: 2.0,
        },
        max_retries: 4,
        retry_timeout: Duration::from_secs(10),
    }
}

/// The object store of a bucket on an S3-compatible service (under its prefix, if any) and
/// where it is, for messages: the one S3 client Khobor builds, for the media store and for
/// backups to `s3://` (`crate::backup`).
pub fn s3_bucket(s3: &S3Config) -> Result<(Arc<dyn ObjectStore>, String)> {
    install_tls();
    let mut client = object_store::ClientOptions::new()
        .with_connect_timeout(Duration::from_secs(3))
        .with_timeout(Duration::from_secs(30))
        // Plain http only for an endpoint that says so (a test server on loopback).
        .with_allow_http(
            s3.endpoint
                .as_deref()
                .is_some_and(|e| e.starts_with("http://")),
        );
    // A private CA's certificates, trusted besides the system's (checked when the
    // configuration was read; read again here, as the file may have been replaced since).
    if let Some(path) = &s3.ca_bundle {
        let certificates = crate::config::read_ca_bundle(path)
            .map_err(|e| MediaStoreError::Certificates(e.to_string()))?;
        for certificate in certificates {
            client = client.with_root_certificate(certificate);
        }
    }
    let mut builder = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(&s3.bucket)
        .with_region(&s3.region)
        .with_virtual_hosted_style_request(!s3.path_style)
        .with_access_key_id(&s3.access_key_id)
        .with_secret_access_key(&s3.secret_access_key)
        .with_retry(retry())
        .with_client_options(client);
    if let Some(endpoint) = &s3.endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    if let Some(token) = &s3.session_token {
        builder = builder.with_token(token);
    }
    let bucket = builder.build().map_err(MediaStoreError::Setup)?;
    let at = format!(
        "{}/{}{}",
        s3.endpoint
            .clone()
            .unwrap_or_else(|| format!("https://s3.{}.amazonaws.com", s3.region)),
        s3.bucket,
        s3.prefix
            .as_deref()
            .map(|p| format!("/{p}"))
            .unwrap_or_default()
    );
    let inner: Arc<dyn ObjectStore> = match &s3.prefix {
        Some(prefix) => Arc::new(object_store::prefix::PrefixStore::new(
            bucket,
            prefix.as_str(),
        )),
        None => Arc::new(bucket),
    };
    Ok((inner, at))
}

impl MediaStore {
    /// The store the configuration names. Nothing is contacted here: a bucket that cannot
    /// be reached is found by the first write (and reported then), so pages keep serving.
    pub fn open(config: &MediaStoreConfig) -> Result<MediaStore> {
        match config {
            MediaStoreConfig::Local { dir } => MediaStore::local(dir),
            MediaStoreConfig::S3(s3) => MediaStore::s3(s3),
        }
    }

    /// Files in `dir` (made if missing), one per object, named as the objects are.
    pub fn local(dir: &std::path::Path) -> Result<MediaStore> {
        let at = dir.display().to_string();
        std::fs::create_dir_all(dir).map_err(|source| MediaStoreError::Directory {
            at: at.clone(),
            source,
        })?;
        // fsync: an object must be on the disk before the row that points at it is committed.
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(MediaStoreError::Setup)?
            .with_fsync(true);
        Ok(MediaStore {
            inner: Arc::new(fs),
            at: at.into(),
            remote: false,
        })
    }

    /// A bucket on an S3-compatible service.
    pub fn s3(s3: &S3Config) -> Result<MediaStore> {
        let (inner, at) = s3_bucket(s3)?;
        Ok(MediaStore {
            inner,
            at: at.into(),
            remote: true,
        })
    }

    /// Where the objects are, for messages.
    pub fn describe(&self) -> &str {
        &self.at
    }

    /// Whether the objects are on another machine (a bucket) rather than this one's disk.
    pub fn is_remote(&self) -> bool {
        self.remote
    }

    fn path(name: &str) -> Result<ObjectPath> {
        if !valid_name(name) {
            return Err(MediaStoreError::BadName(name.to_owned()));
        }
        Ok(ObjectPath::from(name))
    }

    fn error(&self, source: object_store::Error) -> MediaStoreError {
        let at = self.at.to_string();
        match source {
            object_store::Error::PermissionDenied { .. }
            | object_store::Error::Unauthenticated { .. } => MediaStoreError::Denied { at, source },
            _ if self.remote && refused_certificate(&source) => {
                MediaStoreError::Untrusted { at, source }
            }
            _ if self.remote => MediaStoreError::Unreachable { at, source },
            _ => MediaStoreError::Failed { at, source },
        }
    }

    /// Writes `bytes` under `name` unless an object of that name exists (a conditional
    /// create, atomic on both backends).
    #[tracing::instrument(skip_all, fields(media.name = %name, bytes = bytes.len()))]
    pub async fn put_new(&self, name: &str, bytes: Bytes) -> Result<Put> {
        let path = Self::path(name)?;
        let options = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        match self
            .inner
            .put_opts(&path, PutPayload::from_bytes(bytes), options)
            .await
        {
            Ok(_) => Ok(Put::Created),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(Put::AlreadyThere),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Writes `bytes` under `name` whatever is there (`khobor media migrate` repairing an
    /// object whose bytes differ from the source's).
    pub async fn overwrite(&self, name: &str, bytes: Bytes) -> Result<()> {
        let path = Self::path(name)?;
        self.inner
            .put(&path, PutPayload::from_bytes(bytes))
            .await
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// The whole object, `None` if there is none of that name.
    pub async fn get(&self, name: &str) -> Result<Option<Bytes>> {
        let path = Self::path(name)?;
        match self.inner.get(&path).await {
            Ok(got) => Ok(Some(got.bytes().await.map_err(|e| self.error(e))?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(e)),
        }
    }

    /// The object as a stream of chunks (for serving without holding it whole), `None` if
    /// there is none of that name.
    pub async fn read(&self, name: &str) -> Result<Option<Reading>> {
        let path = Self::path(name)?;
        match self.inner.get(&path).await {
            Ok(got) => {
                let size = got.meta.size;
                let at = Arc::clone(&self.at);
                let remote = self.remote;
                let bytes = got
                    .into_stream()
                    .map_err(move |source| {
                        let at = at.to_string();
                        if remote {
                            MediaStoreError::Unreachable { at, source }
                        } else {
                            MediaStoreError::Failed { at, source }
                        }
                    })
                    .boxed();
                Ok(Some(Reading { size, bytes }))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(e)),
        }
    }

    /// The object's size in bytes, `None` if there is none of that name.
    pub async fn head(&self, name: &str) -> Result<Option<Listed>> {
        let path = Self::path(name)?;
        match self.inner.head(&path).await {
            Ok(meta) => Ok(Some(Listed {
                name: name.to_owned(),
                size: meta.size,
                e_tag: meta.e_tag,
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(e)),
        }
    }

    pub async fn exists(&self, name: &str) -> Result<bool> {
        Ok(self.head(name).await?.is_some())
    }

    /// Every media object, in no particular order. Anything else in the directory or under
    /// the prefix (an older version's `.name.tmp`, a staging file) is left out.
    pub async fn list(&self) -> Result<Vec<Listed>> {
        let mut out = Vec::new();
        let mut listing = self.inner.list(None);
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(|e| self.error(e))?;
            let name = meta.location.to_string();
            if valid_name(&name) {
                out.push(Listed {
                    name,
                    size: meta.size,
                    e_tag: meta.e_tag,
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

/// A key outside the media names, for what Khobor keeps beside the media in the same store
/// (search-index snapshots under `snapshots/search/`): `/`-separated parts, each made as media
/// names are ([`valid_name`]), so that no key can climb out of the store's root or prefix.
pub fn valid_key(key: &str) -> bool {
    key.len() <= 300 && key.split('/').all(valid_name)
}

/// Objects above this size are uploaded in parts, read from their file a part at a time.
const WHOLE_UPLOAD_MAX: u64 = 16 * 1024 * 1024;

impl MediaStore {
    fn key_path(key: &str) -> Result<ObjectPath> {
        if !valid_key(key) {
            return Err(MediaStoreError::BadName(key.to_owned()));
        }
        Ok(ObjectPath::from(key))
    }

    /// Writes `bytes` under `key`, replacing what is there (atomic on both backends: a
    /// reader sees the old object or the new one).
    pub async fn put_key(&self, key: &str, bytes: Bytes) -> Result<()> {
        let path = Self::key_path(key)?;
        self.inner
            .put(&path, PutPayload::from_bytes(bytes))
            .await
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// Uploads the file at `file` (of `size` bytes) under `key`: whole when small, in parts
    /// read a part at a time otherwise, so a large file is never held in memory. The file is
    /// read on the blocking pool. The object appears only once the upload completes.
    pub async fn put_file(&self, key: &str, file: &std::path::Path, size: u64) -> Result<()> {
        let path = Self::key_path(key)?;
        let io = |source: std::io::Error| MediaStoreError::Directory {
            at: file.display().to_string(),
            source,
        };
        if size <= WHOLE_UPLOAD_MAX {
            let f = file.to_path_buf();
            let bytes = tokio::task::spawn_blocking(move || std::fs::read(f))
                .await
                .map_err(|e| io(std::io::Error::other(e)))?
                .map_err(io)?;
            return self.put_key(key, Bytes::from(bytes)).await;
        }
        const PART: usize = 8 * 1024 * 1024;
        let upload = self
            .inner
            .put_multipart(&path)
            .await
            .map_err(|e| self.error(e))?;
        let mut writer = object_store::WriteMultipart::new_with_chunk_size(upload, PART);
        let mut reader = {
            let f = file.to_path_buf();
            tokio::task::spawn_blocking(move || std::fs::File::open(f))
                .await
                .map_err(|e| io(std::io::Error::other(e)))?
                .map_err(io)?
        };
        loop {
            let (back, chunk) = tokio::task::spawn_blocking(move || {
                use std::io::Read;
                let mut buf = Vec::with_capacity(PART);
                let got = (&mut reader).take(PART as u64).read_to_end(&mut buf);
                (reader, got.map(|_| buf))
            })
            .await
            .map_err(|e| io(std::io::Error::other(e)))?;
            reader = back;
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(io(e));
                }
            };
            if chunk.is_empty() {
                break;
            }
            // At most two parts in flight: memory stays at a few parts whatever the size.
            if let Err(e) = writer.wait_for_capacity(2).await {
                let _ = writer.abort().await;
                return Err(self.error(e));
            }
            writer.put(Bytes::from(chunk));
        }
        writer.finish().await.map_err(|e| self.error(e))?;
        Ok(())
    }

    /// The object under `key`, `None` if there is none.
    pub async fn get_key(&self, key: &str) -> Result<Option<Bytes>> {
        let path = Self::key_path(key)?;
        match self.inner.get(&path).await {
            Ok(got) => Ok(Some(got.bytes().await.map_err(|e| self.error(e))?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(e)),
        }
    }

    /// The object under `key` as a stream of chunks, `None` if there is none.
    pub async fn read_key(&self, key: &str) -> Result<Option<Reading>> {
        let path = Self::key_path(key)?;
        match self.inner.get(&path).await {
            Ok(got) => {
                let size = got.meta.size;
                let this = self.clone();
                let bytes = got
                    .into_stream()
                    .map_err(move |source| this.error(source))
                    .boxed();
                Ok(Some(Reading { size, bytes }))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Every object under `prefix/` (any depth), named by its whole key.
    pub async fn list_keys(&self, prefix: &str) -> Result<Vec<Listed>> {
        let prefix = Self::key_path(prefix)?;
        let mut out = Vec::new();
        let mut listing = self.inner.list(Some(&prefix));
        while let Some(meta) = listing.next().await {
            let meta = match meta {
                Ok(meta) => meta,
                // A directory not made yet on disk: nothing under it.
                Err(object_store::Error::NotFound { .. }) => break,
                Err(e) => return Err(self.error(e)),
            };
            out.push(Listed {
                name: meta.location.to_string(),
                size: meta.size,
                e_tag: meta.e_tag,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Removes the object under `key` (nothing if there is none).
    pub async fn delete_key(&self, key: &str) -> Result<()> {
        let path = Self::key_path(key)?;
        match self.inner.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.error(e)),
        }
    }
}

/// What `khobor media migrate` did.
#[derive(Debug, Default, Clone)]
pub struct MigrateReport {
    /// Objects in the source.
    pub objects: usize,
    pub bytes: u64,
    pub copied: usize,
    /// Already in the target with the same size and checksum.
    pub skipped: usize,
    /// Read back from the target with the source's SHA-256.
    pub verified: usize,
    /// Names whose bytes in the target differ from the source's (or are missing there).
    pub mismatches: Vec<String>,
}

/// Copies every object of `from` into `to` (skipping those already there with the same size
/// and MD5 entity tag, as S3 gives for objects uploaded whole), then reads every one back
/// from `to` and compares its SHA-256 with the source's. `progress` is told each name and
/// whether it was copied.
pub async fn migrate(
    from: &MediaStore,
    to: &MediaStore,
    mut progress: impl FnMut(&str, bool),
) -> Result<MigrateReport> {
    let objects = from.list().await?;
    let mut report = MigrateReport {
        objects: objects.len(),
        ..MigrateReport::default()
    };
    let mut sums = Vec::with_capacity(objects.len());
    for o in &objects {
        let Some(bytes) = from.get(&o.name).await? else {
            // Removed from the source since the listing: nothing to copy or check.
            report.objects -= 1;
            continue;
        };
        report.bytes += bytes.len() as u64;
        let md5 = hex::encode(md5::Md5::digest(&bytes));
        let there = to.head(&o.name).await?;
        let same = there.as_ref().is_some_and(|t| {
            t.size == bytes.len() as u64
                && t.e_tag.as_deref().map(|e| e.trim_matches('"')) == Some(md5.as_str())
        });
        if same {
            report.skipped += 1;
        } else {
            if there.is_some() {
                // A name is a hash of its bytes: different bytes there are damage.
                to.overwrite(&o.name, bytes.clone()).await?;
            } else {
                to.put_new(&o.name, bytes.clone()).await?;
            }
            report.copied += 1;
        }
        progress(&o.name, !same);
        sums.push((o.name.clone(), Sha256::digest(&bytes)));
    }
    for (name, sum) in sums {
        match to.get(&name).await? {
            Some(copy) if Sha256::digest(&copy) == sum => report.verified += 1,
            _ => report.mismatches.push(name),
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_what_khobor_makes() {
        for good in ["3fa9c1d2e4b5a6f7.jpg", "3fa9c1d2e4b5a6f7-320.webp"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in [
            "",
            ".3fa9.jpg.tmp",
            "a/b.jpg",
            "A.jpg",
            "a b.jpg",
            "../x",
            "x#1",
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn keys_beside_the_media_stay_out_of_the_media_list() {
        assert!(valid_key("snapshots/search/files/0a1b.idx"));
        for bad in [
            "",
            "snapshots//x",
            "snapshots/../x",
            "/x",
            "x/",
            "Snapshots/x",
        ] {
            assert!(!valid_key(bad), "{bad}");
        }
        let dir = tempfile::tempdir().unwrap();
        let store = MediaStore::local(&dir.path().join("media")).unwrap();
        assert!(store
            .list_keys("snapshots/search")
            .await
            .unwrap()
            .is_empty());
        store
            .put_key("snapshots/search/latest.json", Bytes::from_static(b"{}"))
            .await
            .unwrap();
        let big = dir.path().join("big");
        let bytes: Vec<u8> = (0..(WHOLE_UPLOAD_MAX + 12_345)).map(|i| i as u8).collect();
        std::fs::write(&big, &bytes).unwrap();
        store
            .put_file("snapshots/search/files/big.idx", &big, bytes.len() as u64)
            .await
            .unwrap();
        assert_eq!(
            store
                .get_key("snapshots/search/files/big.idx")
                .await
                .unwrap()
                .as_deref(),
            Some(&bytes[..]),
            "uploaded in parts, read back whole"
        );
        let keys: Vec<String> = store
            .list_keys("snapshots/search")
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.name)
            .collect();
        assert_eq!(
            keys,
            [
                "snapshots/search/files/big.idx",
                "snapshots/search/latest.json"
            ]
        );
        assert!(store.list().await.unwrap().is_empty(), "not media");
        store
            .delete_key("snapshots/search/files/big.idx")
            .await
            .unwrap();
        store
            .delete_key("snapshots/search/files/big.idx")
            .await
            .unwrap();
        assert_eq!(store.list_keys("snapshots/search").await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn local_create_is_conditional_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = MediaStore::local(&dir.path().join("media")).unwrap();
        let name = "0123456789abcdef.jpg";
        assert_eq!(store.get(name).await.unwrap(), None);
        assert_eq!(
            store
                .put_new(name, Bytes::from_static(b"one"))
                .await
                .unwrap(),
            Put::Created
        );
        assert_eq!(
            store
                .put_new(name, Bytes::from_static(b"two"))
                .await
                .unwrap(),
            Put::AlreadyThere
        );
        assert_eq!(store.get(name).await.unwrap().as_deref(), Some(&b"one"[..]));
        // The same layout as before: one file per object, named as the object.
        assert_eq!(
            std::fs::read(dir.path().join("media").join(name)).unwrap(),
            b"one"
        );
        std::fs::write(dir.path().join("media/.old.jpg.tmp"), b"x").unwrap();
        let listed = store.list().await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].name.as_str(), listed[0].size), (name, 3));
        assert!(matches!(
            store.put_new("../escape", Bytes::new()).await,
            Err(MediaStoreError::BadName(_))
        ));
    }
}
