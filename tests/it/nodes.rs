//! Several nodes on one PostgreSQL store, each serving on a loopback port with its own page
//! cache, search index and background jobs, as behind a load balancer: what one node is told
//! is what every node serves, and shared work is done once.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{eventually, site_path, Served, TestApp, TestDatabase};

/// What outlives the nodes' applications: their data directories and the database.
struct Kept {
    _dirs: (tempfile::TempDir, tempfile::TempDir),
    db: TestDatabase,
}

impl Kept {
    /// The shared store, opened as a tool beside the nodes would open it.
    async fn store(&self) -> khobor::storage::Store {
        khobor::storage::Store::open(&khobor::storage::Location::Postgres(self.db.url()))
            .await
            .unwrap()
    }
}

/// Node A with an editor-role admin-API token, and node B on the same database; both serving.
async fn two_nodes() -> (Served, Served, String, Kept) {
    let a = TestApp::on_postgres().await;
    a.add_user("admin@khobor.test", "প্রশাসক", "এডি", "admin")
        .await;
    let token = a
        .login("admin@khobor.test")
        .await
        .new_api_token("ডেস্ক", "editor")
        .await;
    let (b_app, b_dir) = a.another_node().await;
    // Node A's application moves into its server; the rest of `a` (its data directory and
    // database) lives as long as the test.
    let TestApp {
        app: a_app,
        dir: a_dir,
        db,
    } = a;
    let node_a = Served::start(a_app).await;
    let node_b = Served::start(b_app).await;
    let kept = Kept {
        _dirs: (a_dir, b_dir),
        db: db.expect("a PostgreSQL store"),
    };
    (node_a, node_b, token, kept)
}

