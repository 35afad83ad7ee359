//! `TestApp`: the production application on a temporary data directory, driven in-process
//! through its router, plus story fixtures written for these tests.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use khobor::app::App;
use khobor::config::{Config, MediaStoreConfig, Overrides, S3Config};
use khobor::import::{import_jsonl_reader, ImportReport};

pub struct TestApp {
    pub app: App,
    pub dir: tempfile::TempDir,
    /// The test's own PostgreSQL database, when the suite runs on PostgreSQL.
    pub db: Option<TestDatabase>,
}

/// The PostgreSQL server the suite runs against (`KHOBOR_TEST_POSTGRES`, e.g.
/// `postgres://postgres@127.0.0.1:5432`); unset, every test uses the SQLite file in its
/// data directory.
pub fn test_postgres() -> Option<String> {
    std::env::var("KHOBOR_TEST_POSTGRES")
        .ok()
        .map(|s| s.trim().trim_end_matches('/').to_owned())
        .filter(|s| !s.is_empty())
}

/// A database made for one test on the test server and dropped (with any connection still
/// open to it) when the test ends.
pub struct TestDatabase {
    server: String,
    pub name: String,
}

impl TestDatabase {
    pub async fn create(server: &str) -> TestDatabase {
        use sqlx::{Connection, Executor};
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let name = format!(
            "khobor_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
            .await
            .expect("the test PostgreSQL server answers");
        admin
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await
            .expect("old test database dropped");
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("test database created");
        admin.close().await.ok();
        TestDatabase {
            server: server.to_owned(),
            name,
        }
    }

    pub fn url(&self) -> String {
        format!("{}/{}", self.server, self.name)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin = format!("{}/postgres", self.server);
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop runs inside the test's runtime, which cannot block on itself: a thread of
        // its own with a runtime of its own does the dropping.
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                use sqlx::{Connection, Executor};
                let mut c = sqlx::PgConnection::connect(&admin).await?;
                c.execute(drop.as_str()).await?;
                c.close().await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
            .map_err(|e| std::io::Error::other(e.to_string()))
        })
        .join();
        if let Ok(Err(e)) = done {
            eprintln!("test database {} not dropped: {e}", self.name);
        }
    }
}

/// The S3 server the tests about S3 use, and with `KHOBOR_TEST_MEDIA=s3` every test's media
/// (`KHOBOR_TEST_S3`, an endpoint such as `http://127.0.0.1:9000`, with `KHOBOR_TEST_S3_BUCKET`,
/// `KHOBOR_TEST_S3_ACCESS_KEY` and `KHOBOR_TEST_S3_SECRET_KEY`; scripts/s3.sh starts SeaweedFS
/// and writes them), as the PostgreSQL tests use `KHOBOR_TEST_POSTGRES`'s server.
#[derive(Debug, Clone)]
pub struct TestS3 {
    pub endpoint: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
    /// The same server's HTTPS endpoint and the PEM file of the CA that signed its
    /// certificate (made by scripts/s3.sh for the run; trusted by nothing else).
    pub https: Option<(String, std::path::PathBuf)>,
}

impl TestS3 {
    pub fn from_env() -> Option<TestS3> {
        let endpoint = std::env::var("KHOBOR_TEST_S3").ok()?;
        let endpoint = endpoint.trim().trim_end_matches('/').to_owned();
        if endpoint.is_empty() {
            return None;
        }
        let var = |name: &str| {
            std::env::var(name)
                .unwrap_or_else(|_| panic!("KHOBOR_TEST_S3 is set but {name} is not (source the env file scripts/s3.sh start writes)"))
        };
        Some(TestS3 {
            endpoint,
            bucket: var("KHOBOR_TEST_S3_BUCKET"),
            access_key: var("KHOBOR_TEST_S3_ACCESS_KEY"),
            secret_key: var("KHOBOR_TEST_S3_SECRET_KEY"),
            https: std::env::var("KHOBOR_TEST_S3_HTTPS")
                .ok()
                .map(|e| (e, var("KHOBOR_TEST_S3_CA").into())),
        })
    }

