//! Corrections and updates on published stories: an editor adds one from the newsroom, the
//! story page shows it with its time (and the cached page goes at once), JSON-LD carries it as
//! a CorrectionComment with the new dateModified, the Atom feed's entry is updated, and
//! /corrections lists it; contributors, unpublished stories and bad notes are refused with a
//! clear message and nothing stored changes.

use axum::http::StatusCode;
use serde_json::Value;

use crate::helpers::*;

const NOTE: &str = "আগের সংস্করণে নিহতের সংখ্যা ৫ লেখা হয়েছিল; সঠিক সংখ্যা ৭।";

async fn newsroom() -> TestApp {
    let t = TestApp::new().await;
    t.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    t.add_user("reporter@khobor.test", "সাইফুল ইসলাম", "এসআই", "contributor")
        .await;
    t
}

/// A story written and published by `desk` through the editor; (id, public path).
async fn published(desk: &Desk<'_>, headline: &str) -> (i64, String) {
    let id = desk
        .write_story(
            headline,
            "<p>লঞ্চডুবির ঘটনায় উদ্ধারকাজ চলছে।</p>",
            &[("action", "publish")],
        )
        .await;
    let slug: String = sqlx::query_scalar(
        "SELECT s.slug FROM articles a JOIN sections s ON s.id = a.section_id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_one(desk.app.app.store().pool())
    .await
    .unwrap();
    let path = khobor::domain::urls::article(&slug, id);
    (id, path)
}

fn json_ld(page: &Page) -> Value {
    let start = page
        .body
        .find("<script type=\"application/ld+json\">")
        .expect("JSON-LD on the page")
        + "<script type=\"application/ld+json\">".len();
    let rest = &page.body[start..];
    serde_json::from_str(&rest[..rest.find("</script>").unwrap()]).expect("JSON-LD parses")
}

async fn count(t: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM corrections")
        .fetch_one(t.app.store().pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_editors_correction_shows_on_the_story_its_json_ld_its_feed_and_corrections() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let (id, path) = published(&editor, "মেঘনায় লঞ্চডুবি").await;
    // Published an hour ago (so that a change now shows in times kept to the second).
    sqlx::query(
        "UPDATE articles SET published_at = published_at - 3600, updated_at = updated_at - 3600 \
         WHERE id = $1",
    )
    .bind(id)
    .execute(t.app.store().pool())
    .await
    .unwrap();
    // Cached before the correction.
    assert_eq!(t.get(&path).await.status, StatusCode::OK);
    let before = t.get(&path).await;
    assert!(!before.body.contains(NOTE));
    let atom_before = t.get("/atom.xml").await.body;

    let editor_page = editor.get(&format!("/newsroom/stories/{id}")).await;
    editor_page.assert_contains("id=\"correction-form\"");
    let done = editor
        .post(
            &format!("/newsroom/stories/{id}/corrections"),
            &[("kind", "correction"), ("note", NOTE)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        done.location(),
        format!("/newsroom/stories/{id}?done=correction#corrections")
    );
    assert_eq!(count(&t).await, 1);

    // The story page, at once (its cached copy is gone).
    let page = t.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains(NOTE);
    page.assert_contains("সংশোধনী:");
    let ld = json_ld(&page);
    let comments = ld["correction"].as_array().expect("correction in JSON-LD");
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0]["@type"], "CorrectionComment");
    assert_eq!(comments[0]["text"], format!("সংশোধনী: {NOTE}"));
    assert_eq!(ld["dateModified"], comments[0]["datePublished"]);
    assert_ne!(ld["dateModified"], ld["datePublished"]);

    // An update after it: newest first.
    let update = "উদ্ধারকাজ শেষ হয়েছে; নিখোঁজ আরও দুজনের মরদেহ পাওয়া গেছে।";
    let done = editor
        .post(
            &format!("/newsroom/stories/{id}/corrections"),
            &[("kind", "update"), ("note", update)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = t.get(&path).await;
    let first = page.body.find(update).expect("the update is shown");
    let second = page.body.find(NOTE).expect("the correction is still shown");
    assert!(first < second, "newest first");
    page.assert_contains("হালনাগাদ:");

    // The feed entry is updated.
    let updated = |atom: &str| {
        let entry = &atom[atom.find("<entry>").unwrap()..];
        entry[entry.find("<updated>").unwrap()..entry.find("</updated>").unwrap()].to_owned()
    };
    let atom = t.get("/atom.xml").await.body;
    assert_ne!(updated(&atom), updated(&atom_before));

    // /corrections lists both, linking to the story.
    let list = t.get("/corrections").await;
    assert_eq!(list.status, StatusCode::OK);
    list.assert_contains(NOTE);
    list.assert_contains(update);
    assert!(
        list.links().iter().any(|l| l == &path),
        "{:?}",
        list.links()
    );
    // Every page's footer leads there.
    assert!(t.get("/").await.links().iter().any(|l| l == "/corrections"));
    // The audit log names it.
    t.add_user("admin@khobor.test", "প্রশাসক", "এডি", "admin")
        .await;
    t.login("admin@khobor.test")
        .await
        .get("/newsroom/audit")
        .await
        .assert_contains("data-action=\"story.correction\"");
}

#[tokio::test]
async fn contributors_unpublished_stories_and_bad_notes_are_refused() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let (id, path) = published(&editor, "নদীভাঙনে বিলীন স্কুল").await;
    let url = format!("/newsroom/stories/{id}/corrections");

    let reporter = t.login("reporter@khobor.test").await;
    let p = reporter
        .post(&url, &[("kind", "correction"), ("note", NOTE)])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);

    for (kind, note, expect) in [
        ("correction", "   ", "এক লাইনে লিখুন"),
        ("correction", "\u{200B}", "এক লাইনে লিখুন"),
        ("retraction", NOTE, "বেছে নিন"),
    ] {
        let p = editor.post(&url, &[("kind", kind), ("note", note)]).await;
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind} {note:?}"
        );
        p.assert_contains(expect);
        p.assert_contains("id=\"correction-error\"");
    }
    let long = "ক".repeat(501);
    let p = editor
        .post(&url, &[("kind", "update"), ("note", long.as_str())])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    p.assert_contains("৫০০ অক্ষরের বেশি");
    // Without the form's CSRF token, nothing happens.
    let p = editor
        .post_raw(&url, &[("kind", "correction"), ("note", NOTE)])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(count(&t).await, 0);

    // Unpublished: no notes (nothing for readers to see them on).
    let version = editor.version_of(id).await;
    let p = editor
        .post(
            &format!("/newsroom/stories/{id}"),
            &[
                ("headline", "নদীভাঙনে বিলীন স্কুল"),
                ("body", "<p>লঞ্চডুবির ঘটনায় উদ্ধারকাজ চলছে।</p>"),
                ("section_id", "1"),
                ("version", version.as_str()),
                ("action", "unpublish"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(t.get(&path).await.status, StatusCode::NOT_FOUND);
    let p = editor
        .post(&url, &[("kind", "correction"), ("note", NOTE)])
        .await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert_eq!(count(&t).await, 0);
    let list = t.get("/corrections").await;
    assert_eq!(list.status, StatusCode::OK);
    list.assert_contains("এখনো কোনো সংশোধনী");
    // A cursor that is not one is a wrong address.
    assert_eq!(
        t.get("/corrections?before=garbage").await.status,
        StatusCode::NOT_FOUND
    );
}
