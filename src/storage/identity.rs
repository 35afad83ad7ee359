//! The store's identity (a random id made when the store is created, and the change feed's
//! epoch) and the checks that tell whether the database file is whole and writable. Derived
//! data kept outside the store (the search index) records the identity with its feed position
//! and compares them at start, so a restored or replaced database is noticed.

use std::path::Path;

use rand::RngCore;

use super::{now, Result, StorageError, Store};

/// Who the store is: `id` never changes for the life of the database (a backup restored
/// keeps it; an empty database put in its place gets a new one); `feed_epoch` is bumped when
/// positions in the change feed stop meaning what they meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreIdentity {
    pub id: String,
    pub feed_epoch: i64,
}

/// Stores larger than this are not given `PRAGMA quick_check` at every start (it reads every
/// page: 885 MiB took 23 s from a cold disk, so 256 MiB bounds a cold start near 7 s);
/// `khobor check` runs it on demand.
pub const QUICK_CHECK_MAX_BYTES: u64 = 256 << 20;

/// The schema this binary expects: the newest migration it carries.
pub fn expected_schema_version() -> i64 {
    super::MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

impl Store {
    /// Gives a new store its identity; on an existing one, only reads it. It takes the write
    /// lock, so a database SQLite could open only for reading (a read-only file or mount) is
    /// refused here, at start, instead of answering every later save with an error.
    pub(super) async fn ensure_identity(&self) -> Result<StoreIdentity> {
        let mut tx = self.begin_write().await?;
        let found: Option<(String, i64)> =
            sqlx::query_as("SELECT store_id, feed_epoch FROM store_identity")
                .fetch_optional(&mut *tx)
                .await?;
        let (id, feed_epoch) = match found {
            Some(row) => row,
            None => {
                let mut bytes = [0u8; 16];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                let id = hex::encode(bytes);
                sqlx::query(
                    "INSERT INTO store_identity (store_id, feed_epoch, created_at) VALUES ($1, 1, $2)",
                )
                .bind(&id)
                .bind(now())
                .execute(&mut *tx)
                .await?;
                (id, 1)
            }
        };
        tx.commit().await?;
        Ok(StoreIdentity { id, feed_epoch })
    }

    pub async fn identity(&self) -> Result<StoreIdentity> {
        let (id, feed_epoch): (String, i64) =
            sqlx::query_as("SELECT store_id, feed_epoch FROM store_identity")
                .fetch_one(&self.pool)
                .await?;
        Ok(StoreIdentity { id, feed_epoch })
    }

    /// Starts a new feed epoch, unless someone already moved on from `from`. Returns the
    /// epoch now in force.
    pub async fn bump_feed_epoch(&self, from: i64) -> Result<i64> {
        sqlx::query("UPDATE store_identity SET feed_epoch = feed_epoch + 1 WHERE feed_epoch = $1")
            .bind(from)
            .execute(&self.pool)
            .await?;
        Ok(self.identity().await?.feed_epoch)
    }

    /// Whether the store holds any story at all, in any state.
    pub async fn has_stories(&self) -> Result<bool> {
        Ok(
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM (SELECT 1 FROM articles LIMIT 1) s")
                .fetch_one(&self.pool)
                .await?
                > 0,
        )
    }

    /// The newest migration applied to the database.
    pub async fn schema_version(&self) -> Result<i64> {
        Ok(sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE",
        )
        .fetch_one(&self.pool)
        .await?
        .unwrap_or(0))
    }

    /// `PRAGMA quick_check` when the database is small enough to read whole at start (see
    /// [`QUICK_CHECK_MAX_BYTES`]); a damaged store is refused with SQLite's first findings.
    /// Returns whether the check ran.
    pub async fn check_at_start(&self) -> Result<bool> {
        let super::Location::Sqlite(db_path) = self.location() else {
            // PostgreSQL checks its own pages (data checksums, amcheck) and has no quick_check.
            return Ok(false);
        };
        let db_path = db_path.as_path();
        let size = std::fs::metadata(db_path).map(|m| m.len()).unwrap_or(0);
        if size > QUICK_CHECK_MAX_BYTES {
            tracing::info!(
                size_mb = size >> 20,
                "store too large for a quick_check at every start; run `khobor check` to check it"
            );
            return Ok(false);
        }
        let findings: Vec<String> = sqlx::query_scalar("PRAGMA quick_check(20)")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| damaged_or(e, db_path))?;
        if findings.iter().all(|f| f == "ok") {
            return Ok(true);
        }
        Err(StorageError::Damaged {
            path: db_path.display().to_string(),
            problem: summary(&findings),
        })
    }
}