    /// For tests whose subject is S3 itself: without the server they fail, saying how to
    /// start it (scripts/test.sh starts it before any test runs).
    #[track_caller]
    pub fn required() -> TestS3 {
        TestS3::from_env().expect(
            "KHOBOR_TEST_S3 is not set: start SeaweedFS with `bash scripts/s3.sh start` and \
             source .tools/s3/env (scripts/test.sh does both)",
        )
    }

    /// The bucket over HTTPS (the endpoint and the CA to trust), under a prefix of its own.
    #[track_caller]
    pub fn https_config(&self) -> (S3Config, std::path::PathBuf) {
        let (endpoint, ca) = self.https.clone().expect(
            "KHOBOR_TEST_S3_HTTPS is not set: scripts/s3.sh start serves HTTPS too (source .tools/s3/env)",
        );
        let mut config = self.config();
        config.endpoint = Some(endpoint);
        (config, ca)
    }

    /// The bucket under a prefix no other test uses.
    pub fn config(&self) -> S3Config {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        S3Config {
            endpoint: Some(self.endpoint.clone()),
            bucket: self.bucket.clone(),
            region: "us-east-1".to_owned(),
            path_style: true,
            prefix: Some(format!(
                "test-{}-{}-{nanos}",
                std::process::id(),
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            )),
            access_key_id: self.access_key.clone(),
            secret_access_key: self.secret_key.clone(),
            session_token: None,
            ca_bundle: None,
        }
    }
}

/// The media store a new test application gets: its data directory's `media/`, or with
/// `KHOBOR_TEST_MEDIA=s3` a prefix of its own in the test bucket.
pub fn suite_media(data: &std::path::Path) -> MediaStoreConfig {
    if std::env::var("KHOBOR_TEST_MEDIA").is_ok_and(|m| m == "s3") {
        MediaStoreConfig::S3(TestS3::required().config())
    } else {
        MediaStoreConfig::Local {
            dir: data.join("media"),
        }
    }
}

/// Settings for an application on `data`, on the suite's store: the SQLite file there, or
/// `db` when the suite runs on PostgreSQL.
pub fn store_overrides(data: &std::path::Path, db: Option<&TestDatabase>) -> Overrides {
    Overrides {
        data: Some(data.to_path_buf()),
        database_url: db.map(TestDatabase::url),
        base_url: Some("http://khobor.test".to_owned()),
        ..Overrides::default()
    }
}

/// The PostgreSQL server for tests whose subject is PostgreSQL itself (several nodes,
/// start-up refusals): the suite's, or this machine's default when the suite runs on SQLite.
pub fn postgres_server() -> String {
    test_postgres().unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432".to_owned())
}

/// A PostgreSQL database for this test when the suite runs on PostgreSQL.
pub async fn test_database() -> Option<TestDatabase> {
    match test_postgres() {
        Some(server) => Some(TestDatabase::create(&server).await),
        None => None,
    }
}

pub struct Page {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    /// The body as text (binary bodies decode lossily).
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!("not JSON ({e}): {}", &self.body[..self.body.len().min(300)])
        })
    }

    /// Every `href="…"` on the page, in order.
    pub fn links(&self) -> Vec<String> {
        self.body
            .split("href=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .map(|s| s.replace("&amp;", "&"))
            .collect()
    }

    #[track_caller]
    pub fn assert_contains(&self, needle: &str) {
        assert!(
            self.body.contains(needle),
            "page does not contain {needle:?}; status {}",
            self.status
        );
    }
}

impl TestApp {
    /// The application on an empty store, with the paper's defaults (Asia/Dhaka).
    pub async fn new() -> TestApp {
        TestApp::with_settings(Overrides::default()).await
    }

