//! All SQL lives here, one file per aggregate; callers get domain types, never rows. The SQL
//! stays in the subset SQLite and PostgreSQL both accept. May import `domain`, nothing above it.

pub mod archive;
pub mod articles;
pub mod breaking;
pub mod cards;
pub mod changes;
pub mod copy;
pub mod corrections;
pub mod identity;
pub mod leases;
pub mod live;
pub mod media;
pub mod places;
mod read;
pub mod redirects;
pub mod snapshot;
pub mod stories;
pub mod taxonomy;
pub mod users;
pub mod views;
pub mod webhooks;
pub mod wires;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{Migration, Migrator};
use sqlx::{AnyConnection, AnyPool, Executor};

pub type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

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
    #[error("cannot reach the database {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the database {url}'s schema is version {found}, newer than this khobor's {expected}: run the khobor that migrated it, or a newer one")]
    SchemaNewer {
        url: String,
        found: i64,
        expected: i64,
    },
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

/// Where the store lives: the embedded SQLite file (the default, nothing to install) or a
/// PostgreSQL database shared by several nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Location {
    /// `postgres://…` or `postgresql://…` names a PostgreSQL database; anything else is refused.
    pub fn postgres(url: &str) -> std::result::Result<Location, String> {
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("postgres://") || lower.starts_with("postgresql://")) {
            return Err(format!(
                "database URL {:?} is not a PostgreSQL URL: it must start with postgres:// (leave it out to use the SQLite file in the data directory)",
                redact(url)
            ));
        }
        url.parse::<sqlx::postgres::PgConnectOptions>()
            .map_err(|e| format!("database URL {:?} cannot be read: {e}", redact(url)))?;
        Ok(Location::Postgres(url.to_owned()))
    }

    /// The store as it can be shown in logs and messages (a URL without its password).
    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(url) => redact(url),
        }
    }
}

/// A URL with its password replaced by `***`.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "(unreadable URL)".to_owned(),
    }
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The migrations rewritten for PostgreSQL: the one history in `migrations/` is written in
/// the SQL both accept, except that SQLite's `INTEGER` is 64-bit and `INTEGER PRIMARY KEY`
/// assigns ids. PostgreSQL gets `BIGINT` for every integer and an identity column (which
/// still takes an explicit id, as imports and `migrate-store` give).
fn postgres_migrator() -> Migrator {
    let migrations: Vec<Migration> = MIGRATOR
        .iter()
        .map(|m| {
            Migration::new(
                m.version,
                m.description.clone(),
                m.migration_type,
                Cow::Owned(postgres_sql(&m.sql)),
                m.no_tx,
            )
        })
        .collect();
    // The fields `migrate!` fills in; the version of sqlx is pinned by Cargo.lock.
    Migrator {
        migrations: Cow::Owned(migrations),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    }
}

/// One migration's SQL in PostgreSQL's words (see [`postgres_migrator`]).
pub(crate) fn postgres_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 256);
    for line in sql.lines() {
        let code = line.split("--").next().unwrap_or("");
        let rewritten = code
            .replace(
                "INTEGER PRIMARY KEY",
                "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            )
            .replace("INTEGER", "BIGINT");
        out.push_str(&rewritten);
        out.push('\n');
    }
    out
}

/// Connections a node opens to PostgreSQL at most, unless `db_pool_size` says otherwise.
pub const DEFAULT_POOL_SIZE: u32 = 16;

/// The store: the single source of truth for content.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    /// Where the store lives, and so which SQL dialect it speaks (only `storage/` asks).
    location: Location,
    /// Counts transactions this process committed with entries in the change feed, so that
    /// caches in this process can tell at once, without a query, that they must catch up.
    writes: Arc<AtomicU64>,
    /// Read-only connections for the reader site's hot reads on SQLite (see [`read`]);
    /// PostgreSQL's are made through the pool.
    readers: Option<Arc<read::Readers>>,
    /// Bumped when a change is committed, here or (on PostgreSQL) on any node: see
    /// [`Store::change_signal`].
    signal: Arc<changes::Signal>,
}

