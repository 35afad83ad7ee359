//! The server's page and fragment cache: what a change drops (one test per kind of tag), what
//! it keeps, that an unpublished or moved story leaves every cached page, that hits answer
//! conditional requests and every encoding, that the cache can be turned off, and that writes
//! made by another process reach it through the change feed.

use std::io::Read;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;

use khobor::config::Overrides;

use crate::helpers::*;

/// Fetches each path until it is served from the cache.
async fn warm(t: &TestApp, paths: &[&str]) {
    for p in paths {
        let first = t.get(p).await;
        assert_eq!(first.status, StatusCode::OK, "{p}");
        let second = t.get(p).await;
        assert_eq!(x_cache(&second), "hit", "{p} is cached after one request");
        assert_eq!(first.body, second.body, "{p}: a hit serves the same bytes");
    }
}

#[tokio::test]
async fn a_publish_drops_exactly_the_pages_and_fragments_that_show_it() {
    let t = TestApp::new().await;
    t.import(&[
        tagged_story("a", "সংসদে বাজেট পাস", "রাজনীতি", "বাজেট", "রহিম উদ্দিন", 90),
        tagged_story("b", "টেস্টে বাংলাদেশের জয়", "খেলা", "ক্রিকেট", "করিম হক", 80),
    ])
    .await;
    let a = paths(&t, "a").await;
    let b = paths(&t, "b").await;
    let api_b = format!("/api/v1/articles/{}", b.id);
    let all = [
        a.article.as_str(),
        b.article.as_str(),
        a.section.as_str(),
        b.section.as_str(),
        a.tag.as_str(),
        b.tag.as_str(),
        a.author.as_str(),
        b.author.as_str(),
        "/",
        "/latest",
        "/feed.xml",
        "/api/v1/articles",
        api_b.as_str(),
    ];
    warm(&t, &all).await;
    let cache = t.app.state.cache();
    for f in [
        format!("story:{}", a.id),
        format!("story:{}", b.id),
        format!("related:{}", b.id),
        "latest".to_owned(),
        format!("home-block:{}", a.section_id),
        format!("home-block:{}", b.section_id),
    ] {
        assert!(cache.has_fragment(&f), "{f} cached before the publish");
    }
    let old_b = t.get(&b.article).await.body;

    // A new story in A's section, with A's tag and author.
    t.import(&[tagged_story(
        "c",
        "নতুন মন্ত্রিসভার শপথ",
        "রাজনীতি",
        "বাজেট",
        "রহিম উদ্দিন",
        0,
    )])
    .await;
    // The next request (whatever it is for) applies the change first; B's section is untouched.
    assert_eq!(
        x_cache(&t.get(&b.section).await),
        "hit",
        "section:{}",
        b.section_id
    );

    // section:, tag:, author:, home, latest, feed: the lists the new story joins are dropped…
    for p in [&a.section, &a.tag, &a.author] {
        assert!(
            !cache.has_page(p),
            "{p} still cached after a publish into it"
        );
    }
    for p in ["/", "/latest", "/feed.xml", "/api/v1/articles"] {
        assert!(!cache.has_page(p), "{p} still cached after a publish");
    }
    // …and so are the story pages, which show the latest list…
    assert!(!cache.has_page(&a.article) && !cache.has_page(&b.article));
    assert!(!cache.has_fragment("latest"));
    assert!(!cache.has_fragment(&format!("home-block:{}", a.section_id)));
    // …but nothing that does not show the new story: other lists, other stories' own
    // fragments, the other section's home block, a story's API entry.
    for p in [&b.tag, &b.author, &api_b] {
        assert!(cache.has_page(p), "{p} dropped by an unrelated publish");
    }
    for f in [
        format!("story:{}", a.id),
        format!("story:{}", b.id),
        format!("related:{}", b.id),
        format!("home-block:{}", b.section_id),
    ] {
        assert!(
            cache.has_fragment(&f),
            "{f} dropped by an unrelated publish"
        );
    }

    // B's page is put together again with only the latest list rendered anew: the shared one
    // and B's own variant of it (B is among the newest, and is left out of its own list).
    let before = cache.stats();
    let new_b = t.get(&b.article).await;
    assert_eq!(x_cache(&new_b), "miss");
    let after = cache.stats();
    assert_eq!(
        after.fragment_renders - before.fragment_renders,
        2,
        "only the latest lists are rendered"
    );
    new_b.assert_contains("নতুন মন্ত্রিসভার শপথ");
    let story_part = |html: &str| html.split("<aside").next().unwrap().to_owned();
    assert_eq!(story_part(&new_b.body), story_part(&old_b));
    for p in [
        &a.section,
        &a.tag,
        &a.author,
        &"/".to_owned(),
        &"/latest".to_owned(),
    ] {
        t.get(p).await.assert_contains("নতুন মন্ত্রিসভার শপথ");
    }
    t.get("/feed.xml").await.assert_contains("নতুন মন্ত্রিসভার শপথ");
}

