//! `khobor export`: a site's published stories and their images written through the function
//! the CLI calls, imported into an empty store through the JSONL import the CLI runs, and the
//! new site compared with the old through its router — every story at the same URL with the
//! same words, section, tags and authors, every image byte for byte.

use axum::http::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use khobor::domain::bijoy::BijoyMode;
use khobor::import::export::{export_site, ExportError};
use khobor::import::{import_jsonl_file_with, ImportReport};
use khobor::media_store::MediaStore;

use crate::helpers::*;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Dhaka;

/// A published story made through the admin API; its id.
async fn publish(desk: &Desk<'_>, story: Value) -> i64 {
    desk.api_publish(story).await
}

/// The library image just uploaded by `desk`: its id and site path.
async fn upload(
    t: &TestApp,
    desk: &Desk<'_>,
    name: &str,
    bytes: &[u8],
    alt: &str,
) -> (i64, String) {
    let page = desk.upload(name, bytes, alt).await;
    assert!(
        page.status.is_redirection() || page.status.is_success(),
        "{}: {}",
        page.status,
        page.body
    );
    let m = t.app.store().media_list(None, 1).await.unwrap().remove(0);
    assert_eq!(m.alt, alt);
    (m.id, m.path)
}

/// A site with stories from the newsroom (a featured image with its caption and credit, an
/// image in the body, tags and bylines) and from an import (a section of its own, a tag
/// renamed after its slug was made), plus a draft that stays behind.
async fn site() -> TestApp {
    let t = TestApp::new().await;
    t.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    let desk = t.login("editor@khobor.test").await;
    let (hero, _) = upload(&t, &desk, "hero.jpg", &jpeg(320, 200), "নদীর পাড়ে নৌকা").await;
    let (_, inline) = upload(&t, &desk, "inline.jpg", &jpeg(200, 160), "বাঁধের ছবি").await;
    publish(
        &desk,
        json!({
            "headline": "পদ্মার ভাঙনে দুই গ্রাম নদীতে",
            "kicker": "শরীয়তপুর",
            "summary": "এক সপ্তাহে দুই শতাধিক ঘর নদীতে গেছে।",
            "section": "national",
            "body_html": format!("<p>ভাঙন চলছেই। বাঁধের কাজ শুরু হয়নি।</p><figure><img src=\"{inline}\" alt=\"বাঁধের ছবি\"><figcaption>অসমাপ্ত বাঁধ</figcaption></figure><p>গ্রামবাসী আশ্রয়কেন্দ্রে।</p>"),
            "tags": ["পদ্মা", "নদীভাঙন"],
            "places": ["শরীয়তপুর", "কালীগঞ্জ (গাজীপুর)"],
            "authors": ["নিজস্ব প্রতিবেদক"],
            "credit": "নিজস্ব প্রতিবেদক",
            "dateline": "শরীয়তপুর",
            "hero_media_id": hero,
            "hero_caption": "ভাঙনের মুখে নৌকা",
            "hero_credit": "খবর আলোকচিত্র",
        }),
    )
    .await;
    publish(
        &desk,
        json!({
            "headline": "টি-টোয়েন্টি সিরিজে বাংলাদেশের জয়",
            "section": "sports",
            "body_html": "<p>শেষ ওভারে জয় এসেছে। অধিনায়ক খুশি।</p>",
            "tags": ["ক্রিকেট", "পদ্মা"],
            "authors": ["ক্রীড়া প্রতিবেদক", "নিজস্ব প্রতিবেদক"],
            "hero_media_id": hero,
        }),
    )
    .await;
    let draft = desk
        .api(
            "POST",
            "/api/v1/admin/articles",
            Some(json!({"headline": "এখনো খসড়া", "section": "national", "body_html": "<p>খসড়া লেখা।</p>"})),
        )
        .await;
    assert_eq!(draft.status, StatusCode::CREATED, "{}", draft.body);

    let report = t
        .import(&[
            json!({"id": "wire-9", "title": "মহাকাশে নতুন উপগ্রহ", "body": "উৎক্ষেপণ সফল হয়েছে।\n\nবিজ্ঞানীরা খুশি।",
                   "category": "মহাকাশ", "published": "2025-03-01T10:00:00+06:00", "tags": "উপগ্রহ, বিজ্ঞান",
                   "author": "বিজ্ঞান ডেস্ক", "source": "বাসস", "url": "https://example.test/a/9"}),
            json!({"id": "wire-10", "title": "চাঁদে পানি", "body": "নতুন প্রমাণ মিলেছে।", "category": "মহাকাশ",
                   "published": "2025-03-02T10:00:00+06:00", "tags": ["উপগ্রহ"]}),
        ])
        .await;
    assert_eq!(report.inserted, 2, "{:?}", report.skipped);
    // A renamed tag keeps its slug: the export must carry it, not make a new one.
    let api = t.api_article("wire-9").await;
    let slug = api["tags"][0]["slug"].as_str().unwrap().to_owned();
    let tag = t.app.store().tag_by_slug(&slug).await.unwrap().unwrap();
    assert!(t
        .app
        .store()
        .rename_label("tag", tag.id, "কৃত্রিম উপগ্রহ")
        .await
        .unwrap());
    t
}