async fn get(base: &str, path: &str) -> (StatusCode, String) {
    let r = reqwest::get(format!("{base}{path}")).await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn call(base: &str, token: &str, method: &str, path: &str, body: Value) -> Value {
    let r = reqwest::Client::new()
        .request(method.parse().unwrap(), format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert!(status.is_success(), "{method} {path}: {status} {v}");
    v
}

/// Waits until `path` on `base` answers `status` with a body that contains `needle` (or,
/// with `absent`, does not contain it).
async fn until_served(base: &str, path: &str, needle: &str, present: bool) {
    eventually(
        &format!("{path} on node B shows {needle:?}: {present}"),
        || async move {
            let (status, body) = get(base, path).await;
            status == StatusCode::OK && body.contains(needle) == present
        },
    )
    .await;
}

/// Waits until the search at `path` on `base` (the node's own index) finds `total` stories.
async fn until_found(base: &str, path: &str, total: u64) {
    eventually(&format!("{path} finds {total}"), || async move {
        let (_, body) = get(base, path).await;
        serde_json::from_str::<Value>(&body).unwrap()["total"] == total
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_node_a_publishes_edits_and_withdraws_node_b_serves_everywhere() {
    let (a, b, token, _rest) = two_nodes().await;
    let headline = "পদ্মা সেতুতে রেল চলাচল শুরু";
    let word = "রেলসংযোগ";

    // Node B has served, and cached, every page the story will appear on.
    let pages = [
        "/",
        "/latest",
        "/national",
        "/feed.xml",
        "/national/feed.xml",
        "/api/v1/articles",
    ];
    for path in pages {
        let (status, body) = get(&b.base, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!body.contains(headline), "{path}");
    }

    // Published through node A's admin API; nothing is asked of node A after that.
    let created = call(
        &a.base,
        &token,
        "POST",
        "/api/v1/admin/articles",
        json!({"headline": headline, "section": "national",
               "body_html": format!("<p>মাওয়া থেকে ভাঙ্গা পর্যন্ত {word} চালু হলো।</p>")}),
    )
    .await;
    let id = created["article"]["id"].as_i64().unwrap();
    let published = call(
        &a.base,
        &token,
        "POST",
        &format!("/api/v1/admin/articles/{id}/transitions"),
        json!({"action": "publish"}),
    )
    .await;
    let version = published["article"]["version"].as_i64().unwrap();

    let api = format!("/api/v1/articles/{id}");
    until_served(&b.base, &api, headline, true).await;
    let (_, body) = get(&b.base, &api).await;
    let url: Value = serde_json::from_str(&body).unwrap();
    let page = site_path(url["article"]["url"].as_str().unwrap());
    until_served(&b.base, &page, headline, true).await;
    for path in pages {
        until_served(&b.base, path, headline, true).await;
    }
    let search = format!("/api/v1/search?q={word}");
    until_found(&b.base, &search, 1).await;

    // An edit on A shows on B.
    let edited = "পদ্মা সেতুতে রেল চলাচল শুরু, প্রথম দিনেই ভিড়";
    call(
        &a.base,
        &token,
        "PUT",
        &format!("/api/v1/admin/articles/{id}"),
        json!({"headline": edited, "section": "national", "version": version,
               "body_html": format!("<p>মাওয়া থেকে ভাঙ্গা পর্যন্ত {word} চালু হলো।</p>")}),
    )
    .await;
    until_served(&b.base, &page, edited, true).await;
    until_served(&b.base, "/", edited, true).await;

    // Withdrawn on A: gone from B's pages, lists, feeds and search.
    call(
        &a.base,
        &token,
        "POST",
        &format!("/api/v1/admin/articles/{id}/transitions"),
        json!({"action": "unpublish"}),
    )
    .await;
    eventually("the story's page on node B is gone", || {
        let (base, page) = (b.base.clone(), page.clone());
        async move { get(&base, &page).await.0 != StatusCode::OK }
    })
    .await;
    for path in pages {
        until_served(&b.base, path, headline, false).await;
    }
    until_found(&b.base, &search, 0).await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_story_scheduled_while_two_nodes_run_is_published_once() {
    let (a, b, token, rest) = two_nodes().await;
    let created = call(
        &a.base,
        &token,
        "POST",
        "/api/v1/admin/articles",
        json!({"headline": "নির্ধারিত সময়ে প্রকাশ", "section": "national",
               "body_html": "<p>দুই নোডই চলছে।</p>"}),
    )
    .await;
    let id = created["article"]["id"].as_i64().unwrap();
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    call(
        &a.base,
        &token,
        "POST",
        &format!("/api/v1/admin/articles/{id}/transitions"),
        json!({"action": "schedule", "publish_at": at}),
    )
    .await;
    // Both nodes' schedulers run every second; neither is asked anything.
    let api = format!("/api/v1/articles/{id}");
    eventually("published by one of the nodes", || {
        let (base, api) = (b.base.clone(), api.clone());
        async move { get(&base, &api).await.0 == StatusCode::OK }
    })
    .await;
    // Both schedulers have had their turns since (each runs every second): still once.
    let store = rest.store().await;
    let published: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM changes WHERE entity_id = $1 AND kind = 'article.published'",
    )
    .bind(id)
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(published, 1, "one publish in the change feed");
    let publishes: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM revisions WHERE article_id = $1 AND kind = 'status' \
         AND changed = 'published'",
    )
    .bind(id)
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(publishes, 1, "one publishing in the story's history");
    store.close().await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn readyz_names_the_store_when_the_database_goes_away() {
    let t = TestApp::on_postgres().await;
    let ready = t.get("/readyz").await;
    assert_eq!(ready.status, axum::http::StatusCode::OK, "{}", ready.body);

    // The database is dropped from under the running node.
    let db = t.db.as_ref().unwrap();
    let admin = format!("{}/postgres", crate::helpers::postgres_server());
    let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
        .await
        .unwrap();
    sqlx::Executor::execute(
        &mut c,
        format!("DROP DATABASE {} WITH (FORCE)", db.name).as_str(),
    )
    .await
    .unwrap();

    let ready = t.get("/readyz").await;
    assert_eq!(ready.status, axum::http::StatusCode::SERVICE_UNAVAILABLE);
    let v = ready.json();
    assert_eq!(v["ready"], false, "{v}");
    assert_eq!(v["store"]["ok"], false, "{v}");
    assert_eq!(v["store"]["reachable"], false, "{v}");
    assert!(v["store"]["error"].as_str().is_some(), "{v}");
}

/// Creates and publishes a story through `base`; its id once publishing was confirmed (2xx),
/// `None` if either request failed.
async fn publish(client: &reqwest::Client, base: &str, token: &str, n: usize) -> Option<i64> {
    let created = client
        .post(format!("{base}/api/v1/admin/articles"))
        .bearer_auth(token)
        .json(
            &json!({"headline": format!("ধারাবাহিক খবর {n}"), "section": "national",
                      "body_html": format!("<p>খবর নম্বর {n}।</p>")}),
        )
        .send()
        .await
        .ok()?;
    if !created.status().is_success() {
        return None;
    }
    let id = created.json::<Value>().await.ok()?["article"]["id"].as_i64()?;
    let published = client
        .post(format!("{base}/api/v1/admin/articles/{id}/transitions"))
        .bearer_auth(token)
        .json(&json!({"action": "publish"}))
        .send()
        .await
        .ok()?;
    published.status().is_success().then_some(id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_a_killed_mid_run_loses_nothing_it_confirmed_while_node_b_answers_throughout() {
    let t = TestApp::on_postgres().await;
    t.add_user("admin@khobor.test", "প্রশাসক", "এডি", "admin")
        .await;
    let token = t
        .login("admin@khobor.test")
        .await
        .new_api_token("ডেস্ক", "editor")
        .await;
    let closed = t.close().await;
    let url = closed.db.as_ref().unwrap().url();
    let (a_data, b_data) = (closed.dir.path().join("a"), closed.dir.path().join("b"));
    let args = ["--database-url", url.as_str()];
    let (mut a, a_base) = crate::cli::start_server_with(&a_data, &args).await;
    let (_b, b_base) = crate::cli::start_server_with(&b_data, &args).await;
    let client = reqwest::Client::new();

    // A writer publishes through A without pause; A is killed (SIGKILL: no goodbye) as
    // soon as ten publishes are confirmed, with the next one in flight, and the writer goes
    // on against the dead node. Node B is asked for its home page after every answer.
    let (results, mut answers) = tokio::sync::mpsc::unbounded_channel();
    let writer = {
        let (client, a_base, token) = (client.clone(), a_base.clone(), token.clone());
        tokio::spawn(async move {
            for n in 0..30 {
                let _ = results.send(publish(&client, &a_base, &token, n).await);
            }
        })
    };
    let mut confirmed = Vec::new();
    let mut failed = 0;
    while let Some(answer) = answers.recv().await {
        match answer {
            Some(id) => confirmed.push(id),
            None => failed += 1,
        }
        if confirmed.len() == 10 && failed == 0 {
            a.0.kill().unwrap();
        }
        let home = client.get(format!("{b_base}/")).send().await.unwrap();
        assert_eq!(home.status(), StatusCode::OK, "node B answers throughout");
    }
    writer.await.unwrap();
    a.0.wait().unwrap();
    assert!(confirmed.len() >= 10, "{confirmed:?}");
    assert!(failed > 0, "publishing to the dead node failed");

    // Everything A confirmed is served by B.
    for id in &confirmed {
        let path = format!("{b_base}/api/v1/articles/{id}");
        let r = client.get(&path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "story {id} on node B");
    }

    // A restarts over its data directory and catches up: its own index finds the last
    // story confirmed before it died, and it serves every one.
    let (_a, a_base) = crate::cli::start_server_with(&a_data, &args).await;
    eventually("node A is ready again", || {
        let (client, base) = (client.clone(), a_base.clone());
        async move {
            let r = client.get(format!("{base}/readyz")).send().await.unwrap();
            r.status() == StatusCode::OK
        }
    })
    .await;
    let want = confirmed.len() as u64;
    eventually("node A's search has every confirmed story", || {
        let (client, base) = (client.clone(), a_base.clone());
        async move {
            let r = client
                .get(format!("{base}/api/v1/search?q=ধারাবাহিক&limit=50"))
                .send()
                .await
                .unwrap();
            r.json::<Value>().await.unwrap()["total"].as_u64() >= Some(want)
        }
    })
    .await;
    for id in &confirmed {
        let r = client
            .get(format!("{a_base}/api/v1/articles/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "story {id} on node A");
    }
}

/// nginx (Debian's package) as the load balancer in front of `backends`, on a free loopback
/// port, as `bench/cluster.sh` runs it: a backend that refuses connections or answers 502/503
/// has the request passed to the next. One process (no master), so killing it leaves nothing.
struct Nginx {
    child: std::process::Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn start(backends: &[&str]) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().display().to_string();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let servers: String = backends
            .iter()
            .map(|b| {
                let host = b.trim_start_matches("http://");
                format!("server {host} max_fails=1 fail_timeout=10s;\n")
            })
            .collect();
        let conf = format!(
            "master_process off; pid {root}/nginx.pid; error_log {root}/error.log; daemon off;\n\
             events {{ worker_connections 256; }}\n\
             http {{ access_log off;\n\
               client_body_temp_path {root}; proxy_temp_path {root}; fastcgi_temp_path {root};\n\
               uwsgi_temp_path {root}; scgi_temp_path {root};\n\
               upstream khobor {{ {servers} }}\n\
               server {{ listen 127.0.0.1:{port};\n\
                 location / {{ proxy_pass http://khobor; proxy_set_header Host $host;\n\
                   proxy_next_upstream error timeout http_502 http_503;\n\
                   proxy_connect_timeout 2s; }} }} }}\n"
        );
        let file = dir.path().join("nginx.conf");
        std::fs::write(&file, conf).unwrap();
        // Debian puts it in /usr/sbin, which not every PATH has.
        let bin = if std::path::Path::new("/usr/sbin/nginx").exists() {
            "/usr/sbin/nginx"
        } else {
            "nginx"
        };
        let child = std::process::Command::new(bin)
            .args(["-p", &root, "-c"])
            .arg(&file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nginx runs (scripts/setup.sh installs Debian's nginx-light)");
        Nginx {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_nginx_readers_are_served_by_either_node_and_by_b_when_a_stops() {
    let (a, b, token, _kept) = two_nodes().await;
    let lb = Nginx::start(&[&a.base, &b.base]);
    eventually("nginx answers for the nodes", || {
        let base = lb.base.clone();
        async move {
            reqwest::get(format!("{base}/readyz"))
                .await
                .is_ok_and(|r| r.status() == StatusCode::OK)
        }
    })
    .await;

    // Published through the load balancer: whichever node takes it, every request after
    // that, to either node, shows it.
    let headline = "ভারসাম্যের পেছনে দুই নোড";
    let created = call(
        &lb.base,
        &token,
        "POST",
        "/api/v1/admin/articles",
        json!({"headline": headline, "section": "national", "body_html": "<p>দুই নোড।</p>"}),
    )
    .await;
    let id = created["article"]["id"].as_i64().unwrap();
    call(
        &lb.base,
        &token,
        "POST",
        &format!("/api/v1/admin/articles/{id}/transitions"),
        json!({"action": "publish"}),
    )
    .await;
    for node in [&a.base, &b.base] {
        until_served(node, "/", headline, true).await;
    }

    // Node A goes away: nginx sends everything to B, and readers see no error.
    a.stop().await;
    for _ in 0..20 {
        let (status, body) = get(&lb.base, "/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains(headline));
    }
    b.stop().await;
}

/// Each node's PostgreSQL pool is the size its configuration asks for (nodes × size must stay
/// under the server's max_connections), and a size that cannot be is refused at start.
#[tokio::test]
async fn a_node_opens_at_most_the_pool_it_is_configured_with() {
    let db = TestDatabase::create(&crate::helpers::postgres_server()).await;
    let dir = tempfile::tempdir().unwrap();
    let load = |size: Option<u32>, url: Option<String>| {
        khobor::config::Config::load(
            &khobor::config::Overrides {
                data: Some(dir.path().to_path_buf()),
                database_url: url,
                db_pool_size: size,
                ..Default::default()
            },
            Some("127.0.0.1:0"),
        )
    };
    let config = load(Some(3), Some(db.url())).unwrap();
    let store = config.open_store().await.unwrap();
    assert_eq!(store.pool().options().get_max_connections(), 3);
    store.close().await;
    let default = load(None, Some(db.url())).unwrap();
    assert_eq!(default.db_pool_size, khobor::storage::DEFAULT_POOL_SIZE);
    let err = load(Some(0), Some(db.url())).unwrap_err().to_string();
    assert!(
        err.contains("db_pool_size must be between 1 and 500"),
        "{err}"
    );
    let err = load(Some(4), None).unwrap_err().to_string();
    assert!(
        err.contains("db_pool_size is for a PostgreSQL store"),
        "{err}"
    );
}