#[tokio::test]
async fn an_unpublished_story_leaves_every_cached_page_at_once() {
    let t = TestApp::new().await;
    let mut batch = vec![
        tagged_story(
            "gone",
            "পদ্মা সেতুতে রেল চলাচল শুরু",
            "জাতীয়",
            "পদ্মা সেতু",
            "নাসির আলী",
            30,
        ),
        tagged_story(
            "stays",
            "পদ্মা সেতুতে রেলের নতুন সময়সূচি",
            "জাতীয়",
            "পদ্মা সেতু",
            "নাসির আলী",
            20,
        ),
    ];
    batch.push(tagged_story(
        "other",
        "পদ্মা সেতুতে যানজট",
        "জাতীয়",
        "পদ্মা সেতু",
        "নাসির আলী",
        10,
    ));
    t.import(&batch).await;
    t.app.sync_search().await.unwrap();
    let gone = paths(&t, "gone").await;
    let stays = paths(&t, "stays").await;
    let everywhere = [
        stays.article.as_str(),
        gone.article.as_str(),
        gone.section.as_str(),
        gone.tag.as_str(),
        gone.author.as_str(),
        "/",
        "/latest",
        "/feed.xml",
        "/api/v1/articles",
    ];
    warm(&t, &everywhere).await;
    assert!(
        t.get(&stays.article).await.body.contains(&gone.article),
        "the story is linked from its neighbour's page"
    );

    assert!(t
        .app
        .store()
        .set_status(gone.id, khobor::domain::Status::Unpublished)
        .await
        .unwrap());
    for _ in 0..2 {
        assert_eq!(t.get(&gone.article).await.status, StatusCode::NOT_FOUND);
        for p in &everywhere[..1] {
            let page = t.get(p).await;
            assert!(!page.body.contains(&gone.article), "{p} still links it");
        }
        for p in &everywhere[2..] {
            let page = t.get(p).await;
            assert!(
                !page.body.contains("পদ্মা সেতুতে রেল চলাচল শুরু"),
                "{p} still shows the unpublished story"
            );
        }
    }
}