fn media_of(t: &TestApp) -> MediaStore {
    MediaStore::open(&t.media()).unwrap()
}

async fn import_export(t: &TestApp, out: &std::path::Path) -> ImportReport {
    import_jsonl_file_with(
        t.app.store(),
        &out.join("stories.jsonl"),
        TZ,
        BijoyMode::Auto,
        false,
        Some(&media_of(t)),
    )
    .await
    .expect("import runs")
}

/// Every published story as the API lists it (at most 100), newest first.
async fn listed(t: &TestApp) -> Vec<Value> {
    t.get("/api/v1/articles?limit=100").await.json()["articles"]
        .as_array()
        .unwrap()
        .clone()
}

/// A story's API record without what an import may set anew (its import id, its update time).
fn comparable(mut a: Value) -> Value {
    let o = a.as_object_mut().unwrap();
    o.remove("external_id");
    o.remove("updated_at");
    a
}

async fn sha256_of(t: &TestApp, path: &str) -> String {
    let (status, _, bytes) = t.raw(path, &[]).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    hex::encode(Sha256::digest(&bytes))
}

#[tokio::test]
async fn an_export_imported_into_an_empty_store_gives_back_the_site() {
    let old = site().await;
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("export");
    let report = export_site(old.app.store(), &media_of(&old), &out_dir)
        .await
        .expect("export runs");
    assert_eq!(report.stories, 4);
    assert_eq!(report.images, 2);

    let new = TestApp::new().await;
    let imported = import_export(&new, &out_dir).await;
    assert_eq!(imported.inserted, 4, "{:?}", imported.skipped);
    assert!(imported.skipped.is_empty(), "{:?}", imported.skipped);

    let before = listed(&old).await;
    let after = listed(&new).await;
    assert_eq!(before.len(), 4, "the draft is not published");
    assert_eq!(
        before.into_iter().map(comparable).collect::<Vec<_>>(),
        after.into_iter().map(comparable).collect::<Vec<_>>(),
        "every story, its URL, words, section, tags, authors and time"
    );

    let mut with_places = 0;
    for story in listed(&old).await {
        let path = site_path(story["url"].as_str().unwrap());
        let page = new.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        page.assert_contains(story["headline"].as_str().unwrap());
        let id = story["id"].as_i64().unwrap();
        let (a, b) = (
            old.app
                .store()
                .published_article(id)
                .await
                .unwrap()
                .unwrap(),
            new.app
                .store()
                .published_article(id)
                .await
                .unwrap()
                .unwrap(),
        );
        assert_eq!(
            (&a.hero_url, &a.hero_caption, &a.hero_credit),
            (&b.hero_url, &b.hero_caption, &b.hero_credit)
        );
        assert_eq!(
            old.app.store().hero_media_paths(&[id]).await.unwrap(),
            new.app.store().hero_media_paths(&[id]).await.unwrap(),
            "story {id}'s featured image"
        );
        let places = |t: &TestApp| {
            let store = t.app.store().clone();
            async move {
                store
                    .article_places(id)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|(p, _)| p.path)
                    .collect::<Vec<_>>()
            }
        };
        let (was, is) = (places(&old).await, places(&new).await);
        assert_eq!(was, is, "story {id}'s places");
        with_places += usize::from(!was.is_empty());
        for label in story["tags"]
            .as_array()
            .unwrap()
            .iter()
            .chain(story["authors"].as_array().unwrap())
            .chain(std::iter::once(&story["section"]))
        {
            let path = site_path(label["url"].as_str().unwrap());
            let page = new.get(&path).await;
            assert_eq!(page.status, StatusCode::OK, "{path}");
            page.assert_contains(label["name"].as_str().unwrap());
        }
    }
    assert_eq!(with_places, 1, "the story with places kept them");
    let renamed = new.get("/api/v1/articles?limit=100").await.body;
    assert!(renamed.contains("কৃত্রিম উপগ্রহ"), "the renamed tag's name");

    // Every image, byte for byte, with the library's words for it.
    let old_media = old.app.store().media_list(None, 100).await.unwrap();
    let new_media = new.app.store().media_list(None, 100).await.unwrap();
    assert_eq!(old_media.len(), 2);
    assert_eq!(new_media.len(), 2);
    for m in &old_media {
        let copy = new_media
            .iter()
            .find(|n| n.path == m.path)
            .unwrap_or_else(|| panic!("{} not in the new library", m.path));
        assert_eq!(
            (&copy.alt, &copy.caption, &copy.credit, copy.bytes),
            (&m.alt, &m.caption, &m.credit, m.bytes)
        );
        assert_eq!(
            sha256_of(&old, &m.path).await,
            sha256_of(&new, &m.path).await
        );
        let file = std::fs::read(
            out_dir
                .join("media")
                .join(m.path.trim_start_matches("/media/")),
        )
        .unwrap();
        assert_eq!(
            hex::encode(Sha256::digest(&file)),
            sha256_of(&old, &m.path).await
        );
    }

    // The newsroom of the new site goes on numbering after the imported stories.
    new.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    let desk = new.login("editor@khobor.test").await;
    let next = publish(
        &desk,
        json!({"headline": "নতুন সাইটের প্রথম খবর", "section": "national", "body_html": "<p>লেখা।</p>"}),
    )
    .await;
    let highest = listed(&old)
        .await
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .max()
        .unwrap();
    assert!(next > highest, "{next} after {highest}");
}

