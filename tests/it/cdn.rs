//! Purging the CDN by surrogate key: a real Varnish (Debian's, with the xkey module) running
//! docs/cdn/khobor.vcl in front of a node, where a publish must reach the home page, the
//! section, the latest list and the story itself while every unrelated page stays a hit; the
//! Fastly purger against a loopback receiver that fails at first (the purge is retried and no
//! change is passed over); and the lease that lets one node at a time purge, handed over when
//! that node stops.

use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

use khobor::config::Overrides;
use khobor::jobs::cdn_purge::LEASE;

use crate::helpers::*;

/// A Varnish server on a free loopback port running the committed VCL with `backend_port` as
/// its backend, stopped by pid when dropped.
struct Varnish {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Varnish {
    fn start(backend_port: u16) -> Varnish {
        let vcl = include_str!("../../docs/cdn/khobor.vcl");
        let ours = vcl.replace(".port = \"8080\";", &format!(".port = \"{backend_port}\";"));
        assert_ne!(
            ours, vcl,
            "the committed VCL names its backend port as 8080"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let vcl_path = dir.path().join("khobor.vcl");
        std::fs::write(&vcl_path, ours).unwrap();
        let port = StdListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("varnishd")
            .arg("-F")
            .args(["-j", "none"])
            .arg("-n")
            .arg(dir.path().join("work"))
            .args(["-a", &format!("127.0.0.1:{port}")])
            .args(["-T", "127.0.0.1:0"])
            .arg("-f")
            .arg(&vcl_path)
            .args(["-s", "malloc,32m"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("varnishd runs (scripts/setup.sh installs varnish and varnish-modules)");
        Varnish {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }
    }
}

impl Drop for Varnish {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A configuration file with `[cdn]` and a long CDN lifetime (nothing expires on its own
/// while the test runs: whatever drops from Varnish was purged).
fn config_file(cdn: &str) -> (tempfile::TempDir, Overrides) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("khobor.toml");
    std::fs::write(&path, format!("[cache]\ns_maxage = 3600\n\n[cdn]\n{cdn}\n")).unwrap();
    let over = Overrides {
        config: Some(path),
        ..Overrides::default()
    };
    (dir, over)
}

/// A GET through `base`: status, the `X-Cache` Varnish set, and the body.
async fn fetch(base: &str, path: &str) -> (StatusCode, String, String) {
    let r = reqwest::get(format!("{base}{path}")).await.unwrap();
    let status = r.status();
    let cache = r
        .headers()
        .get("x-cache")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, cache, r.text().await.unwrap())
}

/// Publishes a story through the admin API of the node at `base`; its id.
async fn publish(base: &str, token: &str, headline: &str, section: &str) -> i64 {
    let client = reqwest::Client::new();
    let made: Value = client
        .post(format!("{base}/api/v1/admin/articles"))
        .bearer_auth(token)
        .json(&json!({
            "headline": headline,
            "section": section,
            "body_html": format!("<p>{headline}। বিস্তারিত আসছে।</p>"),
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = made["article"]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("story made: {made}"));
    let moved = client
        .post(format!("{base}/api/v1/admin/articles/{id}/transitions"))
        .bearer_auth(token)
        .json(&json!({"action": "publish"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        moved.status(),
        StatusCode::OK,
        "{}",
        moved.text().await.unwrap()
    );
    id
}

async fn editor_token(t: &TestApp) -> String {
    t.add_user("editor@khobor.test", "সম্পাদক", "এস", "editor")
        .await;
    t.add_user("admin@khobor.test", "প্রশাসক", "এডি", "admin")
        .await;
    t.login("admin@khobor.test")
        .await
        .new_api_token("ডেস্ক", "editor")
        .await
}

/// The value of `name{labels}` on the node's /metrics, if the series is there.
async fn metric(base: &str, series: &str) -> Option<f64> {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
}

#[tokio::test]
async fn a_publish_reaches_varnish_at_once_and_unrelated_pages_stay_hits() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let varnish = Varnish::start(listener.local_addr().unwrap().port());
    let (_config, over) = config_file(&format!(
        "purger = \"varnish\"\nurls = [\"{}\"]",
        varnish.base
    ));
    let t = TestApp::with_settings(over).await;
    t.import(&[
        tagged_story("a", "সংসদে বাজেট পাস", "রাজনীতি", "বাজেট", "রহিম উদ্দিন", 90),
        tagged_story("b", "টেস্টে বাংলাদেশের জয়", "খেলা", "ক্রিকেট", "করিম হক", 80),
    ])
    .await;
    let a = paths(&t, "a").await;
    let b = paths(&t, "b").await;
    let token = editor_token(&t).await;
    let TestApp {
        app,
        dir: _dir,
        db: _db,
    } = t;
    let node = Served::start_on(app, listener);

    eventually("Varnish answers", || async {
        reqwest::get(format!("{}/healthz", varnish.base))
            .await
            .is_ok_and(|r| r.status() == StatusCode::OK)
    })
    .await;
    let changed = ["/", "/latest", a.section.as_str()];
    let unrelated = [
        a.article.as_str(),
        b.article.as_str(),
        b.section.as_str(),
        b.tag.as_str(),
        b.author.as_str(),
    ];
    for p in changed.iter().chain(&unrelated) {
        let (status, first, _) = fetch(&varnish.base, p).await;
        assert_eq!(status, StatusCode::OK, "{p}");
        assert_eq!(first, "MISS", "{p} was not in Varnish yet");
        let (_, second, _) = fetch(&varnish.base, p).await;
        assert_eq!(second, "HIT", "{p} is kept by Varnish after one request");
    }

    let headline = "নির্বাচন কমিশনের নতুন ঘোষণা";
    let id = publish(&node.base, &token, headline, &a.section_slug).await;
    let story_path = format!("/{}/{id}", a.section_slug);
    // The new story's page, and every list it joins, served anew by Varnish.
    for p in changed.iter().copied().chain([story_path.as_str()]) {
        eventually(
            &format!("Varnish serves {p} with the new story"),
            || async {
                let (status, _, body) = fetch(&varnish.base, p).await;
                status == StatusCode::OK && body.contains(headline)
            },
        )
        .await;
    }
    // Everything else is still the copy Varnish had before the publish.
    for p in unrelated {
        let (status, cache, body) = fetch(&varnish.base, p).await;
        assert_eq!(status, StatusCode::OK, "{p}");
        assert_eq!(cache, "HIT", "{p} was purged by an unrelated publish");
        assert!(!body.contains(headline), "{p}");
    }
    // A purge from anywhere but the purgers' list is refused.
    let other = reqwest::Client::new()
        .request("PURGE".parse().unwrap(), format!("{}/", varnish.base))
        .header("xkey-purge", "site")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK, "loopback is a purger");

    // /metrics: purges sent, none failed, and the purger is not behind the feed.
    let done = metric(
        &node.base,
        "khobor_jobs_total{job=\"cdn_purge\",outcome=\"done\"}",
    )
    .await
    .expect("the purge counter");
    assert!(done >= 1.0, "{done} purges counted");
    eventually("the purger caught up", || async {
        metric(&node.base, "khobor_change_feed_lag{follower=\"cdn_purge\"}").await == Some(0.0)
    })
    .await;
    assert_eq!(
        metric(
            &node.base,
            "khobor_jobs_total{job=\"cdn_purge\",outcome=\"failed\"}"
        )
        .await,
        Some(0.0)
    );
    node.stop().await;
}

/// What a loopback stand-in for a CDN's API received, and how it answers: the first
/// `failures` requests get a 503.
#[derive(Default)]
struct Received {
    requests: Vec<(String, HeaderMap, Value)>,
    failures: usize,
}

async fn receiver(failures: usize) -> (String, Arc<Mutex<Received>>) {
    use axum::extract::{OriginalUri, State};
    let received = Arc::new(Mutex::new(Received {
        failures,
        ..Received::default()
    }));
    let router = axum::Router::new()
        .fallback(
            |State(r): State<Arc<Mutex<Received>>>,
             OriginalUri(uri): OriginalUri,
             headers: HeaderMap,
             body: String| async move {
                let mut r = r.lock().unwrap();
                if r.failures > 0 {
                    r.failures -= 1;
                    return (StatusCode::SERVICE_UNAVAILABLE, "try later".to_owned());
                }
                let json = serde_json::from_str(&body).unwrap_or(Value::Null);
                r.requests.push((uri.to_string(), headers, json));
                (StatusCode::OK, "{\"status\":\"ok\"}".to_owned())
            },
        )
        .with_state(Arc::clone(&received));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (base, received)
}

/// Every key the receiver has been asked to purge, from Fastly-shaped requests.
fn fastly_keys(received: &Mutex<Received>) -> Vec<String> {
    received
        .lock()
        .unwrap()
        .requests
        .iter()
        .flat_map(|(_, _, body)| {
            body["surrogate_keys"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|k| k.as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn fastly_purges_are_retried_until_the_api_takes_them_and_none_is_skipped() {
    // Four 503s: the first round's three attempts fail, the next round's second attempt
    // gets through.
    let (api, received) = receiver(4).await;
    let (_config, mut over) = config_file(&format!(
        "purger = \"fastly\"\napi_url = \"{api}\"\nservice_id = \"SU1Z0isxPaozGVKXdv0eY\""
    ));
    over.cdn_token = Some("fastly-api-token".to_owned());
    let t = TestApp::with_settings(over).await;
    t.import(&[tagged_story(
        "a",
        "সংসদে বাজেট পাস",
        "রাজনীতি",
        "বাজেট",
        "রহিম উদ্দিন",
        90,
    )])
    .await;
    let a = paths(&t, "a").await;
    let token = editor_token(&t).await;
    let TestApp {
        app,
        dir: _dir,
        db: _db,
    } = t;
    let node = Served::start(app).await;
    // The purger starts from the feed as it is; only what changes from now is purged.
    eventually("the purger took the lease", || async {
        metric(&node.base, "khobor_change_feed_lag{follower=\"cdn_purge\"}").await == Some(0.0)
    })
    .await;

    let first = publish(&node.base, &token, "প্রথম খবর", &a.section_slug).await;
    let second = publish(&node.base, &token, "দ্বিতীয় খবর", &a.section_slug).await;
    eventually("both publishes purged", || async {
        let keys = fastly_keys(&received);
        keys.contains(&format!("article:{first}")) && keys.contains(&format!("article:{second}"))
    })
    .await;
    let keys = fastly_keys(&received);
    for k in ["latest", "home", "feed"] {
        assert!(keys.iter().any(|x| x == k), "{k} purged: {keys:?}");
    }
    let failed = metric(
        &node.base,
        "khobor_jobs_total{job=\"cdn_purge\",outcome=\"failed\"}",
    )
    .await
    .unwrap();
    assert!(failed >= 1.0, "the failed round is counted");
    {
        let r = received.lock().unwrap();
        let (path, headers, body) = &r.requests[0];
        assert_eq!(path, "/service/SU1Z0isxPaozGVKXdv0eY/purge");
        assert_eq!(headers["fastly-key"], "fastly-api-token");
        assert_eq!(headers["content-type"], "application/json");
        assert!(body["surrogate_keys"].is_array());
    }
    eventually("the purger caught up", || async {
        metric(&node.base, "khobor_change_feed_lag{follower=\"cdn_purge\"}").await == Some(0.0)
    })
    .await;
    node.stop().await;
}

#[tokio::test]
async fn one_node_purges_and_another_takes_over_when_it_stops() {
    let (api, received) = receiver(0).await;
    let cdn = format!(
        "purger = \"cloudflare\"\napi_url = \"{api}\"\nzone_id = \"023e105f4ecef8ad9ca31a8372d0c353\"\ntoken = \"cf-token\""
    );
    let (_config, over) = config_file(&cdn);
    let db = TestDatabase::create(&postgres_server()).await;
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let node = |dir: &std::path::Path| {
        let mut o = store_overrides(dir, Some(&db));
        o.config = over.config.clone();
        o
    };
    let build = |o: Overrides| async move {
        let config = khobor::config::Config::load(&o, Some("127.0.0.1:0")).unwrap();
        khobor::app::App::build(config).await.unwrap()
    };
    let app_a = build(node(dir_a.path())).await;
    let store = app_a.store().clone();
    let a = Served::start(app_a).await;
    // Pages tell Cloudflare their keys in Cache-Tag.
    let home = reqwest::get(format!("{}/", a.base)).await.unwrap();
    let tags = home.headers()["cache-tag"].to_str().unwrap().to_owned();
    assert!(tags.split(',').any(|t| t == "home") && tags.split(',').any(|t| t == "site"));
    eventually("node A holds the lease", || async {
        store
            .lease(LEASE)
            .await
            .unwrap()
            .is_some_and(|l| l.owner.is_some())
    })
    .await;
    let holder_a = store.lease(LEASE).await.unwrap().unwrap().owner.unwrap();
    // Node B starts while A holds the lease: B waits.
    let app_b = build(node(dir_b.path())).await;
    let store_b = app_b.store().clone();
    let b = Served::start(app_b).await;
    publish_and_expect(&store, &received, "from-a", "ক-এর সময়ের খবর").await;
    assert_eq!(
        store.lease(LEASE).await.unwrap().unwrap().owner.as_deref(),
        Some(holder_a.as_str()),
        "the lease stays with node A while it runs"
    );
    a.stop().await;
    // Node A gave the lease back on stopping; node B takes it and goes on from A's position.
    publish_and_expect(&store_b, &received, "from-b", "খ-এর সময়ের খবর").await;
    let holder_b = store_b.lease(LEASE).await.unwrap().unwrap().owner.unwrap();
    assert_ne!(holder_b, holder_a, "node B purges now");
    {
        let r = received.lock().unwrap();
        let (path, headers, body) = &r.requests[0];
        assert_eq!(path, "/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache");
        assert_eq!(headers["authorization"], "Bearer cf-token");
        assert!(body["tags"].is_array());
    }
    b.stop().await;
}

/// Publishes a story straight into the shared store (as any node's newsroom would) and waits
/// for its purge to reach the receiver.
async fn publish_and_expect(
    store: &khobor::storage::Store,
    received: &Mutex<Received>,
    external_id: &str,
    headline: &str,
) {
    let report = khobor::import::import_jsonl_reader(
        store,
        format!(
            "{}\n",
            tagged_story(external_id, headline, "রাজনীতি", "বাজেট", "রহিম উদ্দিন", 0)
        )
        .as_bytes(),
        chrono_tz::Asia::Dhaka,
        khobor::domain::bijoy::BijoyMode::Auto,
    )
    .await
    .unwrap();
    assert_eq!(report.inserted, 1, "{report:?}");
    let id: i64 = sqlx::query_scalar("SELECT id FROM articles WHERE external_id = $1")
        .bind(external_id)
        .fetch_one(store.pool())
        .await
        .unwrap();
    eventually(&format!("article:{id} purged"), || async {
        received
            .lock()
            .unwrap()
            .requests
            .iter()
            .any(|(_, _, body)| {
                body["tags"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|k| k == &json!(format!("article:{id}"))))
            })
    })
    .await;
}