#[tokio::test]
async fn a_story_moved_to_another_section_leaves_the_old_sections_cached_list() {
    let t = TestApp::new().await;
    t.import(&[
        tagged_story(
            "m",
            "নদীভাঙনে বিলীন বসতবাড়ি",
            "জাতীয়",
            "নদীভাঙন",
            "নাসির আলী",
            30,
        ),
        tagged_story("n", "বন্যায় ফসলের ক্ষতি", "জাতীয়", "বন্যা", "নাসির আলী", 20),
    ])
    .await;
    let before = paths(&t, "m").await;
    warm(&t, &[before.section.as_str()]).await;
    let mut moved = tagged_story(
        "m",
        "নদীভাঙনে বিলীন বসতবাড়ি",
        "সারাদেশ",
        "নদীভাঙন",
        "নাসির আলী",
        30,
    );
    moved["body"] = json!("নদীভাঙনে বিলীন বসতবাড়ি। হালনাগাদ করা খবর।");
    t.import(&[moved]).await;
    let after = paths(&t, "m").await;
    assert_ne!(before.section, after.section);
    let old_list = t.get(&before.section).await;
    assert!(!old_list.body.contains("নদীভাঙনে বিলীন বসতবাড়ি"));
    t.get(&after.section)
        .await
        .assert_contains("নদীভাঙনে বিলীন বসতবাড়ি");
    let page = t.get(&before.article).await;
    assert_eq!(page.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(page.location(), after.article);
}

#[tokio::test]
async fn hits_answer_conditional_requests_and_every_encoding() {
    let t = TestApp::with_demo().await;
    let plain = t.get("/").await;
    let hit = t.get("/?fbclid=IwAR0xyz&utm_source=facebook").await;
    assert_eq!(x_cache(&hit), "hit", "trackers' parameters share the entry");
    assert_eq!(hit.body, plain.body);
    let etag = plain.headers[header::ETAG].to_str().unwrap().to_owned();
    assert_eq!(hit.headers[header::ETAG], etag.as_str());
    for h in ["surrogate-key", "cache-control", "last-modified"] {
        assert_eq!(hit.headers.get(h), plain.headers.get(h), "{h}");
    }
    assert_eq!(hit.headers[header::VARY], "accept-encoding");
    assert!(hit.headers.contains_key(header::CONTENT_SECURITY_POLICY));

    let get = |headers: &[(&str, &str)]| {
        let mut req = Request::get("/");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.body(Body::empty()).unwrap()
    };
    let not_modified = t.request(get(&[("if-none-match", &etag)])).await;
    assert_eq!(not_modified.status, StatusCode::NOT_MODIFIED);
    assert!(not_modified.body.is_empty());
    assert_eq!(x_cache(&not_modified), "hit");

    let (_, gz_headers, gz) = t.raw("/", &[("accept-encoding", "gzip")]).await;
    let (_, br_headers, br) = t
        .raw("/", &[("accept-encoding", "gzip, deflate, br")])
        .await;
    assert_eq!(gz_headers[header::CONTENT_ENCODING], "gzip");
    assert_eq!(br_headers[header::CONTENT_ENCODING], "br");
    let mut unzipped = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut unzipped)
        .unwrap();
    let mut unbrotlied = String::new();
    brotli::Decompressor::new(&br[..], 4096)
        .read_to_string(&mut unbrotlied)
        .unwrap();
    assert_eq!(unzipped, plain.body);
    assert_eq!(unbrotlied, plain.body);
    let core = etag.trim_end_matches('"');
    assert_eq!(br_headers[header::ETAG], format!("{core}-br\"").as_str());
    assert_eq!(gz_headers[header::ETAG], format!("{core}-gzip\"").as_str());
    // A client holding the brotli copy revalidates it.
    let br_tag = br_headers[header::ETAG].to_str().unwrap().to_owned();
    let again = t
        .request(get(&[
            ("accept-encoding", "br"),
            ("if-none-match", &br_tag),
        ]))
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn with_the_cache_turned_off_every_request_renders_and_is_still_compressed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("khobor.toml");
    std::fs::write(&file, "[cache]\nmemory_mb = 0\n").unwrap();
    let t = TestApp::with_settings(Overrides {
        config: Some(file),
        ..Overrides::default()
    })
    .await;
    t.import(&[tagged_story(
        "a",
        "সংসদে বাজেট পাস",
        "রাজনীতি",
        "বাজেট",
        "রহিম উদ্দিন",
        30,
    )])
    .await;
    let first = t.get("/").await;
    assert_eq!(x_cache(&first), "", "no cache, no X-Cache");
    first.assert_contains("সংসদে বাজেট পাস");
    t.import(&[tagged_story(
        "b",
        "টেস্টে বাংলাদেশের জয়",
        "খেলা",
        "ক্রিকেট",
        "করিম হক",
        0,
    )])
    .await;
    t.get("/").await.assert_contains("টেস্টে বাংলাদেশের জয়");
    let (_, headers, _) = t.raw("/", &[("accept-encoding", "gzip")]).await;
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    assert_eq!(t.app.state.cache().stats().page_hits, 0);
}

#[tokio::test]
async fn another_processs_writes_reach_the_cache_through_the_change_feed() {
    let t = TestApp::new().await;
    t.import(&[tagged_story(
        "a",
        "সংসদে বাজেট পাস",
        "রাজনীতি",
        "বাজেট",
        "রহিম উদ্দিন",
        30,
    )])
    .await;
    warm(&t, &["/latest"]).await;
    // Another process (a second node, an import run) publishes over the same database; this
    // node's store never saw the write.
    let other = khobor::storage::Store::open(&t.app.state.config().store)
        .await
        .unwrap();
    let line = tagged_story("b", "টেস্টে বাংলাদেশের জয়", "খেলা", "ক্রিকেট", "করিম হক", 0).to_string();
    khobor::import::import_jsonl_reader(
        &other,
        line.as_bytes(),
        chrono_tz::Asia::Dhaka,
        khobor::domain::bijoy::BijoyMode::Auto,
    )
    .await
    .unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let follower = tokio::spawn(khobor::web::cache::follow(t.app.state.clone(), stopped));
    eventually(
        "the other node's story on this node's cached list",
        || async {
            t.get("/latest").await.body.contains("টেস্টে বাংলাদেশের জয়")
        },
    )
    .await;
    stop.send(true).unwrap();
    follower.await.unwrap();
}

