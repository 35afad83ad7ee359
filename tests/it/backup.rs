//! Backups that restore: `khobor backup`, `khobor restore` and `khobor backup verify`, on the
//! suite's store and media (SQLite, PostgreSQL, media on disk or in S3) and always on
//! PostgreSQL too; a backup to a bucket on the SeaweedFS of `KHOBOR_TEST_S3`; a backup taken
//! while stories are being published; damaged backups and targets that are not empty.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::http::StatusCode;

use khobor::backup::{self, BackupError};
use khobor::config::{Config, MediaStoreConfig};
use khobor::media_store::MediaStore;
use khobor::storage::copy::Tally;
use khobor::storage::{snapshot, Location};

use crate::cli::khobor;
use crate::helpers::*;

/// A site with stories and two uploads (originals and variants) in its media store.
async fn site_with_media(t: TestApp) -> TestApp {
    t.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    t.import(&stories("জাতীয়", 1, 6)).await;
    t.import(&[wire_story()]).await;
    {
        let editor = t.login("editor@khobor.test").await;
        for (i, size) in [(640, 480), (900, 600)].into_iter().enumerate() {
            let up = editor
                .api_upload(&format!("chobi-{i}.jpg"), &jpeg(size.0, size.1))
                .await;
            assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);
        }
    }
    assert_eq!(t.app.process_media().await.unwrap(), 2);
    t
}

/// Every table's count and checksum, as the store of `config` holds it now.
async fn tallies(config: &Config) -> BTreeMap<String, Tally> {
    match &config.store {
        Location::Sqlite(db) => {
            let db = db.clone();
            tokio::task::spawn_blocking(move || snapshot::sqlite_facts(&db).unwrap().tables)
                .await
                .unwrap()
        }
        Location::Postgres(url) => snapshot::postgres_facts(url).await.unwrap().tables,
    }
}

/// Every media object's name and bytes.
async fn media_objects(config: &MediaStoreConfig) -> Vec<(String, Vec<u8>)> {
    let store = MediaStore::open(config).unwrap();
    let mut out = Vec::new();
    for o in store.list().await.unwrap() {
        let bytes = store.get(&o.name).await.unwrap().unwrap();
        out.push((o.name, bytes.to_vec()));
    }
    out
}

/// Where a restore of `like` goes: a new data directory, a new database when `like` is on
/// PostgreSQL, and a media store of the suite's kind (a new prefix in S3).
struct Target {
    dir: tempfile::TempDir,
    db: Option<TestDatabase>,
    config: Config,
}

impl Target {
    async fn like(like: &TestApp) -> Target {
        let dir = tempfile::tempdir().unwrap();
        let db = match like.db {
            Some(_) => Some(TestDatabase::create(&postgres_server()).await),
            None => None,
        };
        let mut config = Config::load(
            &store_overrides(dir.path(), db.as_ref()),
            Some("127.0.0.1:0"),
        )
        .unwrap();
        config.media.store = match like.media() {
            MediaStoreConfig::Local { .. } => MediaStoreConfig::Local {
                dir: dir.path().join("media"),
            },
            MediaStoreConfig::S3(_) => MediaStoreConfig::S3(TestS3::required().config()),
        };
        Target { dir, db, config }
    }

    /// The application over the restored store.
    async fn open(self) -> TestApp {
        let app = khobor::app::App::build(self.config)
            .await
            .expect("app builds");
        TestApp {
            app,
            dir: self.dir,
            db: self.db,
        }
    }
}

fn quiet(_: &str) {}

