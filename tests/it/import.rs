//! JSON Lines import, through the same functions the CLI calls: counts, idempotent re-runs,
//! updates in place, bad lines reported by number, gzip, broken files, body sanitising,
//! kicker lines, new sections and NFC normalisation.

use std::io::Write;
use std::path::{Path, PathBuf};

use axum::http::StatusCode;
use serde_json::{json, Value};
use unicode_normalization::UnicodeNormalization;

use khobor::domain::bijoy::BijoyMode;
use khobor::import::{import_jsonl_file, ImportError, ImportReport};

use crate::helpers::{names, site_path, stories, wire_story, TestApp};

const TZ: chrono_tz::Tz = chrono_tz::Asia::Dhaka;

fn jsonl(stories: &[Value]) -> String {
    stories.iter().map(|s| format!("{s}\n")).collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

async fn import_file(t: &TestApp, path: &Path) -> Result<ImportReport, ImportError> {
    import_jsonl_file(t.app.store(), path, TZ, BijoyMode::Auto, false).await
}

async fn total(t: &TestApp) -> i64 {
    t.get("/api/v1/articles").await.json()["total"]
        .as_i64()
        .unwrap()
}

/// Every stored record as the API gives it, newest first (at most 100).
async fn all_articles(t: &TestApp) -> Vec<Value> {
    t.get("/api/v1/articles?limit=100").await.json()["articles"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_first_import_inserts_every_story() {
    let t = TestApp::new().await;
    let mut batch = vec![wire_story()];
    batch.extend(stories("খেলা", 1, 9));
    let report = t.import(&batch).await;
    assert_eq!(report.inserted, 10);
    assert_eq!(report.updated, 0);
    assert_eq!(report.unchanged, 0);
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(total(&t).await, 10);
}

#[tokio::test]
async fn reimporting_the_same_stories_changes_nothing() {
    let t = TestApp::new().await;
    let mut batch = vec![wire_story()];
    batch.extend(stories("রাজনীতি", 1, 5));
    t.import(&batch).await;
    let before = all_articles(&t).await;

    let again = t.import(&batch).await;
    assert_eq!(again.inserted, 0);
    assert_eq!(again.updated, 0);
    assert_eq!(again.unchanged, 6);
    assert!(again.skipped.is_empty());
    assert_eq!(total(&t).await, 6);
    // Every field, updated_at included, is exactly as it was.
    assert_eq!(all_articles(&t).await, before);
    assert_eq!(
        t.api_article("wire-summit").await["updated_at"],
        "2019-04-25T10:00:00+06:00"
    );
}

#[tokio::test]
async fn reimporting_the_same_file_changes_nothing() {
    let t = TestApp::new().await;
    let path = write(
        t.dir.path(),
        "stories.jsonl",
        jsonl(&stories("খেলা", 1, 4)).as_bytes(),
    );
    let first = import_file(&t, &path).await.unwrap();
    assert_eq!(first.inserted, 4);
    let before = all_articles(&t).await;
    let second = import_file(&t, &path).await.unwrap();
    assert_eq!(
        (second.inserted, second.updated, second.unchanged),
        (0, 0, 4)
    );
    assert_eq!(all_articles(&t).await, before);
}

#[tokio::test]
async fn changing_one_body_updates_that_story_in_place() {
    let t = TestApp::new().await;
    let mut batch = stories("খেলা", 1, 3);
    batch.push(wire_story());
    t.import(&batch).await;
    let before = t.api_article("wire-summit").await;
    let path = t.path_of("wire-summit").await;

    let new_body =
        "বৈঠক শেষে দুই নেতা একটি যৌথ বিবৃতি দিয়েছেন।\n\nবিবৃতিতে সীমান্তে শান্তি বজায় রাখার অঙ্গীকার করা হয়েছে।";
    batch[3]["body"] = json!(new_body);
    let report = t.import(&batch).await;
    assert_eq!(report.inserted, 0);
    assert_eq!(report.updated, 1);
    assert_eq!(report.unchanged, 3);

    let after = t.api_article("wire-summit").await;
    assert_eq!(after["id"], before["id"]);
    assert_eq!(after["external_id"], "wire-summit");
    assert_eq!(after["url"], before["url"]);
    assert_eq!(after["published_at"], before["published_at"]);
    assert_eq!(after["headline"], before["headline"]);
    let body = after["body_html"].as_str().unwrap();
    assert!(body.contains("যৌথ বিবৃতি"), "{body}");
    assert!(!body.contains("প্রথমবারের মতো"), "{body}");
    assert_ne!(after["updated_at"], before["updated_at"]);
    assert_eq!(total(&t).await, 4);

    assert_eq!(t.path_of("wire-summit").await, path);
    let page = t.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("বিবৃতিতে সীমান্তে শান্তি বজায় রাখার অঙ্গীকার করা হয়েছে।");
    assert!(!page.body.contains("প্রথমবারের মতো শীর্ষ বৈঠকে"));
}

#[tokio::test]
async fn an_update_without_a_published_time_keeps_the_stored_one() {
    let t = TestApp::new().await;
    let mut story = json!({
        "id": "no-time-1",
        "title": "সময় ছাড়া আসা খবর",
        "body": "এই খবরের সঙ্গে প্রকাশের সময় দেওয়া হয়নি।",
        "category": "জাতীয়",
    });
    t.import(std::slice::from_ref(&story)).await;
    let before = t.api_article("no-time-1").await;
    assert!(before["published_at"].is_string());

    story["body"] = json!("সংশোধিত খবর: প্রকাশের সময় এবারও দেওয়া হয়নি।");
    let report = t.import(&[story]).await;
    assert_eq!(report.updated, 1);
    let after = t.api_article("no-time-1").await;
    assert_eq!(after["published_at"], before["published_at"]);
    assert!(after["body_html"].as_str().unwrap().contains("সংশোধিত"));
}

#[tokio::test]
async fn malformed_lines_are_reported_by_number_and_the_rest_imported() {
    let t = TestApp::new().await;
    let good = stories("জাতীয়", 1, 4);
    let lines = [
        good[0].to_string(), // 1
        r#"{"id": "broken-1", "title": "অর্ধেক লেখা"#.to_owned(), // 2: bad JSON
        good[1].to_string(), // 3
        json!({"title": "পরিচয়হীন খবর", "body": "লেখা", "category": "জাতীয়"}).to_string(), // 4: no id
        String::new(),       // 5: blank, ignored
        json!({"id": "empty-title", "title": "  ", "body": "লেখা", "category": "জাতীয়"})
            .to_string(), // 6
        json!({"id": "bad-time", "title": "ভুল সময়", "body": "লেখা", "category": "জাতীয়", "published": "গতকাল সকালে"})
            .to_string(), // 7
        json!({"id": "bad-image", "title": "ছবির খবর", "body": "লেখা", "category": "জাতীয়", "image": "javascript:alert(1)"})
            .to_string(), // 8
        good[2].to_string(), // 9
        json!({"id": "no-body", "title": "শরীরহীন খবর", "category": "জাতীয়"}).to_string(), // 10
        good[3].to_string(), // 11
        json!({"id": "bad-url", "title": "উৎসের খবর", "body": "লেখা", "category": "জাতীয়", "url": "ftp://example.org/x"})
            .to_string(), // 12
        json!({"id": "bad-age", "title": "ভবিষ্যতের খবর", "body": "লেখা", "category": "জাতীয়", "age_minutes": -5})
            .to_string(), // 13
    ];
    let path = write(t.dir.path(), "mixed.jsonl", lines.join("\n").as_bytes());
    let report = import_file(&t, &path).await.unwrap();

    let skipped: Vec<usize> = report.skipped.iter().map(|e| e.line).collect();
    assert_eq!(skipped, [2, 4, 6, 7, 8, 10, 12, 13], "{:?}", report.skipped);
    let why = |line: usize| {
        report
            .skipped
            .iter()
            .find(|e| e.line == line)
            .unwrap()
            .message
            .clone()
    };
    assert!(why(2).contains("JSON"), "{}", why(2));
    assert!(why(4).contains("`id`"), "{}", why(4));
    assert!(why(6).contains("`title`"), "{}", why(6));
    assert!(why(7).contains("`published`"), "{}", why(7));
    assert!(why(8).contains("`image`"), "{}", why(8));
    assert!(why(10).contains("`body`"), "{}", why(10));
    assert!(why(12).contains("`url`"), "{}", why(12));
    assert!(why(13).contains("`age_minutes`"), "{}", why(13));

    assert_eq!(report.inserted, 4);
    assert_eq!(total(&t).await, 4);
    for id in ["story-0001", "story-0002", "story-0003", "story-0004"] {
        t.api_article(id).await;
    }
    let ids: Vec<String> = all_articles(&t)
        .await
        .iter()
        .map(|a| a["external_id"].as_str().unwrap().to_owned())
        .collect();
    for bad in [
        "broken-1",
        "empty-title",
        "bad-time",
        "bad-image",
        "no-body",
        "bad-url",
        "bad-age",
    ] {
        assert!(!ids.iter().any(|i| i == bad), "{bad} was imported");
    }
}

#[tokio::test]
async fn windows_line_endings_and_a_byte_order_mark_are_accepted() {
    let t = TestApp::new().await;
    let text = format!(
        "\u{feff}{}\r\n{}\r\n",
        stories("খেলা", 1, 1)[0],
        wire_story()
    );
    let path = write(t.dir.path(), "windows.jsonl", text.as_bytes());
    let report = import_file(&t, &path).await.unwrap();
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(report.inserted, 2);
    assert_eq!(
        t.api_article("wire-summit").await["dateline"],
        "মস্কো",
        "no stray carriage return"
    );
}

#[tokio::test]
async fn numeric_ids_are_kept_as_external_ids() {
    let t = TestApp::new().await;
    let report = t
        .import(&[json!({
            "id": 20251202,
            "title": "সংখ্যার পরিচয়ে আসা খবর",
            "body": "এই খবরের পরিচয় একটি সংখ্যা।",
            "category": "অর্থনীতি",
        })])
        .await;
    assert_eq!(report.inserted, 1);
    assert_eq!(
        t.api_article("20251202").await["section"]["slug"],
        "economy"
    );
}

#[tokio::test]
async fn gzip_input_imports_the_same_as_plain() {
    let mut batch = vec![wire_story()];
    batch.extend(stories("বিনোদন", 1, 6));
    let text = jsonl(&batch);

    let plain = TestApp::new().await;
    let path = write(plain.dir.path(), "stories.jsonl", text.as_bytes());
    let plain_report = import_file(&plain, &path).await.unwrap();

    let zipped = TestApp::new().await;
    let gz_path = write(
        zipped.dir.path(),
        "stories.jsonl.gz",
        &gzip(text.as_bytes()),
    );
    let gz_report = import_file(&zipped, &gz_path).await.unwrap();

    assert_eq!(plain_report.inserted, 7);
    assert_eq!(gz_report.inserted, 7);
    assert!(gz_report.skipped.is_empty(), "{:?}", gz_report.skipped);
    assert_eq!(all_articles(&zipped).await, all_articles(&plain).await);

    // The same stories, as plain text, are already there.
    let plain_path = write(zipped.dir.path(), "stories.jsonl", text.as_bytes());
    let again = import_file(&zipped, &plain_path).await.unwrap();
    assert_eq!(again.unchanged, 7);
}

#[tokio::test]
async fn a_gzip_file_of_several_members_is_read_to_the_end() {
    let t = TestApp::new().await;
    let mut bytes = gzip(jsonl(&stories("খেলা", 1, 3)).as_bytes());
    bytes.extend(gzip(jsonl(&stories("খেলা", 4, 2)).as_bytes()));
    let path = write(t.dir.path(), "joined.jsonl.gz", &bytes);
    let report = import_file(&t, &path).await.unwrap();
    assert_eq!(report.inserted, 5);
    assert_eq!(total(&t).await, 5);
}

#[tokio::test]
async fn a_corrupt_gzip_file_fails_and_leaves_earlier_imports_intact() {
    let t = TestApp::new().await;
    let first = write(
        t.dir.path(),
        "first.jsonl",
        jsonl(&[wire_story()]).as_bytes(),
    );
    import_file(&t, &first).await.unwrap();
    let before = all_articles(&t).await;
    let path = t.path_of("wire-summit").await;

    // A gzip header followed by bytes that are not a deflate stream.
    let mut corrupt = gzip(jsonl(&stories("খেলা", 1, 20)).as_bytes());
    for b in corrupt.iter_mut().skip(10) {
        *b = 0xff;
    }
    let bad = write(t.dir.path(), "corrupt.jsonl.gz", &corrupt);
    let err = import_file(&t, &bad).await.unwrap_err();
    assert!(matches!(err, ImportError::Read { .. }), "{err}");

    assert_eq!(all_articles(&t).await, before);
    let page = t.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("দুই নেতার প্রথম শীর্ষ বৈঠক");
}

#[tokio::test]
async fn a_truncated_gzip_file_fails_without_half_written_stories() {
    let t = TestApp::new().await;
    let first = write(
        t.dir.path(),
        "first.jsonl",
        jsonl(&[wire_story()]).as_bytes(),
    );
    import_file(&t, &first).await.unwrap();
    let wire_before = t.api_article("wire-summit").await;

    let second = stories("খেলা", 1, 200);
    let full = gzip(jsonl(&second).as_bytes());
    let cut = &full[..full.len() / 2];
    let bad = write(t.dir.path(), "cut.jsonl.gz", cut);
    let err = import_file(&t, &bad).await.unwrap_err();
    assert!(matches!(err, ImportError::Read { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("line"), "{message}");

    // The earlier story is untouched; whatever came in from the broken file came in whole.
    assert_eq!(t.api_article("wire-summit").await, wire_before);
    let stored = all_articles(&t).await;
    let n = total(&t).await;
    assert!((1..=201).contains(&n), "{n}");
    for a in stored.iter().filter(|a| a["external_id"] != "wire-summit") {
        let id = a["external_id"].as_str().unwrap();
        let i: usize = id.trim_start_matches("story-").parse().unwrap();
        assert_eq!(a["headline"], format!("পরীক্ষার খবর নম্বর {i}"));
        assert_eq!(a["body_html"].as_str().unwrap().matches("<p>").count(), 2);
    }
    let page = t.get(&t.path_of("wire-summit").await).await;
    assert_eq!(page.status, StatusCode::OK);
}

#[tokio::test]
async fn a_missing_file_is_an_error_naming_it() {
    let t = TestApp::new().await;
    let path = t.dir.path().join("nowhere.jsonl");
    let err = import_file(&t, &path).await.unwrap_err();
    assert!(matches!(err, ImportError::Open { .. }), "{err}");
    assert!(err.to_string().contains("nowhere.jsonl"), "{err}");
}

#[tokio::test]
async fn html_bodies_are_sanitised_before_they_reach_the_page() {
    let t = TestApp::new().await;
    t.import(&[json!({
        "id": "xss-1",
        "title": "বিপজ্জনক লেখার খবর",
        "body": "<p onclick=\"steal()\">প্রথম অনুচ্ছেদ <strong>জরুরি</strong>।</p>\
                 <script>alert('xss')</script>\
                 <p><a href=\"javascript:alert(2)\">ভুয়া লিংক</a> এবং <a href=\"https://example.org/report\">প্রতিবেদন</a></p>\
                 <img src=\"x\" onerror=\"alert(3)\"><style>body{display:none}</style>\
                 <iframe src=\"https://evil.example/\"></iframe>",
        "category": "জাতীয়",
        "published": "2025-12-01T09:00:00+06:00",
    })])
    .await;
    let stored = t.api_article("xss-1").await;
    let body = stored["body_html"].as_str().unwrap();
    let page = t.get(&t.path_of("xss-1").await).await;
    assert_eq!(page.status, StatusCode::OK);
    for html in [body, page.body.as_str()] {
        for bad in [
            "<script>alert",
            "alert('xss')",
            "onclick",
            "onerror",
            "javascript:",
            "steal()",
            "<iframe",
            "display:none",
        ] {
            assert!(!html.contains(bad), "{bad} survived");
        }
    }
    assert!(body.contains("<strong>জরুরি</strong>"), "{body}");
    assert!(
        body.contains("href=\"https://example.org/report\""),
        "{body}"
    );
    page.assert_contains("<strong>জরুরি</strong>");
    page.assert_contains("ভুয়া লিংক");
}

#[tokio::test]
async fn plain_text_bodies_become_escaped_paragraphs() {
    let t = TestApp::new().await;
    t.import(&[json!({
        "id": "plain-1",
        "title": "দুই অনুচ্ছেদের খবর",
        "body": "ডাল & চালের দাম a<b হলে কী হবে?\n\n  দ্বিতীয়   অনুচ্ছেদ <script>x</script>\n",
        "category": "অর্থনীতি",
    })])
    .await;
    let body = t.api_article("plain-1").await["body_html"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        body,
        "<p>ডাল &amp; চালের দাম a&lt;b হলে কী হবে?</p>\n<p>দ্বিতীয় অনুচ্ছেদ &lt;script&gt;x&lt;/script&gt;</p>\n"
    );
    let page = t.get(&t.path_of("plain-1").await).await;
    page.assert_contains("<p>ডাল &amp; চালের দাম a&lt;b হলে কী হবে?</p>");
    assert!(!page.body.contains("<script>x</script>"));
}

#[tokio::test]
async fn a_title_with_a_newline_becomes_kicker_and_headline() {
    let t = TestApp::new().await;
    t.import(&[json!({
        "id": "kicker-1",
        "title": "বাজেট ২০২৫-২৬\n  করমুক্ত আয়সীমা বাড়ল  ",
        "body": "নতুন বাজেটে করমুক্ত আয়সীমা বাড়ানো হয়েছে।",
        "category": "অর্থনীতি",
    })])
    .await;
    let a = t.api_article("kicker-1").await;
    assert_eq!(a["headline"], "করমুক্ত আয়সীমা বাড়ল");
    assert_eq!(a["kicker"], "বাজেট ২০২৫-২৬");
    let page = t.get(&t.path_of("kicker-1").await).await;
    page.assert_contains("করমুক্ত আয়সীমা বাড়ল");
    page.assert_contains("বাজেট ২০২৫-২৬");

    // An explicit kicker wins over the title's first line.
    t.import(&[json!({
        "id": "kicker-2",
        "title": "প্রথম লাইন\nদ্বিতীয় লাইনের শিরোনাম",
        "kicker": "আলাদা কিকার",
        "body": "লেখা।",
        "category": "অর্থনীতি",
    })])
    .await;
    let b = t.api_article("kicker-2").await;
    assert_eq!(b["headline"], "দ্বিতীয় লাইনের শিরোনাম");
    assert_eq!(b["kicker"], "আলাদা কিকার");
}

#[tokio::test]
async fn a_new_category_creates_a_section_reachable_at_its_url() {
    let t = TestApp::new().await;
    t.import(&stories("প্রবাস জীবন", 1, 2)).await;
    let a = t.api_article("story-0001").await;
    let section = &a["section"];
    assert_eq!(section["name"], "প্রবাস জীবন");
    let slug = section["slug"].as_str().unwrap();
    assert!(slug.contains("প্রবাস"), "a Bengali slug: {slug}");
    let url = section["url"].as_str().unwrap();
    assert!(url.is_ascii(), "links are percent-encoded: {url}");
    assert!(url.starts_with("http://khobor.test/%E0%A6%AA"), "{url}");

    let page = t.get(&site_path(url)).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("প্রবাস জীবন");
    page.assert_contains("পরীক্ষার খবর নম্বর 2");
    let article_url = a["url"].as_str().unwrap();
    assert!(article_url.starts_with(&format!("{url}/")), "{article_url}");
    assert_eq!(t.get(&site_path(article_url)).await.status, StatusCode::OK);

    // Importing more stories in the same category adds no second section.
    t.import(&stories("প্রবাস জীবন", 3, 1)).await;
    let sections = t.get("/api/v1/sections").await.json();
    let same: Vec<_> = sections["sections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == "প্রবাস জীবন")
        .collect();
    assert_eq!(same.len(), 1);
}

#[tokio::test]
async fn text_is_stored_in_nfc_whichever_form_arrives() {
    // য় is one code point (U+09DF) or য + nukta (U+09AF U+09BC); NFC picks one of them.
    let composed = "\u{9df}";
    let decomposed = "\u{9af}\u{9bc}";
    let headline_in = format!("সম{composed} মতো বৃষ্টি, কৃষকের মুখে হাসি");
    let expected: String = headline_in.nfc().collect();
    let t = TestApp::new().await;
    t.import(&[
        json!({
            "id": "nfc-1",
            "title": headline_in,
            "body": format!("মাঠে ধানের চারা রোপণের সম{composed} এসেছে।"),
            "category": format!("জাতী{composed}"),
            "tags": [format!("কৃষি সম{composed}")],
        }),
        json!({
            "id": "nfc-2",
            "title": format!("সম{decomposed} মতো সার পাচ্ছেন না কৃষক"),
            "body": "সারের সংকটে কৃষকেরা বিপাকে।",
            "category": format!("জাতী{decomposed}"),
            "tags": [format!("কৃষি সম{decomposed}")],
        }),
    ])
    .await;
    let one = t.api_article("nfc-1").await;
    let two = t.api_article("nfc-2").await;
    let headline = one["headline"].as_str().unwrap();
    assert_eq!(headline, expected);
    assert!(unicode_normalization::is_nfc(headline));
    assert!(unicode_normalization::is_nfc(
        one["body_html"].as_str().unwrap()
    ));
    assert!(unicode_normalization::is_nfc(
        two["headline"].as_str().unwrap()
    ));

    // Both spellings of জাতীয় land in the seeded national desk, and share one tag.
    assert_eq!(one["section"]["slug"], "national");
    assert_eq!(two["section"]["slug"], "national");
    assert_eq!(one["tags"][0]["slug"], two["tags"][0]["slug"]);
    // The standard desks (six and সারাদেশ), no new one.
    let sections = t.get("/api/v1/sections").await.json();
    assert_eq!(sections["sections"].as_array().unwrap().len(), 7);
    let tags = t.get("/api/v1/tags").await.json();
    assert_eq!(tags["tags"].as_array().unwrap().len(), 1);
    assert_eq!(tags["tags"][0]["articles"], 2);

    // The page shows the normalised headline.
    t.get(&t.path_of("nfc-1").await)
        .await
        .assert_contains(&expected);
}

#[tokio::test]
async fn a_category_named_like_a_site_path_still_gets_reachable_story_pages() {
    // English desk names slug to ASCII; "tag", "author", "static" and "sitemaps" are also the
    // first segment of other site paths, so a story there must not be hidden behind them.
    let t = TestApp::new().await;
    for (i, category) in ["Tag", "Author", "Static", "Sitemaps"].iter().enumerate() {
        let mut story = stories(category, i + 1, 1);
        story[0]["id"] = json!(format!("desk-{i}"));
        let report = t.import(&story).await;
        assert_eq!(report.inserted, 1, "{category}");
        let a = t.api_article(&format!("desk-{i}")).await;
        let path = site_path(a["url"].as_str().unwrap());
        let page = t.get(&path).await;
        assert_eq!(
            page.status,
            StatusCode::OK,
            "story in section {category} at {path} is unreachable"
        );
        page.assert_contains(a["headline"].as_str().unwrap());
    }
}

#[tokio::test]
async fn headline_length_is_counted_in_letters_not_bytes() {
    // ক্ষ is one letter of three code points (nine bytes): 300 of them are a 300-letter headline.
    let t = TestApp::new().await;
    let story = |id: &str, letters: usize| {
        json!({
            "id": id,
            "title": "ক্ষ".repeat(letters),
            "body": "দীর্ঘ শিরোনামের পরীক্ষা।",
            "category": "জাতীয়",
        })
    };
    let path = write(
        t.dir.path(),
        "long.jsonl",
        jsonl(&[story("long-300", 300), story("long-301", 301)]).as_bytes(),
    );
    let report = import_file(&t, &path).await.unwrap();
    assert_eq!(report.inserted, 1);
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].line, 2);
    assert!(
        report.skipped[0].message.contains("300"),
        "{}",
        report.skipped[0].message
    );
    assert_eq!(
        t.api_article("long-300").await["headline"],
        "ক্ষ".repeat(300)
    );
}

#[tokio::test]
async fn moving_a_story_to_another_category_redirects_its_old_link() {
    let t = TestApp::new().await;
    let mut story = stories("খেলা", 1, 1);
    t.import(&story).await;
    let old_path = t.path_of("story-0001").await;
    assert!(old_path.starts_with("/sports/"), "{old_path}");

    story[0]["category"] = json!("বিনোদন");
    let report = t.import(&story).await;
    assert_eq!(report.updated, 1);
    let new_path = t.path_of("story-0001").await;
    assert!(new_path.starts_with("/entertainment/"), "{new_path}");
    assert_eq!(
        new_path.rsplit('/').next(),
        old_path.rsplit('/').next(),
        "same id"
    );

    let old = t.get(&old_path).await;
    assert_eq!(old.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(old.location(), new_path);
    assert_eq!(t.get(&new_path).await.status, StatusCode::OK);
    let sports = t.get("/api/v1/articles?section=sports").await.json();
    assert_eq!(sports["total"], 0);
}

#[tokio::test]
async fn changed_tags_replace_the_old_ones() {
    let t = TestApp::new().await;
    let mut story = wire_story();
    t.import(std::slice::from_ref(&story)).await;
    story["tags"] = json!("কূটনীতি, শীর্ষ বৈঠক");
    story["author"] = json!(["তানিয়া রহমান", "রাকিব হাসান"]);
    assert_eq!(t.import(&[story]).await.updated, 1);

    let a = t.api_article("wire-summit").await;
    let tags = names(&a["tags"]);
    assert_eq!(tags, ["কূটনীতি", "শীর্ষ বৈঠক"]);
    let authors = names(&a["authors"]);
    assert_eq!(authors, ["তানিয়া রহমান", "রাকিব হাসান"]);
    let listed = t.get("/api/v1/tags").await.json();
    let names = names(&listed["tags"]);
    assert!(!names.contains(&"উত্তর কোরিয়া"), "{names:?}");
    assert!(names.contains(&"কূটনীতি"));
}

#[tokio::test]
async fn a_second_line_with_one_id_is_reported_and_the_first_kept() {
    // Were the later line to win, every run would write the first line and then the second:
    // two updates, a version bump and cache purges for a file that did not change.
    let t = TestApp::new().await;
    let mut later = wire_story();
    later["title"] = json!("দুই নেতার শীর্ষ বৈঠক শেষ");
    let report = t.import(&[wire_story(), later.clone()]).await;
    assert_eq!((report.inserted, report.updated), (1, 0));
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].line, 2);
    assert!(
        report.skipped[0].message.contains("line 1"),
        "{:?}",
        report.skipped
    );
    assert_eq!(total(&t).await, 1);
    let headline = t.api_article("wire-summit").await["headline"].clone();
    assert_ne!(headline, "দুই নেতার শীর্ষ বৈঠক শেষ");
    let again = t.import(&[wire_story(), later]).await;
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 1));
}

#[tokio::test]
async fn naive_published_times_are_read_in_the_papers_zone() {
    let t = TestApp::new().await;
    t.import(&[
        json!({"id": "naive-1", "title": "সময়ের খবর এক", "body": "লেখা এক।",
               "category": "জাতীয়", "published": "2024-03-26 21:15:00"}),
        json!({"id": "naive-2", "title": "সময়ের খবর দুই", "body": "লেখা দুই।",
               "category": "জাতীয়", "published": "2024-03-26"}),
        json!({"id": "utc-1", "title": "সময়ের খবর তিন", "body": "লেখা তিন।",
               "category": "জাতীয়", "published": "2024-03-26T15:15:00Z"}),
    ])
    .await;
    assert_eq!(
        t.api_article("naive-1").await["published_at"],
        "2024-03-26T21:15:00+06:00"
    );
    assert_eq!(
        t.api_article("naive-2").await["published_at"],
        "2024-03-26T00:00:00+06:00"
    );
    assert_eq!(
        t.api_article("utc-1").await["published_at"],
        "2024-03-26T21:15:00+06:00"
    );
}

/// A district correspondent's story typed in Bijoy (SutonnyMJ): headline, body with markup,
/// section, tags and author; the source name stays English.
fn bijoy_story() -> Value {
    json!({
        "id": "bijoy-1",
        // বাংলাদেশ সরকার এবং জনগণ
        "title": "evsjv‡`k miKvi Ges RbMY",
        // <p>বাংলাদেশ সরকার এবং জনগণ <a href="https://example.com/Kv">সরকার</a></p>
        "body": "<p>evsjv‡`k miKvi Ges RbMY <a href=\"https://example.com/Kv\">miKvi</a></p>",
        "category": "evsjv‡`k",
        "tags": ["miKvi Ges RbMY"],
        "author": "evsjv‡`k miKvi",
        "published": "2025-06-01T10:00:00+06:00",
        "source": "Daily Sun",
        "url": null,
    })
}

#[tokio::test]
async fn bijoy_text_is_imported_as_unicode_and_the_page_shows_it() {
    let t = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    let mut batch = vec![bijoy_story()];
    batch.extend(stories("খেলা", 1, 2));
    let path = write(dir.path(), "bijoy.jsonl", jsonl(&batch).as_bytes());
    let report = import_file(&t, &path).await.unwrap();
    assert_eq!((report.inserted, report.from_bijoy), (3, 1), "{report:?}");
    let a = t.api_article("bijoy-1").await;
    assert_eq!(a["headline"], "বাংলাদেশ সরকার এবং জনগণ");
    assert_eq!(a["section"]["name"], "বাংলাদেশ");
    assert_eq!(a["tags"][0]["name"], "সরকার এবং জনগণ");
    assert_eq!(a["authors"][0]["name"], "বাংলাদেশ সরকার");
    assert_eq!(a["source"], "Daily Sun");
    let page = t.get(&t.path_of("bijoy-1").await).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("বাংলাদেশ সরকার এবং জনগণ"), "{}", page.body);
    assert!(
        page.body.contains("href=\"https://example.com/Kv\""),
        "the link is kept"
    );
    assert!(!page.body.contains("miKvi"), "no Bijoy left on the page");
    // The Unicode stories were left as they were.
    assert_eq!(
        t.api_article("story-0001").await["headline"],
        stories("খেলা", 1, 1)[0]["title"]
    );
}