/// The requests counted in the metrics under `route` with `status`, from `/metrics`' text.
fn requests_counted(metrics: &str, route: &str, status: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| {
            l.starts_with("khobor_http_requests_total{")
                && l.contains(&format!("route=\"{route}\""))
                && l.contains("method=\"GET\"")
                && l.contains(&format!("status=\"{status}\""))
        })
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum()
}

/// `khobor serve` answers cache hits before the router is entered: over a real connection a
/// hit is the router's hit byte for byte and header for header, answers conditional requests
/// and compressed forms, counts its reader for the most-read lists, is counted in the metrics
/// under its route, and a change is still seen on the very next request.
#[tokio::test]
async fn a_hit_over_a_connection_is_the_routers_hit_counted_and_timed_alike() {
    const CHROME: &str = "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
    const FIREFOX: &str =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
    let t = TestApp::new().await;
    t.import(&stories("খেলা", 0, 2)).await;
    let story = t.path_of("story-0000").await;
    let id: i64 = story.rsplit('/').next().unwrap().parse().unwrap();
    // The reference: the router's own miss and hit, in-process.
    assert_eq!(x_cache(&t.get(&story).await), "miss");
    let routed = t.get(&story).await;
    assert_eq!(x_cache(&routed), "hit");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(khobor::web::server::serve(
        listener,
        t.app.state.clone(),
        t.app.router.clone(),
        t.app.state.config().server,
        async {
            let _ = stopped.await;
        },
    ));
    let client = reqwest::Client::new();
    let get = |headers: Vec<(&'static str, String)>| {
        let mut req = client.get(format!("{base}{story}"));
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };

    let served = get(vec![("user-agent", CHROME.into())]).await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    let headers = served.headers().clone();
    assert_eq!(served.text().await.unwrap(), routed.body);
    for (name, value) in &routed.headers {
        assert_eq!(headers.get(name), Some(value), "{name}");
    }
    for name in headers.keys() {
        assert!(
            routed.headers.contains_key(name)
                || ["date", "content-length"].contains(&name.as_str()),
            "{name} is added only over a connection"
        );
    }

    // A second browser on the same address, a revalidation, a compressed copy, a crawler.
    let etag = routed.headers[header::ETAG].to_str().unwrap().to_owned();
    let again = get(vec![
        ("user-agent", FIREFOX.into()),
        ("if-none-match", etag.clone()),
    ])
    .await
    .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["x-cache"], "hit");
    assert_eq!(again.headers()[header::ETAG], etag.as_str());
    assert!(again.bytes().await.unwrap().is_empty());
    let packed = get(vec![("accept-encoding", "gzip".into())]).await.unwrap();
    assert_eq!(packed.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(packed.headers()["x-cache"], "hit");
    let mut unzipped = String::new();
    flate2::read::GzDecoder::new(&packed.bytes().await.unwrap()[..])
        .read_to_string(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, routed.body);
    let crawler = get(vec![(
        "user-agent",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)".into(),
    )])
    .await
    .unwrap();
    assert_eq!(crawler.status(), StatusCode::OK);

    // Two readers counted (the in-process requests, with no address and no browser, are not).
    assert_eq!(t.app.count_views_now().await.unwrap(), 2);
    assert_eq!(views_of(&t.app, id).await, 2);

    // Every request under the story route's template: two in-process, four over the connection
    // (one of them answered 304).
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        requests_counted(&metrics, "/{section}/{id}", "200"),
        5.0,
        "{metrics}"
    );
    assert_eq!(
        requests_counted(&metrics, "/{section}/{id}", "304"),
        1.0,
        "{metrics}"
    );

    // A change made in this process is seen on the very next request, not the cached page.
    let mut changed = stories("খেলা", 0, 1);
    changed[0]["title"] = json!("পরীক্ষার খবর, হালনাগাদ");
    t.import(&changed).await;
    let next = get(vec![]).await.unwrap();
    assert_eq!(next.headers()["x-cache"], "miss");
    assert!(next.text().await.unwrap().contains("পরীক্ষার খবর, হালনাগাদ"));

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
