//! Where backups are kept: a directory or a bucket (`s3://bucket/prefix`), both behind
//! `object_store` as the media store is, so backing up, restoring and verifying read and
//! write through one interface. The bucket's client is the media store's
//! (`media_store::s3_bucket`): on a site whose media is in a bucket, the same endpoint,
//! region, addressing and credentials; otherwise the standard AWS_* environment variables.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use tokio::io::AsyncWriteExt;

use super::BackupError;
use crate::config::{Config, MediaStoreConfig, S3Config};

/// A backup destination; cheap to clone.
#[derive(Clone)]
pub struct Destination {
    inner: Arc<dyn ObjectStore>,
    /// The directory, or `endpoint/bucket/prefix`, for messages.
    at: Arc<str>,
}

impl std::fmt::Debug for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Destination").field("at", &self.at).finish()
    }
}

impl Destination {
    /// The destination `text` names, to write a backup to: a directory (made if missing, and
    /// checked writable) or `s3://bucket[/prefix]`.
    pub fn for_writing(text: &str, config: &Config) -> Result<Destination, BackupError> {
        Destination::open(text, config, true)
    }

    /// The destination `text` names, to read backups from: a directory must exist.
    pub fn for_reading(text: &str, config: &Config) -> Result<Destination, BackupError> {
        Destination::open(text, config, false)
    }

