//! The media store: every upload's original and variants written and read through one
//! interface, on the data directory's disk or in an S3 bucket (SeaweedFS here).
//!
//! Most tests run on the suite's media store: local disk in the ordinary runs, and S3 in
//! scripts/test.sh's S3 pass (`KHOBOR_TEST_MEDIA=s3`, each test under a prefix of its own).
//! The `s3_` ones are about S3 itself (credentials, two nodes on one bucket, `khobor media
//! migrate`) and always use the S3 server of `KHOBOR_TEST_S3`; without it they fail saying
//! how to start it.

use std::path::Path;
use std::time::Instant;

use axum::http::{header, StatusCode};
use bytes::Bytes;
use sha2::{Digest, Sha256};

use khobor::config::{MediaStoreConfig, Overrides, S3Config};
use khobor::media_store::{MediaStore, MediaStoreError, Put};

use crate::helpers::*;
use crate::media::desk_app;

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn kind(t: &TestApp) -> &'static str {
    if t.app.state.media_store().is_remote() {
        "s3"
    } else {
        "disk"
    }
}

/// The names of an upload's original and its variants.
async fn object_names(t: &TestApp, id: i64) -> Vec<String> {
    let m = t.app.store().media(id).await.unwrap().expect("media row");
    let mut names = vec![m.path.trim_start_matches("/media/").to_owned()];
    for v in t.app.store().media_variants(&[id]).await.unwrap() {
        names.push(v.name);
    }
    names
}

