//! `khobor migrate-store`: a site's SQLite store copied into an empty PostgreSQL database,
//! then served from there by the application. These tests need PostgreSQL whatever store the
//! rest of the suite runs on: the server is `KHOBOR_TEST_POSTGRES`, or the local one
//! scripts/test.sh uses when it is unset (a missing server fails them; it does not skip them).

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use khobor::storage::copy::{self, CopyError};
use khobor::storage::{identity::StoreIdentity, StorageError, Store};

use crate::helpers::*;

/// The server scripts/test.sh points `KHOBOR_TEST_POSTGRES` at.
const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432";

fn server() -> String {
    test_postgres().unwrap_or_else(|| DEFAULT_SERVER.to_owned())
}

const EDITOR: &str = "editor@khobor.test";

/// A closed SQLite site with something in most tables: imported stories with tags and
/// authors, a newsroom account that logged in (session, known browser, audit lines) and a
/// draft written in the editor (revisions, change feed).
struct Site {
    closed: Closed,
    /// `(id, headline)` of every published story, as the API lists them.
    listed: Vec<(i64, String)>,
    wire: Value,
    identity: StoreIdentity,
    draft: i64,
}

async fn sqlite_site() -> Site {
    let t = TestApp::on_sqlite().await;
    t.import(&[wire_story()]).await;
    t.import(&stories("খেলা", 1, 30)).await;
    t.add_user(EDITOR, "সম্পাদক", "সস", "editor").await;
    let draft = t
        .login(EDITOR)
        .await
        .write_story("খসড়া খবর", "খসড়ার প্রথম অনুচ্ছেদ।", &[])
        .await;
    let listed = listed(&t).await;
    let wire = t.api_article("wire-summit").await;
    let identity = t.app.store().identity().await.unwrap();
    Site {
        closed: t.close().await,
        listed,
        wire,
        identity,
        draft,
    }
}

