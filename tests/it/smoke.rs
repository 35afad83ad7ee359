//! The application on a real loopback port, as `khobor serve` runs it: HTTP over TCP,
//! compression, and a clean shutdown.

use khobor::app::App;
use khobor::config::{Config, Overrides};

#[tokio::test]
async fn serves_the_demo_paper_over_tcp_and_shuts_down_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::helpers::test_database().await;
    let over = Overrides {
        base_url: None,
        ..crate::helpers::store_overrides(dir.path(), db.as_ref())
    };
    let config = Config::load(&over, Some("127.0.0.1:0")).unwrap();
    let app = App::build(config.clone()).await.unwrap();
    khobor::demo::load_if_empty(app.store(), config.site.timezone)
        .await
        .unwrap();
    let served = crate::helpers::Served::start(app).await;
    let base = served.base.clone();

    let client = reqwest::Client::new();
    let home = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    assert_eq!(home.headers()["content-type"], "text/html; charset=utf-8");
    let html = home.text().await.unwrap();
    assert!(html.contains("<html lang=\"bn\">"));

    let list: serde_json::Value = client
        .get(format!("{base}/api/v1/articles?limit=100"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let articles = list["articles"].as_array().unwrap();
    assert_eq!(articles.len(), 48);
    // Links in the API point at this paper's configured origin.
    let path = articles[0]["url"]
        .as_str()
        .unwrap()
        .trim_start_matches(&config.site.base_url)
        .to_owned();
    let page = client.get(format!("{base}{path}")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("সর্বশেষ"));

    // Clients that accept gzip get it.
    let raw = tokio::task::spawn_blocking({
        let base = base.clone();
        move || {
            use std::io::{Read, Write};
            let addr = base.trim_start_matches("http://");
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            write!(
                s,
                "GET /feed.xml HTTP/1.1\r\nHost: {addr}\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            let mut out = Vec::new();
            s.read_to_end(&mut out).unwrap();
            String::from_utf8_lossy(&out).to_lowercase()
        }
    })
    .await
    .unwrap();
    assert!(
        raw.contains("content-encoding: gzip"),
        "{}",
        &raw[..300.min(raw.len())]
    );

    served.stop().await;
    assert!(
        std::net::TcpStream::connect(base.trim_start_matches("http://")).is_err(),
        "port still open after shutdown"
    );
}

#[tokio::test]
async fn demo_content_is_loaded_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::for_data_dir(dir.path());
    let app = App::build(config.clone()).await.unwrap();
    let first = khobor::demo::load_if_empty(app.store(), config.site.timezone)
        .await
        .unwrap()
        .expect("loaded into the empty store");
    assert!(first.inserted >= 40);
    assert!(first.skipped.is_empty(), "{:?}", first.skipped);
    let again = khobor::demo::load_if_empty(app.store(), config.site.timezone)
        .await
        .unwrap();
    assert!(again.is_none());
    assert_eq!(
        app.store().count_articles().await.unwrap(),
        first.inserted as i64
    );
    app.store().close().await;
    drop(app);

    // A restart on the same data directory keeps the same paper.
    let app = App::build(config.clone()).await.unwrap();
    assert!(
        khobor::demo::load_if_empty(app.store(), config.site.timezone)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        app.store().count_articles().await.unwrap(),
        first.inserted as i64
    );
}

#[tokio::test]
async fn demo_paper_covers_six_sections_with_credits_and_signatures() {
    let app = crate::helpers::TestApp::with_demo().await;
    let list = app.get("/api/v1/articles?limit=100").await.json();
    let articles = list["articles"].as_array().unwrap();
    let sections: std::collections::BTreeSet<&str> = articles
        .iter()
        .map(|a| a["section"]["slug"].as_str().unwrap())
        .collect();
    assert!(sections.len() >= 6, "{sections:?}");
    let wire = articles
        .iter()
        .find(|a| !a["credit"].is_null() && !a["signature"].is_null())
        .expect("a wire story with credit and signature");
    let path = wire["url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://khobor.test");
    let page = app.get(path).await;
    let credit = wire["credit"].as_str().unwrap();
    page.assert_contains(&format!("খবর {credit}"));
    page.assert_contains(wire["signature"].as_str().unwrap());
    // Stories are spread over the last two weeks.
    let times: Vec<i64> = articles
        .iter()
        .map(|a| {
            chrono::DateTime::parse_from_rfc3339(a["published_at"].as_str().unwrap())
                .unwrap()
                .timestamp()
        })
        .collect();
    let span = times.iter().max().unwrap() - times.iter().min().unwrap();
    assert!(span > 7 * 86400 && span <= 14 * 86400, "span {span} s");
}
