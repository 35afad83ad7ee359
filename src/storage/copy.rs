//! `khobor migrate-store`: a site's SQLite store copied whole into an empty PostgreSQL
//! database — every table, every id, the identity sequences and the store's own identity —
//! then checked table by table (row count and an order-independent checksum on both sides).
//!
//! The source is read in one read transaction on a read-only rusqlite connection, so the copy
//! is a consistent snapshot even while the site keeps running (WAL lets readers and the writer
//! go on side by side; the WAL cannot be folded back past the snapshot until the copy ends). A
//! thread reads and a task writes, joined by a short channel, so neither waits for the whole
//! store and memory holds a few batches at most. The target is written in one transaction
//! under the store's write lock: a copy that fails half-way leaves the database as it was.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use sha2::{Digest, Sha256};
use sqlx::Row as _;

use super::{identity, Location, StorageError, Store, Tx};

/// Rows per INSERT at most; fewer for wide tables (see [`rows_per_insert`]).
const MAX_ROWS_PER_INSERT: usize = 1_000;
/// PostgreSQL's limit on bind parameters in one statement (a 16-bit count).
const MAX_BIND_PARAMETERS: usize = 65_535;
/// Text held in one batch before it is sent, whatever its row count: story bodies and
/// revisions run to tens of kilobytes each.
const MAX_BATCH_BYTES: usize = 8 << 20;
/// Batches in flight between the reading thread and the writing task.
const BATCHES_IN_FLIGHT: usize = 2;

/// Tables that hold rows in a database Khobor has just migrated: the standard sections (seeded
/// by migration 0001), the places (seeded at open) and the store's identity (made at open). All
/// are replaced by the copy.
const MADE_AT_OPEN: [&str; 3] = ["places", "sections", "store_identity"];
/// sqlx's record of applied migrations: each side keeps its own.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("{0}")]
    Url(String),
    #[error("no store at {path}: --from must be the data directory of the site to copy (the one that holds khobor.db)")]
    NoSource { path: String },
    #[error("{path} is not a Khobor store (it has no migration history)")]
    NotAStore { path: String },
    #[error("the database {url} is not empty (table {table} has rows): migrate-store copies only into an empty database, such as a fresh `createdb`; nothing was changed")]
    TargetNotEmpty { url: String, table: String },
    #[error("the source and target schemas differ: {0}")]
    Schema(String),
    #[error("tables {0} refer to each other, so there is no order to copy them in")]
    Cycle(String),
    #[error("{table}.{column}, row {row} of the copy, holds {found}, which PostgreSQL's {column} cannot take; nothing was changed")]
    Value {
        table: String,
        column: String,
        row: u64,
        found: String,
    },
    #[error("reading the source stopped: {0}")]
    Reader(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sqlx::Error> for CopyError {
    fn from(e: sqlx::Error) -> CopyError {
        CopyError::Storage(e.into())
    }
}

impl From<rusqlite::Error> for CopyError {
    fn from(e: rusqlite::Error) -> CopyError {
        CopyError::Storage(e.into())
    }
}

/// A table's row count and checksum: the wrapping sum of the first 16 bytes of each row's
/// SHA-256 (see [`row_digest`]). A sum does not depend on the order rows are read in, which
/// differs between the two databases (so does the order text sorts in).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub rows: u64,
    pub checksum: u128,
}

impl Tally {
    fn add(&mut self, row: &[Cell]) {
        self.rows += 1;
        self.checksum = self.checksum.wrapping_add(row_digest(row));
    }
}

/// One table after the copy: what the source snapshot held and what PostgreSQL holds.
#[derive(Debug, Clone)]
pub struct TableCheck {
    pub table: String,
    pub source: Tally,
    pub target: Tally,
}

impl TableCheck {
    pub fn matches(&self) -> bool {
        self.source == self.target
    }
}

#[derive(Debug, Clone)]
pub struct CopyReport {
    /// In the order they were copied (parents before the tables that refer to them).
    pub tables: Vec<TableCheck>,
    /// From the first read to the commit (the check after it not included).
    pub copy_time: Duration,
}

