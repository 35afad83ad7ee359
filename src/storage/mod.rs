//! All SQL lives here, one file per aggregate; callers get domain types, never rows. The SQL
//! stays in the subset SQLite and PostgreSQL both accept. May import `domain`, nothing above it.

pub mod archive;
pub mod articles;
pub mod changes;
pub mod identity;
pub mod media;
mod read;
pub mod stories;
pub mod taxonomy;
pub mod users;

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

pub type Tx<'a> = sqlx::Transaction<'a, sqlx::Sqlite>;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Read(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("the store {path} is read-only: Khobor must be able to write to it (check the file's owner and permissions, and that its disk is not mounted read-only)")]
    ReadOnly { path: String },
    #[error("the store {path} is damaged ({problem}): restore it from a backup; `khobor check --full` lists every problem")]
    Damaged { path: String, problem: String },
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

impl StorageError {
    /// A database error that says the file is damaged, as the clear refusal naming it; any
    /// other error as it was. Damage shows wherever the first damaged page is read.
    pub fn damaged_if_corrupt(self, db_path: &Path) -> StorageError {
        match self {
            StorageError::Db(e) => identity::damaged_or(e, db_path),
            other => other,
        }
    }
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The store: the single source of truth for content.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    /// Counts transactions this process committed with entries in the change feed, so that
    /// caches in this process can tell at once, without a query, that they must catch up.
    writes: Arc<AtomicU64>,
    /// Read-only connections for the reader site's hot reads (see [`read`]).
    readers: Arc<read::Readers>,
}

impl Store {
    /// Opens (creating if needed) the SQLite file in WAL mode and brings its schema up to date.
    pub async fn open(db_path: &Path) -> Result<Store> {
        if let Some(dir) = db_path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| StorageError::DataDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let url = format!("sqlite://{}", db_path.display());
        let options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-8000")
            .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .connect_with(options)
            .await
            .map_err(|e| identity::read_only_or(e, db_path))?;
        let store = Store {
            pool,
            writes: Arc::new(AtomicU64::new(0)),
            readers: Arc::new(read::Readers::new(db_path)),
        };
        store.migrate().await.map_err(|e| match e {
            StorageError::Migrate(
                sqlx::migrate::MigrateError::Execute(e)
                | sqlx::migrate::MigrateError::ExecuteMigration(e, _),
            ) => identity::read_only_or(e, db_path),
            e => e.damaged_if_corrupt(db_path),
        })?;
        store
            .ensure_identity(db_path)
            .await
            .map_err(|e| e.damaged_if_corrupt(db_path))?;
        Ok(store)
    }

    pub async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn begin(&self) -> Result<Tx<'static>> {
        Ok(self.pool.begin().await?)
    }

    /// A transaction that takes the write lock at once. SQLite cannot upgrade a reading
    /// transaction to a writing one while another writer has committed in between, so every
    /// read-then-write transaction starts here and waits its turn instead of failing.
    pub async fn begin_write(&self) -> Result<Tx<'static>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Commits a transaction that appended to the change feed and lets this process's caches
    /// know (see [`Store::writes`]).
    pub async fn commit(&self, tx: Tx<'_>) -> Result<()> {
        tx.commit().await?;
        self.writes.fetch_add(1, Ordering::Release);
        Ok(())
    }

    /// How many change-feed transactions this process has committed: a cheap "has anything
    /// changed here since I last looked" for caches. Other processes' changes are found by
    /// polling the feed.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::Acquire)
    }

    /// Closes the store, first folding the WAL back into the database file (best effort: a
    /// busy or read-only store keeps it), so that a copy of `khobor.db` taken while Khobor is
    /// stopped is the whole store.
    pub async fn close(&self) {
        self.readers.close();
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
        {
            tracing::debug!(error = %e, "WAL not checkpointed at close");
        }
        self.pool.close().await;
    }
}

/// Current time as stored: Unix seconds, UTC.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
