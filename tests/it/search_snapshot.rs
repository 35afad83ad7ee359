//! Search-index snapshots: the node holding the lease uploads the index's files and a manifest
//! to the media store; a node that starts with an empty index restores the latest snapshot of
//! its own store, checks every file, and replays the change feed from the snapshot's position.
//! The `s3_` tests run on PostgreSQL with the snapshots in the test bucket (SeaweedFS), the
//! last one on SQLite with the media store on local disk.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use khobor::app::App;
use khobor::config::{Config, MediaStoreConfig};
use khobor::jobs::search_snapshot::{Restore, Taken, LEASE};
use khobor::media_store::MediaStore;
use khobor::storage::{Location, Store};

use crate::helpers::{
    eventually, postgres_server, store_overrides, Served, TestApp, TestDatabase, TestS3,
};

/// `n` stories whose headline and body carry `word`, with ids `{tag}-{i}`.
fn stories(tag: &str, word: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({
                "id": format!("{tag}-{i}"),
                "title": format!("{word} নিয়ে খবর {tag} {i}"),
                "body": format!("আজকের বাজারে {word} পাওয়া গেছে। খবরটি {i} নম্বর।\n\nআরও কিছু কথা।"),
                "category": "জাতীয়",
                "published": format!("2025-12-02T{:02}:{:02}:00+06:00", 8 + i / 60 % 12, i % 60),
                "source": null,
                "url": null,
                "tags": ["বাজার"],
                "author": "সাকিব হাসান",
            })
        })
        .collect()
}

async fn import(store: &Store, stories: &[Value]) {
    let text: String = stories.iter().map(|s| format!("{s}\n")).collect();
    let report = khobor::import::import_jsonl_reader(
        store,
        text.as_bytes(),
        chrono_tz::Asia::Dhaka,
        khobor::domain::bijoy::BijoyMode::Off,
    )
    .await
    .expect("import runs");
    assert_eq!(report.inserted, stories.len(), "{report:?}");
}

