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