    fn open(text: &str, config: &Config, create: bool) -> Result<Destination, BackupError> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("s3://") {
            let s3 = s3_config(rest, config)?;
            let (inner, at) = crate::media_store::s3_bucket(&s3).map_err(BackupError::Media)?;
            return Ok(Destination {
                inner,
                at: at.into(),
            });
        }
        if text.contains("://") {
            return Err(BackupError::Destination(format!(
                "{text:?} is neither a directory nor s3://bucket/prefix"
            )));
        }
        if text.is_empty() {
            return Err(BackupError::Destination(
                "no backup destination given: a directory or s3://bucket/prefix".to_owned(),
            ));
        }
        let dir = Path::new(text);
        let at = dir.display().to_string();
        if create {
            std::fs::create_dir_all(dir).map_err(|e| BackupError::NotWritable {
                at: at.clone(),
                reason: e.to_string(),
            })?;
            crate::datadir::check_writable(dir).map_err(|e| BackupError::NotWritable {
                at: at.clone(),
                reason: match e {
                    crate::datadir::DataDirError::NotWritable { source, .. } => source.to_string(),
                    other => other.to_string(),
                },
            })?;
        } else if !dir.is_dir() {
            return Err(BackupError::NoBackup { at });
        }
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| BackupError::Store {
                at: at.clone(),
                source: e,
            })?
            .with_fsync(true);
        Ok(Destination {
            inner: Arc::new(fs),
            at: at.into(),
        })
    }

    /// Where it is, for messages (never with credentials).
    pub fn describe(&self) -> &str {
        &self.at
    }

    fn error(&self, source: object_store::Error) -> BackupError {
        BackupError::Store {
            at: self.at.to_string(),
            source,
        }
    }

    /// Whether an object can be written here (one is written and removed): a destination
    /// that cannot take a backup is refused before the snapshot is taken.
    pub async fn check_writable(&self) -> Result<(), BackupError> {
        let probe = ObjectPath::from(format!(".khobor-write-check-{}", std::process::id()));
        self.inner
            .put(&probe, PutPayload::from_static(b"khobor"))
            .await
            .map_err(|e| BackupError::NotWritable {
                at: self.at.to_string(),
                reason: e.to_string(),
            })?;
        let _ = self.inner.delete(&probe).await;
        Ok(())
    }

    /// Writes the file at `file` under `key`, streamed (a large database goes up in parts
    /// on S3); the object appears only once complete, on both backends.
    pub async fn put_file(&self, key: &str, file: &Path) -> Result<(), BackupError> {
        let mut from = tokio::fs::File::open(file)
            .await
            .map_err(|source| BackupError::File {
                path: file.display().to_string(),
                source,
            })?;
        let mut to =
            object_store::buffered::BufWriter::new(Arc::clone(&self.inner), ObjectPath::from(key));
        let copied = tokio::io::copy(&mut from, &mut to).await;
        let done = match copied {
            Ok(_) => to.shutdown().await,
            Err(e) => Err(e),
        };
        if let Err(e) = done {
            let _ = to.abort().await;
            return Err(BackupError::NotWritable {
                at: format!("{}/{key}", self.at),
                reason: e.to_string(),
            });
        }
        Ok(())
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BackupError> {
        self.inner
            .put(&ObjectPath::from(key), PutPayload::from_bytes(bytes))
            .await
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// The whole object, `None` if there is none under `key`.
    pub async fn get(&self, key: &str) -> Result<Option<Bytes>, BackupError> {
        match self.inner.get(&ObjectPath::from(key)).await {
            Ok(got) => Ok(Some(got.bytes().await.map_err(|e| self.error(e))?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(e)),
        }
    }

    /// The object as it arrives, `None` if there is none under `key`.
    pub async fn read(
        &self,
        key: &str,
    ) -> Result<Option<BoxStream<'static, Result<Bytes, BackupError>>>, BackupError> {
        match self.inner.get(&ObjectPath::from(key)).await {
            Ok(got) => {
                let at = self.at.to_string();
                Ok(Some(
                    got.into_stream()
                        .map_err(move |source| BackupError::Store {
                            at: at.clone(),
                            source,
                        })
                        .boxed(),
                ))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(e)),
        }
    }

    /// The object's size in bytes, `None` if there is none under `key`.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, BackupError> {
        match self.inner.head(&ObjectPath::from(key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Copies the object under `key` into the new file `to`; `false` if there is none.
    pub async fn download(&self, key: &str, to: &Path) -> Result<bool, BackupError> {
        let Some(mut stream) = self.read(key).await? else {
            return Ok(false);
        };
        let file_error = |source| BackupError::File {
            path: to.display().to_string(),
            source,
        };
        let mut file = tokio::fs::File::create(to).await.map_err(file_error)?;
        while let Some(chunk) = stream.next().await {
            file.write_all(&chunk?).await.map_err(file_error)?;
        }
        file.sync_all().await.map_err(file_error)?;
        Ok(true)
    }

    /// The names of the top-level folders (backups, and the shared `media`), sorted.
    pub async fn folders(&self) -> Result<Vec<String>, BackupError> {
        let listed = self
            .inner
            .list_with_delimiter(None)
            .await
            .map_err(|e| self.error(e))?;
        let mut out: Vec<String> = listed
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_owned))
            .collect();
        out.sort();
        Ok(out)
    }
}

/// The bucket of `s3://BUCKET[/PREFIX]` (given without the scheme) with the service and
/// credentials of the media store when it is in a bucket, else of the AWS_* environment.
fn s3_config(rest: &str, config: &Config) -> Result<S3Config, BackupError> {
    let (bucket, prefix) = match rest.split_once('/') {
        Some((b, p)) => (b, p.trim_matches('/')),
        None => (rest, ""),
    };
    let bucket_ok = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    let prefix_ok = prefix.is_empty()
        || prefix.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        });
    if !bucket_ok || !prefix_ok {
        return Err(BackupError::Destination(format!(
            "\"s3://{rest}\" is not s3://BUCKET/PREFIX (a bucket name of 3 to 63 lowercase \
             letters, digits, '-' and '.', and a prefix of letters, digits, '-', '_', '.' and '/')"
        )));
    }
    let prefix = (!prefix.is_empty()).then(|| prefix.to_owned());
    if let MediaStoreConfig::S3(media) = &config.media.store {
        return Ok(S3Config {
            bucket: bucket.to_owned(),
            prefix,
            ..media.clone()
        });
    }
    let aws = &config.aws;
    let missing = |what: &str| {
        BackupError::Destination(format!(
            "a backup to s3:// needs {what} in the environment (and AWS_ENDPOINT_URL for a \
             service other than Amazon S3, AWS_REGION if not us-east-1)"
        ))
    };
    let endpoint = match aws.endpoint.as_deref() {
        None => None,
        Some(e) => {
            let url = url::Url::parse(e).ok().filter(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host_str().is_some()
                    && matches!(u.path(), "" | "/")
            });
            if url.is_none() {
                return Err(BackupError::Destination(format!(
                    "AWS_ENDPOINT_URL {e:?} is not http:// or https:// and a host"
                )));
            }
            Some(e.trim_end_matches('/').to_owned())
        }
    };
    Ok(S3Config {
        // A service at an endpoint of its own (MinIO, SeaweedFS, Ceph) is addressed by path;
        // Amazon S3 by virtual host.
        path_style: endpoint.is_some(),
        endpoint,
        bucket: bucket.to_owned(),
        region: aws.region.clone().unwrap_or_else(|| "us-east-1".to_owned()),
        prefix,
        access_key_id: aws
            .access_key_id
            .clone()
            .ok_or_else(|| missing("AWS_ACCESS_KEY_ID"))?,
        ca_bundle: aws.ca_bundle.clone(),
        secret_access_key: aws
            .secret_access_key
            .clone()
            .ok_or_else(|| missing("AWS_SECRET_ACCESS_KEY"))?,
        session_token: aws.session_token.clone(),
    })
}
