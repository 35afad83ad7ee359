//! সর্বাধিক পঠিত: readers' requests for story pages are counted on the server (cache hits
//! included), once per reader and story within the counting window, on whichever node they
//! land; crawlers, tools, prefetches and HEAD requests are not; nothing about a reader is
//! stored. The lists show on the home page, beside stories (the section's own list once it
//! has enough stories) and on /most-read and /most-read/{section}.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use khobor::app::App;
use khobor::config::Overrides;
use tower::ServiceExt;

use crate::helpers::*;

const CHROME: &str = "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
const FIREFOX: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

/// A request for `path` from a reader at `ip` with `user_agent` (and `extra` headers), as
/// the connection loop hands it to the router.
async fn visit(
    app: &App,
    method: Method,
    path: &str,
    ip: &str,
    user_agent: &str,
    extra: &[(&str, &str)],
) -> Page {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::USER_AGENT, user_agent)
        .extension(axum::extract::ConnectInfo(std::net::SocketAddr::new(
            ip.parse().unwrap(),
            40000,
        )));
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let resp = app
        .router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    Page {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn read(app: &App, path: &str, ip: &str, user_agent: &str) -> Page {
    let page = visit(app, Method::GET, path, ip, user_agent, &[]).await;
    assert_eq!(page.status, StatusCode::OK, "{path}");
    page
}

/// The headlines a most-read list shows, in order.
fn listed(html: &str, list_start: &str) -> Vec<String> {
    let start = html.find(list_start).expect("the list is on the page");
    let list = &html[start..];
    let list = &list[..list.find("</ol>").expect("the list ends")];
    list.split("<li>")
        .skip(1)
        .map(|item| {
            let text = item.split("\">").nth(1).unwrap_or("");
            text[..text.find("</a>").unwrap_or(0)].to_owned()
        })
        .collect()
}

#[tokio::test]
async fn readers_are_counted_once_each_and_crawlers_and_tools_not_at_all() {
    let t = TestApp::new().await;
    let mut batch = stories("বাংলাদেশ", 0, 3);
    batch.extend(stories("খেলা", 3, 1));
    t.import(&batch).await;
    let first = paths(&t, "story-0000").await;
    let second = paths(&t, "story-0001").await;
    let third = paths(&t, "story-0002").await;
    let sport = paths(&t, "story-0003").await;
    let app = &t.app;

    // Three readers open the first story; one of them reloads it twice (served from the
    // cache), and a reader sends a conditional request the cache answers with a 304.
    let page = read(app, &first.article, "203.0.113.1", CHROME).await;
    let etag = page.headers[header::ETAG].to_str().unwrap().to_owned();
    for _ in 0..2 {
        let again = read(app, &first.article, "203.0.113.1", CHROME).await;
        assert_eq!(x_cache(&again), "hit");
    }
    read(app, &first.article, "203.0.113.2", CHROME).await;
    let revalidated = visit(
        app,
        Method::GET,
        &first.article,
        "203.0.113.3",
        FIREFOX,
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);
    // One address, two browsers (a family on one connection): two readers.
    read(app, &second.article, "203.0.113.4", CHROME).await;
    read(app, &second.article, "203.0.113.4", FIREFOX).await;
    read(app, &third.article, "203.0.113.5", CHROME).await;
    read(app, &sport.article, "203.0.113.5", CHROME).await;

    // Not readers: a crawler, a script, a prefetch, a HEAD, a page that is not a story.
    for _ in 0..5 {
        read(app, &third.article, "66.249.66.1", GOOGLEBOT).await;
    }
    read(app, &third.article, "198.51.100.7", "curl/8.5.0").await;
    let prefetch = visit(
        app,
        Method::GET,
        &third.article,
        "198.51.100.8",
        CHROME,
        &[("sec-purpose", "prefetch")],
    )
    .await;
    assert_eq!(prefetch.status, StatusCode::OK);
    let head = visit(
        app,
        Method::HEAD,
        &third.article,
        "198.51.100.9",
        CHROME,
        &[],
    )
    .await;
    assert_eq!(head.status, StatusCode::OK);
    read(app, &first.section, "198.51.100.10", CHROME).await;
    read(app, "/", "198.51.100.10", CHROME).await;

    assert_eq!(app.count_views_now().await.unwrap(), 7);
    assert_eq!(views_of(app, first.id).await, 3);
    assert_eq!(views_of(app, second.id).await, 2);
    assert_eq!(views_of(app, third.id).await, 1);
    assert_eq!(views_of(app, sport.id).await, 1);

    // Nothing about a reader is in the store: only counts, and marks that are not addresses.
    let marks: Vec<i64> = sqlx::query_scalar("SELECT mark FROM view_marks")
        .fetch_all(app.store().pool())
        .await
        .unwrap();
    assert_eq!(marks.len(), 7);

    // The lists: most read first, with how often each was read.
    let most = t.get("/most-read").await;
    assert_eq!(most.status, StatusCode::OK);
    let day = listed(&most.body, "id=\"period-24h\"");
    assert_eq!(
        day,
        [
            "পরীক্ষার খবর নম্বর 0",
            "পরীক্ষার খবর নম্বর 1",
            "পরীক্ষার খবর নম্বর 3",
            "পরীক্ষার খবর নম্বর 2"
        ]
    );
    most.assert_contains("৩ বার পঠিত");
    most.assert_contains("২ বার পঠিত");
    assert_eq!(listed(&most.body, "id=\"period-7d\""), day);

    // A section's page lists only its stories.
    let section = t.get(&format!("/most-read/{}", first.section_slug)).await;
    assert_eq!(section.status, StatusCode::OK);
    assert_eq!(
        listed(&section.body, "id=\"period-24h\""),
        [
            "পরীক্ষার খবর নম্বর 0",
            "পরীক্ষার খবর নম্বর 1",
            "পরীক্ষার খবর নম্বর 2"
        ]
    );
    assert_eq!(
        t.get("/most-read/no-such-section").await.status,
        StatusCode::NOT_FOUND
    );

    // Beside a story: its section's list when the section has three read stories, else the
    // site's; on the home page, the site's.
    let story = t.get(&second.article).await;
    assert!(story.body.contains("সর্বাধিক পঠিত: বাংলাদেশ"), "{}", story.body);
    assert_eq!(
        listed(&story.body, "id=\"most-read-heading\"")[0],
        "পরীক্ষার খবর নম্বর 0"
    );
    let sport_page = t.get(&sport.article).await;
    assert_eq!(
        listed(&sport_page.body, "id=\"most-read-heading\"").len(),
        4,
        "the site's list beside a story of a section with one read story"
    );
    let home = t.get("/").await;
    assert_eq!(
        listed(&home.body, "id=\"most-read-heading\"")[0],
        "পরীক্ষার খবর নম্বর 0"
    );

    // The same readers again, after a restart: the store knows their marks, nothing counts.
    let closed = t.close().await;
    let t = TestApp::reopen(closed).await;
    read(&t.app, &first.article, "203.0.113.1", CHROME).await;
    read(&t.app, &second.article, "203.0.113.4", FIREFOX).await;
    assert_eq!(t.app.count_views_now().await.unwrap(), 0);
    assert_eq!(views_of(&t.app, first.id).await, 3);
    // A new reader still counts.
    read(&t.app, &first.article, "203.0.113.6", CHROME).await;
    assert_eq!(t.app.count_views_now().await.unwrap(), 1);
    assert_eq!(views_of(&t.app, first.id).await, 4);
}

#[tokio::test]
async fn a_reader_is_counted_once_across_nodes_and_every_node_shows_the_same_list() {
    let t = TestApp::on_postgres().await;
    t.import(&stories("বাংলাদেশ", 0, 2)).await;
    let first = paths(&t, "story-0000").await;
    let second = paths(&t, "story-0001").await;
    let (b, _b_dir) = t.another_node().await;
    let a = &t.app;

    // A load balancer without sticky sessions sends one reader to both nodes.
    read(a, &first.article, "203.0.113.1", CHROME).await;
    read(&b, &first.article, "203.0.113.1", CHROME).await;
    read(&b, &second.article, "203.0.113.2", CHROME).await;
    read(a, &second.article, "203.0.113.3", CHROME).await;
    read(&b, &second.article, "203.0.113.3", CHROME).await;
    let counted = a.count_views_now().await.unwrap() + b.count_views_now().await.unwrap();
    assert_eq!(counted, 3);
    assert_eq!(views_of(a, first.id).await, 1);
    assert_eq!(views_of(a, second.id).await, 2);
    let on_a = listed(&t.get("/most-read").await.body, "id=\"period-24h\"");
    let page_b = b
        .router
        .clone()
        .oneshot(Request::get("/most-read").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let body_b = http_body_util::BodyExt::collect(page_b.into_body())
        .await
        .unwrap()
        .to_bytes();
    let on_b = listed(&String::from_utf8_lossy(&body_b), "id=\"period-24h\"");
    assert_eq!(on_a, ["পরীক্ষার খবর নম্বর 1", "পরীক্ষার খবর নম্বর 0"]);
    assert_eq!(on_a, on_b);
}

#[tokio::test]
async fn an_unpublished_story_leaves_the_lists_and_counting_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("khobor.toml");
    std::fs::write(&config, "[views]\nenabled = false\n").unwrap();
    let off = TestApp::with_settings(Overrides {
        config: Some(config),
        ..Overrides::default()
    })
    .await;
    off.import(&stories("বাংলাদেশ", 0, 1)).await;
    let story = paths(&off, "story-0000").await;
    read(&off.app, &story.article, "203.0.113.1", CHROME).await;
    assert_eq!(off.app.count_views_now().await.unwrap(), 0);
    assert_eq!(views_of(&off.app, story.id).await, 0);
    off.get("/most-read")
        .await
        .assert_contains("এই সময়ে পড়া কোনো খবর এখনো নেই।");

    let t = TestApp::new().await;
    t.import(&stories("বাংলাদেশ", 0, 2)).await;
    let first = paths(&t, "story-0000").await;
    let second = paths(&t, "story-0001").await;
    read(&t.app, &first.article, "203.0.113.1", CHROME).await;
    read(&t.app, &second.article, "203.0.113.1", CHROME).await;
    t.app.count_views_now().await.unwrap();
    assert_eq!(
        listed(&t.get("/").await.body, "id=\"most-read-heading\"").len(),
        2
    );
    assert!(t
        .app
        .store()
        .set_status(first.id, khobor::domain::Status::Unpublished)
        .await
        .unwrap());
    // The lists drop it at once: they carry its tag, and the unpublish is in the change feed.
    let home = t.get("/").await;
    assert_eq!(
        listed(&home.body, "id=\"most-read-heading\""),
        ["পরীক্ষার খবর নম্বর 1"]
    );
}

#[tokio::test]
async fn bad_views_settings_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("khobor.toml");
    std::fs::write(&config, "[views]\nflush_seconds = 0\n").unwrap();
    let err = khobor::config::Config::load(
        &Overrides {
            config: Some(config.clone()),
            data: Some(dir.path().to_path_buf()),
            ..Overrides::default()
        },
        Some("127.0.0.1:0"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("[views] flush_seconds"), "{err}");
    std::fs::write(&config, "[views]\nenable = true\n").unwrap();
    let err = khobor::config::Config::load(
        &Overrides {
            config: Some(config),
            data: Some(dir.path().to_path_buf()),
            ..Overrides::default()
        },
        Some("127.0.0.1:0"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("enable"), "{err}");
}
