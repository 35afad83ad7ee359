//! Agency wires: admins add sources (RSS, Atom, JSON Feed, ninjs), polling fills the ওয়্যার
//! queue — conditional GETs, items deduplicated by id and by their words, an agency's update
//! replacing its item — and a bad source (an HTML page, 10 MB of garbage, no answer, a 500) is
//! recorded with its reason while the others go on. One click makes a draft with the agency
//! in the credit line and the item linked in the story's history; the published story shows
//! "খবর এএফপির". The feeds come from a server the test starts on a loopback port.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use khobor::config::Overrides;
use khobor::jobs::wires::Polled;
use serde_json::json;

use crate::helpers::*;

const RSS_V1: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>AFP বাংলা</title><link>https://afp.example/</link><description>ওয়্যার</description>
<item><guid isPermaLink="false">afp-1</guid><title>জেনেভায় জলবায়ু বৈঠক শুরু</title><link>https://afp.example/1</link>
<pubDate>Mon, 07 Dec 2026 08:00:00 +0600</pubDate><description><![CDATA[<p>জেনেভায় আজ জলবায়ু বৈঠক শুরু হয়েছে।</p><p>দ্বিতীয় অনুচ্ছেদ।</p>]]></description></item>
<item><guid isPermaLink="false">afp-2</guid><title>টোকিওতে ভূমিকম্প</title><link>https://afp.example/2</link>
<pubDate>Mon, 07 Dec 2026 09:00:00 +0600</pubDate><description><![CDATA[<p>টোকিওতে মাঝারি মাত্রার ভূমিকম্প অনুভূত হয়েছে।</p>]]></description></item>
</channel></rss>"#;

/// The same feed later: the first item's text changed; the second re-sent under a new id.
const RSS_V2: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>AFP বাংলা</title><link>https://afp.example/</link><description>ওয়্যার</description>
<item><guid isPermaLink="false">afp-1</guid><title>জেনেভায় জলবায়ু বৈঠক শুরু</title><link>https://afp.example/1</link>
<pubDate>Mon, 07 Dec 2026 08:00:00 +0600</pubDate><description><![CDATA[<p>জেনেভায় আজ জলবায়ু বৈঠক শুরু হয়েছে। ১৯০টি দেশ অংশ নিচ্ছে।</p>]]></description></item>
<item><guid isPermaLink="false">afp-2-resent</guid><title>টোকিওতে ভূমিকম্প</title><link>https://afp.example/2</link>
<pubDate>Mon, 07 Dec 2026 09:00:00 +0600</pubDate><description><![CDATA[<p>টোকিওতে মাঝারি মাত্রার ভূমিকম্প অনুভূত হয়েছে।</p>]]></description></item>
</channel></rss>"#;

const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>বাসস</title><id>urn:bss</id><updated>2026-12-07T04:00:00Z</updated>
<entry><id>urn:bss:77</id><title>পদ্মা সেতুতে যান চলাচল স্বাভাবিক</title><updated>2026-12-07T04:00:00Z</updated>
<content type="html">&lt;p&gt;সকাল থেকে সেতুতে যান চলাচল স্বাভাবিক রয়েছে।&lt;/p&gt;</content></entry></feed>"#;

const NINJS: &str = r#"{"items": [{"uri": "urn:unb:5", "type": "text", "versioncreated": "2026-12-07T05:00:00Z",
 "headlines": [{"value": "চট্টগ্রাম বন্দরে কনটেইনার জট কমেছে", "role": "main"}],
 "bodies": [{"value": "<p>বন্দরে কনটেইনার জট গত সপ্তাহের তুলনায় কমেছে।</p>", "contenttype": "text/html"}]}]}"#;

#[derive(Default)]
struct Fixtures {
    afp: String,
    /// Requests for the AFP feed, and those that carried its ETag back.
    afp_requests: usize,
    afp_conditional: usize,
}

type Shared = Arc<Mutex<Fixtures>>;