/// What `khobor check` found in a database file.
#[derive(Debug)]
pub struct CheckReport {
    pub size_bytes: u64,
    /// SQLite's findings; empty when the database is whole.
    pub problems: Vec<String>,
    pub identity: Option<StoreIdentity>,
    pub schema_version: i64,
}

/// Runs `PRAGMA quick_check` (or the slower `integrity_check`, which also compares every
/// index with its table) on the database at `db_path`, opened read-only: a check changes
/// nothing, and never creates a database that is not there.
pub fn check_file(db_path: &Path, full: bool) -> Result<CheckReport> {
    use rusqlite::OpenFlags;
    let size_bytes = std::fs::metadata(db_path)
        .map_err(|source| StorageError::DataDir {
            path: db_path.display().to_string(),
            source,
        })?
        .len();
    let conn = rusqlite::Connection::open_with_flags(
        db_path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let pragma = if full {
        "PRAGMA integrity_check(100)"
    } else {
        "PRAGMA quick_check(100)"
    };
    let findings = conn.prepare(pragma).and_then(|mut statement| {
        statement
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()
    });
    let problems = match findings {
        Ok(findings) if findings.iter().all(|f| f == "ok") => Vec::new(),
        Ok(findings) => findings,
        // A file that is not a database at all, or too damaged to be read.
        Err(e) => vec![e.to_string()],
    };
    let identity = conn
        .query_row("SELECT store_id, feed_epoch FROM store_identity", [], |r| {
            Ok(StoreIdentity {
                id: r.get(0)?,
                feed_epoch: r.get(1)?,
            })
        })
        .ok();
    let schema_version = conn
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success = TRUE",
            [],
            |r| r.get(0),
        )
        .unwrap_or(0);
    Ok(CheckReport {
        size_bytes,
        problems,
        identity,
        schema_version,
    })
}

/// SQLite's findings in one line: the first few, and how many more.
fn summary(findings: &[String]) -> String {
    let shown: Vec<&str> = findings.iter().take(3).map(|s| s.trim()).collect();
    let more = findings.len().saturating_sub(shown.len());
    let mut line = shown.join("; ").replace('\n', " ");
    if more > 0 {
        line.push_str(&format!(" (and {more} more)"));
    }
    line
}

/// Whether `e` is an SQLite error with one of the primary result `codes` (extended codes
/// carry the primary one in their low byte).
fn is_code(e: &sqlx::Error, codes: &[i32]) -> bool {
    matches!(e, sqlx::Error::Database(d)
        if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() && d.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| codes.contains(&(c & 0xff))))
}

/// SQLITE_READONLY (8) and its extended codes, as a clear refusal naming the file.
pub(super) fn read_only_or(e: sqlx::Error, db_path: &Path) -> StorageError {
    if is_code(&e, &[8]) {
        StorageError::ReadOnly {
            path: db_path.display().to_string(),
        }
    } else {
        damaged_or(e, db_path)
    }
}

/// SQLITE_CORRUPT (11) and SQLITE_NOTADB (26), as a clear refusal naming the file.
pub(super) fn damaged_or(e: sqlx::Error, db_path: &Path) -> StorageError {
    if is_code(&e, &[11, 26]) {
        let problem = match &e {
            sqlx::Error::Database(d) => d.message().to_owned(),
            other => other.to_string(),
        };
        StorageError::Damaged {
            path: db_path.display().to_string(),
            problem,
        }
    } else {
        StorageError::Db(e)
    }
}