async fn listed(t: &TestApp) -> Vec<(i64, String)> {
    let list = t.get("/api/v1/articles?limit=100").await.json();
    list["articles"]
        .as_array()
        .expect("articles")
        .iter()
        .map(|a| {
            (
                a["id"].as_i64().unwrap(),
                a["headline"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The application over the PostgreSQL database, on a data directory of its own.
async fn on_postgres(db: TestDatabase) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let config =
        khobor::config::Config::load(&store_overrides(dir.path(), Some(&db)), Some("127.0.0.1:0"))
            .unwrap();
    let app = khobor::app::App::build(config).await.expect("app builds");
    TestApp {
        app,
        dir,
        db: Some(db),
    }
}

async fn copy_quietly(data: &Path, url: &str) -> Result<copy::CopyReport, CopyError> {
    copy::copy_sqlite_to_postgres(data, url, |_| {}).await
}

async fn tallies(url: &str) -> std::collections::BTreeMap<String, copy::Tally> {
    let store = Store::open_postgres(url, khobor::storage::DEFAULT_POOL_SIZE)
        .await
        .unwrap();
    let t = copy::tallies(&store).await.unwrap();
    store.close().await;
    t
}

#[tokio::test]
async fn a_sqlite_site_is_served_from_postgres_with_the_same_stories_ids_and_identity() {
    let site = sqlite_site().await;
    let db = TestDatabase::create(&server()).await;
    let mut told = Vec::new();
    let report = copy::copy_sqlite_to_postgres(&site.closed.data(), &db.url(), |t| {
        told.push((t.table.to_owned(), t.rows))
    })
    .await
    .expect("copy runs");

    assert!(report.verified(), "{report:#?}");
    let rows_of = |table: &str| {
        report
            .tables
            .iter()
            .find(|t| t.table == table)
            .unwrap_or_else(|| panic!("{table} not copied"))
            .target
            .rows
    };
    assert_eq!(rows_of("articles"), 32);
    assert_eq!(rows_of("users"), 1);
    assert_eq!(rows_of("store_identity"), 1);
    assert!(rows_of("revisions") >= 1 && rows_of("sessions") == 1);
    // Every table was told about, parents before the tables that refer to them.
    assert_eq!(told.len(), report.tables.len());
    let at = |table: &str| told.iter().position(|(t, _)| t == table).unwrap();
    assert!(at("sections") < at("articles") && at("users") < at("articles"));
    assert!(at("articles") < at("article_tags") && at("articles") < at("revisions"));

    let pg = on_postgres(db).await;
    assert_eq!(pg.app.store().identity().await.unwrap(), site.identity);
    // The planner has statistics of the copied tables (never-analysed tables say -1).
    let estimated: f32 =
        sqlx::query_scalar("SELECT reltuples FROM pg_class WHERE relname = 'articles'")
            .fetch_one(pg.app.store().pool())
            .await
            .unwrap();
    assert!(estimated >= 32.0, "articles analysed: {estimated}");
    assert_eq!(listed(&pg).await, site.listed);
    assert_eq!(pg.api_article("wire-summit").await, site.wire);
    // The copied account logs in and finds its draft, under the same id.
    let desk = pg.login(EDITOR).await;
    let draft = desk.get(&format!("/newsroom/stories/{}", site.draft)).await;
    draft.assert_contains("খসড়া খবর");

    // New rows take new ids: every sequence was moved past the copied ones.
    let copied_max = site.listed.iter().map(|(id, _)| *id).max().unwrap();
    let report = pg.import(&stories("রাজনীতি", 100, 1)).await;
    assert_eq!(report.inserted, 1);
    let fresh = pg.api_article("story-0100").await["id"].as_i64().unwrap();
    assert!(fresh > copied_max.max(site.draft), "{fresh}");
    let written = desk.write_story("নতুন খসড়া", "নতুন অনুচ্ছেদ।", &[]).await;
    assert!(written > fresh, "{written}");
}

/// The site keeps running during the copy: what it committed (still in the WAL) is copied,
/// and it can go on writing afterwards.
#[tokio::test]
async fn a_running_site_is_copied_with_everything_it_committed() {
    let t = TestApp::on_sqlite().await;
    t.import(&stories("জাতীয়", 1, 5)).await;
    let db = TestDatabase::create(&server()).await;
    let report = copy_quietly(t.dir.path(), &db.url())
        .await
        .expect("copy runs");
    assert!(report.verified(), "{report:#?}");
    assert_eq!(tallies(&db.url()).await["articles"].rows, 5);
    assert_eq!(t.import(&stories("জাতীয়", 6, 1)).await.inserted, 1);
}

/// The real binary: progress on standard error, the check of each table and the summary on
/// standard output; a second copy into the same database is refused in one line and changes
/// nothing.
#[tokio::test]
async fn the_binary_copies_a_store_says_it_checked_it_and_refuses_a_second_copy() {
    let site = sqlite_site().await;
    let db = TestDatabase::create(&server()).await;
    let data = site.closed.data();

    let (out, stdout, stderr) = migrate_store(&data, &db.url());
    assert!(out.status.success(), "stdout {stdout}\nstderr {stderr}");
    assert!(stderr.contains("articles: 32 rows copied"), "{stderr}");
    assert!(
        stdout.contains("articles\t32 rows\tcount and checksum match"),
        "{stdout}"
    );
    let summary = stdout.lines().last().unwrap();
    assert!(summary.starts_with("copied "), "{summary}");
    assert!(
        summary.ends_with("verified: every table's count and checksum match"),
        "{summary}"
    );

    let before = tallies(&db.url()).await;
    assert_eq!(before["articles"].rows, 32);
    let (out, _, stderr) = migrate_store(&data, &db.url());
    let line = crate::cli::assert_one_line_failure(&out, &stderr);
    assert!(line.contains("is not empty (table "), "{line}");
    assert!(line.contains("nothing was changed"), "{line}");
    match copy_quietly(&data, &db.url()).await {
        Err(CopyError::TargetNotEmpty { table, .. }) => assert_ne!(table, "sections"),
        other => panic!("not refused: {other:?}"),
    }
    assert_eq!(tallies(&db.url()).await, before);
}

#[tokio::test]
async fn bad_sources_and_targets_are_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing-here");

    let (out, _, stderr) = migrate_store(&missing, &format!("{}/postgres", server()));
    let line = crate::cli::assert_one_line_failure(&out, &stderr);
    assert!(
        line.contains("no store at") && line.contains("khobor.db"),
        "{line}"
    );
    assert!(!missing.exists(), "the missing store was created");

    let site = TestApp::on_sqlite().await.close().await;
    let (out, _, stderr) = migrate_store(&site.data(), "sqlite://elsewhere.db");
    let line = crate::cli::assert_one_line_failure(&out, &stderr);
    assert!(line.contains("must start with postgres://"), "{line}");

    // Nothing listens on port 1.
    let (out, _, stderr) = migrate_store(&site.data(), "postgres://postgres@127.0.0.1:1/khobor");
    let line = crate::cli::assert_one_line_failure(&out, &stderr);
    assert!(line.contains("cannot reach the database"), "{line}");
}

#[tokio::test]
async fn a_source_migrated_by_a_newer_khobor_is_refused_before_the_target_is_touched() {
    let t = TestApp::on_sqlite().await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (9999, 'from the future', TRUE, X'00', 0)",
    )
    .execute(t.app.store().pool())
    .await
    .unwrap();
    let site = t.close().await;
    let db = TestDatabase::create(&server()).await;
    match copy_quietly(&site.data(), &db.url()).await {
        Err(CopyError::Storage(StorageError::SchemaNewer { found, .. })) => {
            assert_eq!(found, 9999)
        }
        other => panic!("not refused: {other:?}"),
    }
    // The target was not even migrated.
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&db.url()).await.unwrap();
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    assert_eq!(tables, 0);
}

fn migrate_store(from: &Path, to: &str) -> (Output, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_khobor"))
        .env_remove("KHOBOR_LOG")
        .env_remove("KHOBOR_DATABASE_URL")
        .arg("migrate-store")
        .arg("--from")
        .arg(from)
        .args(["--to", to])
        .stdin(Stdio::null())
        .output()
        .expect("khobor runs");
    let stdout = String::from_utf8(out.stdout.clone()).expect("UTF-8 stdout");
    let stderr = String::from_utf8(out.stderr.clone()).expect("UTF-8 stderr");
    (out, stdout, stderr)
}
