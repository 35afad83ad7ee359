//! The abuse suite: every finding of the hardening review replayed against the real router
//! (and a real port where connections matter). Each test fails on the code before the fix.

use axum::http::{header, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use khobor::config::Overrides;

use crate::helpers::*;
use crate::newsroom::{newsroom, BODY};

/// A story created through the admin API by `desk`; its id.
async fn create(desk: &Desk<'_>, fields: serde_json::Value) -> Page {
    let mut body = json!({"section": "national", "body_html": BODY});
    for (k, v) in fields.as_object().unwrap() {
        body[k] = v.clone();
    }
    desk.api("POST", "/api/v1/admin/articles", Some(body)).await
}

async fn publish(desk: &Desk<'_>, id: i64) -> Page {
    desk.api(
        "POST",
        &format!("/api/v1/admin/articles/{id}/transitions"),
        Some(json!({"action": "publish"})),
    )
    .await
}

/// The national section exists (the API names sections by slug).
async fn newsroom_with_section() -> TestApp {
    let t = newsroom().await;
    t.import(&[json!({
        "id": "seed", "title": "প্রথম খবর", "body": "খবরের লেখা।", "category": "national",
        "published": minutes_ago(30), "url": "https://example.com/seed"
    })])
    .await;
    t
}

fn field_of(page: &Page) -> String {
    page.json()["error"]["fields"][0]["field"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn tag_floods_and_deep_bodies_are_refused_before_any_work() {
    let t = newsroom_with_section().await;
    let editor = t.login("editor@khobor.test").await;
    let tags: Vec<String> = (0..150_000).map(|i| format!("t{i}")).collect();
    let p = create(&editor, json!({"headline": "ট্যাগ", "tags": tags})).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert_eq!(field_of(&p), "tags");
    // The editor form: one comma-separated field.
    let many = (0..60_000)
        .map(|i| format!("t{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let p = editor
        .post(
            "/newsroom/stories/new",
            &[
                ("headline", "ট্যাগ"),
                ("body", BODY),
                ("section_id", "1"),
                ("tags", &many),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    p.assert_contains("২০টি ট্যাগ");
    let deep = "<blockquote>".repeat(50_000);
    let p = create(&editor, json!({"headline": "গভীর", "body_html": deep})).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    // Named as the API spells the field.
    assert_eq!(field_of(&p), "body_html");
    let nested = "<div>".repeat(5_000) + "লেখা";
    let p = create(&editor, json!({"headline": "গভীর", "body_html": nested})).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    let signature = "ক".repeat(50_000);
    let p = create(
        &editor,
        json!({"headline": "স্বাক্ষর", "signature": signature}),
    )
    .await;
    assert_eq!(field_of(&p), "signature");
    // Nothing was stored by any of them.
    let list = editor.api("GET", "/api/v1/admin/articles", None).await;
    assert_eq!(list.json()["articles"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_reader_is_answered_while_tag_floods_are_saved() {
    let t = newsroom_with_section().await;
    let editor = t.login("editor@khobor.test").await;
    let cookie = editor.cookie.clone();
    let csrf = editor.csrf.clone();
    let TestApp {
        app,
        dir: _dir,
        db: _db,
    } = t;
    let served = Served::start(app).await;
    let client = reqwest::Client::new();
    let tags: Vec<String> = (0..150_000).map(|i| format!("t{i}")).collect();
    let body = json!({"headline": "ট্যাগ", "section": "national", "tags": tags}).to_string();
    let floods: Vec<_> = (0..2)
        .map(|_| {
            let req = client
                .post(format!("{}/api/v1/admin/articles", served.base))
                .header(header::COOKIE, &cookie)
                .header("x-csrf-token", &csrf)
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.clone());
            tokio::spawn(async move { req.send().await.unwrap().status() })
        })
        .collect();
    let reader = client
        .get(format!("{}/latest?while=flood", served.base))
        .send()
        .await
        .unwrap();
    assert_eq!(reader.status(), 200);
    for f in floods {
        assert_eq!(f.await.unwrap(), 422);
    }
    served.stop().await;
}

#[tokio::test]
async fn json_ld_cannot_be_ended_by_a_headline() {
    let t = newsroom_with_section().await;
    let editor = t.login("editor@khobor.test").await;
    let p = create(
        &editor,
        json!({"headline": "শিরোনাম <!--<script> পরীক্ষা </script>", "tags": ["<!--<script>"]}),
    )
    .await;
    let id = p.json()["article"]["id"].as_i64().unwrap();
    assert_eq!(publish(&editor, id).await.status, StatusCode::OK);
    let page = t.get(&format!("/national/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let ld = page
        .body
        .split("<script type=\"application/ld+json\">")
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .expect("JSON-LD block");
    assert!(!ld.contains('<') && !ld.contains('>'), "{ld}");
    let parsed: serde_json::Value = serde_json::from_str(ld).unwrap();
    assert_eq!(parsed["headline"], "শিরোনাম <!--<script> পরীক্ষা </script>");
    // The page goes on after the block: the footer's feed links are there.
    page.assert_contains("/feed.xml");
}

#[tokio::test]
async fn control_characters_never_reach_a_feed_and_invisible_headlines_are_refused() {
    let t = newsroom_with_section().await;
    let editor = t.login("editor@khobor.test").await;
    let p = create(
        &editor,
        json!({"headline": "নিয়ন্ত্রণ\u{0}অক্ষর\u{7}পরীক্ষা", "kicker": "\u{1b}কিকার"}),
    )
    .await;
    assert_eq!(p.status, StatusCode::CREATED, "{}", p.body);
    assert_eq!(p.json()["article"]["headline"], "নিয়ন্ত্রণঅক্ষরপরীক্ষা");
    let id = p.json()["article"]["id"].as_i64().unwrap();
    assert_eq!(publish(&editor, id).await.status, StatusCode::OK);
    let p = create(&editor, json!({"headline": "\u{200b}"})).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&p), "headline");
    // A row stored before the rule (or by hand) still gives well-formed feeds.
    sqlx::query("UPDATE articles SET headline = 'পুরোনো\u{1}সারি' WHERE external_id = 'seed'")
        .execute(t.app.store().pool())
        .await
        .unwrap();
    t.app.state.cache().clear();
    for path in ["/feed.xml", "/atom.xml", "/sitemaps/news.xml"] {
        let feed = t.get(path).await;
        assert_eq!(feed.status, StatusCode::OK, "{path}");
        roxmltree::Document::parse(&feed.body)
            .unwrap_or_else(|e| panic!("{path} is not well-formed XML: {e}"));
        assert!(feed.body.contains("নিয়ন্ত্রণঅক্ষরপরীক্ষা"), "{path}");
    }
}

#[tokio::test]
async fn dates_outside_the_years_are_refused_and_stored_ones_never_break_a_feed() {
    let t = newsroom_with_section().await;
    let editor = t.login("editor@khobor.test").await;
    let p = create(
        &editor,
        json!({"headline": "দূর ভবিষ্যৎ", "embargo_until": "9999-12-31T23:59:59Z"}),
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert_eq!(field_of(&p), "embargo_until");
    let report = t
        .import(&[
            json!({"id": "far", "title": "দশ হাজার সাল", "body": "খবর।", "category": "national",
                   "published": "+10000-01-01T00:00:00Z", "url": "https://example.com/far"}),
            json!({"id": "soon", "title": "আগামী বছর", "body": "খবর।", "category": "national",
                   "published": "2190-01-01T00:00:00Z", "url": "https://example.com/soon"}),
        ])
        .await;
    assert_eq!(report.inserted, 0);
    assert_eq!(report.skipped.len(), 2, "{:?}", report.skipped);
    assert!(report.skipped[1].message.contains("future"));
    // A time from before the rule: feeds render it clamped instead of panicking.
    sqlx::query("UPDATE articles SET published_at = 316224000000 WHERE external_id = 'seed'")
        .execute(t.app.store().pool())
        .await
        .unwrap();
    t.app.state.cache().clear();
    for path in ["/feed.xml", "/atom.xml", "/feed.json", "/sitemaps/news.xml"] {
        let feed = t.get(path).await;
        assert_eq!(feed.status, StatusCode::OK, "{path}");
        assert!(!feed.body.contains("+10000"), "{path}");
    }
}

#[tokio::test]
async fn an_import_line_with_bad_bytes_is_one_bad_line() {
    let t = TestApp::new().await;
    let mut file = Vec::new();
    file.extend_from_slice(
        br#"{"id":"u1","title":"\xe0\xa6\x95","body":"x","category":"national","url":"https://example.com/1"}"#,
    );
    file.push(b'\n');
    file.extend_from_slice(
        b"{\"id\":\"u2\",\"title\":\"\xff\xfe\",\"body\":\"x\",\"category\":\"national\"}\n",
    );
    file.extend_from_slice(
        "{\"id\":\"u3\",\"title\":\"খ গ\",\"body\":\"লেখা\",\"category\":\"<b>খেলা</b>\"}\n"
            .as_bytes(),
    );
    file.extend_from_slice(
        "{\"id\":\"u3\",\"title\":\"আবার\",\"body\":\"লেখা\",\"category\":\"খেলা\"}\n".as_bytes(),
    );
    let report = khobor::import::import_jsonl_reader(
        t.app.store(),
        file.as_slice(),
        chrono_tz::Asia::Dhaka,
        khobor::domain::bijoy::BijoyMode::Auto,
    )
    .await
    .expect("the import goes on past bad bytes");
    let skipped: Vec<_> = report.skipped.iter().map(|e| e.line).collect();
    assert_eq!(skipped, vec![1, 2, 4], "{:?}", report.skipped);
    assert!(report.skipped[1].message.contains("UTF-8"));
    assert!(report.skipped[2].message.contains("line 3"));
    assert_eq!(report.inserted, 1);
    // The category's markup is not part of the section's name or slug.
    let sections = t.get("/api/v1/sections").await.json();
    let names: Vec<_> = sections["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.contains(&"খেলা".to_owned()), "{names:?}");
    assert!(!names.iter().any(|n| n.contains('<') || n.contains('b')));
    // Running the same file again changes nothing.
    let again = khobor::import::import_jsonl_reader(
        t.app.store(),
        file.as_slice(),
        chrono_tz::Asia::Dhaka,
        khobor::domain::bijoy::BijoyMode::Auto,
    )
    .await
    .unwrap();
    assert_eq!((again.updated, again.unchanged), (0, 1));
}

#[tokio::test]
async fn sitemap_numbers_have_one_spelling_and_no_overflow() {
    let t = TestApp::with_demo().await;
    assert_eq!(
        t.get("/sitemaps/articles-1.xml").await.status,
        StatusCode::OK
    );
    for bad in [
        "/sitemaps/articles-01.xml",
        "/sitemaps/articles-00001.xml",
        "/sitemaps/articles-9223372036854775807.xml",
        "/sitemaps/articles-184467440737095516150.xml",
        "/sitemaps/articles-0.xml",
    ] {
        assert_eq!(t.get(bad).await.status, StatusCode::NOT_FOUND, "{bad}");
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_errors_say_how_long_to_keep_them() {
    let t = TestApp::with_demo().await;
    let home = t.get("/").await;
    assert!(
        home.headers[header::HeaderName::from_static("permissions-policy")]
            .to_str()
            .unwrap()
            .contains("geolocation=()")
    );
    assert!(!home.headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
    let missing = t.get("/no-such-section/999999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        missing.headers[header::CACHE_CONTROL],
        "public, max-age=0, s-maxage=10"
    );
    let bad = t.get("/search?from=not-a-date").await;
    if bad.status == StatusCode::BAD_REQUEST {
        assert_eq!(bad.headers[header::CACHE_CONTROL], "no-store");
    }
    let api = t.get("/api/v1/articles/999999").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert!(api.headers.contains_key(header::CACHE_CONTROL));
    let https = TestApp::with_settings(Overrides {
        base_url: Some("https://khobor.test".into()),
        ..Overrides::default()
    })
    .await;
    let page = https.get("/").await;
    assert!(page.headers[header::STRICT_TRANSPORT_SECURITY]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
}

#[tokio::test]
async fn deleting_a_story_for_good_is_an_admin_right_and_audited() {
    let t = newsroom_with_section().await;
    let editor = t.login("editor@khobor.test").await;
    let id = create(&editor, json!({"headline": "মুছে ফেলার খবর"}))
        .await
        .json()["article"]["id"]
        .as_i64()
        .unwrap();
    let p = editor
        .api("DELETE", &format!("/api/v1/admin/articles/{id}"), None)
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(t.app.store().story(id).await.unwrap().is_some());
    let admin = t.login("admin@khobor.test").await;
    let live = create(&editor, json!({"headline": "প্রকাশিত খবর"}))
        .await
        .json()["article"]["id"]
        .as_i64()
        .unwrap();
    publish(&editor, live).await;
    let p = admin
        .api("DELETE", &format!("/api/v1/admin/articles/{live}"), None)
        .await;
    assert_eq!(
        p.status,
        StatusCode::CONFLICT,
        "unpublish first: {}",
        p.body
    );
    let p = admin
        .api("DELETE", &format!("/api/v1/admin/articles/{id}"), None)
        .await;
    assert_eq!(p.status, StatusCode::NO_CONTENT, "{}", p.body);
    assert!(t.app.store().story(id).await.unwrap().is_none());
    let audit = admin.get("/newsroom/audit").await;
    audit.assert_contains("story.delete");
}

#[tokio::test]
async fn contributors_see_only_their_own_counts() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    for i in 0..3 {
        editor
            .write_story(&format!("সম্পাদকের খসড়া {i}"), BODY, &[])
            .await;
    }
    let reporter = t.login("reporter@khobor.test").await;
    reporter.write_story("প্রতিবেদকের খসড়া", BODY, &[]).await;
    let dash = reporter.get("/newsroom/").await;
    assert_eq!(dash.status, StatusCode::OK);
    // The drafts tab counts one story (the reporter's), not four.
    let tab = dash
        .body
        .split("status=draft")
        .nth(1)
        .and_then(|rest| rest.split("</a>").next())
        .expect("drafts tab");
    assert!(tab.contains('১') && !tab.contains('৪'), "{tab}");
}

#[tokio::test]
async fn initials_are_bounded() {
    let t = newsroom().await;
    let admin = t.login("admin@khobor.test").await;
    let users = admin.get("/newsroom/users").await;
    let id = t
        .app
        .store()
        .user_for_login("reporter@khobor.test")
        .await
        .unwrap()
        .unwrap()
        .0
        .id;
    let long = "ক".repeat(50_000);
    let p = admin
        .post(
            &format!("/newsroom/users/{id}"),
            &[("role", "contributor"), ("initials", &long)],
        )
        .await;
    assert_eq!(
        p.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        users.status
    );
    let user = t.app.store().user(id).await.unwrap().unwrap();
    assert_eq!(user.initials, "এসআই");
}

#[tokio::test]
async fn the_api_total_follows_publishing() {
    let t = newsroom_with_section().await;
    assert_eq!(t.get("/api/v1/articles").await.json()["total"], 1);
    let editor = t.login("editor@khobor.test").await;
    let id = create(&editor, json!({"headline": "দ্বিতীয় খবর"}))
        .await
        .json()["article"]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(t.get("/api/v1/articles?page=1").await.json()["total"], 1);
    publish(&editor, id).await;
    assert_eq!(t.get("/api/v1/articles?page=1").await.json()["total"], 2);
}

#[tokio::test]
async fn a_late_scheduled_story_is_stamped_when_it_went_out_with_a_revision() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let id = editor.write_story("নির্ধারিত খবর", BODY, &[]).await;
    let at = (chrono::Utc::now() + chrono::Duration::minutes(5)).to_rfc3339();
    editor
        .api(
            "POST",
            &format!("/api/v1/admin/articles/{id}/transitions"),
            Some(json!({"action": "schedule", "publish_at": at})),
        )
        .await;
    let later = chrono::Utc::now().timestamp() + 3 * 3600;
    assert_eq!(t.app.store().publish_due(later).await.unwrap(), vec![id]);
    let story = t.app.store().story(id).await.unwrap().unwrap();
    assert_eq!(story.published_at, Some(later));
    let history = editor
        .get(&format!("/newsroom/stories/{id}/revisions"))
        .await;
    assert_eq!(history.body.matches("data-kind=\"status\"").count(), 2);
}

/// Reads from `stream` until the server closes it; what it sent.
async fn read_to_close(stream: &mut tokio::net::TcpStream) -> String {
    let mut got = Vec::new();
    // A guard against hanging the suite, not a measurement: the server's limit is 1 s.
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        stream.read_to_end(&mut got),
    )
    .await
    .expect("the server closed the connection")
    .ok();
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test]
async fn trickled_heads_are_cut_off_and_connections_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("khobor.toml");
    std::fs::write(
        &file,
        "[server]\nheader_timeout = 1\nidle_timeout = 1\nmax_connections = 2\n",
    )
    .unwrap();
    let t = TestApp::with_settings(Overrides {
        config: Some(file),
        ..Overrides::default()
    })
    .await;
    let TestApp {
        app,
        dir: _data,
        db: _db,
    } = t;
    let served = Served::start(app).await;
    let addr = served.base.trim_start_matches("http://").to_owned();
    // A head that never ends: the connection is closed, nothing served.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let mut idle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    // Both slots are taken: a third connection is told so at once and closed.
    let mut third = tokio::net::TcpStream::connect(&addr).await.unwrap();
    third
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .ok();
    let refused = read_to_close(&mut third).await;
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    let slow_answer = read_to_close(&mut slow).await;
    assert!(!slow_answer.contains("200 OK"), "{slow_answer}");
    let idle_answer = read_to_close(&mut idle).await;
    assert!(!idle_answer.contains("200 OK"), "{idle_answer}");
    // With the slots free again, an ordinary request is served.
    let ok = reqwest::get(format!("{}/robots.txt", served.base))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    served.stop().await;
}

#[tokio::test]
async fn cookies_carry_the_host_prefix_on_https() {
    let t = TestApp::with_settings(Overrides {
        base_url: Some("https://khobor.test".into()),
        ..Overrides::default()
    })
    .await;
    t.add_user("admin@khobor.test", "প্রশাসক", "এডি", "admin")
        .await;
    let form = t.get("/newsroom/login").await;
    let csrf_cookie = set_cookie(&form, "__Host-khobor_login_csrf").expect("prefixed cookie");
    assert!(csrf_cookie.contains("Secure") && csrf_cookie.contains("Path=/"));
    assert!(!csrf_cookie.contains("Domain"));
    let csrf = hidden_value(&form.body, "csrf").unwrap();
    let pair = csrf_cookie.split(';').next().unwrap().to_owned();
    let login = |cookie: String| {
        t.request(
            axum::http::Request::post("/newsroom/login")
                .header(header::COOKIE, cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(form_body(&[
                    ("csrf", &csrf),
                    ("email", "admin@khobor.test"),
                    ("password", PASSWORD),
                ])))
                .unwrap(),
        )
    };
    // The unprefixed name, as a plain-http page or a sibling subdomain could set it, is not
    // the login form's cookie.
    let planted = login(pair.replace("__Host-", "")).await;
    assert_eq!(planted.status, StatusCode::FORBIDDEN);
    let done = login(pair).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let session = set_cookie(&done, "__Host-khobor_session").expect("prefixed session");
    assert!(session.contains("Secure") && session.contains("HttpOnly"));
    assert!(set_cookie(&done, "khobor_session").is_none());
}

#[tokio::test]
async fn a_new_password_revokes_the_persons_api_tokens() {
    let t = newsroom_with_section().await;
    let admin = t.login("admin@khobor.test").await;
    let token = admin.new_api_token("ডেপ্লয়", "admin").await;
    let call = |token: String| {
        t.request(
            axum::http::Request::get("/api/v1/admin/articles")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
    };
    assert_eq!(call(token.clone()).await.status, StatusCode::OK);
    let changed = admin
        .post(
            "/newsroom/account",
            &[
                ("current", PASSWORD),
                ("new_password", "a brand new passphrase"),
                ("confirm", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    changed.assert_contains("API টোকেন বাতিল");
    assert_eq!(call(token).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn empty_list_filters_are_no_filters() {
    let t = TestApp::with_demo().await;
    let all = t.get("/api/v1/articles").await.json();
    let empty = t.get("/api/v1/articles?section=&tag=").await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
    assert_eq!(empty.json()["total"], all["total"]);
    let both = t.get("/api/v1/articles?section=national&tag=x").await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn files_half_written_before_a_crash_are_removed_at_start() {
    let t = TestApp::new().await;
    let desk_upload = {
        t.add_user("editor@khobor.test", "সম্পাদক", "এস", "editor")
            .await;
        let desk = t.login("editor@khobor.test").await;
        desk.upload("photo.jpg", &jpeg(640, 480), "ছবি").await
    };
    assert_eq!(
        desk_upload.status,
        StatusCode::SEE_OTHER,
        "{}",
        desk_upload.body
    );
    let closed = t.close().await;
    // What a SIGKILL mid-upload leaves: a spooled upload, and on a local media store an
    // object's staging file.
    let spool = closed.data().join("uploads");
    std::fs::create_dir_all(&spool).unwrap();
    let spooled = spool.join(".upload-k1ll3d");
    std::fs::write(&spooled, jpeg(64, 64)).unwrap();
    let local = match &closed.media {
        khobor::config::MediaStoreConfig::Local { dir } => Some(dir.clone()),
        khobor::config::MediaStoreConfig::S3(_) => None,
    };
    let staged = local.as_ref().map(|dir| {
        let kept: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        assert!(!kept.is_empty(), "the upload is in the media folder");
        let staged = dir.join("0123456789abcdef.jpg#3");
        std::fs::write(&staged, b"half an object").unwrap();
        (staged, kept.len())
    });
    let t = TestApp::reopen(closed).await;
    assert!(!spooled.exists(), "the half-spooled upload is gone");
    if let (Some(dir), Some((staged, kept))) = (&local, staged) {
        assert!(!staged.exists(), "the staging file is gone");
        let left = std::fs::read_dir(dir).unwrap().count();
        assert_eq!(left, kept, "every whole object stays");
    }
    // The upload itself still serves.
    let path: String = sqlx::query_scalar("SELECT path FROM media ORDER BY id LIMIT 1")
        .fetch_one(t.app.store().pool())
        .await
        .unwrap();
    assert!(path.starts_with("/media/"), "{path}");
    assert_eq!(t.get(&path).await.status, StatusCode::OK, "{path}");
}