#[tokio::test]
async fn an_export_imported_twice_adds_nothing_the_second_time() {
    let old = site().await;
    let out = tempfile::tempdir().unwrap();
    export_site(old.app.store(), &media_of(&old), out.path())
        .await
        .expect("export runs into an empty directory");

    let new = TestApp::new().await;
    let first = import_export(&new, out.path()).await;
    assert_eq!(first.inserted, 4, "{:?}", first.skipped);
    let stories = listed(&new).await;
    let media = new.app.store().media_list(None, 100).await.unwrap().len();

    let second = import_export(&new, out.path()).await;
    assert_eq!(
        (second.inserted, second.updated, second.unchanged),
        (0, 0, 4),
        "{:?}",
        second.skipped
    );
    assert!(second.skipped.is_empty(), "{:?}", second.skipped);
    assert_eq!(
        listed(&new).await,
        stories,
        "nothing changed, not even a time"
    );
    assert_eq!(
        new.app.store().media_list(None, 100).await.unwrap().len(),
        media
    );
}

#[tokio::test]
async fn export_refuses_a_directory_that_holds_anything() {
    let old = site().await;
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("notes.txt"), "আগের ফাইল").unwrap();
    let err = export_site(old.app.store(), &media_of(&old), out.path())
        .await
        .unwrap_err();
    assert!(matches!(err, ExportError::NotEmpty(_)), "{err}");
    assert!(err.to_string().contains("is not empty"), "{err}");
    let left: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "nothing written beside what was there");
    assert_eq!(
        std::fs::read_to_string(out.path().join("notes.txt")).unwrap(),
        "আগের ফাইল"
    );
}

#[tokio::test]
async fn an_image_that_is_not_what_its_name_says_is_refused_with_its_story_only() {
    let old = site().await;
    let out = tempfile::tempdir().unwrap();
    export_site(old.app.store(), &media_of(&old), out.path())
        .await
        .unwrap();
    // Swap one exported image's bytes for another picture.
    let names: Vec<String> = std::fs::read_dir(out.path().join("media"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    std::fs::write(out.path().join("media").join(&names[0]), jpeg(64, 64)).unwrap();

    let new = TestApp::new().await;
    let report = import_export(&new, out.path()).await;
    assert!(!report.skipped.is_empty());
    for s in &report.skipped {
        assert!(
            s.message.contains(&names[0]) && s.message.contains("does not hold the image"),
            "{s:?}"
        );
    }
    assert_eq!(report.inserted + report.skipped.len(), 4);
    assert!(new
        .app
        .store()
        .media_list(None, 100)
        .await
        .unwrap()
        .iter()
        .all(|m| !m.path.ends_with(&names[0])));
}
