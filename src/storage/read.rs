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
        // 8 MB of page cache: the reads every page makes (the pooled connections keep 2 MB).
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

/// A LIKE pattern for text containing `text`, its own `%` and `_` dropped rather than taken
/// as wildcards (a search for `৫০%` looks for `৫০`).
pub(crate) fn contains_pattern(text: &str) -> String {
    let literal: String = text.chars().filter(|c| *c != '%' && *c != '_').collect();
    format!("%{literal}%")
}

/// `($1, $2), ($3, $4), …`: `rows` rows of `width` numbered parameters, for a multi-row
/// `VALUES` list.
pub(crate) fn value_rows(rows: usize, width: usize) -> String {
    let row = format!("({})", placeholders(width));
    numbered(&vec![row; rows].join(", "))
}

/// `?, ?, …` for `n` parameters (see [`numbered`]).
pub(crate) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// `sql` with each `?` replaced by `$1`, `$2`, … in order: the form both PostgreSQL and
/// SQLite (rusqlite and sqlx alike) bind positionally. Only for SQL built here, whose
/// string literals hold no `?`.
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for (i, part) in sql.split('?').enumerate() {
        if i > 0 {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        }
        out.push_str(part);
    }
    out
}

/// A value both kinds of row can give.
pub(crate) trait Cell:
    rusqlite::types::FromSql + for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>
{
}

impl<T> Cell for T where
    T: rusqlite::types::FromSql + for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>
{
}

/// A row of either kind (rusqlite's on SQLite's hot path, sqlx's on PostgreSQL), read by
/// position, so one function turns a row into a domain type for both.
pub(crate) trait Row {
    type Error;
    fn col<T: Cell>(&self, i: usize) -> std::result::Result<T, Self::Error>;
    /// A stored value that is not what the domain allows.
    fn invalid(&self, i: usize, message: String) -> Self::Error;
}

impl Row for rusqlite::Row<'_> {
    type Error = rusqlite::Error;
    fn col<T: Cell>(&self, i: usize) -> rusqlite::Result<T> {
        self.get(i)
    }
    fn invalid(&self, i: usize, message: String) -> rusqlite::Error {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, message.into())
    }
}

impl Row for sqlx::any::AnyRow {
    type Error = sqlx::Error;
    fn col<T: Cell>(&self, i: usize) -> sqlx::Result<T> {
        sqlx::Row::try_get(self, i)
    }
    fn invalid(&self, i: usize, message: String) -> sqlx::Error {
        sqlx::Error::ColumnDecode {
            index: i.to_string(),
            source: message.into(),
        }
    }
}

impl super::Store {
    /// The first column of every row of a read on the hot path (see [`super::Store::read_all`]).
    pub(crate) async fn read_column<T: Cell>(&self, sql: &str, params: &[i64]) -> Result<Vec<T>> {
        self.read_all(sql, params, |r| r.col(0), |r| r.col(0)).await
    }

    /// Every row of a read on the hot path: on SQLite through [`Readers`] on the calling
    /// thread, on PostgreSQL through the pool. `sql` uses `$N` parameters ([`numbered`]);
    /// `sqlite` and `any` are the same generic row function, named twice.
    pub(crate) async fn read_all<T>(
        &self,
        sql: &str,
        params: &[i64],
        sqlite: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
        any: impl Fn(&sqlx::any::AnyRow) -> sqlx::Result<T>,
    ) -> Result<Vec<T>> {
        match &self.readers {
            Some(readers) => readers.with(|c| {
                c.prepare_cached(sql)?
                    .query_map(rusqlite::params_from_iter(params), sqlite)?
                    .collect()
            }),
            None => {
                let mut q = sqlx::query(sql);
                for p in params {
                    q = q.bind(*p);
                }
                let rows = q.fetch_all(&self.pool).await?;
                Ok(rows.iter().map(any).collect::<sqlx::Result<Vec<T>>>()?)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_marks_are_numbered_in_order() {
        assert_eq!(
            numbered("a = ? AND b IN (?, ?)"),
            "a = $1 AND b IN ($2, $3)"
        );
        assert_eq!(numbered("no parameters"), "no parameters");
    }

    #[test]
    fn a_reader_binds_numbered_parameters_by_position() {
        let c = Connection::open_in_memory().unwrap();
        let sum: i64 = c
            .query_row(&numbered("SELECT ? * 100 + ? * 10 + ?"), [1, 2, 3], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(sum, 123);
    }

    #[test]
    fn value_rows_are_numbered_across_rows() {
        assert_eq!(value_rows(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(value_rows(1, 3), "($1, $2, $3)");
    }

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
