//! Breaking news: an editor puts up a one-line alert; `/breaking.json` and the home page (drawn
//! on the server, for readers without JavaScript) show it at once while cached story pages stay
//! cached; taking it down or its expiry (noted by the scheduler) removes it; contributors and
//! bad input are refused; a second node serves it within the test's deadline.

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

async fn live(t: &TestApp) -> Vec<Value> {
    let page = t.get("/breaking.json").await;
    assert_eq!(page.status, StatusCode::OK);
    page.json()["items"].as_array().cloned().unwrap_or_default()
}

/// The server-drawn ticker of a page: the `<aside id="breaking" …>` element.
fn ticker(page: &Page) -> &str {
    let start = page
        .body
        .find("<aside id=\"breaking\"")
        .expect("the ticker's place");
    let rest = &page.body[start..];
    &rest[..rest.find("</aside>").unwrap()]
}

#[tokio::test]
async fn an_alert_shows_at_once_and_goes_when_taken_down_or_run_out() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let id = editor
        .write_story(
            "সংসদ ভেঙে দিলেন রাষ্ট্রপতি",
            "<p>বিস্তারিত আসছে।</p>",
            &[("action", "publish")],
        )
        .await;
    let story = story_path(&t, id).await;
    // Both cached before the alert.
    for p in ["/", story.as_str()] {
        t.get(p).await;
        assert_eq!(x_cache(&t.get(p).await), "hit", "{p}");
    }
    assert!(live(&t).await.is_empty());
    assert!(ticker(&t.get("/").await).contains(" hidden"));

    let form = editor.get("/newsroom/breaking").await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_contains("id=\"breaking-form\"");
    let text = "সংসদ ভেঙে দেওয়া হয়েছে, নতুন নির্বাচন ৯০ দিনের মধ্যে";
    let id_text = id.to_string();
    let p = editor
        .post(
            "/newsroom/breaking",
            &[
                ("text", text),
                ("story_id", id_text.as_str()),
                ("minutes", "60"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);

    let json = t.get("/breaking.json").await;
    let cache_control = json.headers["cache-control"].to_str().unwrap();
    assert!(
        !cache_control.contains("stale-while-revalidate"),
        "a browser must not show old alerts: {cache_control}"
    );
    let items = live(&t).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["text"], text);
    assert_eq!(items[0]["url"], story.as_str());
    let home = t.get("/").await;
    assert_eq!(x_cache(&home), "miss", "the home page was dropped");
    let drawn = ticker(&home);
    assert!(
        !drawn.contains(" hidden") && drawn.contains(text),
        "{drawn}"
    );
    assert!(drawn.contains(&format!("href=\"{story}\"")));
    // The story page stays cached: its ticker comes from /breaking.json in the browser.
    let page = t.get(&story).await;
    assert_eq!(
        x_cache(&page),
        "hit",
        "a story page is not dropped by an alert"
    );
    page.assert_contains("<script src=\"/static/breaking.js\" defer></script>");
    let js = t.get("/static/breaking.js").await;
    assert_eq!(js.status, StatusCode::OK);
    js.assert_contains("/breaking.json");

    // Taken down.
    let alert = items[0]["id"].as_i64().unwrap();
    editor
        .get("/newsroom/breaking")
        .await
        .assert_contains(&format!("/newsroom/breaking/{alert}/clear"));
    let p = editor
        .post(&format!("/newsroom/breaking/{alert}/clear"), &[])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(live(&t).await.is_empty());
    assert!(!t.get("/").await.body.contains(text));
    let again = editor
        .post(&format!("/newsroom/breaking/{alert}/clear"), &[])
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "not live any more");

    // Run out: the scheduler's pass notes it, and the cached home page goes.
    let short = "ঘূর্ণিঝড় উপকূলে আঘাত হেনেছে";
    let p = editor
        .post(
            "/newsroom/breaking",
            &[("text", short), ("story_id", ""), ("minutes", "15")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert!(t.get("/").await.body.contains(short));
    assert_eq!(x_cache(&t.get("/").await), "hit");
    sqlx::query("UPDATE breaking SET expires_at = expires_at - 15 * 60")
        .execute(t.app.store().pool())
        .await
        .unwrap();
    let published = khobor::jobs::scheduler::tick(t.app.store(), t.app.state.jobs()).await;
    assert!(published.is_empty());
    let home = t.get("/").await;
    assert!(
        !home.body.contains(short),
        "an alert that ran out is gone from the home page"
    );
    assert!(live(&t).await.is_empty());
    // The audit log names who did what.
    t.add_user("admin@khobor.test", "প্রশাসক", "এডি", "admin")
        .await;
    let audit = t
        .login("admin@khobor.test")
        .await
        .get("/newsroom/audit")
        .await;
    audit.assert_contains("data-action=\"breaking.add\"");
    audit.assert_contains("data-action=\"breaking.clear\"");
}

#[tokio::test]
async fn contributors_and_bad_alerts_are_refused_and_nothing_is_shown() {
    let t = newsroom().await;
    let reporter = t.login("reporter@khobor.test").await;
    assert_eq!(
        reporter.get("/newsroom/breaking").await.status,
        StatusCode::FORBIDDEN
    );
    let p = reporter
        .post("/newsroom/breaking", &[("text", "গুজব"), ("minutes", "60")])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let editor = t.login("editor@khobor.test").await;
    let draft = editor
        .write_story("খসড়া খবর", "<p>লেখা চলছে।</p>", &[])
        .await
        .to_string();
    let long = "ক".repeat(201);
    for (fields, expect) in [
        (vec![("text", "  "), ("minutes", "60")], "লাইনটি লিখুন"),
        (
            vec![("text", long.as_str()), ("minutes", "60")],
            "২০০ অক্ষরের বেশি",
        ),
        (
            vec![("text", "ব্রেকিং"), ("minutes", "99999")],
            "এক দিনের মধ্যে",
        ),
        (
            vec![("text", "ব্রেকিং"), ("minutes", "60"), ("story_id", "abc")],
            "একটি সংখ্যা",
        ),
        (
            vec![
                ("text", "ব্রেকিং"),
                ("minutes", "60"),
                ("story_id", draft.as_str()),
            ],
            "প্রকাশিত খবর নেই",
        ),
    ] {
        let p = editor.post("/newsroom/breaking", &fields).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        p.assert_contains(expect);
        p.assert_contains("id=\"breaking-error\"");
    }
    let p = editor
        .post_raw(
            "/newsroom/breaking",
            &[("text", "ব্রেকিং"), ("minutes", "60")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "no CSRF token");
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM breaking")
        .fetch_one(t.app.store().pool())
        .await
        .unwrap();
    assert_eq!(n, 0);
    assert!(live(&t).await.is_empty());
}

#[tokio::test]
async fn an_alert_put_up_on_one_node_is_served_by_another() {
    let a = TestApp::on_postgres().await;
    a.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    let (b_app, _b_dir) = a.another_node().await;
    let b = Served::start(b_app).await;
    let get = |path: &'static str| {
        let base = b.base.clone();
        async move {
            reqwest::get(format!("{base}{path}"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    // Node B has the home page and the JSON cached without an alert.
    assert!(!get("/breaking.json").await.contains("ঢাকায়"));
    get("/").await;
    let editor = a.login("editor@khobor.test").await;
    let text = "ঢাকায় ভূমিকম্প, মাত্রা ৫.৮";
    let p = editor
        .post("/newsroom/breaking", &[("text", text), ("minutes", "30")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    eventually("node B serves the alert", || async {
        get("/breaking.json").await.contains(text) && get("/").await.contains(text)
    })
    .await;
    b.stop().await;
}