impl CopyReport {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.source.rows).sum()
    }

    /// Whether every table's count and checksum are the same on both sides.
    pub fn verified(&self) -> bool {
        self.tables.iter().all(TableCheck::matches)
    }
}

/// Told after each table is copied (before the commit).
#[derive(Debug)]
pub struct TableCopied<'a> {
    pub table: &'a str,
    pub rows: u64,
    pub elapsed: Duration,
}

/// Copies the SQLite store in `data_dir` into the empty PostgreSQL database at `url`, then
/// checks every table on both sides. A database with content is refused before anything is
/// written; any failure during the copy rolls the whole copy back.
pub async fn copy_sqlite_to_postgres(
    data_dir: &Path,
    url: &str,
    mut progress: impl FnMut(&TableCopied<'_>),
) -> Result<CopyReport, CopyError> {
    Location::postgres(url).map_err(CopyError::Url)?;
    let source = data_dir.join("khobor.db");
    bring_source_up_to_date(&source).await?;
    let target = Store::open_postgres(url, super::DEFAULT_POOL_SIZE).await?;
    let result = copy_into(&source, &target, url, &mut progress).await;
    target.close().await;
    result
}

/// Refuses a missing source (without creating it) and one whose schema is newer than this
/// binary's; migrates an older one, as starting this binary's server on it would. A source at
/// the current schema is only ever opened read-only, so a running site is not disturbed.
async fn bring_source_up_to_date(db: &Path) -> Result<(), CopyError> {
    if !db.is_file() {
        return Err(CopyError::NoSource {
            path: db.display().to_string(),
        });
    }
    let found = {
        let conn = read_only(db)?;
        let has_history: i64 = conn.query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [MIGRATIONS_TABLE],
            |r| r.get(0),
        )?;
        if has_history == 0 {
            return Err(CopyError::NotAStore {
                path: db.display().to_string(),
            });
        }
        conn.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success = TRUE",
            [],
            |r| r.get::<_, i64>(0),
        )?
    };
    let expected = identity::expected_schema_version();
    if found > expected {
        return Err(StorageError::SchemaNewer {
            url: db.display().to_string(),
            found,
            expected,
        }
        .into());
    }
    if found < expected {
        Store::open_sqlite(db).await?.close().await;
    }
    Ok(())
}

fn read_only(db: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    Ok(conn)
}

/// The copy proper, on an open target: the emptiness check, the rows, the sequences, the
/// commit, then the check of every table.
async fn copy_into(
    source: &Path,
    target: &Store,
    url: &str,
    progress: &mut impl FnMut(&TableCopied<'_>),
) -> Result<CopyReport, CopyError> {
    let started = Instant::now();
    let schema = target_schema(target.pool()).await?;
    let mut tx = target.begin_write().await?;
    refuse_content(&mut tx, &schema, &target.location().describe()).await?;
    for table in MADE_AT_OPEN {
        sqlx::query(&format!("DELETE FROM {}", quoted(table)))
            .execute(&mut *tx)
            .await?;
    }
    let copied = copy_rows(source, &schema, &mut tx, progress).await?;
    reset_sequences(&mut tx, &schema).await?;
    tx.commit().await?;
    // Fresh statistics before any node reads: until autovacuum gets round to it the planner
    // takes every table for nearly empty, and at 100,000 stories a card list by id went from
    // a primary-key lookup to a bitmap of every published story (8 ms instead of 0.1 ms).
    sqlx::query("ANALYZE").execute(target.pool()).await?;
    let copy_time = started.elapsed();
    let mut reading = reading_connection(url).await?;
    let mut tables = Vec::with_capacity(copied.len());
    for (plan, source) in copied {
        let target = tally_target(&mut reading, &plan).await?;
        tables.push(TableCheck {
            table: plan.table,
            source,
            target,
        });
    }
    sqlx::Connection::close(reading).await?;
    Ok(CopyReport { tables, copy_time })
}

/// A connection of its own for reading the copied tables back, with sqlx's statement logging
/// off: it warns of every statement that takes over a second, and reading a large table
/// whole always does.
async fn reading_connection(url: &str) -> Result<sqlx::AnyConnection, CopyError> {
    use sqlx::{ConnectOptions, Connection};
    let options = url
        .parse::<sqlx::any::AnyConnectOptions>()?
        .disable_statement_logging();
    Ok(sqlx::AnyConnection::connect_with(&options).await?)
}

/// What a PostgreSQL column holds: every column Khobor makes is BIGINT or TEXT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
}

