//! Live pages (লাইভ): an editor starts a live page on a published story and adds, edits and
//! deletes timestamped entries through the newsroom's forms; readers see them newest first
//! with a "লাইভ" badge and `LiveBlogPosting` JSON-LD, the cached story page is dropped at each
//! entry; bad input and reporters are refused with nothing saved; the event stream tells an
//! open page of a new entry over a real port, on another node too, and stops when the page
//! ends, which keeps its entries as an archive.

use axum::http::StatusCode;
use serde_json::Value;

use crate::helpers::*;

async fn newsroom() -> TestApp {
    let t = TestApp::new().await;
    t.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    t.add_user("reporter@khobor.test", "সাইফুল ইসলাম", "এসআই", "contributor")
        .await;
    t
}

/// A published story's id and public path.
async fn published(t: &TestApp, editor: &Desk<'_>, headline: &str) -> (i64, String) {
    let id = editor
        .write_story(
            headline,
            "<p>ভোটের দিনের খবর।</p>",
            &[("action", "publish")],
        )
        .await;
    (id, story_path(t, id).await)
}

async fn entry_count(t: &TestApp, id: i64) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM live_entries WHERE article_id = $1")
        .bind(id)
        .fetch_one(t.app.store().pool())
        .await
        .unwrap()
}

/// The JSON-LD block of a page.
fn json_ld(page: &Page) -> Value {
    let start = page
        .body
        .find("<script type=\"application/ld+json\">")
        .expect("JSON-LD")
        + "<script type=\"application/ld+json\">".len();
    let end = start + page.body[start..].find("</script>").unwrap();
    serde_json::from_str(&page.body[start..end]).expect("JSON-LD parses")
}