async fn afp(State(f): State<Shared>, headers: HeaderMap) -> axum::response::Response {
    let mut f = f.lock().unwrap();
    f.afp_requests += 1;
    let etag = format!("\"{:x}\"", f.afp.len());
    if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        f.afp_conditional += 1;
        return (StatusCode::NOT_MODIFIED, [("etag", etag)]).into_response();
    }
    (
        [
            ("content-type", "application/rss+xml"),
            ("etag", etag.as_str()),
        ],
        f.afp.clone(),
    )
        .into_response()
}

/// The agencies' server, on a free loopback port.
async fn agencies() -> (String, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Fixtures {
        afp: RSS_V1.to_owned(),
        ..Fixtures::default()
    }));
    let app = axum::Router::new()
        .route("/afp.xml", get(afp))
        .route(
            "/bss.atom",
            get(|| async { ([("content-type", "application/atom+xml")], ATOM) }),
        )
        .route(
            "/unb.json",
            get(|| async { ([("content-type", "application/json")], NINJS) }),
        )
        .route(
            "/login",
            get(|| async {
                (
                    [("content-type", "text/html")],
                    "<!DOCTYPE html><html lang=\"en\"><body>Please log in</body></html>",
                )
            }),
        )
        .route("/garbage", get(|| async { vec![0x17u8; 10 * 1024 * 1024] }))
        .route(
            "/broken",
            get(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
        )
        .route("/silent", get(std::future::pending::<&'static str>))
        .with_state(Arc::clone(&shared));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, shared)
}

async fn newsroom() -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("khobor.toml");
    // A source that does not answer is given up on after two seconds (the others answer
    // from loopback well within that, even on a loaded machine).
    std::fs::write(&config, "[wires]\ntimeout_seconds = 2\n").unwrap();
    let t = TestApp::with_settings(Overrides {
        config: Some(config),
        ..Overrides::default()
    })
    .await;
    t.add_user("admin@khobor.test", "নাসরিন হক", "এনএইচ", "admin")
        .await;
    t.add_user("reporter@khobor.test", "সাইফুল ইসলাম", "এসআই", "contributor")
        .await;
    (t, dir)
}

/// The id of the source whose row names `agency` on the sources page.
fn source_id(page: &Page, agency: &str) -> i64 {
    let row = page
        .body
        .split("<tr data-source=\"")
        .skip(1)
        .find(|row| row.contains(&format!("<td>{agency}</td>")))
        .unwrap_or_else(|| panic!("{agency} is listed"));
    row[..row.find('"').unwrap()].parse().unwrap()
}