async fn get(app: &App, path: &str) -> (StatusCode, String) {
    let resp = app
        .router
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn search_path(word: &str) -> String {
    format!(
        "/api/v1/search?q={}",
        percent_encoding::utf8_percent_encode(word, percent_encoding::NON_ALPHANUMERIC)
    )
}

/// How many stories the node's own index finds for `word`.
async fn found(app: &App, word: &str) -> u64 {
    let (status, body) = get(app, &search_path(word)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str::<Value>(&body).unwrap()["total"]
        .as_u64()
        .unwrap()
}

/// An application on `data` over `db` (or the SQLite file there) with its media (and so its
/// snapshots) in `media`, taking a snapshot every `every` while it serves.
async fn app_on(
    data: &Path,
    db: Option<&TestDatabase>,
    media: MediaStoreConfig,
    every: Option<Duration>,
) -> App {
    let mut config = Config::load(&store_overrides(data, db), Some("127.0.0.1:0")).expect("config");
    config.media.store = media;
    config.snapshots.every = every;
    App::build(config).await.expect("app builds")
}

fn s3_media() -> MediaStoreConfig {
    MediaStoreConfig::S3(TestS3::required().config())
}

#[track_caller]
fn uploaded(taken: Taken) -> khobor::jobs::search_snapshot::Report {
    match taken {
        Taken::Uploaded(report) => report,
        other => panic!("no snapshot taken: {other:?}"),
    }
}

/// The files in a node's search directory.
fn index_files(data: &Path) -> BTreeSet<String> {
    std::fs::read_dir(data.join("search"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_a_fresh_node_restores_the_latest_snapshot_and_replays_the_feed_after_it() {
    let a = TestApp::on_postgres_with_media(|_| s3_media()).await;
    import(a.app.store(), &stories("ilish", "ইলিশ", 12)).await;
    a.app.sync_search().await.unwrap();
    let snap = uploaded(a.app.snapshot_search().await.unwrap());
    assert_eq!(snap.docs, 12);
    assert!(!snap.files.is_empty());
    assert_eq!(
        snap.uploaded, snap.files,
        "the first snapshot uploads every file"
    );
    // The index has not moved: nothing is taken.
    assert_eq!(
        a.app.snapshot_search().await.unwrap(),
        Taken::Unchanged { seq: snap.seq }
    );
    // Stories published after the snapshot.
    import(a.app.store(), &stories("kathal", "কাঁঠাল", 3)).await;

    let (b, b_dir) = a.another_node().await;
    match b.state.indexer().restore() {
        Some(Restore::Restored {
            seq, docs, files, ..
        }) => assert_eq!((seq, docs, files), (snap.seq, 12, snap.files.len())),
        other => panic!("node B did not restore the snapshot: {other:?}"),
    }
    // B's index is the snapshot's files, not a rebuild of its own.
    let on_b = index_files(b_dir.path());
    for f in &snap.files {
        assert!(on_b.contains(f), "{f} not in B's index: {on_b:?}");
    }
    assert!(!b_dir.path().join("search.restore").exists());
    assert_eq!(b.state.search().num_docs(), 12);
    // Not ready until the three later stories are replayed.
    let (status, body) = get(&b, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let reason = v["search"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("changes behind") && reason.contains("snapshot"),
        "{v}"
    );

    let state = b.state.clone();
    let served = Served::start(b).await;
    let client = reqwest::Client::new();
    eventually("node B is ready", || {
        let (client, url) = (client.clone(), format!("{}/readyz", served.base));
        async move { client.get(url).send().await.unwrap().status() == StatusCode::OK }
    })
    .await;
    let total = |word: &'static str| {
        let (client, url) = (
            client.clone(),
            format!("{}{}", served.base, search_path(word)),
        );
        async move {
            let v: Value = client.get(url).send().await.unwrap().json().await.unwrap();
            v["total"].as_u64().unwrap()
        }
    };
    assert_eq!(total("ইলিশ").await, 12, "the snapshot's stories");
    assert_eq!(total("কাঁঠাল").await, 3, "the stories replayed from the feed");
    assert_eq!(state.search().rebuilds(), 0, "node B never rebuilt");
    let metrics = client
        .get(format!("{}/metrics", served.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("khobor_search_start{outcome=\"restored\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("khobor_search_rebuilds 0"), "{metrics}");
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_a_later_snapshot_uploads_only_new_files_and_old_snapshots_are_pruned() {
    let s3 = TestS3::required().config();
    let a = TestApp::on_postgres_with_media({
        let s3 = s3.clone();
        move |_| MediaStoreConfig::S3(s3)
    })
    .await;
    import(a.app.store(), &stories("ilish", "ইলিশ", 10)).await;
    a.app.sync_search().await.unwrap();
    let first = uploaded(a.app.snapshot_search().await.unwrap());

    import(a.app.store(), &stories("kathal", "কাঁঠাল", 4)).await;
    a.app.sync_search().await.unwrap();
    let second = uploaded(a.app.snapshot_search().await.unwrap());
    assert!(second.seq > first.seq);
    let before: BTreeSet<&String> = first.files.iter().collect();
    let new: BTreeSet<&String> = second
        .files
        .iter()
        .filter(|f| !before.contains(f))
        .collect();
    let sent: BTreeSet<&String> = second.uploaded.iter().collect();
    assert!(!new.is_empty(), "the new stories are in new segment files");
    assert_eq!(sent, new, "only files the store did not have are uploaded");
    assert!(second.uploaded.len() < second.files.len());
    let counted = a.app.state.snapshots().files_uploaded.get();
    assert_eq!(
        counted,
        (first.uploaded.len() + second.uploaded.len()) as u64
    );

    // A third: the first manifest goes, and files only it named with it.
    import(a.app.store(), &stories("aam", "আম", 2)).await;
    a.app.sync_search().await.unwrap();
    let third = uploaded(a.app.snapshot_search().await.unwrap());
    let objects = MediaStore::s3(&s3).unwrap();
    let manifests: Vec<String> = objects
        .list_keys("snapshots/search/manifests")
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(manifests, [second.manifest.clone(), third.manifest.clone()]);
    let kept: BTreeSet<String> = second
        .files
        .iter()
        .chain(&third.files)
        .map(|f| format!("snapshots/search/files/{f}"))
        .collect();
    let stored: BTreeSet<String> = objects
        .list_keys("snapshots/search/files")
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(stored, kept);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_a_snapshot_of_another_store_is_ignored() {
    let s3 = TestS3::required().config();
    let a = TestApp::on_postgres_with_media({
        let s3 = s3.clone();
        move |_| MediaStoreConfig::S3(s3)
    })
    .await;
    import(a.app.store(), &stories("ilish", "ইলিশ", 5)).await;
    a.app.sync_search().await.unwrap();
    uploaded(a.app.snapshot_search().await.unwrap());

    // Another database (another store id) on the same bucket prefix.
    let other = TestApp::on_postgres_with_media(move |_| MediaStoreConfig::S3(s3)).await;
    match other.app.state.indexer().restore() {
        Some(Restore::Ignored(reason)) => assert!(reason.contains("another store"), "{reason}"),
        found => panic!("the other store's snapshot was not ignored: {found:?}"),
    }
    assert_eq!(other.app.state.search().num_docs(), 0);
    import(other.app.store(), &stories("kathal", "কাঁঠাল", 2)).await;
    other.app.sync_search().await.unwrap();
    assert_eq!(found(&other.app, "কাঁঠাল").await, 2);
    assert_eq!(found(&other.app, "ইলিশ").await, 0, "nothing of store A");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_a_damaged_snapshot_is_refused_and_the_node_rebuilds() {
    let s3 = TestS3::required().config();
    let a = TestApp::on_postgres_with_media({
        let s3 = s3.clone();
        move |_| MediaStoreConfig::S3(s3)
    })
    .await;
    import(a.app.store(), &stories("ilish", "ইলিশ", 8)).await;
    a.app.sync_search().await.unwrap();
    let snap = uploaded(a.app.snapshot_search().await.unwrap());

    // One byte of the largest file flipped, its size kept.
    let objects = MediaStore::s3(&s3).unwrap();
    let largest = objects
        .list_keys("snapshots/search/files")
        .await
        .unwrap()
        .into_iter()
        .max_by_key(|o| o.size)
        .unwrap();
    assert!(snap
        .files
        .iter()
        .any(|f| largest.name.ends_with(f.as_str())));
    let mut bytes = objects
        .get_key(&largest.name)
        .await
        .unwrap()
        .unwrap()
        .to_vec();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    objects
        .put_key(&largest.name, Bytes::from(bytes))
        .await
        .unwrap();

    let (b, b_dir) = a.another_node().await;
    match b.state.indexer().restore() {
        Some(Restore::Refused(reason)) => assert!(reason.contains("checksum"), "{reason}"),
        found => panic!("the damaged snapshot was not refused: {found:?}"),
    }
    assert!(!b_dir.path().join("search.restore").exists());
    assert_eq!(b.state.search().num_docs(), 0);
    b.sync_search().await.unwrap();
    assert_eq!(
        b.state.search().rebuilds(),
        1,
        "node B rebuilt from the store"
    );
    assert_eq!(found(&b, "ইলিশ").await, 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_only_the_node_holding_the_lease_takes_snapshots() {
    let s3 = s3_media();
    let db = TestDatabase::create(&postgres_server()).await;
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let every = Some(Duration::from_secs(1));
    let n1 = app_on(d1.path(), Some(&db), s3.clone(), every).await;
    let n2 = app_on(d2.path(), Some(&db), s3, every).await;
    import(n1.store(), &stories("ilish", "ইলিশ", 4)).await;
    let nodes = [
        (n1.state.clone(), n1.node().to_owned()),
        (n2.state.clone(), n2.node().to_owned()),
    ];
    let store = n1.store().clone();
    let (s1, s2) = (Served::start(n1).await, Served::start(n2).await);

    let taken = |i: usize| nodes[i].0.snapshots().taken.get();
    eventually("a snapshot is taken", || {
        let n = taken(0) + taken(1);
        async move { n >= 1 }
    })
    .await;
    let (holder, other) = if taken(0) > 0 { (0, 1) } else { (1, 0) };
    let lease = store.lease(LEASE).await.unwrap().unwrap();
    assert_eq!(lease.owner.as_deref(), Some(nodes[holder].1.as_str()));

    // The index moves: the holder takes the next snapshot too; the other node, trying every
    // second meanwhile, takes none.
    import(&store, &stories("kathal", "কাঁঠাল", 1)).await;
    eventually("the holder takes a second snapshot", || {
        let n = taken(holder);
        async move { n >= 2 }
    })
    .await;
    assert_eq!(
        taken(other),
        0,
        "the node without the lease took a snapshot"
    );
    assert_eq!(nodes[other].0.snapshots().failed.get(), 0);
    s1.stop().await;
    s2.stop().await;
    // Given back when the holder stopped.
    let store = Store::open(&Location::Postgres(db.url())).await.unwrap();
    let lease = store.lease(LEASE).await.unwrap().unwrap();
    assert_eq!(lease.owner, None);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_local_disk_khobor_search_snapshot_saves_the_index_and_a_lost_one_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let media = MediaStoreConfig::Local {
        dir: data.join("media"),
    };
    let app = app_on(&data, None, media.clone(), None).await;
    import(app.store(), &stories("ilish", "ইলিশ", 6)).await;
    app.store().close().await;
    drop(app);

    // The command brings the index up to date and takes the snapshot, under the lease.
    let cli = {
        let data = data.clone();
        tokio::task::spawn_blocking(move || {
            crate::cli::khobor()
                .args(["search", "snapshot", "--data"])
                .arg(&data)
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    let out = String::from_utf8_lossy(&cli.stdout);
    assert!(
        cli.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    assert!(out.contains("(6 stories)"), "{out}");
    let snapshots = data.join("media/snapshots/search");
    assert!(snapshots.join("latest.json").is_file());
    assert!(std::fs::read_dir(snapshots.join("files")).unwrap().count() > 0);

    // The index is lost; the next start puts the snapshot back instead of rebuilding.
    std::fs::remove_dir_all(data.join("search")).unwrap();
    let app = app_on(&data, None, media, None).await;
    assert!(
        matches!(
            app.state.indexer().restore(),
            Some(Restore::Restored { docs: 6, .. })
        ),
        "{:?}",
        app.state.indexer().restore()
    );
    assert_eq!(app.state.search().num_docs(), 6);
    let (status, body) = get(&app, "/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    import(app.store(), &stories("kathal", "কাঁঠাল", 2)).await;
    app.sync_search().await.unwrap();
    assert_eq!(found(&app, "ইলিশ").await, 6);
    assert_eq!(found(&app, "কাঁঠাল").await, 2);
    assert_eq!(app.state.search().rebuilds(), 0);
}