#[derive(Debug)]
struct TargetColumn {
    kind: Kind,
    identity: bool,
}

/// The target's tables (bar sqlx's own), each with its columns by name.
type TargetSchema = BTreeMap<String, BTreeMap<String, TargetColumn>>;

async fn target_schema<'c>(
    from: impl sqlx::Executor<'c, Database = sqlx::Any>,
) -> Result<TargetSchema, CopyError> {
    // information_schema's columns are domains over `name` and `varchar`, which sqlx's Any
    // driver cannot decode: cast to text.
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.is_identity::text
         FROM information_schema.columns c
         JOIN information_schema.tables t
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'",
    )
    .fetch_all(from)
    .await?;
    let mut schema = TargetSchema::new();
    for (table, column, data_type, is_identity) in rows {
        if table == MIGRATIONS_TABLE {
            continue;
        }
        let kind = match data_type.as_str() {
            "bigint" | "integer" | "smallint" => Kind::Int,
            "text" | "character varying" => Kind::Text,
            other => {
                return Err(CopyError::Schema(format!(
                    "{table}.{column} is {other} on PostgreSQL; Khobor's columns are bigint or text"
                )))
            }
        };
        schema.entry(table).or_default().insert(
            column,
            TargetColumn {
                kind,
                identity: is_identity == "YES",
            },
        );
    }
    Ok(schema)
}

/// Refuses a target with rows anywhere but in what a fresh store holds (see
/// [`MADE_AT_OPEN`]). Run inside the copy's transaction, under the write lock, so that no
/// node can write in between.
async fn refuse_content(
    tx: &mut Tx<'_>,
    schema: &TargetSchema,
    url: &str,
) -> Result<(), CopyError> {
    for table in schema
        .keys()
        .filter(|t| !MADE_AT_OPEN.contains(&t.as_str()))
    {
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM {} LIMIT 1) s",
            quoted(table)
        );
        let rows: i64 = sqlx::query_scalar(&sql).fetch_one(&mut **tx).await?;
        if rows > 0 {
            return Err(CopyError::TargetNotEmpty {
                url: url.to_owned(),
                table: table.clone(),
            });
        }
    }
    Ok(())
}

/// One source table as it is copied: its columns in name order (the order values are read,
/// written and checksummed in) and what PostgreSQL holds in each.
#[derive(Debug, Clone)]
struct TablePlan {
    table: String,
    columns: Vec<String>,
    kinds: Vec<Kind>,
}

/// What the reading thread sends: a table's plan, then its rows in batches (row-major, one
/// cell per column), then the tally of everything it read.
enum Piece {
    Table(TablePlan),
    Rows(Vec<Cell>),
    Done(Tally),
}