/// The key of the transaction-level advisory lock every writing transaction takes on
/// PostgreSQL (see [`Store::begin_write`]).
const WRITE_LOCK: i64 = 0x6b68_6f62_6f72; // "khobor"

impl Store {
    /// Opens the store at `location`, creating an SQLite file if needed, and brings its schema
    /// up to date.
    pub async fn open(location: &Location) -> Result<Store> {
        Store::open_with(location, DEFAULT_POOL_SIZE).await
    }

    /// [`Store::open`] with at most `pool_size` connections to PostgreSQL (SQLite's pools are
    /// sized for its one writer and in-process readers).
    pub async fn open_with(location: &Location, pool_size: u32) -> Result<Store> {
        match location {
            Location::Sqlite(path) => Store::open_sqlite(path).await,
            Location::Postgres(url) => Store::open_postgres(url, pool_size).await,
        }
    }

    /// Opens (creating if needed) the SQLite file in WAL mode and brings its schema up to date.
    pub async fn open_sqlite(db_path: &Path) -> Result<Store> {
        sqlx::any::install_default_drivers();
        if let Some(dir) = db_path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| StorageError::DataDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let path =
            percent_encoding::utf8_percent_encode(&db_path.display().to_string(), &PATH_IN_URL)
                .to_string();
        let url = format!("sqlite://{path}?mode=rwc");
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .after_connect(|conn, _| Box::pin(async move { sqlite_pragmas(conn).await }))
            .connect(&url)
            .await
            .map_err(|e| identity::read_only_or(e, db_path))?;
        let store = Store {
            pool,
            location: Location::Sqlite(db_path.to_owned()),
            writes: Arc::new(AtomicU64::new(0)),
            readers: Some(Arc::new(read::Readers::new(db_path))),
            signal: Arc::default(),
        };
        store.migrate().await.map_err(|e| match e {
            StorageError::Migrate(
                sqlx::migrate::MigrateError::Execute(e)
                | sqlx::migrate::MigrateError::ExecuteMigration(e, _),
            ) => identity::read_only_or(e, db_path),
            e => e.damaged_if_corrupt(db_path),
        })?;
        store.ensure_identity().await.map_err(|e| match e {
            StorageError::Db(e) => identity::read_only_or(e, db_path),
            e => e,
        })?;
        store.seed_places().await.map_err(|e| match e {
            StorageError::Db(e) => identity::read_only_or(e, db_path),
            e => e,
        })?;
        Ok(store)
    }