/// The ids of the queue's items, in order.
fn queued(page: &Page) -> Vec<i64> {
    page.body
        .split("<li data-wire=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].parse().unwrap())
        .collect()
}

#[tokio::test]
async fn wires_fill_the_queue_and_a_click_makes_a_credited_draft() {
    let (base, fixtures) = agencies().await;
    let (t, _config) = newsroom().await;
    let admin = t.login("admin@khobor.test").await;
    let sources = [
        ("এএফপি", "/afp.xml", "feed"),
        ("বাসস", "/bss.atom", "feed"),
        ("ইউএনবি", "/unb.json", "ninjs"),
        ("লগইন পাতা", "/login", "feed"),
        ("আবর্জনা", "/garbage", "feed"),
        ("ভাঙা", "/broken", "feed"),
        ("নীরব", "/silent", "feed"),
    ];
    for (agency, path, format) in sources {
        let added = admin
            .post(
                "/newsroom/wires/sources",
                &[
                    ("agency", agency),
                    ("url", &format!("{base}{path}")),
                    ("format", format),
                    ("minutes", "5"),
                ],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    }
    let page = admin.get("/newsroom/wires/sources").await;
    let id = |agency: &str| source_id(&page, agency);

    // Everything from outside is checked; a bad source is refused with the reason.
    let refused = admin
        .post(
            "/newsroom/wires/sources",
            &[
                ("agency", ""),
                ("url", "ftp://x.example/"),
                ("format", "rss9"),
                ("minutes", "0"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("সংস্থার নাম দিন");
    refused.assert_contains("http:// বা https://");
    assert_eq!(
        t.app.store().wire_sources().await.unwrap().len(),
        sources.len()
    );

    let polled: std::collections::HashMap<i64, Polled> =
        t.app.poll_wires_now().await.unwrap().into_iter().collect();
    let read = |agency: &str| match &polled[&id(agency)] {
        Polled::Read { new, .. } => *new,
        other => panic!("{agency}: {other:?}"),
    };
    assert_eq!(read("এএফপি"), 2);
    assert_eq!(read("বাসস"), 1);
    assert_eq!(read("ইউএনবি"), 1);
    let failed = |agency: &str| match &polled[&id(agency)] {
        Polled::Failed(reason) => reason.clone(),
        other => panic!("{agency}: {other:?}"),
    };
    assert!(failed("লগইন পাতা").contains("HTML পাতা পাঠিয়েছে"));
    assert!(failed("আবর্জনা").contains("5 MB-এর বেশি"));
    assert!(failed("ভাঙা").contains("HTTP 500"));
    assert!(failed("নীরব").contains("সময়মতো উত্তর দেয়নি"));
    // The reasons are on the sources page, for the admin to act on.
    let page = admin.get("/newsroom/wires/sources").await;
    page.assert_contains("উৎস ফিড নয়, একটি HTML পাতা পাঠিয়েছে");
    page.assert_contains("উৎস সময়মতো উত্তর দেয়নি");

    // The queue: newest first, every agency, filterable and searchable.
    let queue = admin.get("/newsroom/wires").await;
    assert_eq!(queue.status, StatusCode::OK);
    let all = queued(&queue);
    assert_eq!(all.len(), 4);
    let mut order = Vec::new();
    for id in &all {
        order.push(
            t.app
                .store()
                .wire_item(*id)
                .await
                .unwrap()
                .unwrap()
                .headline,
        );
    }
    assert_eq!(
        order,
        [
            "চট্টগ্রাম বন্দরে কনটেইনার জট কমেছে",
            "পদ্মা সেতুতে যান চলাচল স্বাভাবিক",
            "টোকিওতে ভূমিকম্প",
            "জেনেভায় জলবায়ু বৈঠক শুরু",
        ]
    );
    let afp_only = admin
        .get(&format!("/newsroom/wires?source={}", id("এএফপি")))
        .await;
    assert_eq!(queued(&afp_only).len(), 2);
    let search = admin.get("/newsroom/wires?q=%E0%A6%AD%E0%A7%82%E0%A6%AE%E0%A6%BF%E0%A6%95%E0%A6%AE%E0%A7%8D%E0%A6%AA").await;
    assert_eq!(queued(&search).len(), 1, "searching ভূমিকম্প");

    // The next poll asks conditionally: AFP answers 304 and nothing is queued twice.
    let again: std::collections::HashMap<i64, Polled> =
        t.app.poll_wires_now().await.unwrap().into_iter().collect();
    assert_eq!(again[&id("এএফপি")], Polled::NotModified);
    assert!(matches!(
        again[&id("বাসস")],
        Polled::Read {
            new: 0,
            unchanged: 1,
            ..
        }
    ));
    assert_eq!(fixtures.lock().unwrap().afp_conditional, 1);
    assert_eq!(queued(&admin.get("/newsroom/wires").await).len(), 4);

    // AFP updates its first item and re-sends the second under a new id.
    fixtures.lock().unwrap().afp = RSS_V2.to_owned();
    let third: std::collections::HashMap<i64, Polled> =
        t.app.poll_wires_now().await.unwrap().into_iter().collect();
    assert!(
        matches!(
            third[&id("এএফপি")],
            Polled::Read {
                new: 0,
                updated: 1,
                unchanged: 1,
                ..
            }
        ),
        "{:?}",
        third[&id("এএফপি")]
    );
    let queue = admin.get("/newsroom/wires").await;
    assert_eq!(queued(&queue).len(), 4);
    queue.assert_contains("হালনাগাদ এসেছে");

    // One click: a draft with the text and the agency as its credit, linked in its history.
    let geneva = *all.last().unwrap();
    let item = admin.get(&format!("/newsroom/wires/{geneva}")).await;
    item.assert_contains("১৯০টি দেশ অংশ নিচ্ছে");
    let section = t.app.store().sections().await.unwrap()[0].id.to_string();
    let reporter = t.login("reporter@khobor.test").await;
    let made = reporter
        .post(
            &format!("/newsroom/wires/{geneva}/draft"),
            &[("section_id", &section)],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let story = story_id(made.location());
    let editor = reporter.get(&format!("/newsroom/stories/{story}")).await;
    editor.assert_contains("জেনেভায় জলবায়ু বৈঠক শুরু");
    editor.assert_contains("value=\"এএফপি\"");
    let history = reporter
        .get(&format!("/newsroom/stories/{story}/revisions"))
        .await;
    history.assert_contains("ওয়্যার থেকে খসড়া");
    history.assert_contains(&format!("href=\"/newsroom/wires/{geneva}\""));
    // A second click goes to the same draft.
    let again = admin
        .post(
            &format!("/newsroom/wires/{geneva}/draft"),
            &[("section_id", &section)],
        )
        .await;
    assert_eq!(story_id(again.location()), story);
    admin
        .get("/newsroom/wires")
        .await
        .assert_contains(&format!("href=\"/newsroom/stories/{story}\""));

    // Published, the story credits the agency.
    let moved = admin
        .api(
            "POST",
            &format!("/api/v1/admin/articles/{story}/transitions"),
            Some(json!({"action": "publish"})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    let public = t
        .get(&site_path(
            moved.json()["article"]["url"]
                .as_str()
                .expect("the story's URL"),
        ))
        .await;
    assert_eq!(public.status, StatusCode::OK);
    public.assert_contains("এএফপির");
}

#[tokio::test]
async fn only_admins_manage_sources_and_every_form_needs_its_token() {
    let (base, _fixtures) = agencies().await;
    let (t, _config) = newsroom().await;
    let reporter = t.login("reporter@khobor.test").await;
    assert_eq!(
        reporter.get("/newsroom/wires/sources").await.status,
        StatusCode::FORBIDDEN
    );
    let url = format!("{base}/afp.xml");
    let fields = [
        ("agency", "এএফপি"),
        ("url", url.as_str()),
        ("format", "feed"),
        ("minutes", "5"),
    ];
    assert_eq!(
        reporter
            .post("/newsroom/wires/sources", &fields)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Reporters may read the queue and draft from it.
    assert_eq!(reporter.get("/newsroom/wires").await.status, StatusCode::OK);
    let admin = t.login("admin@khobor.test").await;
    let forged = admin.post_raw("/newsroom/wires/sources", &fields).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(t.app.store().wire_sources().await.unwrap().is_empty());
    assert_eq!(
        admin.post("/newsroom/wires/sources", &fields).await.status,
        StatusCode::SEE_OTHER
    );
    let id = t.app.store().wire_sources().await.unwrap()[0].id;
    // Paused, a source is not polled; deleted, its items go with it.
    let paused = admin
        .post(
            &format!("/newsroom/wires/sources/{id}/active"),
            &[("active", "0")],
        )
        .await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER);
    assert!(t.app.poll_wires_now().await.unwrap().is_empty());
    admin
        .post(
            &format!("/newsroom/wires/sources/{id}/active"),
            &[("active", "1")],
        )
        .await;
    assert_eq!(t.app.poll_wires_now().await.unwrap().len(), 1);
    assert_eq!(queued(&admin.get("/newsroom/wires").await).len(), 2);
    let deleted = admin
        .post(&format!("/newsroom/wires/sources/{id}/delete"), &[])
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(queued(&admin.get("/newsroom/wires").await).is_empty());
    let audit = admin.get("/newsroom/audit").await;
    audit.assert_contains("wire.source.add");
    audit.assert_contains("wire.source.pause");
    audit.assert_contains("wire.source.delete");
}
