//! Plain synchronous SQLite connections for the reader site's hot reads.
//!
//! sqlx runs each SQLite connection on a worker thread of its own and hands every statement
//! and every row across threads through channels. For the small indexed reads that make a
//! story page or a list (a story, its tags and authors, a few cards) those hand-offs cost more
//! than the reads themselves: `perf` put them at a quarter of a cold story render. These reads
//! borrow a read-only connection from this small pool and run on the calling thread; each is
//! an indexed lookup answered from SQLite's page cache in microseconds, so blocking the
//! runtime's thread for it is cheaper than leaving it. Writes and everything else stay on sqlx.
//!
//! WAL mode lets these connections read while the writer commits; a read that starts after a
//! commit returned sees it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

use super::Result;

/// Statements kept prepared per connection: the reader site uses a few dozen shapes.
const STATEMENT_CACHE: usize = 64;

#[derive(Debug)]
pub(crate) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Idle connections kept; more are opened while many threads read at once.
    keep: usize,
    closed: AtomicBool,
}

impl Readers {
    pub(crate) fn new(path: &Path) -> Readers {
        let keep = std::thread::available_parallelism().map_or(2, |n| n.get()) + 1;
        Readers {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
            keep,
            closed: AtomicBool::new(false),
        }
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // The same page cache as the sqlx connections: 8 MB.
        conn.pragma_update(None, "cache_size", -8000)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(conn)
    }

    /// Runs `f` on an idle read-only connection (opening one if none is idle).
    pub(crate) fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match idle {
            Some(c) => c,
            None => self.open()?,
        };
        let out = f(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < self.keep && !self.closed.load(Ordering::Acquire) {
            idle.push(conn);
        }
        Ok(out?)
    }

    /// Closes the idle connections and keeps none from now on (the store is closing: a
    /// reader holding a snapshot would keep the WAL from being folded back).
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// `?, ?, …` for `n` parameters.
pub(crate) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_comma_separated() {
        assert_eq!(placeholders(0), "");
        assert_eq!(placeholders(1), "?");
        assert_eq!(placeholders(3), "?, ?, ?");
    }

    #[test]
    fn a_reader_sees_what_was_committed_and_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let w = Connection::open(&path).unwrap();
        w.pragma_update(None, "journal_mode", "wal").unwrap();
        w.execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            .unwrap();
        let r = Readers::new(&path);
        let n: i64 = r
            .with(|c| c.query_row("SELECT COUNT(*) FROM t", [], |row| row.get(0)))
            .unwrap();
        assert_eq!(n, 1);
        w.execute("INSERT INTO t VALUES (2)", []).unwrap();
        // The pooled connection, reused, sees the new row.
        let n: i64 = r
            .with(|c| c.query_row("SELECT COUNT(*) FROM t", [], |row| row.get(0)))
            .unwrap();
        assert_eq!(n, 2);
        assert!(r
            .with(|c| c.execute("INSERT INTO t VALUES (3)", []))
            .is_err());
    }
}