async fn recorded_sha256(t: &TestApp, id: i64) -> String {
    sqlx::query_scalar("SELECT sha256 FROM media WHERE id = $1")
        .bind(id)
        .fetch_one(t.app.store().pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_upload_and_its_variants_are_served_from_the_media_store_byte_for_byte() {
    let t = desk_app().await;
    let editor = t.login("editor@khobor.test").await;
    let started = Instant::now();
    let up = editor.api_upload("chobi.jpg", &jpeg(1600, 1000)).await;
    assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);
    let id = up.json()["media"]["id"].as_i64().unwrap();
    assert_eq!(t.app.process_media().await.unwrap(), 1);
    // bench/media.sh reads this line (one 1600×1000 JPEG: upload, checks, variants stored).
    eprintln!(
        "upload-to-variants-ready: {} ms on {}",
        started.elapsed().as_millis(),
        kind(&t)
    );
    assert_eq!(
        t.app.store().media(id).await.unwrap().unwrap().status,
        "ready"
    );

    let store = t.app.state.media_store();
    let names = object_names(&t, id).await;
    assert!(names.len() >= 5, "the original and its variants: {names:?}");
    for name in &names {
        let (status, headers, served) = t.raw(&format!("/media/{name}"), &[]).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let stored = store.get(name).await.unwrap().expect("in the media store");
        assert_eq!(served, stored.to_vec(), "{name} served as stored");
        assert_eq!(
            headers[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(headers[header::ETAG], format!("\"{name}\"").as_str());
        assert_eq!(
            headers[header::CONTENT_LENGTH],
            served.len().to_string().as_str()
        );
        // On disk: the layout every site has had (DATA/media/NAME). On S3: nothing on disk.
        let file = t.dir.path().join("media").join(name);
        match &t.app.state.config().media.store {
            MediaStoreConfig::Local { .. } => {
                assert_eq!(std::fs::read(&file).unwrap(), served, "{name} on disk")
            }
            MediaStoreConfig::S3(_) => assert!(!file.exists(), "{name} also on disk"),
        }
    }
    let (_, _, original) = t.raw(&format!("/media/{}", names[0]), &[]).await;
    assert_eq!(sha256(&original), recorded_sha256(&t, id).await);
    for v in t.app.store().media_variants(&[id]).await.unwrap() {
        let head = store.head(&v.name).await.unwrap().expect("variant stored");
        assert_eq!(head.size, v.bytes as u64, "{}", v.name);
    }

    assert_eq!(
        t.get("/media/0000000000000000.jpg").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.get("/media/.0000000000000000.jpg.tmp").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn putting_a_name_twice_keeps_the_first_object() {
    let t = TestApp::new().await;
    let store = t.app.state.media_store();
    let name = "0123456789abcdef.png";
    assert!(!store.exists(name).await.unwrap());
    assert_eq!(
        store
            .put_new(name, Bytes::from_static(b"first"))
            .await
            .unwrap(),
        Put::Created
    );
    assert_eq!(
        store
            .put_new(name, Bytes::from_static(b"second"))
            .await
            .unwrap(),
        Put::AlreadyThere
    );
    assert_eq!(
        store.get(name).await.unwrap().as_deref(),
        Some(&b"first"[..])
    );
    let listed = store.list().await.unwrap();
    let names: Vec<&str> = listed.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, [name], "on {}", kind(&t));
    assert_eq!(listed[0].size, 5);
}

/// An S3 endpoint nobody listens on.
fn dead_endpoint() -> S3Config {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    S3Config {
        endpoint: Some(format!("http://127.0.0.1:{port}")),
        bucket: "khobor-media".into(),
        region: "us-east-1".into(),
        path_style: true,
        prefix: None,
        access_key_id: "khobor".into(),
        secret_access_key: "khobor-secret".into(),
        session_token: None,
        ca_bundle: None,
    }
}

#[tokio::test]
async fn an_unreachable_media_store_fails_uploads_clearly_and_pages_keep_serving() {
    let dead = dead_endpoint();
    let endpoint = dead.endpoint.clone().unwrap();
    let t = TestApp::with_media(|_| MediaStoreConfig::S3(dead)).await;
    t.import(&[wire_story()]).await;
    t.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    let editor = t.login("editor@khobor.test").await;

    let api = editor.api_upload("chobi.jpg", &jpeg(400, 300)).await;
    assert_eq!(api.status, StatusCode::SERVICE_UNAVAILABLE, "{}", api.body);
    assert_eq!(api.json()["error"]["code"], "media_store_unavailable");
    assert!(
        api.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("the media store cannot be reached"),
        "{}",
        api.body
    );
    let form = editor.upload("chobi.jpg", &jpeg(400, 300), "ছবি").await;
    assert_eq!(form.status, StatusCode::SERVICE_UNAVAILABLE);
    form.assert_contains("মিডিয়া স্টোরে পৌঁছানো যাচ্ছে না");
    assert!(
        t.app.store().media_list(None, 10).await.unwrap().is_empty(),
        "no row for an object that was never stored"
    );

    // The operator's log line names the store and the reason.
    let err = t
        .app
        .state
        .media_store()
        .put_new("0123456789abcdef.jpg", Bytes::from_static(b"x"))
        .await
        .unwrap_err();
    assert!(matches!(err, MediaStoreError::Unreachable { .. }), "{err}");
    assert!(
        err.to_string().starts_with(&format!(
            "the media store at {endpoint}/khobor-media cannot be reached: "
        )),
        "{err}"
    );

    // Pages do not need the store: they go on being served.
    assert_eq!(t.get("/").await.status, StatusCode::OK);
    let story = t.path_of("wire-summit").await;
    assert_eq!(t.get(&story).await.status, StatusCode::OK);
    assert_eq!(
        t.get("/media/0123456789abcdef.jpg").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn the_variants_job_facing_an_unreachable_store_leaves_the_upload_for_later() {
    let t = desk_app().await;
    let editor = t.login("editor@khobor.test").await;
    let up = editor.api_upload("chobi.jpg", &jpeg(800, 600)).await;
    assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);
    let id = up.json()["media"]["id"].as_i64().unwrap();

    // A node whose media store is down claims the upload, cannot read the original, and
    // gives the claim back rather than marking the upload failed.
    let dead = MediaStore::s3(&dead_endpoint()).unwrap();
    let jobs = khobor::jobs::JobCounters::default();
    let done = khobor::jobs::media_variants::process_pending(
        t.app.store(),
        &dead,
        t.app.state.image_permits(),
        &jobs,
    )
    .await
    .unwrap();
    assert_eq!(done, 0);
    let m = t.app.store().media(id).await.unwrap().unwrap();
    assert_eq!(m.status, "processing");
    // Released, not leased: a node that reaches the store takes it at once.
    assert_eq!(t.app.process_media().await.unwrap(), 1);
    assert_eq!(
        t.app.store().media(id).await.unwrap().unwrap().status,
        "ready"
    );
}

#[tokio::test]
async fn with_a_media_base_url_pages_and_the_api_point_images_at_it() {
    let conf = tempfile::tempdir().unwrap();
    let file = conf.path().join("khobor.toml");
    std::fs::write(
        &file,
        "[media]\nbase_url = \"https://cdn.khobor.test/media/\"\n",
    )
    .unwrap();
    let t = TestApp::with_settings(Overrides {
        config: Some(file),
        ..Overrides::default()
    })
    .await;
    t.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    let editor = t.login("editor@khobor.test").await;
    let up = editor.api_upload("chobi.jpg", &jpeg(1200, 800)).await;
    assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);
    let media_id = up.json()["media"]["id"].as_i64().unwrap();
    assert_eq!(t.app.process_media().await.unwrap(), 1);
    let api = editor
        .api("GET", &format!("/api/v1/admin/media/{media_id}"), None)
        .await
        .json();
    let url = api["media"]["url"].as_str().unwrap();
    let name = url
        .strip_prefix("https://cdn.khobor.test/media/")
        .unwrap_or_else(|| panic!("{url}"));
    for v in api["media"]["variants"].as_array().unwrap() {
        assert!(v["url"]
            .as_str()
            .unwrap()
            .starts_with("https://cdn.khobor.test/media/"));
    }
    let hero = media_id.to_string();
    // The body shows the image too, by its site path, as the editor inserts it.
    let body = format!(
        "<p>বৃষ্টিতে ঢাকার রাস্তায় জলাবদ্ধতা।</p><figure><img src=\"/media/{name}\" alt=\"জলাবদ্ধ রাস্তা\"></figure>"
    );
    let id = editor
        .write_story(
            "ঢাকায় ভারী বৃষ্টি",
            &body,
            &[("hero_media_id", hero.as_str()), ("action", "publish")],
        )
        .await;

    let page = t.get(&format!("/national/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("srcset=\"https://cdn.khobor.test/media/");
    page.assert_contains("src=\"https://cdn.khobor.test/media/");
    page.assert_contains(&format!(
        "<img src=\"https://cdn.khobor.test/media/{name}\" alt=\"জলাবদ্ধ রাস্তা\""
    ));
    assert!(!page.body.contains("\"/media/"), "a /media/ path is left");
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("img-src 'self' https://cdn.khobor.test data:"),
        "{csp}"
    );
    let home = t.get("/").await;
    home.assert_contains("srcset=\"https://cdn.khobor.test/media/");

    // The CDN fetches from Khobor (or the bucket) under the same name.
    assert_eq!(
        t.get(&format!("/media/{name}")).await.status,
        StatusCode::OK
    );
}

// ---------------------------------------------------------------------------------------------
// S3 itself

#[tokio::test]
async fn s3_a_wrong_secret_key_is_refused_with_a_clear_error() {
    let s3 = TestS3::required();
    let mut config = s3.config();
    config.secret_access_key = "not-the-secret-key".into();
    let store = MediaStore::s3(&config).unwrap();
    let name = "0123456789abcdef.jpg";
    for err in [
        store
            .put_new(name, Bytes::from_static(b"x"))
            .await
            .unwrap_err(),
        store.get(name).await.unwrap_err(),
    ] {
        assert!(matches!(err, MediaStoreError::Denied { .. }), "{err}");
        let message = err.to_string();
        assert!(
            message.contains(&format!("the media store at {}/", s3.endpoint))
                && message.contains("refused Khobor's credentials"),
            "{message}"
        );
        assert!(!message.contains("not-the-secret-key"), "{message}");
    }

    // Through the newsroom: refused, said so, nothing recorded.
    let t = TestApp::with_media(|_| MediaStoreConfig::S3(config)).await;
    t.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    let editor = t.login("editor@khobor.test").await;
    let up = editor.api_upload("chobi.jpg", &jpeg(400, 300)).await;
    assert_eq!(up.status, StatusCode::SERVICE_UNAVAILABLE, "{}", up.body);
    assert!(t.app.store().media_list(None, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn s3_over_https_a_service_behind_the_papers_own_ca_is_trusted_when_given_that_ca() {
    let s3 = TestS3::required();
    let (mut config, ca) = s3.https_config();
    let endpoint = config.endpoint.clone().unwrap();
    assert!(endpoint.starts_with("https://"), "{endpoint}");

    // Without the CA: the server's certificate is not trusted, and the message says what
    // to do about it; nothing is stored or recorded.
    let untrusted = MediaStore::s3(&config).unwrap();
    let err = untrusted
        .put_new("0123456789abcdef.jpg", Bytes::from_static(b"x"))
        .await
        .unwrap_err();
    assert!(matches!(err, MediaStoreError::Untrusted { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&format!("the media store at {endpoint}/"))
            && message.contains("AWS_CA_BUNDLE"),
        "{message}"
    );

    // With it ([media] ca_bundle): uploads, variants and serving, all over HTTPS.
    config.ca_bundle = Some(ca);
    let t = TestApp::with_media(|_| MediaStoreConfig::S3(config)).await;
    t.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    let editor = t.login("editor@khobor.test").await;
    let photo = jpeg(1200, 800);
    let up = editor.api_upload("chobi.jpg", &photo).await;
    assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);
    let id = up.json()["media"]["id"].as_i64().unwrap();
    assert_eq!(t.app.process_media().await.unwrap(), 1);
    let names = object_names(&t, id).await;
    assert!(names.len() >= 5, "the original and its variants: {names:?}");
    let store = t.app.state.media_store();
    for name in &names {
        let (status, _, served) = t.raw(&format!("/media/{name}"), &[]).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let stored = store.get(name).await.unwrap().expect("in the bucket");
        assert_eq!(served, stored.to_vec(), "{name}");
    }
    let (_, _, original) = t.raw(&format!("/media/{}", names[0]), &[]).await;
    assert_eq!(sha256(&original), recorded_sha256(&t, id).await);
}

#[tokio::test]
async fn s3_an_upload_on_node_a_is_finished_and_served_by_node_b() {
    let a = TestApp::on_postgres_with_media(|_| MediaStoreConfig::S3(TestS3::required().config()))
        .await;
    assert!(a.app.state.media_store().is_remote());
    a.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    let editor = a.login("editor@khobor.test").await;
    let up = editor.api_upload("chobi.jpg", &jpeg(1200, 900)).await;
    assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);
    let id = up.json()["media"]["id"].as_i64().unwrap();

    let (b_app, b_dir) = a.another_node().await;
    // `db: None`: the database is node A's, dropped with it.
    let b = TestApp {
        app: b_app,
        dir: b_dir,
        db: None,
    };
    // Node B makes the variants of node A's upload, reading the original from the bucket
    // (with media on each node's own disk it had to leave them to node A).
    assert_eq!(b.app.process_media().await.unwrap(), 1);
    assert_eq!(a.app.process_media().await.unwrap(), 0, "made once");
    let names = object_names(&a, id).await;
    assert!(names.len() >= 5, "{names:?}");
    for name in &names {
        let path = format!("/media/{name}");
        let (status_b, _, from_b) = b.raw(&path, &[]).await;
        let (status_a, _, from_a) = a.raw(&path, &[]).await;
        assert_eq!(
            (status_a, status_b),
            (StatusCode::OK, StatusCode::OK),
            "{name}"
        );
        assert_eq!(from_a, from_b, "{name}: both nodes serve the same bytes");
    }
    let (_, _, original) = b.raw(&format!("/media/{}", names[0]), &[]).await;
    assert_eq!(sha256(&original), recorded_sha256(&a, id).await);
    b.app.store().close().await;
}

/// The media objects in a data directory's media folder, by name.
fn files_in(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .filter(|(name, _)| khobor::media_store::valid_name(name))
        .collect();
    out.sort();
    out
}

fn migrate_cmd(data: &Path, config_file: &Path, s3: &TestS3) -> std::process::Output {
    crate::cli::khobor()
        .args(["media", "migrate", "--to", "s3", "--data"])
        .arg(data)
        .arg("--config")
        .arg(config_file)
        .env("AWS_ACCESS_KEY_ID", &s3.access_key)
        .env("AWS_SECRET_ACCESS_KEY", &s3.secret_key)
        .output()
        .expect("khobor runs")
}

#[tokio::test]
async fn s3_khobor_media_migrate_copies_verifies_and_the_site_then_serves_from_the_bucket() {
    let s3 = TestS3::required();
    // A one-machine site: its media on disk.
    let t = TestApp::with_media(|data| MediaStoreConfig::Local {
        dir: data.join("media"),
    })
    .await;
    t.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    let editor = t.login("editor@khobor.test").await;
    for (i, size) in [(640, 480), (900, 600)].into_iter().enumerate() {
        let up = editor
            .api_upload(&format!("chobi-{i}.jpg"), &jpeg(size.0, size.1))
            .await;
        assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);
    }
    assert_eq!(t.app.process_media().await.unwrap(), 2);
    let data = t.dir.path().to_path_buf();
    let local = files_in(&data.join("media"));
    assert!(local.len() >= 10, "two originals and their variants");

    let bucket = s3.config();
    let conf = tempfile::tempdir().unwrap();
    let config_file = conf.path().join("khobor.toml");
    std::fs::write(
        &config_file,
        format!(
            "[media]\nstore = \"s3\"\nendpoint = \"{}\"\nbucket = \"{}\"\nregion = \"us-east-1\"\npath_style = true\nprefix = \"{}\"\n",
            s3.endpoint,
            bucket.bucket,
            bucket.prefix.as_deref().unwrap()
        ),
    )
    .unwrap();
    let run = |data: std::path::PathBuf, file: std::path::PathBuf, s3: TestS3| {
        tokio::task::spawn_blocking(move || migrate_cmd(&data, &file, &s3))
    };
    let n = local.len();

    let first = run(data.clone(), config_file.clone(), s3.clone())
        .await
        .unwrap();
    let out = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(
        first.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        out.contains(&format!("{n} objects ("))
            && out.contains(&format!(": {n} copied, 0 already there")),
        "{out}"
    );
    assert!(out.contains(&format!("verified: all {n} objects")), "{out}");
    let target = MediaStore::s3(&bucket).unwrap();
    for (name, bytes) in &local {
        assert_eq!(
            target.get(name).await.unwrap().as_deref(),
            Some(bytes.as_slice()),
            "{name}"
        );
    }

    // Again: everything is there already.
    let again = run(data.clone(), config_file.clone(), s3.clone())
        .await
        .unwrap();
    let out = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(again.status.success(), "{out}");
    assert!(
        out.contains(&format!(": 0 copied, {n} already there")),
        "{out}"
    );

    // An object damaged in the bucket is found by its checksum and copied again.
    let (damaged, bytes) = &local[0];
    target
        .overwrite(damaged, Bytes::from_static(b"not the image"))
        .await
        .unwrap();
    let repair = run(data.clone(), config_file.clone(), s3.clone())
        .await
        .unwrap();
    let out = String::from_utf8_lossy(&repair.stdout).into_owned();
    assert!(repair.status.success(), "{out}");
    assert!(
        out.contains(&format!(": 1 copied, {} already there", n - 1)),
        "{out}"
    );
    assert_eq!(
        target.get(damaged).await.unwrap().as_deref(),
        Some(bytes.as_slice())
    );

    // The site moved to the bucket serves every object from it.
    let mut closed = t.close().await;
    std::fs::remove_dir_all(data.join("media")).unwrap();
    closed.media = MediaStoreConfig::S3(bucket);
    let moved = TestApp::reopen(closed).await;
    for (name, bytes) in &local {
        let (status, _, served) = moved.raw(&format!("/media/{name}"), &[]).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert_eq!(&served, bytes, "{name}");
    }
}

#[test]
fn media_migrate_refuses_without_an_s3_store_configured() {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::cli::khobor()
        .args(["media", "migrate", "--to", "s3", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("[media] store = \"s3\""), "{err}");

    let file = dir.path().join("khobor.toml");
    std::fs::write(&file, "[media]\nstore = \"s3\"\nendpoint = \"ftp://x\"\n").unwrap();
    let out = crate::cli::khobor()
        .args(["media", "migrate", "--to", "s3", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid [media] endpoint \"ftp://x\""),
        "{err}"
    );
}