    /// Connects to the PostgreSQL database at `url` and brings its schema up to date.
    pub async fn open_postgres(url: &str, pool_size: u32) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let location = Location::postgres(url).map_err(|reason| StorageError::Unreachable {
            url: redact(url),
            reason,
        })?;
        let pool = AnyPoolOptions::new()
            .max_connections(pool_size.max(1))
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|e| StorageError::Unreachable {
                url: redact(url),
                reason: match &e {
                    sqlx::Error::Database(d) => d.message().to_owned(),
                    other => other.to_string(),
                },
            })?;
        let store = Store {
            pool,
            location,
            writes: Arc::new(AtomicU64::new(0)),
            readers: None,
            signal: Arc::default(),
        };
        store.migrate().await?;
        store.ensure_identity().await?;
        store.seed_places().await?;
        Ok(store)
    }

    /// Applies the migrations this binary carries; a database migrated by a newer binary
    /// is refused (its schema would not be what these queries expect).
    pub async fn migrate(&self) -> Result<()> {
        let result = match self.location {
            Location::Sqlite(_) => MIGRATOR.run(&self.pool).await,
            Location::Postgres(_) => postgres_migrator().run(&self.pool).await,
        };
        match result {
            Err(sqlx::migrate::MigrateError::VersionMissing(found)) => {
                Err(StorageError::SchemaNewer {
                    url: self.location.describe(),
                    found: self.schema_version().await.unwrap_or(found),
                    expected: identity::expected_schema_version(),
                })
            }
            other => Ok(other?),
        }
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    pub async fn begin(&self) -> Result<Tx<'static>> {
        Ok(self.pool.begin().await?)
    }

    /// A transaction that takes the store's write lock at once, so writing transactions run
    /// one after another on every node, as SQLite runs them. SQLite cannot upgrade a reading
    /// transaction to a writing one while another writer has committed in between
    /// (`BEGIN IMMEDIATE` waits its turn instead of failing half-way); on PostgreSQL the
    /// same order makes change-feed sequences commit in the order they were handed out, so
    /// a follower reading `seq > last` never passes over a row that commits late.
    pub async fn begin_write(&self) -> Result<Tx<'static>> {
        match self.location {
            Location::Sqlite(_) => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Location::Postgres(_) => {
                let mut tx = self.pool.begin().await?;
                take_write_lock(&mut tx).await?;
                Ok(tx)
            }
        }
    }

    /// Commits a transaction that appended to the change feed and lets this process's caches
    /// know (see [`Store::writes`]).
    pub async fn commit(&self, tx: Tx<'_>) -> Result<()> {
        tx.commit().await?;
        self.writes.fetch_add(1, Ordering::Release);
        self.signal.bump();
        Ok(())
    }

    /// How many change-feed transactions this process has committed: a cheap "has anything
    /// changed here since I last looked" for caches. Other processes' changes are found by
    /// polling the feed.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::Acquire)
    }

    /// Brings the query planner's statistics up to date after a bulk load (an import, an
    /// archive): without them SQLite guesses, and may walk a whole index where a few lookups by
    /// id would do. SQLite samples each index (`analysis_limit`), so this takes milliseconds
    /// at any size; PostgreSQL samples by itself.
    pub async fn refresh_statistics(&self) -> Result<()> {
        if self.readers.is_some() {
            // The limit is the connection's own setting: both on one connection.
            let mut conn = self.pool.acquire().await?;
            sqlx::query("PRAGMA analysis_limit = 1000")
                .execute(&mut *conn)
                .await?;
            sqlx::query("ANALYZE").execute(&mut *conn).await?;
        } else {
            sqlx::query("ANALYZE").execute(&self.pool).await?;
        }
        Ok(())
    }

    /// Closes the store; on SQLite, first folding the WAL back into the database file (best
    /// effort: a busy or read-only store keeps it), so that a copy of `khobor.db` taken while
    /// Khobor is stopped is the whole store.
    pub async fn close(&self) {
        if let Some(readers) = &self.readers {
            readers.close();
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await
            {
                tracing::debug!(error = %e, "WAL not checkpointed at close");
            }
        }
        self.pool.close().await;
    }
}

/// Takes the store's write lock for the rest of the transaction (PostgreSQL; SQLite's
/// `BEGIN IMMEDIATE` is its own). Taking it twice in one transaction is harmless.
pub(crate) async fn take_write_lock(tx: &mut Tx<'_>) -> Result<()> {
    if tx.backend_name() == "PostgreSQL" {
        // In FROM, so that no `void` column comes back.
        sqlx::query("SELECT 1 FROM pg_advisory_xact_lock($1)")
            .bind(WRITE_LOCK)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// What a path keeps escaped inside an `sqlite://` URL.
const PATH_IN_URL: percent_encoding::AsciiSet = percent_encoding::CONTROLS
    .add(b' ')
    .add(b'%')
    .add(b'?')
    .add(b'#');

/// The settings every SQLite connection gets: WAL (readers never wait for the writer),
/// foreign keys, a 10 s wait for the write lock, a 2 MB page cache. The reader site's hot
/// reads run on their own connections with 8 MB each (`read::Readers`); these pooled ones
/// do the writes and the rest, and with 8 MB each they held up to 48 MB more under load
/// (bench/memory.sh) for no measurable speed.
async fn sqlite_pragmas(conn: &mut AnyConnection) -> std::result::Result<(), sqlx::Error> {
    conn.execute(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
         PRAGMA busy_timeout = 10000; PRAGMA cache_size = -2000; PRAGMA temp_store = MEMORY;",
    )
    .await?;
    Ok(())
}

/// Current time as stored: Unix seconds, UTC.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