    pub async fn with_settings(mut over: Overrides) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = test_database().await;
        over.data = over.data.or(Some(dir.path().to_path_buf()));
        over.database_url = over.database_url.or(db.as_ref().map(TestDatabase::url));
        over.base_url = over.base_url.or(Some("http://khobor.test".to_owned()));
        let mut config = Config::load(&over, Some("127.0.0.1:0")).expect("config");
        // A test that names its own media store (a config file's [media]) keeps it.
        if matches!(config.media.store, MediaStoreConfig::Local { .. }) {
            config.media.store = suite_media(&config.data_dir);
        }
        let app = App::build(config).await.expect("app builds");
        TestApp { app, dir, db }
    }

    /// The application with its media in the store `media` makes of its data directory
    /// (whatever the suite's store is): e.g. always local disk, or a bucket that is down.
    pub async fn with_media(media: impl FnOnce(&std::path::Path) -> MediaStoreConfig) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = test_database().await;
        let app = build(store_overrides(dir.path(), db.as_ref()), media(dir.path())).await;
        TestApp { app, dir, db }
    }

    /// The media store this application writes to (to give another node the same one).
    pub fn media(&self) -> MediaStoreConfig {
        self.app.state.config().media.store.clone()
    }

    /// The application on the SQLite file in its data directory, whatever store the suite
    /// runs on: for what only a file can show (a database copied back, lost, damaged).
    pub async fn on_sqlite() -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let app = build(store_overrides(dir.path(), None), suite_media(dir.path())).await;
        TestApp { app, dir, db: None }
    }

    /// The application on a PostgreSQL database of its own, whatever store the suite runs on.
    pub async fn on_postgres() -> TestApp {
        TestApp::on_postgres_with_media(suite_media).await
    }

    /// [`TestApp::on_postgres`] with its media in the store `media` makes of its data
    /// directory (e.g. a bucket several nodes share).
    pub async fn on_postgres_with_media(
        media: impl FnOnce(&std::path::Path) -> MediaStoreConfig,
    ) -> TestApp {
        let db = TestDatabase::create(&postgres_server()).await;
        let dir = tempfile::tempdir().expect("temp dir");
        let app = build(store_overrides(dir.path(), Some(&db)), media(dir.path())).await;
        TestApp {
            app,
            dir,
            db: Some(db),
        }
    }

    /// Another node over this application's PostgreSQL store: a data directory (and search
    /// index) of its own, the same database; on S3, the same media bucket and prefix (on a
    /// local media store, a media folder of its own, as a second machine has).
    pub async fn another_node(&self) -> (App, tempfile::TempDir) {
        assert!(self.db.is_some(), "nodes share a PostgreSQL store");
        let dir = tempfile::tempdir().expect("temp dir");
        let media = match self.media() {
            MediaStoreConfig::Local { .. } => MediaStoreConfig::Local {
                dir: dir.path().join("media"),
            },
            shared => shared,
        };
        let app = build(store_overrides(dir.path(), self.db.as_ref()), media).await;
        (app, dir)
    }

    /// Closes the application, keeping its data directory and store for [`TestApp::reopen`].
    pub async fn close(self) -> Closed {
        let media = self.media();
        let TestApp { app, dir, db } = self;
        app.store().close().await;
        drop(app);
        Closed { dir, db, media }
    }

    /// The application again over a closed one's data directory and store.
    pub async fn reopen(closed: Closed) -> TestApp {
        let app = build(
            store_overrides(closed.dir.path(), closed.db.as_ref()),
            closed.media.clone(),
        )
        .await;
        TestApp {
            app,
            dir: closed.dir,
            db: closed.db,
        }
    }

    /// The application with the demo paper loaded, as `khobor serve --demo` does.
    pub async fn with_demo() -> TestApp {
        let t = TestApp::new().await;
        khobor::demo::load_if_empty(t.app.store(), chrono_tz::Asia::Dhaka)
            .await
            .expect("demo loads")
            .expect("store was empty");
        t
    }

    pub async fn import(&self, stories: &[Value]) -> ImportReport {
        let text: String = stories.iter().map(|s| format!("{s}\n")).collect();
        import_jsonl_reader(
            self.app.store(),
            text.as_bytes(),
            chrono_tz::Asia::Dhaka,
            khobor::domain::bijoy::BijoyMode::Auto,
        )
        .await
        .expect("import runs")
    }

    pub async fn get(&self, path: &str) -> Page {
        self.request(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    pub async fn request(&self, req: Request<Body>) -> Page {
        let resp = self
            .app
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("router answers");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// A GET of `path` with `headers`, answered as bytes (compressed bodies stay compressed).
    pub async fn raw(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let mut req = Request::get(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = self
            .app
            .router
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .expect("router answers");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        (status, headers, bytes.to_vec())
    }

    /// The API's record of the story imported with `external_id`.
    pub async fn api_article(&self, external_id: &str) -> Value {
        let list = self.get("/api/v1/articles?limit=100").await.json();
        list["articles"]
            .as_array()
            .expect("articles array")
            .iter()
            .find(|a| a["external_id"] == external_id)
            .cloned()
            .unwrap_or_else(|| panic!("{external_id} not in the API"))
    }

    /// The site path of the story imported with `external_id`.
    pub async fn path_of(&self, external_id: &str) -> String {
        let url = self.api_article(external_id).await["url"]
            .as_str()
            .expect("url")
            .to_owned();
        url.trim_start_matches("http://khobor.test").to_owned()
    }
}

/// A wire story shaped like the reference page: agency credit, desk signature, tags, author.
pub fn wire_story() -> Value {
    json!({
        "id": "wire-summit",
        "title": "দুই নেতার প্রথম শীর্ষ বৈঠক",
        "kicker": "সীমান্ত সম্মেলন",
        "summary": "দীর্ঘ আলোচনার পর দুই প্রতিবেশী দেশের নেতা প্রথমবার মুখোমুখি বসেছেন।",
        "body": "প্রথমবারের মতো শীর্ষ বৈঠকে মিলিত হয়েছেন দুই প্রতিবেশী দেশের নেতা। বৃহস্পতিবার সীমান্ত শহরের কাছে একটি দ্বীপে তাঁরা সাক্ষাৎ করেছেন।\n\nবৈঠকে দুই নেতা সম্পর্ক আরও ঘনিষ্ঠ করার প্রত্যয় ব্যক্ত করেন। একজন বলেন, ‘আমি মনে করি এটি হবে অত্যন্ত ফলপ্রসূ বৈঠক।’",
        "category": "আন্তর্জাতিক",
        "published": "2019-04-25T10:00:00+06:00",
        "source": null,
        "url": null,
        "credit": "এএফপি",
        "signature": "টাইমস/এসআই",
        "tags": ["উত্তর কোরিয়া", "শীর্ষ বৈঠক"],
        "author": "তানিয়া রহমান",
        "dateline": "মস্কো",
    })
}

/// `n` short stories in `category`, numbered from `start`, one minute apart, newest last.
pub fn stories(category: &str, start: usize, n: usize) -> Vec<Value> {
    (start..start + n)
        .map(|i| {
            json!({
                "id": format!("story-{i:04}"),
                "title": format!("পরীক্ষার খবর নম্বর {i}"),
                "body": format!("এটি পরীক্ষার জন্য লেখা {i} নম্বর খবর।\n\nদ্বিতীয় অনুচ্ছেদে আরও কিছু কথা।"),
                "category": category,
                "published": format!("2025-12-02T{:02}:{:02}:00+06:00", 8 + i / 60 % 12, i % 60),
                "source": null,
                "url": null,
                "tags": ["পরীক্ষা"],
                "author": "সাকিব হাসান",
            })
        })
        .collect()
}

/// A published story `ago` minutes old in `category`, with one tag and one author.
pub fn tagged_story(
    id: &str,
    title: &str,
    category: &str,
    tag: &str,
    author: &str,
    ago: i64,
) -> Value {
    json!({
        "id": id,
        "title": title,
        "body": format!("{title}। এই খবরের প্রথম অনুচ্ছেদ।\n\nদ্বিতীয় অনুচ্ছেদে আরও তথ্য।"),
        "category": category,
        "published": minutes_ago(ago),
        "source": null,
        "url": null,
        "tags": [tag],
        "author": author,
    })
}

/// The paths a story appears under: its page, section, tag and author lists.
pub struct Paths {
    pub id: i64,
    pub article: String,
    pub section_id: i64,
    pub section_slug: String,
    pub section: String,
    pub tag: String,
    pub author: String,
}

/// The [`Paths`] of the story imported as `external_id` (one tag, one author).
pub async fn paths(t: &TestApp, external_id: &str) -> Paths {
    use khobor::domain::urls;
    let pool = t.app.store().pool();
    let (id, section_id, section): (i64, i64, String) = sqlx::query_as(
        "SELECT a.id, s.id, s.slug FROM articles a JOIN sections s ON s.id = a.section_id
         WHERE a.external_id = $1",
    )
    .bind(external_id)
    .fetch_one(pool)
    .await
    .unwrap();
    let tag: String = sqlx::query_scalar(
        "SELECT t.slug FROM tags t JOIN article_tags x ON x.tag_id = t.id WHERE x.article_id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap();
    let author: String = sqlx::query_scalar(
        "SELECT p.slug FROM authors p JOIN article_authors x ON x.author_id = p.id
         WHERE x.article_id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap();
    Paths {
        id,
        article: urls::article(&section, id),
        section_id,
        section: urls::section(&section),
        section_slug: section,
        tag: urls::tag(&tag),
        author: urls::author(&author),
    }
}

/// Whether the server's page cache answered (`hit`) or rendered (`miss`).
pub fn x_cache(page: &Page) -> &str {
    page.headers
        .get("x-cache")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The `name` of every object in the JSON array `list` (tags, authors, sections).
#[track_caller]
pub fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .expect("a JSON array")
        .iter()
        .map(|item| item["name"].as_str().expect("a name"))
        .collect()
}

/// The site path of an absolute URL the app gave out (`http://khobor.test/x` → `/x`).
#[track_caller]
pub fn site_path(url: &str) -> String {
    url.strip_prefix("http://khobor.test")
        .unwrap_or_else(|| panic!("{url:?} is not an absolute URL on http://khobor.test"))
        .to_owned()
}

/// A `published` time `minutes` before now, in RFC 3339 (for stories that must count as new).
pub fn minutes_ago(minutes: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(minutes)).to_rfc3339()
}

/// A closed application's data directory and store (see [`TestApp::close`]).
pub struct Closed {
    pub dir: tempfile::TempDir,
    pub db: Option<TestDatabase>,
    pub media: MediaStoreConfig,
}

impl Closed {
    pub fn data(&self) -> std::path::PathBuf {
        self.dir.path().to_path_buf()
    }

    /// The store, opened as a tool beside the (stopped) server would open it.
    pub async fn open_store(&self) -> khobor::storage::Store {
        let location = match &self.db {
            Some(db) => khobor::storage::Location::Postgres(db.url()),
            None => khobor::storage::Location::Sqlite(self.dir.path().join("khobor.db")),
        };
        khobor::storage::Store::open(&location)
            .await
            .expect("store opens")
    }
}

async fn build(over: Overrides, media: MediaStoreConfig) -> App {
    let mut config = Config::load(&over, Some("127.0.0.1:0")).expect("config");
    config.media.store = media;
    App::build(config).await.expect("app builds")
}

/// The application over a data directory that something else (the CLI, say) has filled.
pub async fn open_data_dir(dir: tempfile::TempDir, data: &std::path::Path) -> TestApp {
    let over = Overrides {
        data: Some(data.to_path_buf()),
        base_url: Some("http://khobor.test".to_owned()),
        ..Overrides::default()
    };
    let config = Config::load(&over, Some("127.0.0.1:0")).expect("config");
    let app = App::build(config).await.expect("app builds");
    TestApp { app, dir, db: None }
}

/// The application serving on a real loopback port, as `khobor serve` runs it.
pub struct Served {
    pub base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Served {
    /// Serves `app` on 127.0.0.1 with a port of the system's choosing.
    pub async fn start(app: App) -> Served {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Served::start_on(app, listener)
    }

    /// Serves `app` on a listener bound beforehand (e.g. to point a proxy at it first).
    pub fn start_on(app: App, listener: tokio::net::TcpListener) -> Served {
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.serve(listener, async {
            let _ = stopped.await;
        }));
        Served { base, stop, server }
    }

    /// Shuts the server down and waits until it has finished.
    pub async fn stop(self) {
        self.stop.send(()).unwrap();
        self.server.await.unwrap().unwrap();
    }
}

/// The password every test account gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// A person logged in to the newsroom through its login form, driving the in-process router
/// with their session cookie and CSRF token.
pub struct Desk<'a> {
    pub app: &'a TestApp,
    pub cookie: String,
    pub csrf: String,
}

/// Where a request comes from: the connection's address (as `khobor serve` passes it to the
/// router; in-process requests have none), an `X-Forwarded-For` header, and the cookies the
/// browser holds (`name=value` each).
#[derive(Debug, Default, Clone)]
pub struct Browser {
    pub peer: Option<std::net::SocketAddr>,
    pub forwarded_for: Option<String>,
    pub cookies: Vec<String>,
}

impl Browser {
    /// A browser connecting from `ip` (port 40000).
    pub fn at(ip: &str) -> Browser {
        Browser {
            peer: Some(std::net::SocketAddr::new(ip.parse().expect("ip"), 40000)),
            ..Browser::default()
        }
    }

    /// Keeps the cookie `name` if `page` set it (e.g. the known-browser cookie after a login).
    pub fn keep_cookie(&mut self, page: &Page, name: &str) {
        if let Some(c) = set_cookie(page, name) {
            let c = c.split(';').next().unwrap().to_owned();
            self.cookies.retain(|k| !k.starts_with(&format!("{name}=")));
            self.cookies.push(c);
        }
    }

    fn request(
        &self,
        builder: axum::http::request::Builder,
        extra: &[String],
    ) -> axum::http::request::Builder {
        let mut builder = builder;
        let cookies: Vec<&str> = self
            .cookies
            .iter()
            .chain(extra)
            .map(String::as_str)
            .collect();
        if !cookies.is_empty() {
            builder = builder.header(header::COOKIE, cookies.join("; "));
        }
        if let Some(xff) = &self.forwarded_for {
            builder = builder.header("x-forwarded-for", xff);
        }
        if let Some(peer) = self.peer {
            builder = builder.extension(axum::extract::ConnectInfo(peer));
        }
        builder
    }

    pub fn get(&self, path: &str, extra_cookies: &[String]) -> Request<Body> {
        self.request(Request::get(path), extra_cookies)
            .body(Body::empty())
            .unwrap()
    }

    pub fn post(&self, path: &str, extra_cookies: &[String], form: &str) -> Request<Body> {
        self.request(Request::post(path), extra_cookies)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.to_owned()))
            .unwrap()
    }
}

/// `name=value` of the cookie `name` that `page` sets, without its attributes.
pub fn cookie_pair(page: &Page, name: &str) -> Option<String> {
    set_cookie(page, name).map(|c| c.split(';').next().unwrap().to_owned())
}

/// The value of the first `name="…" value="…"` hidden input on a page.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html.find(&needle)? + needle.len();
    let rest = &html[start..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// `name=value` of a Set-Cookie header called `name`, if the response sets it.
pub fn set_cookie(page: &Page, name: &str) -> Option<String> {
    page.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

pub fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                percent_encoding::utf8_percent_encode(k, percent_encoding::NON_ALPHANUMERIC),
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A multipart body with text fields and one file; returns (content type, body).
pub fn multipart(fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "khobor-test-boundary-7d1c";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl TestApp {
    /// Adds a newsroom account (password [`PASSWORD`]) the way `khobor user add` does.
    pub async fn add_user(&self, email: &str, name: &str, initials: &str, role: &str) -> i64 {
        let role = khobor::domain::Role::parse(role).expect("role");
        khobor::accounts::add_user(
            self.app.store(),
            email,
            name,
            initials,
            role,
            PASSWORD,
            &khobor::storage::users::Audit::default(),
        )
        .await
        .expect("user added")
    }

    /// Posts the login form as a browser would: GET the form (CSRF cookie and field), POST it.
    pub async fn try_login(&self, email: &str, password: &str) -> Page {
        self.try_login_from(&Browser::default(), email, password)
            .await
    }

    /// Posts the login form from `browser`: its connection address, forwarding headers and
    /// the cookies it already holds (a known-browser cookie, say).
    pub async fn try_login_from(&self, browser: &Browser, email: &str, password: &str) -> Page {
        let form = self.get("/newsroom/login").await;
        let csrf = hidden_value(&form.body, "csrf").expect("csrf field on the login form");
        // Over https the cookie carries the `__Host-` prefix.
        let cookie = set_cookie(&form, "khobor_login_csrf")
            .or_else(|| set_cookie(&form, "__Host-khobor_login_csrf"))
            .expect("login csrf cookie");
        let cookie = cookie.split(';').next().unwrap().to_owned();
        self.request(browser.post(
            "/newsroom/login",
            &[cookie],
            &form_body(&[("csrf", &csrf), ("email", email), ("password", password)]),
        ))
        .await
    }

    /// The code step of a login with two-factor on: `challenge` is the `name=value` cookie the
    /// password step set. Returns the code form's answer.
    pub async fn submit_code(&self, browser: &Browser, challenge: &str, code: &str) -> Page {
        let form = self
            .request(browser.get("/newsroom/login/code", &[challenge.to_owned()]))
            .await;
        assert_eq!(form.status, StatusCode::OK, "code form: {}", form.body);
        let csrf = hidden_value(&form.body, "csrf").expect("csrf on the code form");
        self.request(browser.post(
            "/newsroom/login/code",
            &[challenge.to_owned()],
            &form_body(&[("csrf", &csrf), ("code", code)]),
        ))
        .await
    }

    pub async fn login(&self, email: &str) -> Desk<'_> {
        let done = self.try_login(email, PASSWORD).await;
        assert_eq!(
            done.status,
            StatusCode::SEE_OTHER,
            "login failed: {}",
            done.body
        );
        let cookie = set_cookie(&done, "khobor_session").expect("session cookie");
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let mut desk = Desk {
            app: self,
            cookie,
            csrf: String::new(),
        };
        let home = desk.get("/newsroom/").await;
        assert_eq!(home.status, StatusCode::OK, "{}", home.body);
        desk.csrf = hidden_value(&home.body, "csrf").expect("csrf on the dashboard");
        desk
    }
}

impl Desk<'_> {
    /// Makes an admin-API token on the tokens page and returns it (shown there once).
    pub async fn new_api_token(&self, name: &str, role: &str) -> String {
        let made = self
            .post("/newsroom/tokens", &[("name", name), ("role", role)])
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
        made.body
            .split("<code id=\"new-token\">")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .expect("the new token is shown once")
            .to_owned()
    }

    pub async fn get(&self, path: &str) -> Page {
        self.app
            .request(
                Request::get(path)
                    .header(header::COOKIE, &self.cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
    }

    /// Posts a form with this session's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Posts exactly these fields (no CSRF token unless given).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.app
            .request(
                Request::post(path)
                    .header(header::COOKIE, &self.cookie)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(form_body(fields)))
                    .unwrap(),
            )
            .await
    }

    /// Uploads an image through the media library form.
    pub async fn upload(&self, file_name: &str, bytes: &[u8], alt: &str) -> Page {
        let (content_type, body) = multipart(
            &[
                ("csrf", &self.csrf),
                ("alt", alt),
                ("caption", "পরীক্ষার ছবি"),
                ("credit", "খবর"),
            ],
            file_name,
            bytes,
        );
        self.app
            .request(
                Request::post("/newsroom/media")
                    .header(header::COOKIE, &self.cookie)
                    .header(header::CONTENT_TYPE, content_type)
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await
    }

    /// A JSON request to the admin API with the session cookie and CSRF header.
    pub async fn api(&self, method: &str, path: &str, body: Option<Value>) -> Page {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::COOKIE, &self.cookie)
            .header("x-csrf-token", &self.csrf);
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        self.app
            .request(
                req.body(body.map(|b| Body::from(b.to_string())).unwrap_or_default())
                    .unwrap(),
            )
            .await
    }

    /// Creates `story` through the admin API and publishes it; returns its id.
    pub async fn api_publish(&self, story: Value) -> i64 {
        let made = self
            .api("POST", "/api/v1/admin/articles", Some(story))
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
        let id = made.json()["article"]["id"].as_i64().unwrap();
        let moved = self
            .api(
                "POST",
                &format!("/api/v1/admin/articles/{id}/transitions"),
                Some(json!({"action": "publish"})),
            )
            .await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
        id
    }

    /// Creates a story through the editor form; returns its id.
    pub async fn write_story(&self, headline: &str, body: &str, extra: &[(&str, &str)]) -> i64 {
        let mut fields = vec![("headline", headline), ("body", body), ("section_id", "1")];
        if !extra.iter().any(|(k, _)| *k == "action") {
            fields.push(("action", "save"));
        }
        fields.extend_from_slice(extra);
        let page = self.post("/newsroom/stories/new", &fields).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        story_id(page.location())
    }

    /// The editor's current form version for a story.
    pub async fn version_of(&self, id: i64) -> String {
        let page = self.get(&format!("/newsroom/stories/{id}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        hidden_value(&page.body, "version").expect("version field")
    }
}

/// The views the store holds for story `id`, over every hour.
pub async fn views_of(app: &App, id: i64) -> i64 {
    sqlx::query_scalar::<_, i64>(
        "SELECT CAST(COALESCE(SUM(views), 0) AS BIGINT) FROM article_views WHERE article_id = $1",
    )
    .bind(id)
    .fetch_one(app.store().pool())
    .await
    .unwrap()
}

/// Story `id`'s public path, `/{section}/{id}`, as its section is now.
pub async fn story_path(t: &TestApp, id: i64) -> String {
    let slug: String = sqlx::query_scalar(
        "SELECT s.slug FROM articles a JOIN sections s ON s.id = a.section_id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_one(t.app.store().pool())
    .await
    .unwrap();
    khobor::domain::urls::article(&slug, id)
}

/// The id in `/newsroom/stories/{id}?…`.
#[track_caller]
pub fn story_id(location: &str) -> i64 {
    location
        .trim_start_matches("/newsroom/stories/")
        .split('?')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a story location: {location}"))
}

/// A real JPEG photograph-like image of the given size, encoded by the image crate.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x * 255 / width) as u8,
            (y * 255 / height) as u8,
            ((x ^ y) & 0xff) as u8,
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("jpeg encodes");
    out.into_inner()
}

/// Polls `check` every 50 ms until it holds; fails after a generous deadline.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if check().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within 10 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
