//! The store's side of `khobor backup`, `restore` and `backup verify`: a consistent snapshot
//! of a live store (SQLite: `VACUUM INTO` a new file; PostgreSQL: a repeatable-read
//! transaction whose snapshot is exported for `pg_dump`), what a snapshot holds (schema
//! version, store id, each table's row count and checksum, as `migrate-store` computes
//! them), whether a restore target is empty, and scratch databases for `backup verify`.
//! The dump and restore programs themselves are run by `crate::backup`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::copy::{self, CopyError, Tally};
use super::{redact, StorageError};

/// What a snapshot of the store holds, as a backup's manifest records it and a restore
/// checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The newest migration applied.
    pub schema_version: i64,
    /// The store's random id (`store_identity`); empty for a store from before it had one.
    pub store_id: String,
    /// Every table (bar the migration history) with its row count and checksum.
    pub tables: BTreeMap<String, Tally>,
}

fn read_only(db: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    Ok(conn)
}

/// Writes a consistent copy of the live SQLite store `db` to the new file `into` with
/// `VACUUM INTO`: one read transaction, so writers carry on (WAL) and the copy holds exactly
/// what was committed when it began. The store is opened read-only and never created.
/// Blocking: call it off the async workers.
pub fn sqlite_snapshot(db: &Path, into: &Path) -> Result<(), StorageError> {
    if !db.is_file() {
        return Err(StorageError::DataDir {
            path: db.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no store there"),
        });
    }
    let conn = read_only(db).map_err(|e| StorageError::from(e).damaged_if_corrupt(db))?;
    conn.execute("VACUUM INTO ?1", [into.display().to_string()])?;
    Ok(())
}

/// What the SQLite file at `file` holds (opened read-only). Blocking.
pub fn sqlite_facts(file: &Path) -> Result<Facts, CopyError> {
    let conn = read_only(file)?;
    let snapshot = conn.unchecked_transaction()?;
    let has = |table: &str| -> rusqlite::Result<bool> {
        snapshot.query_row(
            "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |r| r.get(0),
        )
    };
    if !has("_sqlx_migrations")? {
        return Err(CopyError::NotAStore {
            path: file.display().to_string(),
        });
    }
    let schema_version = snapshot.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success = TRUE",
        [],
        |r| r.get(0),
    )?;
    let store_id = if has("store_identity")? {
        snapshot
            .query_row("SELECT store_id FROM store_identity", [], |r| r.get(0))
            .unwrap_or_default()
    } else {
        String::new()
    };
    let tables = copy::sqlite_tallies(&snapshot)?;
    Ok(Facts {
        schema_version,
        store_id,
        tables,
    })
}

/// SQLite's `quick_check` of a file (opened read-only): its first findings, empty when whole.
/// Blocking.
pub fn sqlite_problems(file: &Path) -> Result<Vec<String>, StorageError> {
    let conn = read_only(file)?;
    let mut statement = conn.prepare("PRAGMA quick_check(20)")?;
    let findings = statement
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(findings.into_iter().filter(|f| f != "ok").collect())
}

/// A connection of Khobor's own to a PostgreSQL database (no migrations run, statement
/// logging off: reading a whole table takes over sqlx's "slow statement" second).
async fn connect(url: &str) -> Result<sqlx::AnyConnection, StorageError> {
    use sqlx::{ConnectOptions, Connection};
    sqlx::any::install_default_drivers();
    let unreachable = |e: sqlx::Error| StorageError::Unreachable {
        url: redact(url),
        reason: match &e {
            sqlx::Error::Database(d) => d.message().to_owned(),
            other => other.to_string(),
        },
    };
    let options = url
        .parse::<sqlx::any::AnyConnectOptions>()
        .map_err(unreachable)?
        .disable_statement_logging();
    sqlx::AnyConnection::connect_with(&options)
        .await
        .map_err(unreachable)
}

/// An open repeatable-read transaction on a PostgreSQL store whose snapshot is exported:
/// `pg_dump --snapshot=NAME` dumps exactly what [`PgSnapshot::facts`] counts. Keep it open
/// until the dump has finished.
pub struct PgSnapshot {
    conn: sqlx::AnyConnection,
    pub name: String,
}

impl PgSnapshot {
    pub async fn begin(url: &str) -> Result<PgSnapshot, StorageError> {
        let mut conn = connect(url).await?;
        sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut conn)
            .await?;
        let name: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
            .fetch_one(&mut conn)
            .await?;
        Ok(PgSnapshot { conn, name })
    }

    /// The schema version, store id and table tallies, read in the snapshot.
    pub async fn facts(&mut self) -> Result<Facts, CopyError> {
        postgres_facts_on(&mut self.conn).await
    }

    pub async fn end(mut self) {
        let _ = sqlx::query("COMMIT").execute(&mut self.conn).await;
        let _ = sqlx::Connection::close(self.conn).await;
    }
}

async fn postgres_facts_on(conn: &mut sqlx::AnyConnection) -> Result<Facts, CopyError> {
    let schema_version: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&mut *conn)
            .await?;
    let store_id: Option<String> = sqlx::query_scalar("SELECT store_id FROM store_identity")
        .fetch_optional(&mut *conn)
        .await?;
    let tables = copy::tallies_on(conn).await?;
    Ok(Facts {
        schema_version: schema_version.unwrap_or(0),
        store_id: store_id.unwrap_or_default(),
        tables,
    })
}

/// What the PostgreSQL database at `url` holds.
pub async fn postgres_facts(url: &str) -> Result<Facts, CopyError> {
    let mut conn = connect(url).await?;
    let facts = postgres_facts_on(&mut conn).await;
    let _ = sqlx::Connection::close(conn).await;
    facts
}

/// How many tables the PostgreSQL database at `url` has in its schema (0: a fresh
/// `createdb`, what a restore goes into).
pub async fn postgres_tables(url: &str) -> Result<i64, StorageError> {
    let mut conn = connect(url).await?;
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    .fetch_one(&mut conn)
    .await?;
    let _ = sqlx::Connection::close(conn).await;
    Ok(n)
}

/// The server's version as `SHOW server_version` gives it (e.g. "15.10 (Debian …)").
pub async fn postgres_version(url: &str) -> Result<String, StorageError> {
    let mut conn = connect(url).await?;
    let v: String = sqlx::query_scalar("SELECT current_setting('server_version')")
        .fetch_one(&mut conn)
        .await?;
    let _ = sqlx::Connection::close(conn).await;
    Ok(v)
}

/// A scratch database on the server of `url`, for `backup verify` to restore into; dropped
/// by [`drop_scratch`]. Returns its URL.
pub async fn create_scratch(url: &str, name: &str) -> Result<String, StorageError> {
    let mut conn = connect(url).await?;
    let made = sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .await;
    let _ = sqlx::Connection::close(conn).await;
    made?;
    let mut scratch = url::Url::parse(url).map_err(|e| StorageError::Unreachable {
        url: redact(url),
        reason: e.to_string(),
    })?;
    scratch.set_path(&format!("/{name}"));
    Ok(scratch.to_string())
}

/// Drops a scratch database made by [`create_scratch`] (with any connection still open).
pub async fn drop_scratch(url: &str, name: &str) -> Result<(), StorageError> {
    let mut conn = connect(url).await?;
    let dropped = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await;
    let _ = sqlx::Connection::close(conn).await;
    dropped?;
    Ok(())
}