#[tokio::test]
async fn with_bijoy_off_the_text_is_imported_as_it_is() {
    let t = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "bijoy.jsonl",
        jsonl(&[bijoy_story()]).as_bytes(),
    );
    let report = import_jsonl_file(t.app.store(), &path, TZ, BijoyMode::Off, false)
        .await
        .unwrap();
    assert_eq!((report.inserted, report.from_bijoy), (1, 0));
    assert_eq!(
        t.api_article("bijoy-1").await["headline"],
        "evsjv‡`k miKvi Ges RbMY"
    );
}

/// The published story imported as `external_id`, read from the store.
async fn stored(t: &TestApp, external_id: &str) -> khobor::domain::Article {
    let store = t.app.store();
    let mut tx = store.begin_write().await.unwrap();
    let id = store
        .article_id_by_external(&mut tx, external_id)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{external_id} is not stored"));
    drop(tx);
    store.published_article(id).await.unwrap().unwrap()
}

fn labels(tags: &[khobor::domain::Tag]) -> Vec<&str> {
    tags.iter().map(|t| t.name.as_str()).collect()
}

/// More lines than the importer writes in one batch (500): new, changed and unchanged
/// stories on either side of the batches' edges, a bad line and a repeated id among them,
/// tags shared across batches.
async fn several_batches(t: TestApp) {
    let mut first = stories("খেলা", 1, 700);
    first[3]["tags"] = json!(["পরীক্ষা", "ক্রিকেট"]);
    let report = t.import(&first).await;
    assert_eq!((report.inserted, report.updated), (700, 0));
    assert_eq!(total(&t).await, 700);

    // Lines 1–499 unchanged, 500–501 changed (one moved to another section), a bad line,
    // 1,000 new ones, and a repeat of line 2's id at the end.
    let mut second = first[..701 - 2].to_vec();
    second[499]["title"] = json!("বদলে যাওয়া শিরোনাম");
    second[500]["category"] = json!("বিনোদন");
    second[500]["tags"] = json!(["নতুন ট্যাগ"]);
    second.push(json!({"id": "broken"}));
    second.extend(stories("অর্থনীতি", 701, 1000));
    second.push(second[1].clone());
    let report = t.import(&second).await;
    assert_eq!(
        (report.inserted, report.updated, report.unchanged),
        (1000, 2, 697)
    );
    let skipped: Vec<usize> = report.skipped.iter().map(|e| e.line).collect();
    assert_eq!(skipped, [700, 1701], "{:?}", report.skipped);
    assert!(
        report.skipped[1].message.contains("line 2"),
        "{:?}",
        report.skipped
    );
    assert_eq!(total(&t).await, 1700);

    assert_eq!(stored(&t, "story-0500").await.headline, "বদলে যাওয়া শিরোনাম");
    let moved = stored(&t, "story-0501").await;
    assert_eq!(labels(&moved.tags), ["নতুন ট্যাগ"]);
    assert_eq!(moved.section.slug, "entertainment");
    assert_eq!(
        labels(&stored(&t, "story-0004").await.tags),
        ["পরীক্ষা", "ক্রিকেট"]
    );
    let last = stored(&t, "story-1700").await;
    assert_eq!(labels(&last.tags), ["পরীক্ষা"]);
    assert_eq!(
        last.authors
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>(),
        ["সাকিব হাসান"]
    );
    assert_eq!(last.section.slug, "economy");
    // One tag page for the tag every story shares, whichever batch created it.
    let tags = t.get("/api/v1/tags").await.json();
    let listed = names(&tags["tags"]);
    assert_eq!(
        listed.iter().filter(|n| **n == "পরীক্ষা").count(),
        1,
        "{listed:?}"
    );

    // Everything is stored now: a third run changes nothing.
    let again = t.import(&second).await;
    assert_eq!(
        (again.inserted, again.updated, again.unchanged),
        (0, 0, 1699)
    );
}

#[tokio::test]
async fn a_file_of_several_batches_is_imported_line_by_line_as_one() {
    several_batches(TestApp::new().await).await;
}

#[tokio::test]
async fn a_file_of_several_batches_is_imported_line_by_line_as_one_on_postgres() {
    several_batches(TestApp::on_postgres().await).await;
}

/// After an import the query planner knows how large the tables have become: without
/// statistics SQLite may walk an index over every published story to find a few by id.
#[tokio::test]
async fn an_import_leaves_the_planner_fresh_statistics() {
    let t = TestApp::new().await;
    t.import(&stories("জাতীয়", 0, 30)).await;
    let pool = t.app.store().pool();
    let analysed: bool = if t.db.is_some() {
        sqlx::query_scalar(
            "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'articles'",
        )
        .fetch_one(pool)
        .await
        .unwrap()
    } else {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'articles'")
            .fetch_one(pool)
            .await
            .unwrap()
            > 0
    };
    assert!(
        analysed,
        "no statistics for the articles table after an import"
    );
}
