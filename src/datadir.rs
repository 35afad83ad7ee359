//! The data directory as a whole: the exclusive lock that one process holding the search
//! index (`khobor serve`, `khobor reindex`) takes on it, and the checks that it can be written
//! to. Found wrong at start, each is one clear line instead of an error deep inside SQLite or
//! tantivy later. Imports nothing from Khobor.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use fs4::fs_std::FileExt;

/// The lock file's name in the data directory.
pub const LOCK_FILE: &str = "khobor.lock";

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("cannot create data directory {path}: {source}")]
    Create {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "{path} is not writable ({source}): Khobor keeps its store, search index and media there"
    )]
    NotWritable {
        path: String,
        source: std::io::Error,
    },
    #[error("data directory {path} is in use by another khobor serve or reindex{pid}; stop it first, or give this one another --data")]
    InUse { path: String, pid: String },
    #[error("cannot lock data directory {path}: {source}")]
    Lock {
        path: String,
        source: std::io::Error,
    },
}

/// Held for as long as the process uses the data directory; released when dropped (or when
/// the process dies: the operating system drops the lock with the file descriptor, so a
/// crash never leaves a stale lock behind).
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
    path: PathBuf,
}

impl DataDirLock {
    /// Creates the data directory if needed, checks it can be written and takes its lock,
    /// writing this process's id into the lock file for the message another process gets.
    pub fn acquire(dir: &Path) -> Result<DataDirLock, DataDirError> {
        std::fs::create_dir_all(dir).map_err(|source| DataDirError::Create {
            path: dir.display().to_string(),
            source,
        })?;
        check_writable(dir)?;
        let path = dir.join(LOCK_FILE);
        let lock_error = |source| DataDirError::Lock {
            path: dir.display().to_string(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(lock_error)?;
        if !file.try_lock_exclusive().map_err(lock_error)? {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(DataDirError::InUse {
                path: dir.display().to_string(),
                pid: if holder.is_empty() {
                    String::new()
                } else {
                    format!(" (pid {holder})")
                },
            });
        }
        file.set_len(0).map_err(lock_error)?;
        file.rewind().map_err(lock_error)?;
        write!(file, "{}", std::process::id()).map_err(lock_error)?;
        file.flush().map_err(lock_error)?;
        Ok(DataDirLock { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Whether a file can be made in `dir` (made and removed at once). A permission check would
/// not do: root passes every permission check but not a read-only mount, and SQLite and
/// tantivy need to make files (the WAL, the index's lock and segments) beside their own.
pub fn check_writable(dir: &Path) -> Result<(), DataDirError> {
    let probe = dir.join(format!(".khobor-write-check-{}", std::process::id()));
    let made = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&probe);
    match made {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(source) => Err(DataDirError::NotWritable {
            path: dir.display().to_string(),
            source,
        }),
    }
}

/// Whether the file at `path` (if there is one) can be opened for writing, asked of the
/// operating system without opening it: opening and closing a database file beside SQLite
/// would drop SQLite's own locks on it.
pub fn check_file_writable(path: &Path) -> Result<(), DataDirError> {
    match rustix::fs::access(path, rustix::fs::Access::WRITE_OK) {
        Ok(()) => Ok(()),
        Err(e) if e == rustix::io::Errno::NOENT => Ok(()),
        Err(e) => Err(DataDirError::NotWritable {
            path: path.display().to_string(),
            source: e.into(),
        }),
    }
}

/// What a process killed mid-write left behind, removed at start while this process holds the
/// data directory's lock (nothing else writes these): uploads half-spooled in `spool`
/// (`.upload-*`), and in a local media store the staging files object_store writes before
/// linking an object into place (`NAME#N`), which no listing or page ever shows. Returns how
/// many files went; a file that cannot be removed is logged and left.
pub fn clean_leftovers(spool: &Path, media: Option<&Path>) -> usize {
    let mut removed = 0;
    let mut remove = |path: &Path| match std::fs::remove_file(path) {
        Ok(()) => removed += 1,
        Err(e) => tracing::warn!(path = %path.display(), error = %e, "leftover file not removed"),
    };
    if let Ok(entries) = std::fs::read_dir(spool) {
        for entry in entries.flatten() {
            let spooled = entry.file_name().to_string_lossy().starts_with(".upload-");
            if spooled && entry.file_type().is_ok_and(|t| t.is_file()) {
                remove(&entry.path());
            }
        }
    }
    if let Some(media) = media {
        let mut dirs = vec![media.to_path_buf()];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() {
                    dirs.push(entry.path());
                } else if kind.is_file() && is_staging_name(&entry.file_name().to_string_lossy()) {
                    remove(&entry.path());
                }
            }
        }
    }
    removed
}

/// object_store's staging name for an object being written: the object's name, `#`, a number.
fn is_staging_name(name: &str) -> bool {
    name.rsplit_once('#').is_some_and(|(object, n)| {
        !object.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
    })
}

#[cfg(test)]
mod leftover_tests {
    use super::*;

    #[test]
    fn only_half_written_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().join("uploads");
        let media = dir.path().join("media");
        std::fs::create_dir_all(&spool).unwrap();
        std::fs::create_dir_all(media.join("ab")).unwrap();
        for path in [
            spool.join(".upload-x7Yq2"),
            spool.join("notes.txt"),
            media.join("3fa9c1d2e4b5a6f7.jpg"),
            media.join("3fa9c1d2e4b5a6f7.jpg#1"),
            media.join("ab").join("card-ABCD2345.png#12"),
            media.join("ab").join("card-ABCD2345.png"),
            media.join("odd#name.jpg"),
        ] {
            std::fs::write(&path, b"bytes").unwrap();
        }
        assert_eq!(clean_leftovers(&spool, Some(&media)), 3);
        assert!(spool.join("notes.txt").exists());
        assert!(!spool.join(".upload-x7Yq2").exists());
        assert!(media.join("3fa9c1d2e4b5a6f7.jpg").exists());
        assert!(!media.join("3fa9c1d2e4b5a6f7.jpg#1").exists());
        assert!(media.join("odd#name.jpg").exists());
        assert!(media.join("ab").join("card-ABCD2345.png").exists());
        assert!(!media.join("ab").join("card-ABCD2345.png#12").exists());
        // Nothing there at all is not an error.
        assert_eq!(clean_leftovers(&dir.path().join("none"), None), 0);
    }
}