#[tokio::test]
async fn an_editor_runs_a_live_page_and_readers_see_it_newest_first() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let (id, story) = published(&t, &editor, "ভোট গণনা চলছে").await;
    let live = format!("/newsroom/stories/{id}/live");
    editor
        .get(&format!("/newsroom/stories/{id}"))
        .await
        .assert_contains(&format!("href=\"{live}\""));
    let page = editor.get(&live).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("id=\"live-start-form\"");
    // Not live yet: no badge, and adding is refused with a clear message.
    assert!(!t.get(&story).await.body.contains("live-badge"));
    let p = editor
        .post(&format!("{live}/entries"), &[("body", "আগাম আপডেট")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    p.assert_contains("লাইভ পাতা চালু নেই");
    assert_eq!(entry_count(&t, id).await, 0);

    let p = editor.post(&format!("{live}/start"), &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    // Cached before the first entry.
    t.get(&story).await;
    assert_eq!(x_cache(&t.get(&story).await), "hit");

    let first = "সকাল ৮টায় ভোটগ্রহণ শুরু হয়েছে।";
    let second = "দুপুর পর্যন্ত ৪০ শতাংশ ভোট পড়েছে।";
    for (text, key) in [(first, ""), (second, "1")] {
        let p = editor
            .post(
                &format!("{live}/entries"),
                &[
                    ("body", text),
                    ("embed_url", "https://www.youtube.com/watch?v=abc123"),
                    ("key_event", key),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    }
    let page = t.get(&story).await;
    assert_eq!(x_cache(&page), "miss", "each entry drops the cached page");
    page.assert_contains("id=\"live-badge\"");
    page.assert_contains("<script src=\"/static/live.js\" defer></script>");
    page.assert_contains(&format!("data-live-events=\"/live/{id}/events\""));
    page.assert_contains("aria-live=\"polite\"");
    let (a, b) = (
        page.body.find(second).expect("second entry"),
        page.body.find(first).expect("first entry"),
    );
    assert!(a < b, "newest first");
    page.assert_contains("class=\"live-entry key-event\"");
    // The embed is a link card: no third-party frame or script.
    page.assert_contains("href=\"https://www.youtube.com/watch?v=abc123\"");
    assert!(!page.body.contains("<iframe"));
    let ld = json_ld(&page);
    assert_eq!(ld["@type"], "LiveBlogPosting");
    assert!(ld["coverageStartTime"].is_string());
    assert!(ld.get("coverageEndTime").is_none());
    let updates = ld["liveBlogUpdate"].as_array().unwrap();
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[0]["@type"], "BlogPosting");
    assert_eq!(updates[0]["articleBody"], second);
    assert_eq!(x_cache(&t.get(&story).await), "hit");
    let js = t.get("/static/live.js").await;
    assert_eq!(js.status, StatusCode::OK);
    js.assert_contains("EventSource");

    // Edited, then deleted.
    let entry: i64 =
        sqlx::query_scalar("SELECT id FROM live_entries WHERE article_id = $1 ORDER BY id LIMIT 1")
            .bind(id)
            .fetch_one(t.app.store().pool())
            .await
            .unwrap();
    let form = editor.get(&format!("{live}/entries/{entry}")).await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_contains(first);
    let fixed = "সকাল ৮টায় সারা দেশে ভোটগ্রহণ শুরু হয়েছে।";
    let p = editor
        .post(&format!("{live}/entries/{entry}"), &[("body", fixed)])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let page = t.get(&story).await;
    page.assert_contains(fixed);
    page.assert_contains("(সম্পাদিত)");
    let p = editor
        .post(&format!("{live}/entries/{entry}/delete"), &[])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(!t.get(&story).await.body.contains(fixed));
    assert_eq!(entry_count(&t, id).await, 1);

    // Ended: the badge says so with the time, the entries stay, no event script.
    let p = editor.post(&format!("{live}/end"), &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let page = t.get(&story).await;
    page.assert_contains("লাইভ শেষ");
    page.assert_contains(second);
    assert!(!page.body.contains("live.js"));
    assert!(!page.body.contains("data-live-events"));
    let ld = json_ld(&page);
    assert!(ld["coverageEndTime"].is_string());
    assert_eq!(ld["liveBlogUpdate"].as_array().unwrap().len(), 1);
    let ended = t.get(&format!("/live/{id}/events")).await;
    assert_eq!(
        ended.status,
        StatusCode::NO_CONTENT,
        "an ended page has no stream"
    );
    let p = editor
        .post(&format!("{live}/entries"), &[("body", "আরও একটি")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Every action is in the audit log.
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'live.%' ORDER BY id")
            .fetch_all(t.app.store().pool())
            .await
            .unwrap();
    assert_eq!(
        actions,
        [
            "live.start",
            "live.entry.add",
            "live.entry.add",
            "live.entry.edit",
            "live.entry.delete",
            "live.end"
        ]
    );
}

#[tokio::test]
async fn reporters_csrf_and_bad_entries_are_refused_and_nothing_is_saved() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let (id, _) = published(&t, &editor, "বন্যা পরিস্থিতি").await;
    let live = format!("/newsroom/stories/{id}/live");
    assert_eq!(
        editor.post(&format!("{live}/start"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let reporter = t.login("reporter@khobor.test").await;
    assert_eq!(reporter.get(&live).await.status, StatusCode::FORBIDDEN);
    for path in ["start", "end"] {
        let p = reporter.post(&format!("{live}/{path}"), &[]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{path}");
    }
    let p = reporter
        .post(&format!("{live}/entries"), &[("body", "প্রতিবেদকের আপডেট")])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // Without the CSRF token.
    let p = editor
        .post_raw(&format!("{live}/entries"), &[("body", "টোকেন ছাড়া")])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);

    let long = "ক".repeat(5_001);
    let huge = "ক".repeat(200_000);
    let cases: [(&[(&str, &str)], &str); 6] = [
        (&[("body", "  ")], "আপডেটে কিছু লিখুন।"),
        (&[("body", long.as_str())], "৫,০০০ অক্ষরের মধ্যে"),
        (&[("body", huge.as_str())], "৫,০০০ অক্ষরের মধ্যে"),
        (
            &[
                ("body", "ঠিক আছে"),
                ("embed_url", "https://evil.example/watch"),
            ],
            "ইউটিউব, ফেসবুক বা এক্সের",
        ),
        (
            &[("body", "ঠিক আছে"), ("embed_url", "javascript:alert(1)")],
            "ইউটিউব, ফেসবুক বা এক্সের",
        ),
        (
            &[("body", "ঠিক আছে"), ("media_id", "99999")],
            "মিডিয়া লাইব্রেরিতে নেই",
        ),
    ];
    for (fields, message) in cases {
        let p = editor.post(&format!("{live}/entries"), fields).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        p.assert_contains(message);
    }
    assert_eq!(entry_count(&t, id).await, 0, "nothing saved");

    // A story that is not published cannot go live.
    let draft = editor.write_story("খসড়া", "<p>খসড়া।</p>", &[]).await;
    let p = editor
        .post(&format!("/newsroom/stories/{draft}/live/start"), &[])
        .await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);

    // A picked image and markup through the allow-list.
    let up = editor.upload("nouka.jpg", &jpeg(64, 48), "ঘাটে নৌকা").await;
    assert!(
        up.status.is_success() || up.status.is_redirection(),
        "{}",
        up.body
    );
    // Its responsive variants made, as the media job does after an upload.
    assert_eq!(t.app.process_media().await.unwrap(), 1);
    let media: i64 = sqlx::query_scalar("SELECT MAX(id) FROM media")
        .fetch_one(t.app.store().pool())
        .await
        .unwrap();
    let media = media.to_string();
    let p = editor
        .post(
            &format!("{live}/entries"),
            &[
                ("body", "<p>পানি বাড়ছে<script>alert(1)</script></p>"),
                ("media_id", media.as_str()),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let stored: String = sqlx::query_scalar("SELECT body_html FROM live_entries")
        .fetch_one(t.app.store().pool())
        .await
        .unwrap();
    assert_eq!(stored, "<p>পানি বাড়ছে</p>");
    let page = t.get(&story_path(&t, id).await).await;
    page.assert_contains("alt=\"ঘাটে নৌকা\"");
    // Readers get the variants (WebP and JPEG by width), not the original upload.
    let figure = page
        .body
        .split("<figure class=\"live-image\">")
        .nth(1)
        .and_then(|rest| rest.split("</figure>").next())
        .expect("the entry's image");
    assert!(
        figure.starts_with("<picture><source type=\"image/webp\" srcset=\"/media/"),
        "{figure}"
    );
    assert!(figure.contains(" 64w"), "{figure}");
    let original: String = sqlx::query_scalar("SELECT path FROM media WHERE id = $1")
        .bind(media.parse::<i64>().unwrap())
        .fetch_one(t.app.store().pool())
        .await
        .unwrap();
    assert!(!figure.contains(&original), "{figure}");

    // Text that would end the JSON-LD's script element stays inside it, as data.
    let hostile = "সতর্কতা </script><!--<script>alert(1)</script>";
    let p = editor
        .post(&format!("{live}/entries"), &[("body", hostile)])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let page = t.get(&story_path(&t, id).await).await;
    assert!(!page.body.contains("<script>alert(1)"));
    assert_eq!(json_ld(&page)["liveBlogUpdate"][0]["articleBody"], hostile);
}

#[tokio::test]
async fn older_entries_are_a_plain_link_away() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let (id, story) = published(&t, &editor, "বাজেট অধিবেশন").await;
    let live = format!("/newsroom/stories/{id}/live");
    editor.post(&format!("{live}/start"), &[]).await;
    for n in 1..=52 {
        let text = format!("আপডেট নম্বর {n}।");
        let p = editor
            .post(&format!("{live}/entries"), &[("body", text.as_str())])
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER);
    }
    let page = t.get(&story).await;
    page.assert_contains("আপডেট নম্বর 52।");
    page.assert_contains("আপডেট নম্বর 3।");
    assert!(!page.body.contains("আপডেট নম্বর 2।"));
    let older = page
        .links()
        .into_iter()
        .find(|l| l.starts_with(&format!("/live/{id}?before=")))
        .expect("a link to older entries");
    let page = t.get(&older).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("আপডেট নম্বর 2।");
    page.assert_contains("আপডেট নম্বর 1।");
    assert!(!page.body.contains("আপডেট নম্বর 3।"));
    page.assert_contains(&format!("href=\"{story}\""));
    assert_eq!(
        t.get(&format!("/live/{id}?before=x")).await.status,
        StatusCode::NOT_FOUND
    );
}

/// Reads the event stream `response` until its text contains `needle`; what it read.
async fn read_until(response: &mut reqwest::Response, needle: &str) -> String {
    let mut got = String::new();
    let found = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while let Some(chunk) = response.chunk().await.expect("stream reads") {
            got.push_str(&String::from_utf8_lossy(&chunk));
            if got.contains(needle) {
                return true;
            }
        }
        false
    })
    .await;
    assert!(matches!(found, Ok(true)), "no {needle:?} in {got:?}");
    got
}

/// Reads `response` to its end (a closed stream); false if it did not end within the
/// deadline.
async fn ends(response: &mut reqwest::Response) -> bool {
    tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while let Ok(Some(_)) = response.chunk().await {}
    })
    .await
    .is_ok()
}

/// A newsroom form posted over HTTP with a desk's session.
async fn post_form(base: &str, cookie: &str, path: &str, fields: &[(&str, &str)]) -> u16 {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    client
        .post(format!("{base}{path}"))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(fields))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_event_stream_tells_an_open_page_and_ends_with_the_live_page() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let (id, _) = published(&t, &editor, "ঘূর্ণিঝড়ের গতিপথ").await;
    let live = format!("/newsroom/stories/{id}/live");
    editor.post(&format!("{live}/start"), &[]).await;
    let (cookie, csrf) = (editor.cookie.clone(), editor.csrf.clone());
    let TestApp {
        app,
        dir: _dir,
        db: _db,
    } = t;
    let served = Served::start(app).await;
    let events = format!("{}/live/{id}/events", served.base);

    let mut stream = reqwest::get(&events).await.unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    assert_eq!(stream.headers()["cache-control"], "no-store");
    let status = post_form(
        &served.base,
        &cookie,
        &format!("{live}/entries"),
        &[("csrf", &csrf), ("body", "উপকূলে সতর্কসংকেত বাড়ানো হয়েছে।")],
    )
    .await;
    assert_eq!(status, 303);
    let got = read_until(&mut stream, "event: update").await;
    assert!(got.contains("\"added\":1"), "{got}");
    assert!(got.contains("id: "), "{got}");

    // A reconnect from an older revision hears at once what it missed.
    let mut again = reqwest::Client::new()
        .get(&events)
        .header("last-event-id", "0")
        .send()
        .await
        .unwrap();
    read_until(&mut again, "\"added\":1").await;
    drop(again);

    // Ending the page ends the stream.
    let status = post_form(
        &served.base,
        &cookie,
        &format!("{live}/end"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    read_until(&mut stream, "event: end").await;
    assert!(ends(&mut stream).await, "the stream closes after the end");
    assert_eq!(reqwest::get(&events).await.unwrap().status(), 204);
    let missing = format!("{}/live/999999/events", served.base);
    assert_eq!(reqwest::get(&missing).await.unwrap().status(), 404);
    served.stop().await;
}

#[tokio::test]
async fn streams_past_the_cap_are_told_to_retry_and_stopping_ends_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("khobor.toml");
    std::fs::write(&file, "[server]\nmax_event_streams = 1\n").unwrap();
    let t = TestApp::with_settings(khobor::config::Overrides {
        config: Some(file),
        ..Default::default()
    })
    .await;
    t.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    let editor = t.login("editor@khobor.test").await;
    let (id, story) = published(&t, &editor, "সংসদ অধিবেশন").await;
    editor
        .post(&format!("/newsroom/stories/{id}/live/start"), &[])
        .await;
    drop(editor);
    let TestApp {
        app,
        dir: _data,
        db: _db,
    } = t;
    let served = Served::start(app).await;
    let events = format!("{}/live/{id}/events", served.base);
    let mut held = reqwest::get(&events).await.unwrap();
    assert_eq!(held.status(), 200);
    let refused = reqwest::get(&events).await.unwrap();
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    // Ordinary pages are still served while the stream is held, and /metrics counts it.
    let page = reqwest::get(format!("{}{story}", served.base))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let metrics = reqwest::get(format!("{}/metrics", served.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.lines().any(|l| l == "khobor_live_streams 1"),
        "/metrics counts the open stream: {metrics}"
    );
    // A graceful stop is not held up by the open stream.
    served.stop().await;
    assert!(ends(&mut held).await);
}

#[tokio::test]
async fn an_entry_added_on_node_a_reaches_a_stream_on_node_b() {
    let a = TestApp::on_postgres().await;
    a.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    let editor = a.login("editor@khobor.test").await;
    let (id, _) = published(&a, &editor, "নির্বাচনের ফল").await;
    let live = format!("/newsroom/stories/{id}/live");
    editor.post(&format!("{live}/start"), &[]).await;
    let (cookie, csrf) = (editor.cookie.clone(), editor.csrf.clone());
    drop(editor);
    let (b_app, _b_dir) = a.another_node().await;
    let TestApp {
        app: a_app,
        dir: _a_dir,
        db: _db,
    } = a;
    let node_a = Served::start(a_app).await;
    let node_b = Served::start(b_app).await;

    let mut stream = reqwest::get(format!("{}/live/{id}/events", node_b.base))
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let status = post_form(
        &node_a.base,
        &cookie,
        &format!("{live}/entries"),
        &[("csrf", &csrf), ("body", "প্রথম আসনের ফল ঘোষণা হয়েছে।")],
    )
    .await;
    assert_eq!(status, 303);
    let got = read_until(&mut stream, "event: update").await;
    assert!(got.contains("\"added\":1"), "{got}");
    drop(stream);
    node_a.stop().await;
    node_b.stop().await;
}

#[tokio::test]
async fn a_quiet_stream_outlives_the_idle_timeout_on_its_keep_alive_comments() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("khobor.toml");
    // Comments every second; a connection silent for two is closed.
    std::fs::write(&file, "[server]\nidle_timeout = 2\n").unwrap();
    let t = TestApp::with_settings(khobor::config::Overrides {
        config: Some(file),
        ..Default::default()
    })
    .await;
    t.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    let editor = t.login("editor@khobor.test").await;
    let (id, _) = published(&t, &editor, "শৈত্যপ্রবাহ").await;
    editor
        .post(&format!("/newsroom/stories/{id}/live/start"), &[])
        .await;
    drop(editor);
    let TestApp {
        app,
        dir: _data,
        db: _db,
    } = t;
    let served = Served::start(app).await;
    let mut stream = reqwest::get(format!("{}/live/{id}/events", served.base))
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    // Four comments a second apart: the stream has lived past the idle timeout.
    let mut got = String::new();
    let comments = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while let Some(chunk) = stream.chunk().await.expect("the stream stays open") {
            got.push_str(&String::from_utf8_lossy(&chunk));
            if got.lines().filter(|l| l.starts_with(':')).count() >= 4 {
                return true;
            }
        }
        false
    })
    .await;
    assert!(matches!(comments, Ok(true)), "{got:?}");
    drop(stream);
    served.stop().await;
}