/// Streams every source table into the transaction; returns each table's plan with the tally
/// of the source snapshot.
async fn copy_rows(
    source: &Path,
    schema: &TargetSchema,
    tx: &mut Tx<'_>,
    progress: &mut impl FnMut(&TableCopied<'_>),
) -> Result<Vec<(TablePlan, Tally)>, CopyError> {
    let kinds: HashMap<String, HashMap<String, Kind>> = schema
        .iter()
        .map(|(t, cols)| {
            let cols = cols.iter().map(|(c, col)| (c.clone(), col.kind)).collect();
            (t.clone(), cols)
        })
        .collect();
    let (send, receive) = tokio::sync::mpsc::channel(BATCHES_IN_FLIGHT);
    let path = source.to_owned();
    let reader = tokio::task::spawn_blocking(move || read_source(&path, &kinds, &send));
    // The receiver is dropped when writing ends, early or not, so a reader still sending
    // stops too.
    let written = write_pieces(receive, tx, progress).await;
    let read = reader.await.map_err(|e| CopyError::Reader(e.to_string()))?;
    read?;
    written
}

async fn write_pieces(
    mut receive: tokio::sync::mpsc::Receiver<Result<Piece, CopyError>>,
    tx: &mut Tx<'_>,
    progress: &mut impl FnMut(&TableCopied<'_>),
) -> Result<Vec<(TablePlan, Tally)>, CopyError> {
    let mut done = Vec::new();
    let mut current: Option<(TablePlan, Instant, u64)> = None;
    while let Some(piece) = receive.recv().await {
        match piece? {
            Piece::Table(plan) => current = Some((plan, Instant::now(), 0)),
            Piece::Rows(cells) => {
                let (plan, _, rows) = current.as_mut().ok_or_else(out_of_order)?;
                *rows += insert_rows(tx, plan, cells).await?;
            }
            Piece::Done(tally) => {
                let (plan, started, rows) = current.take().ok_or_else(out_of_order)?;
                progress(&TableCopied {
                    table: &plan.table,
                    rows,
                    elapsed: started.elapsed(),
                });
                done.push((plan, tally));
            }
        }
    }
    Ok(done)
}

fn out_of_order() -> CopyError {
    CopyError::Reader("rows arrived before their table".to_owned())
}

/// One multi-row INSERT of `cells` (whole rows of `plan`); returns the rows written.
async fn insert_rows(
    tx: &mut Tx<'_>,
    plan: &TablePlan,
    cells: Vec<Cell>,
) -> Result<u64, CopyError> {
    let width = plan.columns.len();
    let rows = cells.len() / width;
    if rows == 0 {
        return Ok(0);
    }
    let sql = insert_sql(plan, rows);
    let mut query = sqlx::query(&sql);
    for (i, cell) in cells.into_iter().enumerate() {
        // A NULL is bound with its column's type: PostgreSQL refuses a bigint NULL for text.
        query = match (plan.kinds[i % width], cell) {
            (Kind::Int, Cell::Int(v)) => query.bind(Some(v)),
            (Kind::Int, _) => query.bind(None::<i64>),
            (Kind::Text, Cell::Text(v)) => query.bind(Some(v)),
            (Kind::Text, _) => query.bind(None::<String>),
        };
    }
    query.execute(&mut **tx).await?;
    Ok(rows as u64)
}

/// `INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), …` for `rows` rows.
fn insert_sql(plan: &TablePlan, rows: usize) -> String {
    let width = plan.columns.len();
    let columns: Vec<String> = plan.columns.iter().map(|c| quoted(c)).collect();
    let mut sql = format!(
        "INSERT INTO {} ({}) VALUES ",
        quoted(&plan.table),
        columns.join(", ")
    );
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for col in 0..width {
            if col > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(row * width + col + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

/// Rows per INSERT for a table `width` columns wide, within PostgreSQL's parameter limit.
fn rows_per_insert(width: usize) -> usize {
    (MAX_BIND_PARAMETERS / width.max(1)).clamp(1, MAX_ROWS_PER_INSERT)
}

/// Moves every identity sequence past the ids copied, so the next story, user or change-feed
/// entry gets a new id rather than a copied one. `setval` returns bigint, so the statement
/// gives sqlx's Any driver an int8 column to decode.
async fn reset_sequences(tx: &mut Tx<'_>, schema: &TargetSchema) -> Result<(), CopyError> {
    for (table, columns) in schema {
        for (column, _) in columns.iter().filter(|(_, c)| c.identity) {
            let col = quoted(column);
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX({col}), 1), MAX({col}) IS NOT NULL) FROM {}",
                quoted(table)
            );
            sqlx::query_scalar::<_, i64>(&sql)
                .bind(quoted(table))
                .bind(column)
                .fetch_one(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// The count and checksum of a copied table as PostgreSQL now holds it, read back the same
/// way the source was.
async fn tally_target<'c>(
    from: impl sqlx::Executor<'c, Database = sqlx::Any>,
    plan: &TablePlan,
) -> Result<Tally, CopyError> {
    let columns: Vec<String> = plan.columns.iter().map(|c| quoted(c)).collect();
    let sql = format!("SELECT {} FROM {}", columns.join(", "), quoted(&plan.table));
    let mut rows = sqlx::query(&sql).fetch(from);
    let mut tally = Tally::default();
    let mut row_cells = Vec::with_capacity(plan.columns.len());
    while let Some(row) = rows.try_next().await? {
        row_cells.clear();
        for (i, kind) in plan.kinds.iter().enumerate() {
            row_cells.push(match kind {
                Kind::Int => row
                    .try_get::<Option<i64>, _>(i)?
                    .map_or(Cell::Null, Cell::Int),
                Kind::Text => row
                    .try_get::<Option<String>, _>(i)?
                    .map_or(Cell::Null, Cell::Text),
            });
        }
        tally.add(&row_cells);
    }
    Ok(tally)
}

/// Every table of a PostgreSQL store (bar sqlx's own) with its count and checksum over all
/// its columns: what `migrate-store` compares, for a caller that wants to see a database
/// unchanged.
pub async fn tallies(store: &Store) -> Result<BTreeMap<String, Tally>, CopyError> {
    let mut conn = store.pool().acquire().await?;
    tallies_on(&mut conn).await
}

/// [`tallies`] on one connection to a PostgreSQL database, inside whatever transaction it
/// holds (a backup reads them in the snapshot its dump is taken from).
pub async fn tallies_on(
    conn: &mut sqlx::AnyConnection,
) -> Result<BTreeMap<String, Tally>, CopyError> {
    let schema = target_schema(&mut *conn).await?;
    let mut out = BTreeMap::new();
    for (table, columns) in schema {
        let plan = TablePlan {
            table: table.clone(),
            kinds: columns.values().map(|c| c.kind).collect(),
            columns: columns.into_keys().collect(),
        };
        out.insert(table, tally_target(&mut *conn, &plan).await?);
    }
    Ok(out)
}

/// Every table of an SQLite store (bar SQLite's and sqlx's own) with its count and checksum,
/// computed as [`tallies`] computes them on PostgreSQL: columns in name order, each value as
/// stored. Blocking: call it off the async workers.
pub fn sqlite_tallies(conn: &Connection) -> Result<BTreeMap<String, Tally>, CopyError> {
    let mut out = BTreeMap::new();
    for table in source_tables(conn)? {
        let columns: Vec<String> = table.columns.iter().map(|c| quoted(c)).collect();
        let sql = format!("SELECT {} FROM {}", columns.join(", "), quoted(&table.name));
        let mut statement = conn.prepare(&sql)?;
        let mut rows = statement.query([])?;
        let mut tally = Tally::default();
        let mut cells = Vec::with_capacity(columns.len());
        while let Some(row) = rows.next()? {
            cells.clear();
            for i in 0..columns.len() {
                cells.push(match row.get_ref(i)? {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(v) => Cell::Int(v),
                    ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Real(v) => Cell::Real(v.to_bits()),
                    ValueRef::Blob(b) => Cell::Blob(b.to_vec()),
                });
            }
            tally.add(&cells);
        }
        out.insert(table.name, tally);
    }
    Ok(out)
}

/// A value as both databases can hold it in Khobor's columns.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cell {
    Null,
    Int(i64),
    Text(String),
    /// Only in a tally of an SQLite file: Khobor's columns hold no real numbers or blobs,
    /// and a copy to PostgreSQL refuses them.
    Real(u64),
    Blob(Vec<u8>),
}

/// The first 16 bytes, as a big-endian number, of the SHA-256 of a row's canonical encoding:
/// each value in column-name order, tagged so that NULL, 0 and "" all differ, and text
/// length-prefixed so that no two rows run together into the same bytes.
fn row_digest(row: &[Cell]) -> u128 {
    let mut hash = Sha256::new();
    for cell in row {
        match cell {
            Cell::Null => hash.update([0u8]),
            Cell::Int(v) => {
                hash.update([1u8]);
                hash.update(v.to_be_bytes());
            }
            Cell::Text(s) => {
                hash.update([2u8]);
                hash.update((s.len() as u64).to_be_bytes());
                hash.update(s.as_bytes());
            }
            Cell::Real(bits) => {
                hash.update([3u8]);
                hash.update(bits.to_be_bytes());
            }
            Cell::Blob(b) => {
                hash.update([4u8]);
                hash.update((b.len() as u64).to_be_bytes());
                hash.update(b);
            }
        }
    }
    let digest = hash.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    u128::from_be_bytes(first)
}

/// A source table: its columns and the tables its foreign keys point at.
#[derive(Debug)]
struct SourceTable {
    name: String,
    columns: Vec<String>,
    parents: BTreeSet<String>,
}

/// The reading thread: one read transaction over the whole source, tables in dependency
/// order, each checked against the target's columns, read in batches and tallied as read.
/// Returns early, without error, when the writer has stopped listening (its error explains).
fn read_source(
    db: &Path,
    target: &HashMap<String, HashMap<String, Kind>>,
    send: &tokio::sync::mpsc::Sender<Result<Piece, CopyError>>,
) -> Result<(), CopyError> {
    let mut conn = read_only(db)?;
    // One snapshot for every table: it starts at the first read and lasts until the end.
    let snapshot = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)?;
    let tables = source_tables(&snapshot)?;
    for table in dependency_order(tables)? {
        let plan = plan_table(&table, target)?;
        if send.blocking_send(Ok(Piece::Table(plan.clone()))).is_err() {
            return Ok(());
        }
        match read_table(&snapshot, &plan, send) {
            Ok(Some(tally)) => {
                if send.blocking_send(Ok(Piece::Done(tally))).is_err() {
                    return Ok(());
                }
            }
            Ok(None) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The source's tables (bar SQLite's and sqlx's own), with columns and foreign-key parents.
fn source_tables(conn: &Connection) -> Result<Vec<SourceTable>, CopyError> {
    let names: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table'
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name != ?1 ORDER BY name",
        )?
        .query_map([MIGRATIONS_TABLE], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    names
        .into_iter()
        .map(|name| {
            let columns = conn
                .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY name")?
                .query_map([&name], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            let parents = conn
                .prepare("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)")?
                .query_map([&name], |r| r.get(0))?
                .collect::<rusqlite::Result<BTreeSet<String>>>()?;
            Ok(SourceTable {
                name,
                columns,
                parents,
            })
        })
        .collect()
}

/// Tables ordered so that each comes after every table its foreign keys point at (Kahn's
/// algorithm, ties broken by name so the order is the same every time). A reference to the
/// table itself or to a table not copied does not constrain the order.
fn dependency_order(tables: Vec<SourceTable>) -> Result<Vec<SourceTable>, CopyError> {
    let names: BTreeSet<String> = tables.iter().map(|t| t.name.clone()).collect();
    let mut waiting: BTreeMap<String, SourceTable> = tables
        .into_iter()
        .map(|mut t| {
            let own = t.name.clone();
            t.parents.retain(|p| *p != own && names.contains(p));
            (own, t)
        })
        .collect();
    let mut done = BTreeSet::new();
    let mut order = Vec::with_capacity(waiting.len());
    while !waiting.is_empty() {
        let ready: Vec<String> = waiting
            .values()
            .filter(|t| t.parents.is_subset(&done))
            .map(|t| t.name.clone())
            .collect();
        if ready.is_empty() {
            let stuck: Vec<&str> = waiting.keys().map(String::as_str).collect();
            return Err(CopyError::Cycle(stuck.join(", ")));
        }
        for name in ready {
            done.insert(name.clone());
            order.extend(waiting.remove(&name));
        }
    }
    Ok(order)
}

/// A source table matched with the target's by column name. Every source column must exist
/// on the target (anything else would lose data); a target column the source lacks keeps its
/// default.
fn plan_table(
    table: &SourceTable,
    target: &HashMap<String, HashMap<String, Kind>>,
) -> Result<TablePlan, CopyError> {
    let columns = target
        .get(&table.name)
        .ok_or_else(|| CopyError::Schema(format!("table {} is not in the target", table.name)))?;
    let kinds = table
        .columns
        .iter()
        .map(|c| {
            columns.get(c).copied().ok_or_else(|| {
                CopyError::Schema(format!("column {}.{c} is not in the target", table.name))
            })
        })
        .collect::<Result<Vec<Kind>, CopyError>>()?;
    Ok(TablePlan {
        table: table.name.clone(),
        columns: table.columns.clone(),
        kinds,
    })
}

/// Reads one table and sends it in batches; returns its tally, or `None` if the writer
/// stopped listening.
fn read_table(
    conn: &Connection,
    plan: &TablePlan,
    send: &tokio::sync::mpsc::Sender<Result<Piece, CopyError>>,
) -> Result<Option<Tally>, CopyError> {
    let width = plan.columns.len();
    let per_batch = rows_per_insert(width);
    let columns: Vec<String> = plan.columns.iter().map(|c| quoted(c)).collect();
    let sql = format!("SELECT {} FROM {}", columns.join(", "), quoted(&plan.table));
    let mut statement = conn.prepare(&sql)?;
    let mut rows = statement.query([])?;
    let mut tally = Tally::default();
    let mut batch = Vec::with_capacity(per_batch * width);
    let mut bytes = 0;
    while let Some(row) = rows.next()? {
        let start = batch.len();
        for (i, kind) in plan.kinds.iter().enumerate() {
            let cell = cell(row.get_ref(i)?, *kind).ok_or_else(|| CopyError::Value {
                table: plan.table.clone(),
                column: plan.columns[i].clone(),
                row: tally.rows + 1,
                found: describe(row.get_ref(i)),
            })?;
            if let Cell::Text(s) = &cell {
                bytes += s.len();
            }
            batch.push(cell);
        }
        tally.add(&batch[start..]);
        if batch.len() >= per_batch * width || bytes >= MAX_BATCH_BYTES {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(per_batch * width));
            bytes = 0;
            if send.blocking_send(Ok(Piece::Rows(full))).is_err() {
                return Ok(None);
            }
        }
    }
    if !batch.is_empty() && send.blocking_send(Ok(Piece::Rows(batch))).is_err() {
        return Ok(None);
    }
    Ok(Some(tally))
}

/// A stored SQLite value as the PostgreSQL column of `kind` takes it; `None` for one it
/// cannot (a REAL or BLOB, an integer in a text column, text in a bigint one, text that is
/// not UTF-8 or holds a NUL character, which PostgreSQL's text refuses).
fn cell(value: ValueRef<'_>, kind: Kind) -> Option<Cell> {
    match (value, kind) {
        (ValueRef::Null, _) => Some(Cell::Null),
        (ValueRef::Integer(v), Kind::Int) => Some(Cell::Int(v)),
        (ValueRef::Text(bytes), Kind::Text) => std::str::from_utf8(bytes)
            .ok()
            .filter(|s| !s.contains('\0'))
            .map(|s| Cell::Text(s.to_owned())),
        _ => None,
    }
}

/// A value refused by [`cell`], described for the error message.
fn describe(value: rusqlite::Result<ValueRef<'_>>) -> String {
    match value {
        Ok(ValueRef::Integer(v)) => format!("the integer {v}"),
        Ok(ValueRef::Real(v)) => format!("the real number {v}"),
        Ok(ValueRef::Blob(b)) => format!("a {}-byte blob", b.len()),
        Ok(ValueRef::Text(t)) if std::str::from_utf8(t).is_err() => "text that is not UTF-8".into(),
        Ok(ValueRef::Text(t)) if t.contains(&0) => "text with a NUL character".into(),
        Ok(ValueRef::Text(_)) => "text".into(),
        Ok(ValueRef::Null) => "NULL".into(),
        Err(e) => e.to_string(),
    }
}

/// An identifier quoted for both dialects.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, parents: &[&str]) -> SourceTable {
        SourceTable {
            name: name.to_owned(),
            columns: vec!["id".to_owned()],
            parents: parents.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    fn names(order: &[SourceTable]) -> Vec<&str> {
        order.iter().map(|t| t.name.as_str()).collect()
    }

    #[test]
    fn parents_come_before_the_tables_that_refer_to_them() {
        let order = dependency_order(vec![
            table("article_tags", &["articles", "tags"]),
            table("articles", &["sections", "users", "media"]),
            table("media", &["users"]),
            table("sections", &[]),
            table("tags", &[]),
            table("users", &[]),
            table("revisions", &["articles", "revisions", "gone"]),
        ])
        .unwrap();
        assert_eq!(
            names(&order),
            [
                "sections",
                "tags",
                "users",
                "media",
                "articles",
                "article_tags",
                "revisions"
            ]
        );
    }

    #[test]
    fn tables_that_refer_to_each_other_are_named() {
        let e = dependency_order(vec![
            table("a", &["b"]),
            table("b", &["a"]),
            table("c", &[]),
        ])
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "tables a, b refer to each other, so there is no order to copy them in"
        );
    }

    #[test]
    fn a_checksum_does_not_depend_on_row_order_but_on_every_value() {
        let a = [Cell::Int(1), Cell::Text("সংবাদ".into())];
        let b = [Cell::Int(2), Cell::Null];
        let (mut one, mut two) = (Tally::default(), Tally::default());
        one.add(&a);
        one.add(&b);
        two.add(&b);
        two.add(&a);
        assert_eq!(one, two);
        assert_eq!(one.rows, 2);
        let mut other = Tally::default();
        other.add(&a);
        other.add(&[Cell::Int(2), Cell::Text(String::new())]);
        assert_ne!(one.checksum, other.checksum);
    }

    #[test]
    fn null_zero_and_empty_text_are_told_apart_and_values_do_not_run_together() {
        let digests = [
            row_digest(&[Cell::Null]),
            row_digest(&[Cell::Int(0)]),
            row_digest(&[Cell::Text(String::new())]),
        ];
        assert_ne!(digests[0], digests[1]);
        assert_ne!(digests[1], digests[2]);
        assert_ne!(digests[0], digests[2]);
        assert_ne!(
            row_digest(&[Cell::Text("ab".into()), Cell::Text("c".into())]),
            row_digest(&[Cell::Text("a".into()), Cell::Text("bc".into())])
        );
    }

    #[test]
    fn an_insert_stays_within_postgres_parameter_limit() {
        // PostgreSQL tables have at most 1,600 columns.
        for width in [1, 3, 27, 70, 1_600] {
            let rows = rows_per_insert(width);
            assert!(rows >= 1 && rows * width <= MAX_BIND_PARAMETERS, "{width}");
        }
        assert_eq!(rows_per_insert(3), MAX_ROWS_PER_INSERT);
        let plan = TablePlan {
            table: "t".into(),
            columns: vec!["a".into(), "b".into()],
            kinds: vec![Kind::Int, Kind::Text],
        };
        assert_eq!(
            insert_sql(&plan, 2),
            "INSERT INTO \"t\" (\"a\", \"b\") VALUES ($1, $2), ($3, $4)"
        );
    }

    #[test]
    fn values_postgres_cannot_take_are_refused() {
        assert_eq!(cell(ValueRef::Integer(5), Kind::Int), Some(Cell::Int(5)));
        assert_eq!(cell(ValueRef::Null, Kind::Text), Some(Cell::Null));
        assert_eq!(cell(ValueRef::Integer(5), Kind::Text), None);
        assert_eq!(cell(ValueRef::Text(b"5"), Kind::Int), None);
        assert_eq!(cell(ValueRef::Real(1.5), Kind::Int), None);
        assert_eq!(cell(ValueRef::Text(b"a\0b"), Kind::Text), None);
        assert_eq!(cell(ValueRef::Text(b"\xff"), Kind::Text), None);
    }
}