/// A site backed up while it runs and restored elsewhere is the same site: every table's
/// count and checksum, every media byte, the same pages, and a search index rebuilt from the
/// restored store.
async fn round_trip(t: TestApp) {
    let t = site_with_media(t).await;
    let backups = tempfile::tempdir().unwrap();
    let to = backups.path().to_str().unwrap();
    let config = t.app.state.config().clone();
    let report = backup::backup(&config, to, quiet).await.expect("backup");
    let n_media = media_objects(&t.media()).await.len();
    assert!(n_media >= 10, "two originals and their variants: {n_media}");
    assert_eq!(report.media_objects, n_media);
    assert_eq!((report.media_copied, report.media_skipped), (n_media, 0));
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(backups.path().join(&report.id).join("manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["format"], 1);
    assert_eq!(
        manifest["store"],
        if t.db.is_some() { "postgres" } else { "sqlite" }
    );
    assert_eq!(manifest["tables"]["articles"]["rows"], 7);
    assert!(manifest["schema_version"].as_i64().unwrap() >= 9);

    let target = Target::like(&t).await;
    let restored = backup::restore(&target.config, to, None, quiet)
        .await
        .expect("restore");
    assert_eq!(restored.id, report.id);
    assert_eq!(restored.media_created, n_media);
    assert_eq!(tallies(&target.config).await, tallies(&config).await);
    assert_eq!(
        media_objects(&target.config.media.store).await,
        media_objects(&t.media()).await
    );

    let r = target.open().await;
    assert_eq!(
        r.app.store().identity().await.unwrap(),
        t.app.store().identity().await.unwrap(),
        "the store keeps its identity"
    );
    for id in ["story-0001", "story-0006"] {
        let path = t.path_of(id).await;
        let (before, after) = (t.get(&path).await, r.get(&path).await);
        assert_eq!(after.status, StatusCode::OK, "{path}");
        assert_eq!(
            without_clock(&after.body),
            without_clock(&before.body),
            "{path} renders the same"
        );
    }
    for (name, bytes) in media_objects(&t.media()).await {
        let (status, _, served) = r.raw(&format!("/media/{name}"), &[]).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert_eq!(served, bytes, "{name} served byte for byte");
    }
    r.app.sync_search().await.unwrap();
    assert_eq!(r.app.state.search().num_docs(), 7, "index rebuilt");
}

/// A page without the masthead's line with today's date and time (which moves on between two
/// renders).
fn without_clock(page: &str) -> String {
    page.lines()
        .filter(|l| !l.contains("class=\"today\""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_site_restores_with_every_row_media_byte_and_page() {
    round_trip(TestApp::new().await).await;
}

#[tokio::test]
async fn a_postgres_site_restores_into_a_fresh_database() {
    round_trip(TestApp::on_postgres().await).await;
}

#[tokio::test]
async fn an_sqlite_site_restores_into_a_new_data_directory() {
    round_trip(TestApp::on_sqlite().await).await;
}

/// Media objects already in the destination are not copied again: a second backup copies
/// none, a third after one more upload copies only its objects; each backup lists them all.
#[tokio::test]
async fn later_backups_copy_only_media_not_in_the_destination() {
    let t = site_with_media(TestApp::new().await).await;
    let backups = tempfile::tempdir().unwrap();
    let to = backups.path().to_str().unwrap();
    let config = t.app.state.config().clone();
    let first = backup::backup(&config, to, quiet).await.unwrap();
    let second = backup::backup(&config, to, quiet).await.unwrap();
    assert_ne!(first.id, second.id);
    assert_eq!(second.media_objects, first.media_objects);
    assert_eq!(
        (second.media_copied, second.media_skipped),
        (0, first.media_objects)
    );
    {
        let editor = t.login("editor@khobor.test").await;
        let up = editor.api_upload("notun.jpg", &jpeg(700, 500)).await;
        assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);
    }
    assert_eq!(t.app.process_media().await.unwrap(), 1);
    let third = backup::backup(&config, to, quiet).await.unwrap();
    let added = third.media_objects - first.media_objects;
    assert!(added >= 5, "an original and its variants: {added}");
    assert_eq!(
        (third.media_copied, third.media_skipped),
        (added, first.media_objects)
    );
    // Every backup verifies on its own, sharing the one media folder.
    for id in [&first.id, &second.id, &third.id] {
        let v = backup::verify(&config, to, Some(id), quiet).await.unwrap();
        assert!(v.verified(), "{id}: {:?}", v.problems);
    }
    let newest = backup::verify(&config, to, None, quiet).await.unwrap();
    assert_eq!(newest.id, third.id);
}

/// A backup taken while a task keeps publishing holds every story confirmed before the
/// backup began.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_during_publishing_holds_every_story_confirmed_before_it() {
    let t = TestApp::new().await;
    let store = t.app.store().clone();
    let stop = Arc::new(AtomicBool::new(false));
    let (confirmed, mut receive) = tokio::sync::mpsc::unbounded_channel::<String>();
    let publisher = {
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            let mut i = 1;
            while !stop.load(Ordering::Relaxed) {
                let story = stories("খেলা", i, 1).remove(0);
                let line = format!("{story}\n");
                let report = khobor::import::import_jsonl_reader(
                    &store,
                    line.as_bytes(),
                    chrono_tz::Asia::Dhaka,
                    khobor::domain::bijoy::BijoyMode::Off,
                )
                .await
                .expect("import runs");
                assert_eq!(report.inserted, 1);
                // Committed: the import has returned.
                let _ = confirmed.send(story["id"].as_str().unwrap().to_owned());
                i += 1;
            }
            i - 1
        })
    };
    let mut before = Vec::new();
    while before.len() < 25 {
        before.push(receive.recv().await.expect("publishing"));
    }
    while let Ok(id) = receive.try_recv() {
        before.push(id);
    }
    let backups = tempfile::tempdir().unwrap();
    let to = backups.path().to_str().unwrap();
    let report = backup::backup(t.app.state.config(), to, quiet)
        .await
        .expect("backup");
    stop.store(true, Ordering::Relaxed);
    let published = publisher.await.unwrap();
    eprintln!(
        "published {} before the backup, {published} in all; the backup's manifest counts {} rows",
        before.len(),
        report.rows
    );

    let target = Target::like(&t).await;
    backup::restore(&target.config, to, None, quiet)
        .await
        .expect("restore");
    let r = target.open().await;
    let held: std::collections::BTreeSet<String> =
        sqlx::query_scalar("SELECT external_id FROM articles WHERE external_id IS NOT NULL")
            .fetch_all(r.app.store().pool())
            .await
            .unwrap()
            .into_iter()
            .collect();
    for id in &before {
        assert!(held.contains(id), "{id} was confirmed before the backup");
    }
    assert!(held.len() >= before.len());
    assert!(held.len() <= published as usize);
}

/// A flipped byte in the database file or in a media object: verify names the file and
/// exits 1, restore refuses naming it and leaves the target as it was.
#[tokio::test]
async fn a_damaged_backup_is_named_by_verify_and_refused_by_restore() {
    let t = site_with_media(TestApp::new().await).await;
    let backups = tempfile::tempdir().unwrap();
    let to = backups.path().to_str().unwrap();
    let config = t.app.state.config().clone();
    let report = backup::backup(&config, to, quiet).await.unwrap();
    let clean = backup::verify(&config, to, None, quiet).await.unwrap();
    assert!(clean.verified(), "{:?}", clean.problems);

    let db_name = if t.db.is_some() {
        "database.pgdump"
    } else {
        "database.sqlite"
    };
    let db_file = backups.path().join(&report.id).join(db_name);
    let media_name = media_objects(&t.media()).await[0].0.clone();
    let media_file = backups.path().join("media").join(&media_name);
    for (file, named) in [
        (db_file, format!("{}/{db_name}", report.id)),
        (media_file, format!("media/{media_name}")),
    ] {
        let good = std::fs::read(&file).unwrap();
        let mut bad = good.clone();
        let middle = bad.len() / 2;
        bad[middle] ^= 0x01;
        std::fs::write(&file, &bad).unwrap();

        let v = backup::verify(&config, to, None, quiet).await.unwrap();
        assert!(!v.verified());
        assert_eq!(v.problems.len(), 1, "{:?}", v.problems);
        assert_eq!(v.problems[0].0, named);
        assert!(v.problems[0].1.contains("SHA-256"), "{:?}", v.problems);

        let mut cmd = khobor();
        cmd.args(["backup", "verify", "--from", to]);
        with_store(&mut cmd, &config);
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{stdout}");
        assert!(stdout.contains(&format!("DIFFERS {named}: ")), "{stdout}");
        assert!(stdout.contains("NOT verified"), "{stdout}");

        let target = Target::like(&t).await;
        match backup::restore(&target.config, to, None, quiet).await {
            Err(e @ BackupError::Damaged { .. }) => {
                let said = e.to_string();
                assert!(said.contains(&named), "{said}");
                assert!(said.contains("nothing was restored"), "{said}");
            }
            other => panic!("not refused: {other:?}"),
        }
        assert_untouched(&target).await;
        std::fs::write(&file, &good).unwrap();
    }
    let again = backup::verify(&config, to, None, quiet).await.unwrap();
    assert!(again.verified(), "{:?}", again.problems);
}

/// A restore target left as it was: no store file, no tables, no media.
async fn assert_untouched(target: &Target) {
    match &target.config.store {
        Location::Sqlite(db) => {
            assert!(!db.exists(), "a store was made");
            assert!(
                !Path::new(&format!("{}.restoring", db.display())).exists(),
                "the fetched file was left"
            );
        }
        Location::Postgres(url) => assert_eq!(snapshot::postgres_tables(url).await.unwrap(), 0),
    }
    assert!(media_objects(&target.config.media.store).await.is_empty());
}

/// The settings that point the CLI at the store of `config` (the data directory, and the
/// database on PostgreSQL).
fn with_store(cmd: &mut std::process::Command, config: &Config) {
    cmd.arg("--data").arg(&config.data_dir);
    if let Location::Postgres(url) = &config.store {
        cmd.args(["--database-url", url]);
    }
}

/// A restore into a store with content is refused in one line and changes nothing.
#[tokio::test]
async fn a_restore_into_a_store_with_content_is_refused_and_changes_nothing() {
    let t = TestApp::new().await;
    t.import(&stories("জাতীয়", 1, 3)).await;
    let backups = tempfile::tempdir().unwrap();
    let to = backups.path().to_str().unwrap();
    let config = t.app.state.config().clone();
    backup::backup(&config, to, quiet).await.unwrap();
    let before = tallies(&config).await;

    let mut cmd = khobor();
    cmd.args(["restore", "--from", to]);
    with_store(&mut cmd, &config);
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let line = crate::cli::assert_one_line_failure(&out, &stderr);
    assert!(line.contains("nothing was changed"), "{line}");
    assert!(
        line.contains("holds a store already") || line.contains("is not empty"),
        "{line}"
    );
    assert_eq!(tallies(&config).await, before);
}

/// A missing or garbled manifest, a backup id that is not there, a destination that cannot
/// be written and a backup of the other kind of store: each one clear line.
#[tokio::test]
async fn bad_backups_and_destinations_are_refused_clearly() {
    let t = TestApp::new().await;
    t.import(&stories("জাতীয়", 1, 2)).await;
    let backups = tempfile::tempdir().unwrap();
    let to = backups.path().to_str().unwrap();
    let config = t.app.state.config().clone();
    let target = Target::like(&t).await;

    match backup::restore(&target.config, to, None, quiet).await {
        Err(e @ BackupError::NoBackup { .. }) => {
            assert!(e.to_string().contains("no complete backup in"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    let report = backup::backup(&config, to, quiet).await.unwrap();
    let manifest = backups.path().join(&report.id).join("manifest.json");
    let good = std::fs::read(&manifest).unwrap();

    std::fs::write(&manifest, &good[..good.len() / 2]).unwrap();
    let e = backup::verify(&config, to, None, quiet).await.unwrap_err();
    assert!(
        e.to_string().contains(&format!(
            "{}/manifest.json is not a Khobor backup manifest",
            report.id
        )),
        "{e}"
    );
    let e = backup::restore(&target.config, to, None, quiet)
        .await
        .unwrap_err();
    assert!(matches!(e, BackupError::BadManifest { .. }), "{e}");

    // Stopped before its manifest was written: not a complete backup.
    std::fs::remove_file(&manifest).unwrap();
    let e = backup::restore(&target.config, to, Some(&report.id), quiet)
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("has no manifest.json: it is incomplete"),
        "{e}"
    );
    let e = backup::restore(&target.config, to, None, quiet)
        .await
        .unwrap_err();
    assert!(matches!(e, BackupError::NoBackup { .. }), "{e}");
    assert_untouched(&target).await;
    std::fs::write(&manifest, &good).unwrap();

    let e = backup::restore(&target.config, to, Some("20990101T000000.000Z"), quiet)
        .await
        .unwrap_err();
    assert!(matches!(e, BackupError::NoManifest { .. }), "{e}");

    // Restored into the other kind of store: refused, pointing at migrate-store.
    let other_dir = tempfile::tempdir().unwrap();
    let other_db = match t.db {
        Some(_) => None,
        None => Some(TestDatabase::create(&postgres_server()).await),
    };
    let other = Config::load(
        &store_overrides(other_dir.path(), other_db.as_ref()),
        Some("127.0.0.1:0"),
    )
    .unwrap();
    let e = backup::restore(&other, to, None, quiet).await.unwrap_err();
    assert!(e.to_string().contains("khobor migrate-store"), "{e}");

    // A file where the destination's directory would be.
    let blocked = backups.path().join("a-file");
    std::fs::write(&blocked, b"not a directory").unwrap();
    let mut cmd = khobor();
    cmd.args(["backup", "--to"]).arg(blocked.join("backups"));
    with_store(&mut cmd, &config);
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let line = crate::cli::assert_one_line_failure(&out, &stderr);
    assert!(
        line.contains("cannot write to the backup destination"),
        "{line}"
    );
    assert!(line.contains("nothing was backed up"), "{line}");
    assert_eq!(std::fs::read(&blocked).unwrap(), b"not a directory");
}

/// The binary backs a site up to a bucket (SeaweedFS) with the standard AWS_* settings,
/// verifies it there and restores it from there.
#[tokio::test]
async fn s3_the_binary_backs_up_to_a_bucket_verifies_and_restores_from_it() {
    let s3 = TestS3::required();
    let t = site_with_media(
        TestApp::with_media(|data| MediaStoreConfig::Local {
            dir: data.join("media"),
        })
        .await,
    )
    .await;
    let config = t.app.state.config().clone();
    let prefix = s3.config().prefix.unwrap();
    let to = format!("s3://{}/{prefix}/backups", s3.bucket);
    let aws = |cmd: &mut std::process::Command| {
        cmd.env("AWS_ENDPOINT_URL", &s3.endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", &s3.access_key)
            .env("AWS_SECRET_ACCESS_KEY", &s3.secret_key);
    };
    let run = |args: &[&str], config: &Config| {
        let mut cmd = khobor();
        cmd.args(args);
        with_store(&mut cmd, config);
        aws(&mut cmd);
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out, stdout, stderr)
    };
    let n_media = media_objects(&t.media()).await.len();
    let (out, stdout, stderr) = run(&["backup", "--to", &to], &config);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("media: {n_media} objects"))
            && stdout.contains(&format!("{n_media} copied, 0 already")),
        "{stdout}"
    );
    let (out, stdout, stderr) = run(&["backup", "--to", &to], &config);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("0 copied, {n_media} already in the backup")),
        "{stdout}"
    );
    let (out, stdout, stderr) = run(&["backup", "verify", "--from", &to], &config);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("verified backup "), "{stdout}");

    // Restored into a new data directory with its media on disk (and a new database).
    let target = Target::like(&t).await;
    let (out, stdout, stderr) = run(&["restore", "--from", &to], &target.config);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("every checksum matches the manifest"),
        "{stdout}"
    );
    assert_eq!(tallies(&target.config).await, tallies(&config).await);
    assert_eq!(
        media_objects(&MediaStoreConfig::Local {
            dir: target.config.data_dir.join("media")
        })
        .await,
        media_objects(&t.media()).await
    );

    // Without credentials: one line saying what is needed.
    let mut cmd = khobor();
    cmd.args(["backup", "--to", &to]);
    with_store(&mut cmd, &config);
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let line = crate::cli::assert_one_line_failure(&out, &stderr);
    assert!(line.contains("AWS_ACCESS_KEY_ID"), "{line}");
}

/// PostgreSQL's tools: missing ones are one line naming them, and the URL's password never
/// appears.
#[tokio::test]
async fn a_postgres_backup_without_pg_dump_is_one_clear_line() {
    let t = TestApp::on_postgres().await;
    let backups = tempfile::tempdir().unwrap();
    let mut cmd = khobor();
    cmd.args(["backup", "--to"]).arg(backups.path());
    with_store(&mut cmd, t.app.state.config());
    cmd.env("PATH", "");
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success());
    // The steps taken so far, then the failure in one line.
    let lines: Vec<&str> = stderr.trim_end().lines().collect();
    assert_eq!(
        lines,
        ["taking a snapshot of the store", lines[1]],
        "{stderr}"
    );
    let line = lines[1];
    assert!(line.starts_with("khobor: pg_dump was not found"), "{line}");
    assert!(line.contains("postgresql-client-"), "{line}");
    assert!(
        std::fs::read_dir(backups.path())
            .unwrap()
            .all(|e| e.unwrap().file_name() != "manifest.json"),
        "no manifest"
    );
}
