//! Search: `/api/v1/search` and the `/search` page over the Bengali index (inflections,
//! encoding variants, Banglish, ranking, filters, bad input, did-you-mean, escaping), related
//! stories on the article page, and the indexer that follows the change feed — live on a real
//! port, across a restart, and by a full rebuild.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::http::{header, StatusCode};
use serde_json::{json, Value};

use khobor::app::App;
use khobor::config::{Config, Overrides};
use khobor::domain::text::nfc;
use khobor::domain::urls::query_value;
use khobor::domain::Status;

use crate::helpers::eventually;
use crate::helpers::{open_data_dir, site_path, stories, Page, TestApp};

/// A story as the importer takes it, with an explicit publication time.
fn story(id: &str, title: &str, body: &str, category: &str, published: &str) -> Value {
    json!({
        "id": id,
        "title": title,
        "body": body,
        "category": category,
        "published": published,
        "source": null,
        "url": null,
    })
}

/// The application with `all` imported (every one new) and the index caught up.
async fn paper(all: &[Value]) -> TestApp {
    paper_in(TestApp::new().await, all).await
}

/// `t` with `all` imported and the index caught up.
async fn paper_in(t: TestApp, all: &[Value]) -> TestApp {
    let report = t.import(all).await;
    assert_eq!(report.inserted, all.len(), "{:?}", report.skipped);
    t.app.sync_search().await.expect("index catches up");
    t
}

fn api_path(q: &str, extra: &str) -> String {
    format!("/api/v1/search?q={}{extra}", query_value(q))
}

fn page_path(q: &str) -> String {
    format!("/search?q={}", query_value(q))
}

/// The API's answer to a search that must succeed.
async fn search(t: &TestApp, q: &str, extra: &str) -> Value {
    let page = t.get(&api_path(q, extra)).await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "search {q:?}{extra}: {}",
        page.body
    );
    page.json()
}

/// External ids of the hits, in rank order.
fn hit_ids(result: &Value) -> Vec<String> {
    result["hits"]
        .as_array()
        .unwrap_or_else(|| panic!("no hits array: {result}"))
        .iter()
        .map(|h| h["external_id"].as_str().expect("external_id").to_owned())
        .collect()
}

fn id_set(result: &Value) -> BTreeSet<String> {
    hit_ids(result).into_iter().collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[track_caller]
fn hit<'a>(result: &'a Value, external_id: &str) -> &'a Value {
    result["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .find(|h| h["external_id"] == external_id)
        .unwrap_or_else(|| panic!("{external_id} not among the hits: {result}"))
}

#[track_caller]
fn snippet_of<'a>(result: &'a Value, external_id: &str) -> &'a str {
    hit(result, external_id)["snippet"]
        .as_str()
        .expect("snippet")
}

/// Asserts a 400 JSON error with `code` and a message; returns the message.
#[track_caller]
fn assert_api_error(page: &Page, code: &str) -> String {
    assert_api_error_status(page, StatusCode::BAD_REQUEST, code)
}

/// Asserts a JSON error with this status and `code` and a message; returns the message.
#[track_caller]
fn assert_api_error_status(page: &Page, status: StatusCode, code: &str) -> String {
    assert_eq!(page.status, status, "body: {}", page.body);
    let ct = page.headers[header::CONTENT_TYPE].to_str().unwrap();
    assert!(ct.starts_with("application/json"), "content-type {ct}");
    let body = page.json();
    assert_eq!(body["error"]["code"], code, "body: {body}");
    let message = body["error"]["message"]
        .as_str()
        .expect("message")
        .to_owned();
    assert!(!message.trim().is_empty(), "empty message: {body}");
    message
}

/// Keys of a JSON object.
fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

#[tokio::test]
async fn api_finds_a_story_by_a_body_word_and_answers_in_the_documented_shape() {
    let t = paper(&[
        story(
            "budget",
            "সংসদে নতুন অর্থবছরের বাজেট পেশ",
            "অর্থমন্ত্রী বৃহস্পতিবার সংসদে নতুন অর্থবছরের বাজেট পেশ করেছেন।\n\nএবারের বাজেটে সেচ ও সার খাতে বরাদ্দ বাড়ানো হয়েছে, যাতে কৃষকেরা কম দামে বীজ পান।",
            "অর্থনীতি",
            "2025-06-05T15:00:00+06:00",
        ),
        story(
            "rain",
            "সপ্তাহজুড়ে বৃষ্টির পূর্বাভাস",
            "আবহাওয়া অফিস জানিয়েছে, আগামী কয়েক দিন দেশের বেশির ভাগ এলাকায় মাঝারি থেকে ভারী বৃষ্টি হতে পারে।",
            "জাতীয়",
            "2025-06-06T09:00:00+06:00",
        ),
    ])
    .await;

    let result = search(&t, "সেচ", "").await;
    assert_eq!(
        keys(&result),
        set(&[
            "hits",
            "total",
            "page",
            "limit",
            "expansions",
            "did_you_mean"
        ])
    );
    assert_eq!(hit_ids(&result), ["budget"]);
    assert_eq!(result["total"], 1);
    assert_eq!(result["page"], 1);
    assert_eq!(result["limit"], 10);
    assert_eq!(result["expansions"], json!([]));
    assert!(result["did_you_mean"].is_null(), "{result}");

    let h = &result["hits"][0];
    assert_eq!(
        keys(h),
        set(&[
            "id",
            "external_id",
            "headline",
            "url",
            "section",
            "published_at",
            "snippet"
        ])
    );
    let listed = t.api_article("budget").await;
    assert_eq!(h["id"], listed["id"]);
    assert!(h["id"].is_i64(), "{h}");
    assert_eq!(h["headline"], "সংসদে নতুন অর্থবছরের বাজেট পেশ");
    assert_eq!(h["url"], listed["url"]);
    let url = h["url"].as_str().unwrap();
    assert!(url.starts_with("http://khobor.test/economy/"), "{url}");
    assert_eq!(keys(&h["section"]), set(&["name", "url"]));
    assert_eq!(h["section"]["name"], "অর্থনীতি");
    assert_eq!(h["section"]["url"], "http://khobor.test/economy");
    assert_eq!(h["published_at"], "2025-06-05T15:00:00+06:00");
    let snippet = h["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>সেচ</mark>"), "{snippet}");
    assert!(snippet.contains("বরাদ্দ বাড়ানো"), "{snippet}");

    // The link leads to the story.
    let article = t.get(&site_path(url)).await;
    assert_eq!(article.status, StatusCode::OK);
    article.assert_contains("সংসদে নতুন অর্থবছরের বাজেট পেশ");
}

#[tokio::test]
async fn inflected_and_plain_forms_find_each_other_and_the_surface_form_is_marked() {
    let t = paper(&[
        story(
            "inflected",
            "দুই দলের শীর্ষ নেতাদের আলোচনা",
            "গতকাল ঢাকায় দুই দলের শীর্ষ নেতাদের বৈঠকে নির্বাচনকালীন সরকার নিয়ে দীর্ঘ আলোচনা হয়েছে।",
            "রাজনীতি",
            "2025-05-10T12:00:00+06:00",
        ),
        story(
            "plain",
            "বন্দরের মাশুল নিয়ে সিদ্ধান্ত শিগগির",
            "চট্টগ্রাম বন্দরের মাশুল নিয়ে ব্যবসায়ীদের সঙ্গে সরকারের বৈঠক আজ শেষ হয়েছে। চূড়ান্ত সিদ্ধান্ত আসবে ঢাকা থেকে।",
            "অর্থনীতি",
            "2025-05-11T12:00:00+06:00",
        ),
        story(
            "unrelated",
            "শীতের সবজিতে ভরে উঠেছে গ্রামের হাট",
            "এ বছর ফুলকপি আর বাঁধাকপির ফলন ভালো হওয়ায় কৃষকেরা খুশি।",
            "সারাদেশ",
            "2025-05-12T12:00:00+06:00",
        ),
    ])
    .await;

    // Plain query, inflected text.
    let result = search(&t, "ঢাকা বৈঠক", "").await;
    assert_eq!(id_set(&result), set(&["inflected", "plain"]), "{result}");
    assert_eq!(result["total"], 2);
    let s = snippet_of(&result, "inflected");
    assert!(s.contains(&nfc("<mark>ঢাকায়</mark>")), "{s}");
    assert!(s.contains(&nfc("<mark>বৈঠকে</mark>")), "{s}");

    // Inflected query, plain text.
    let result = search(&t, "ঢাকায় বৈঠকে", "").await;
    assert_eq!(id_set(&result), set(&["inflected", "plain"]), "{result}");
    let s = snippet_of(&result, "plain");
    assert!(s.contains("<mark>ঢাকা</mark>"), "{s}");
    assert!(s.contains("<mark>বৈঠক</mark>"), "{s}");
}

#[tokio::test]
async fn encoding_variants_of_one_word_find_each_other() {
    let t = paper(&[
        // য় as one code point in the text.
        story(
            "soybean",
            "ভোজ্যতেলের বাজারে অস্থিরতা",
            "এক সপ্তাহে বোতলজাত স\u{9DF}াবিন তেলের দাম লিটারে দশ টাকা বেড়েছে।",
            "অর্থনীতি",
            "2025-02-01T10:00:00+06:00",
        ),
        // য় as য + nukta in the text.
        story(
            "flour",
            "রুটির দোকানে বিক্রি কম",
            "ম\u{9AF}\u{9BC}দার দাম বাড়ায় পাড়ার রুটির দোকানগুলোতে বিক্রি কমে গেছে।",
            "অর্থনীতি",
            "2025-02-02T10:00:00+06:00",
        ),
        // ৎ as one code point in the text.
        story(
            "harvest-festival",
            "গ্রামে গ্রামে নবান্নের আনন্দ",
            "নতুন ধান ঘরে তোলার আনন্দে গ্রামে গ্রামে নবান্ন উ\u{9CE}সব পালিত হচ্ছে।",
            "সারাদেশ",
            "2025-02-03T10:00:00+06:00",
        ),
        // ৎ as ত + hasanta + ZWJ in the text (the pre-Unicode-4.1 spelling).
        story(
            "power-cut",
            "লোডশেডিংয়ে নগরবাসীর ভোগান্তি",
            "গরম বাড়তেই শহরে বিদ্যুত\u{9CD}\u{200D} সরবরাহে বড় ঘাটতি দেখা দিয়েছে।",
            "জাতীয়",
            "2025-02-04T10:00:00+06:00",
        ),
        story(
            "victory-day",
            "স্মৃতিসৌধে মানুষের ঢল",
            "২০২৪ সালের বিজয় দিবসে জাতীয় স্মৃতিসৌধে ফুল দিতে ভোর থেকেই মানুষের ঢল নামে।",
            "জাতীয়",
            "2025-02-05T10:00:00+06:00",
        ),
        story(
            "exhibition",
            "মুক্তিযুদ্ধের আলোকচিত্র প্রদর্শনী",
            "1971 সালের মুক্তিযুদ্ধের দুর্লভ আলোকচিত্র নিয়ে জাদুঘরে একটি প্রদর্শনী শুরু হয়েছে।",
            "বিনোদন",
            "2025-02-06T10:00:00+06:00",
        ),
    ])
    .await;

    for (query, expected) in [
        ("স\u{9AF}\u{9BC}াবিন", "soybean"),
        ("ম\u{9DF}দা", "flour"),
        ("উত\u{9CD}\u{200D}সব", "harvest-festival"),
        ("বিদ্যু\u{9CE}", "power-cut"),
        ("2024", "victory-day"),
        ("১৯৭১", "exhibition"),
    ] {
        let result = search(&t, query, "").await;
        assert_eq!(
            hit_ids(&result),
            [expected],
            "query {:?}: {result}",
            query.escape_unicode().to_string()
        );
        let s = snippet_of(&result, expected);
        assert!(s.contains("<mark>"), "query {query:?}: {s}");
    }
}

#[tokio::test]
async fn banglish_words_are_expanded_and_english_words_in_bengali_text_are_found() {
    let t = paper(&[
        story(
            "city-election",
            "ঢাকার দুই সিটিতে নির্বাচনের প্রস্তুতি",
            "আগামী মাসে ঢাকা উত্তর ও দক্ষিণ সিটি করপোরেশনের নির্বাচন হবে। নির্বাচন কমিশন ইতিমধ্যে ভোটকেন্দ্রের খসড়া তালিকা প্রকাশ করেছে।",
            "রাজনীতি",
            "2025-03-01T10:00:00+06:00",
        ),
        story(
            "metro",
            "যাত্রীদের ভরসা এখন উড়াল রেল",
            "উত্তরা থেকে মতিঝিল পর্যন্ত metro রেল চালু হওয়ার পর অফিসগামী মানুষের যাতায়াতের সময় অর্ধেকে নেমেছে।",
            "জাতীয়",
            "2025-03-02T10:00:00+06:00",
        ),
        story(
            "harvest",
            "হাওরে বোরো ধান কাটা শুরু",
            "সুনামগঞ্জের হাওরে পাকা বোরো ধান কাটতে শ্রমিকেরা দলে দলে মাঠে নেমেছেন।",
            "সারাদেশ",
            "2025-03-03T10:00:00+06:00",
        ),
    ])
    .await;

    let result = search(&t, "dhaka nirbachon", "").await;
    assert_eq!(hit_ids(&result), ["city-election"], "{result}");
    let expansions = result["expansions"].as_array().expect("expansions");
    assert_eq!(expansions.len(), 2, "{result}");
    for (e, (word, bengali)) in expansions
        .iter()
        .zip([("dhaka", "ঢাকা"), ("nirbachon", "নির্বাচন")])
    {
        assert_eq!(e["word"], word, "{e}");
        let candidates: Vec<&str> = e["bengali"]
            .as_array()
            .expect("bengali candidates")
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert!(
            candidates.iter().any(|c| c.starts_with(bengali)),
            "{word} → {candidates:?}, expected a form of {bengali}"
        );
    }
    let s = snippet_of(&result, "city-election");
    assert!(s.contains("<mark>ঢাকা</mark>"), "{s}");
    assert!(s.contains("<mark>নির্বাচন</mark>"), "{s}");

    let result = search(&t, "metro", "").await;
    assert_eq!(hit_ids(&result), ["metro"], "{result}");
    let s = snippet_of(&result, "metro");
    assert!(s.contains("<mark>metro</mark>"), "{s}");
    // Case does not matter for Latin words.
    assert_eq!(hit_ids(&search(&t, "Metro", "").await), ["metro"]);
}

#[tokio::test]
async fn a_story_with_the_word_in_its_headline_ranks_above_a_passing_mention() {
    let river = [
        "যমুনার ভাঙনে গত এক মাসে চরাঞ্চলের অন্তত তিন শ পরিবার ঘরবাড়ি হারিয়েছে।",
        "স্থানীয় লোকজন বলছেন, প্রতিবছর বর্ষা এলেই নদী নতুন করে গ্রাস করে আবাদি জমি।",
        "ভাঙনকবলিত পরিবারগুলো এখন বাঁধের ওপর খোলা আকাশের নিচে দিন কাটাচ্ছে।",
        "পানি উন্নয়ন বোর্ড জানিয়েছে, জরুরি ভিত্তিতে জিও ব্যাগ ফেলার কাজ শুরু হয়েছে।",
        "তবে এলাকাবাসীর অভিযোগ, কাজের গতি খুবই ধীর এবং বরাদ্দও প্রয়োজনের তুলনায় কম।",
        "চরের একমাত্র প্রাথমিক বিদ্যালয়টিও যেকোনো সময় নদীতে বিলীন হয়ে যেতে পারে।",
        "শিক্ষকেরা অস্থায়ীভাবে একটি মসজিদের বারান্দায় পাঠদান চালিয়ে যাচ্ছেন।",
        "উপজেলা প্রশাসন ক্ষতিগ্রস্ত পরিবারগুলোর মধ্যে চাল ও শুকনো খাবার বিতরণ করেছে।",
        "ভাঙনের কারণে এ মৌসুমে জেলেরা ইলিশ ধরতেও নদীতে নামতে পারছেন না।",
    ]
    .join(" ");
    let t = paper(&[
        story(
            "hilsa",
            "বাজারে ইলিশ এখন নাগালের মধ্যে",
            "চাঁদপুরের মাছঘাটে এবার প্রচুর মাছ আসছে, তাই দাম কিছুটা কমেছে। ক্রেতারা বলছেন, গত বছরের তুলনায় কেজিতে দুই শ টাকা কম লাগছে।",
            "অর্থনীতি",
            "2025-08-10T10:00:00+06:00",
        ),
        // Newer, so recency alone would put it first.
        story(
            "erosion",
            "নদীভাঙনে দিশেহারা চরের মানুষ",
            &river,
            "সারাদেশ",
            "2025-08-20T10:00:00+06:00",
        ),
    ])
    .await;

    let result = search(&t, "ইলিশ", "").await;
    assert_eq!(hit_ids(&result), ["hilsa", "erosion"], "{result}");
    // The passing mention is still found and marked, deep in a long text.
    let s = snippet_of(&result, "erosion");
    assert!(s.starts_with('…') && s.contains("<mark>ইলিশ</mark>"), "{s}");
}

/// Four flood stories around midnight in Dhaka: two on 10 March, one at 00:30 on 11 March
/// (still 10 March in UTC) and one on 12 March.
fn flood_stories() -> Vec<Value> {
    vec![
        story(
            "flood-a",
            "উত্তরাঞ্চলে বন্যার পানি বাড়ছে",
            "তিস্তার পানি বিপৎসীমার ওপর দিয়ে বইছে, নিচু এলাকার মানুষ বন্যার আশঙ্কায় আশ্রয়কেন্দ্রে উঠছেন।",
            "জাতীয়",
            "2024-03-10T10:00:00+06:00",
        ),
        story(
            "flood-b",
            "বন্যার কারণে প্রীতি ম্যাচ স্থগিত",
            "মাঠে পানি জমে যাওয়ায় দুর্গতদের সহায়তায় আয়োজিত প্রীতি ফুটবল ম্যাচটি রাতে স্থগিত করা হয়েছে।",
            "খেলা",
            "2024-03-10T23:30:00+06:00",
        ),
        story(
            "flood-c",
            "মধ্যরাতে বাঁধ ভেঙে বন্যা",
            "রাত সাড়ে বারোটার দিকে বাঁধের একটি অংশ ভেঙে গেলে আশপাশের তিনটি গ্রাম বন্যার পানিতে তলিয়ে যায়।",
            "জাতীয়",
            "2024-03-11T00:30:00+06:00",
        ),
        story(
            "flood-d",
            "বন্যার পর রোগ নিয়ে সতর্কতা",
            "বন্যার পানি নেমে যাওয়ার পর ডায়রিয়া ও চর্মরোগ ছড়িয়ে পড়তে পারে বলে স্বাস্থ্য বিভাগ সতর্ক করেছে।",
            "জাতীয়",
            "2024-03-12T09:00:00+06:00",
        ),
    ]
}

#[tokio::test]
async fn section_and_date_filters_restrict_hits_in_the_papers_time_zone() {
    let t = paper(&flood_stories()).await;
    for (extra, expected) in [
        ("", &["flood-a", "flood-b", "flood-c", "flood-d"][..]),
        ("&section=sports", &["flood-b"][..]),
        ("&section=national", &["flood-a", "flood-c", "flood-d"][..]),
        // `to` includes its whole day, in Asia/Dhaka: 23:30 is in, 00:30 next day is out.
        ("&to=2024-03-10", &["flood-a", "flood-b"][..]),
        ("&from=2024-03-11", &["flood-c", "flood-d"][..]),
        ("&from=2024-03-11&to=2024-03-11", &["flood-c"][..]),
        (
            "&from=2024-03-10&to=2024-03-10&section=national",
            &["flood-a"][..],
        ),
        ("&from=2024-03-13", &[][..]),
        // Bengali digits in a date are read as digits.
        ("&from=২০২৪-০৩-১১", &["flood-c", "flood-d"][..]),
    ] {
        let result = search(&t, "বন্যা", extra).await;
        assert_eq!(id_set(&result), set(expected), "{extra}: {result}");
        assert_eq!(result["total"], expected.len(), "{extra}: {result}");
    }
}

#[tokio::test]
async fn bad_filters_and_paging_parameters_are_refused_naming_the_problem() {
    let t = paper(&flood_stories()).await;
    // Well-formed but impossible: no such day, `from` after `to` (422); no such section (404,
    // as for /api/v1/articles).
    for (extra, status) in [
        ("&to=2024-13-01", StatusCode::UNPROCESSABLE_ENTITY),
        (
            "&from=2024-03-12&to=2024-03-10",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        assert_api_error_status(
            &t.get(&api_path("বন্যা", extra)).await,
            status,
            "invalid_parameter",
        );
    }
    assert_api_error_status(
        &t.get(&api_path("বন্যা", "&section=no-such-section")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    for extra in [
        "&from=yesterday",
        "&from=2024-3-12",
        "&limit=0",
        "&limit=51",
        "&limit=abc",
        "&page=0",
        "&page=-1",
    ] {
        let page = t.get(&api_path("বন্যা", extra)).await;
        let message = assert_api_error(&page, "invalid_parameter");
        assert!(!message.is_empty(), "{extra}");
    }
    // The edges of the ranges are accepted.
    assert_eq!(search(&t, "বন্যা", "&limit=50").await["limit"], 50);
    assert_eq!(
        search(&t, "বন্যা", "&limit=1").await["hits"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The reader page refuses a bad date with a Bengali page, not an error 500.
    let page = t.get(&format!("{}&from=yesterday", page_path("বন্যা"))).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_contains("<html lang=\"bn\">");
}

#[tokio::test]
async fn page_two_continues_page_one_without_overlap() {
    let t = paper(&stories("জাতীয়", 1, 25)).await;
    let mut seen: Vec<String> = Vec::new();
    for (page, n) in [(1, 10), (2, 10), (3, 5)] {
        let result = search(&t, "পরীক্ষা", &format!("&limit=10&page={page}")).await;
        assert_eq!(result["total"], 25, "page {page}");
        assert_eq!(result["page"], page);
        assert_eq!(result["limit"], 10);
        let ids = hit_ids(&result);
        assert_eq!(ids.len(), n, "page {page}: {ids:?}");
        for id in ids {
            assert!(!seen.contains(&id), "{id} again on page {page}");
            seen.push(id);
        }
    }
    assert_eq!(seen.len(), 25);
    // Page 2 starts where a single 20-hit page leaves off after ten.
    let twenty = hit_ids(&search(&t, "পরীক্ষা", "&limit=20").await);
    assert_eq!(twenty, seen[..20]);

    // The reader page links on to the next page, which shows the next results.
    let first = t.get(&page_path("পরীক্ষা")).await;
    assert_eq!(first.status, StatusCode::OK);
    let next = first
        .links()
        .into_iter()
        .find(|l| l.starts_with("/search?") && l.contains("page=2"))
        .expect("a link to page 2");
    let second = t.get(&next).await;
    assert_eq!(second.status, StatusCode::OK);
    second.assert_contains("<ol class=\"search-results\">");
    let headline_11 = format!(
        ">{}</a>",
        t.api_article(&seen[10]).await["headline"].as_str().unwrap()
    );
    second.assert_contains(&headline_11);
    assert!(
        !first.body.contains(&headline_11),
        "page 1 shows page 2's hit"
    );
}

#[tokio::test]
async fn bad_queries_get_an_answer_never_an_error_500() {
    let t = paper(&[story(
        "dhaka-traffic",
        "ঢাকার সড়কে যানজট কমাতে নতুন পরিকল্পনা",
        "ঢাকা শহরের প্রধান সড়কগুলোতে যানজট কমাতে সিটি করপোরেশন নতুন পরিকল্পনা নিয়েছে।",
        "জাতীয়",
        "2025-01-15T10:00:00+06:00",
    )])
    .await;

    // Far too long: refused with a reason, on the API and on the page.
    // Bengali and Latin words pasted together (all-Bengali would exceed the URI length limit
    // of the HTTP layer itself once percent-encoded).
    let long: String = "ঢাকা dhaka ".chars().cycle().take(10_000).collect();
    let page = t.get(&api_path(&long, "")).await;
    assert_api_error(&page, "invalid_query");
    let page = t.get(&page_path(&long)).await;
    assert!(
        page.status == StatusCode::OK || page.status == StatusCode::BAD_REQUEST,
        "status {}",
        page.status
    );
    page.assert_contains("<html lang=\"bn\">");
    page.assert_contains("দীর্ঘ");

    for q in [
        "!!!???",
        "\u{200d}\u{200d}",
        "\"ঢাকা",
        "title:ঢাকা AND (",
        "*",
        "ঢাকা)",
        "ঢাকা~2^3",
        "\\",
    ] {
        let page = t.get(&api_path(q, "")).await;
        match page.status {
            StatusCode::OK => {
                let v = page.json();
                assert!(v["hits"].is_array() && v["total"].is_u64(), "{q:?}: {v}");
            }
            StatusCode::UNPROCESSABLE_ENTITY => {
                let code = page.json()["error"]["code"].clone();
                assert!(
                    code == "invalid_query" || code == "empty_query",
                    "{q:?}: {}",
                    page.body
                );
                assert_api_error_status(&page, page.status, code.as_str().unwrap());
            }
            other => panic!("{q:?}: status {other}: {}", page.body),
        }
        let html = t.get(&page_path(q)).await;
        assert!(
            html.status == StatusCode::OK || html.status == StatusCode::BAD_REQUEST,
            "page for {q:?}: status {}",
            html.status
        );
        html.assert_contains("<html lang=\"bn\">");
    }

    // Stray syntax around a word does not hide the word.
    for q in ["\"ঢাকা", "ঢাকা)", "title:ঢাকা AND ("] {
        assert_eq!(
            hit_ids(&search(&t, q, "").await),
            ["dhaka-traffic"],
            "{q:?}"
        );
    }
    // Nothing but punctuation or joiners is not a word.
    // A well-formed query without a word in it: 422.
    for q in ["!!!???", "\u{200d}\u{200d}", "*"] {
        let page = t.get(&api_path(q, "")).await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{q:?}: {}",
            page.body
        );
    }

    // Empty: the API says so; the page shows the form and no results.
    for path in ["/api/v1/search?q=", "/api/v1/search"] {
        assert_api_error(&t.get(path).await, "empty_query");
    }
    assert_api_error_status(
        &t.get("/api/v1/search?q=%20%20").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "empty_query",
    );
    for path in ["/search?q=", "/search"] {
        let page = t.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        page.assert_contains("<form class=\"search-form\"");
        assert!(!page.body.contains("search-results"), "{path}");
        assert!(!page.body.contains("পাওয়া যায়নি"), "{path}");
    }
}

#[tokio::test]
async fn a_misspelled_word_with_no_hits_gets_a_suggestion() {
    let t = paper(&[
        story(
            "poll-date",
            "ভোটের তারিখ ঘোষণা",
            "নির্বাচন কমিশন আজ জাতীয় সংসদ নির্বাচন অনুষ্ঠানের তারিখ ঘোষণা করেছে।",
            "রাজনীতি",
            "2025-04-01T10:00:00+06:00",
        ),
        story(
            "mango",
            "আমের ফলন ভালো",
            "রাজশাহী অঞ্চলে এবার আমের ফলন গত বছরের চেয়ে ভালো হয়েছে।",
            "সারাদেশ",
            "2025-04-02T10:00:00+06:00",
        ),
    ])
    .await;

    for (typo, fixed) in [
        ("নির্বাচণ", "নির্বাচন"),
        ("কমিসন", "কমিশন"),
        ("নির্বাচণ কমিসন", "নির্বাচন কমিশন"),
    ] {
        let result = search(&t, typo, "").await;
        assert_eq!(result["total"], 0, "{typo}: {result}");
        assert_eq!(result["hits"], json!([]));
        assert_eq!(result["did_you_mean"], fixed, "{typo}: {result}");
        // The suggestion finds the story.
        assert_eq!(
            hit_ids(&search(&t, fixed, "").await),
            ["poll-date"],
            "{fixed}"
        );
    }
    // A query with hits gets no suggestion.
    assert!(search(&t, "নির্বাচন", "").await["did_you_mean"].is_null());

    let page = t.get(&page_path("নির্বাচণ")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("আপনি কি");
    let link = format!("/search?q={}", query_value("নির্বাচন"));
    assert!(
        page.links().contains(&link),
        "no link {link}: {:?}",
        page.links()
    );
    page.assert_contains(">নির্বাচন</a>");
}

#[tokio::test]
async fn search_page_links_hits_highlights_words_and_escapes_story_text() {
    let t = paper(&[
        story(
            "dhaka-traffic",
            "ঢাকার সড়কে যানজট কমাতে নতুন পরিকল্পনা",
            "ঢাকা শহরের প্রধান সড়কগুলোতে যানজট কমাতে সিটি করপোরেশন নতুন পরিকল্পনা নিয়েছে।",
            "জাতীয়",
            "2025-01-15T10:00:00+06:00",
        ),
        story(
            "web-security",
            "ঢাকায় কর্মশালা: <script> ট্যাগ কেন বিপজ্জনক",
            "কর্মশালায় দেখানো হয়, মন্তব্যের ঘরে কেউ <script>alert('ঢাকা')</script> লিখে দিলে দুর্বল ওয়েবসাইটে তা কোড হিসেবে চলে যেতে পারে।",
            "প্রযুক্তি",
            "2025-01-16T10:00:00+06:00",
        ),
        story(
            "mango",
            "আমের ফলন ভালো",
            "রাজশাহী অঞ্চলে এবার আমের ফলন গত বছরের চেয়ে ভালো হয়েছে।",
            "সারাদেশ",
            "2025-01-17T10:00:00+06:00",
        ),
    ])
    .await;

    let page = t.get(&page_path("ঢাকা")).await;
    assert_eq!(page.status, StatusCode::OK);
    let path = t.path_of("dhaka-traffic").await;
    page.assert_contains(&format!(
        "<a href=\"{path}\">ঢাকার সড়কে যানজট কমাতে নতুন পরিকল্পনা</a>"
    ));
    page.assert_contains("<mark>ঢাকা</mark>");
    page.assert_contains("২টি খবর পাওয়া গেছে");
    assert!(!page.body.contains("আমের ফলন"), "unrelated story listed");
    // Story text is text: escaped in the headline and in the snippet, never a tag.
    page.assert_contains("&lt;script&gt; ট্যাগ");
    page.assert_contains("&lt;script&gt;alert(");
    assert!(
        !page.body.contains("<script>alert"),
        "story text became a tag"
    );
    assert!(!page.body.contains("<script> ট্যাগ"), "headline became a tag");
    let web_path = t.path_of("web-security").await;
    assert!(page.links().contains(&web_path), "{:?}", page.links());

    // The API's snippet is escaped HTML too.
    let result = search(&t, "ঢাকা", "").await;
    let s = snippet_of(&result, "web-security");
    assert!(
        s.contains("&lt;script&gt;") && !s.contains("<script"),
        "{s}"
    );
}

#[tokio::test]
async fn unpublishing_removes_a_story_from_search_and_publishing_brings_it_back() {
    let t = paper(&[
        story(
            "ferry-strike",
            "লঞ্চ ধর্মঘটে যাত্রীদের দুর্ভোগ",
            "বরিশাল নৌপথে লঞ্চ শ্রমিকদের ধর্মঘটে দ্বিতীয় দিনেও হাজারো যাত্রী ঘাটে আটকে আছেন।",
            "সারাদেশ",
            "2025-07-01T10:00:00+06:00",
        ),
        story(
            "bus-fare",
            "বাসভাড়া নিয়ে ধর্মঘটের হুমকি",
            "ডিজেলের দাম বাড়ায় পরিবহনমালিকেরা বাসভাড়া না বাড়ালে ধর্মঘটে যাওয়ার হুমকি দিয়েছেন।",
            "জাতীয়",
            "2025-07-02T10:00:00+06:00",
        ),
    ])
    .await;
    let id = t.api_article("ferry-strike").await["id"].as_i64().unwrap();
    assert_eq!(
        id_set(&search(&t, "ধর্মঘট", "").await),
        set(&["ferry-strike", "bus-fare"])
    );

    assert!(t
        .app
        .store()
        .set_status(id, Status::Unpublished)
        .await
        .unwrap());
    t.app.sync_search().await.unwrap();
    let result = search(&t, "ধর্মঘট", "").await;
    assert_eq!(hit_ids(&result), ["bus-fare"], "{result}");
    assert_eq!(result["total"], 1);
    let result = search(&t, "লঞ্চ", "").await;
    assert_eq!(result["total"], 0, "{result}");
    let page = t.get(&page_path("লঞ্চ")).await;
    assert!(!page.body.contains("লঞ্চ ধর্মঘটে যাত্রীদের দুর্ভোগ</a>"));

    assert!(t
        .app
        .store()
        .set_status(id, Status::Published)
        .await
        .unwrap());
    t.app.sync_search().await.unwrap();
    let result = search(&t, "লঞ্চ", "").await;
    assert_eq!(hit_ids(&result), ["ferry-strike"], "{result}");
    assert_eq!(result["total"], 1);
}

#[tokio::test]
async fn a_reimported_story_is_found_by_its_new_words_only() {
    let v1 = story(
        "fruit-market",
        "মৌসুমি ফলের বাজার জমজমাট",
        "জ্যৈষ্ঠের শুরুতেই রাজশাহীর বাজারে কাঁঠাল উঠতে শুরু করেছে।",
        "অর্থনীতি",
        "2025-05-20T10:00:00+06:00",
    );
    let t = paper(std::slice::from_ref(&v1)).await;
    let id = t.api_article("fruit-market").await["id"].clone();
    assert_eq!(hit_ids(&search(&t, "কাঁঠাল", "").await), ["fruit-market"]);

    let mut v2 = v1.clone();
    v2["body"] = json!("জ্যৈষ্ঠের শুরুতেই মধুপুরের বাজারে আনারস উঠতে শুরু করেছে।");
    let report = t.import(&[v2]).await;
    assert_eq!(report.updated, 1, "{:?}", report.skipped);
    t.app.sync_search().await.unwrap();

    let old = search(&t, "কাঁঠাল", "").await;
    assert_eq!(old["total"], 0, "{old}");
    let new = search(&t, "আনারস", "").await;
    assert_eq!(hit_ids(&new), ["fruit-market"], "{new}");
    assert_eq!(new["total"], 1, "the story is in the index once");
    assert_eq!(new["hits"][0]["id"], id);
    // Words kept in the new version still find it, once.
    let kept = search(&t, "জ্যৈষ্ঠ", "").await;
    assert_eq!(hit_ids(&kept), ["fruit-market"], "{kept}");
}

/// Three stories about the Padma bridge, sharing their distinctive words, and three others.
fn padma_and_others() -> Vec<Value> {
    vec![
        story(
            "padma-toll",
            "পদ্মা সেতুতে এক দিনে রেকর্ড টোল আদায়",
            "ঈদের আগের দিন পদ্মা সেতু দিয়ে রেকর্ডসংখ্যক যানবাহন পার হয়েছে। মাওয়া ও জাজিরা প্রান্তের টোল প্লাজায় দিনভর গাড়ির দীর্ঘ সারি ছিল।",
            "জাতীয়",
            "2025-06-01T10:00:00+06:00",
        ),
        story(
            "padma-rail",
            "পদ্মা সেতু দিয়ে ট্রেন চলাচল শুরু",
            "মাওয়া থেকে জাজিরা হয়ে পদ্মা সেতুর ওপর দিয়ে প্রথম যাত্রীবাহী ট্রেন ভাঙ্গা স্টেশনে পৌঁছেছে।",
            "জাতীয়",
            "2025-06-02T10:00:00+06:00",
        ),
        story(
            "padma-ferry",
            "পদ্মা সেতু চালুর পর ফেরিঘাটে ভিড় নেই",
            "পদ্মা সেতু চালু হওয়ার পর মাওয়া ও জাজিরা ঘাটের ফেরিগুলো প্রায় যাত্রীশূন্য হয়ে পড়েছে।",
            "জাতীয়",
            "2025-06-03T10:00:00+06:00",
        ),
        story(
            "cricket",
            "শেষ ওভারে জয় পেল বাংলাদেশ",
            "মিরপুরে টান টান উত্তেজনার ম্যাচে শেষ ওভারের চতুর্থ বলে ছক্কা মেরে দলকে জিতিয়েছেন তাওহিদ হৃদয়।",
            "খেলা",
            "2025-06-04T10:00:00+06:00",
        ),
        story(
            "cold-wave",
            "শৈত্যপ্রবাহে কাঁপছে উত্তরাঞ্চল",
            "পঞ্চগড়ে আজ সকালে তাপমাত্রা নেমে এসেছে নয় দশমিক দুই ডিগ্রি সেলসিয়াসে।",
            "সারাদেশ",
            "2025-06-05T10:00:00+06:00",
        ),
        story(
            "exam-results",
            "এসএসসির ফল প্রকাশ আগামী সপ্তাহে",
            "শিক্ষা বোর্ড জানিয়েছে, এবারের মাধ্যমিক পরীক্ষার ফল আগামী সপ্তাহের বৃহস্পতিবার প্রকাশ করা হবে।",
            "শিক্ষা",
            "2025-06-06T10:00:00+06:00",
        ),
    ]
}

/// Links in the "আরও পড়ুন" section of the article page of `external_id`.
async fn related_links(t: &TestApp, external_id: &str) -> Vec<String> {
    let page = t.get(&t.path_of(external_id).await).await;
    assert_eq!(page.status, StatusCode::OK);
    let Some(section) = page
        .body
        .split("<h2 id=\"related-heading\">আরও পড়ুন</h2>")
        .nth(1)
    else {
        panic!("no আরও পড়ুন section on the page of {external_id}");
    };
    section
        .split("</section>")
        .next()
        .unwrap()
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// The related list of `of` links every story in `similar`, never `of` itself nor `never`.
async fn assert_related(t: &TestApp, of: &str, similar: &[&str], never: &[&str]) {
    let links = related_links(t, of).await;
    for s in similar {
        let path = t.path_of(s).await;
        assert!(links.contains(&path), "{of}: {s} ({path}) not in {links:?}");
    }
    for n in never.iter().chain([&of]) {
        let path = t.path_of(n).await;
        assert!(
            !links.contains(&path),
            "{of}: {n} ({path}) listed: {links:?}"
        );
    }
}

#[tokio::test]
async fn article_page_lists_similar_stories_under_read_more() {
    let t = paper(&padma_and_others()).await;
    let unrelated = ["cricket", "cold-wave", "exam-results"];
    assert_related(&t, "padma-toll", &["padma-rail", "padma-ferry"], &unrelated).await;
    assert_related(&t, "padma-rail", &["padma-toll", "padma-ferry"], &unrelated).await;
}

#[tokio::test]
async fn related_stories_in_a_larger_paper_are_the_similar_ones() {
    let mut all = padma_and_others();
    all.extend(stories("খেলা", 1, 20));
    let t = paper(&all).await;
    let mut never = vec!["cricket", "cold-wave", "exam-results"];
    let fillers: Vec<String> = (1..=20).map(|i| format!("story-{i:04}")).collect();
    never.extend(fillers.iter().map(String::as_str));
    assert_related(&t, "padma-toll", &["padma-rail", "padma-ferry"], &never).await;
    assert_related(&t, "padma-ferry", &["padma-toll", "padma-rail"], &never).await;
}

/// The store id of the story imported with `external_id`.
async fn id_of(t: &TestApp, external_id: &str) -> i64 {
    t.api_article(external_id).await["id"].as_i64().unwrap()
}

#[tokio::test]
async fn related_stories_are_worked_out_when_indexed_and_kept_in_the_store() {
    let t = paper(&padma_and_others()).await;
    let store = t.app.store();
    let toll = id_of(&t, "padma-toll").await;
    let kept = store
        .related_ids(toll)
        .await
        .unwrap()
        .expect("worked out by the indexer");
    for s in ["padma-rail", "padma-ferry"] {
        assert!(kept.contains(&id_of(&t, s).await), "{s} not in {kept:?}");
    }
    assert!(!kept.contains(&toll));
    // The page shows the kept list: once the store's list for padma-toll names only the
    // cricket story, that is what its page links (the related fragment is worked out again
    // after the story's own change drops it).
    let cricket = id_of(&t, "cricket").await;
    store.set_related(&[(toll, vec![cricket])]).await.unwrap();
    t.app.state.cache().clear();
    assert_related(
        &t,
        "padma-toll",
        &["cricket"],
        &["padma-rail", "padma-ferry"],
    )
    .await;
}

#[tokio::test]
async fn related_cards_keep_the_kept_order_and_leave_out_stories_no_longer_published() {
    let t = paper(&padma_and_others()).await;
    let store = t.app.store();
    let [toll, rail, ferry, cricket] = [
        id_of(&t, "padma-toll").await,
        id_of(&t, "padma-rail").await,
        id_of(&t, "padma-ferry").await,
        id_of(&t, "cricket").await,
    ];
    store
        .set_related(&[(toll, vec![cricket, rail, ferry]), (rail, vec![])])
        .await
        .unwrap();
    assert!(store.set_status(rail, Status::Draft).await.unwrap());
    let cards = store.related_cards(toll).await.unwrap().expect("kept");
    let ids: Vec<i64> = cards.iter().map(|c| c.id).collect();
    assert_eq!(ids, [cricket, ferry]);
    assert_eq!(cards[0].headline, "শেষ ওভারে জয় পেল বাংলাদেশ");
    assert_eq!(cards[0].section.name, "খেলা");
    let none_kept = store
        .related_cards(rail)
        .await
        .unwrap()
        .expect("an empty list is kept");
    assert!(none_kept.is_empty());
    sqlx::query("DELETE FROM article_related")
        .execute(store.pool())
        .await
        .unwrap();
    assert!(store.related_cards(toll).await.unwrap().is_none());
}

#[tokio::test]
async fn a_story_the_indexer_has_not_reached_gets_its_related_stories_from_the_index() {
    let t = paper(&padma_and_others()).await;
    let toll = id_of(&t, "padma-toll").await;
    sqlx::query("DELETE FROM article_related")
        .execute(t.app.store().pool())
        .await
        .unwrap();
    assert_eq!(t.app.store().related_ids(toll).await.unwrap(), None);
    t.app.state.cache().clear();
    assert_related(
        &t,
        "padma-toll",
        &["padma-rail", "padma-ferry"],
        &["cricket"],
    )
    .await;
}

#[tokio::test]
async fn reindex_works_out_related_stories_for_every_story() {
    let t = paper(&padma_and_others()).await;
    sqlx::query("DELETE FROM article_related")
        .execute(t.app.store().pool())
        .await
        .unwrap();
    let done = khobor::jobs::search_indexer::relate_all(
        t.app.store(),
        t.app.state.search(),
        |_| {},
        &|| false,
    )
    .await
    .unwrap();
    let all = padma_and_others();
    assert_eq!(done, all.len());
    let rail = id_of(&t, "padma-rail").await;
    for story in &all {
        let id = id_of(&t, story["id"].as_str().unwrap()).await;
        assert!(
            t.app.store().related_ids(id).await.unwrap().is_some(),
            "{story}"
        );
    }
    let kept = t
        .app
        .store()
        .related_ids(id_of(&t, "padma-toll").await)
        .await
        .unwrap()
        .unwrap();
    assert!(kept.contains(&rail), "{kept:?}");
}

#[tokio::test]
async fn a_reindex_reads_each_storys_lead_from_the_store_as_the_story_page_cuts_it() {
    // Longer than a lead: a run of Bengali words (three bytes a letter) well past 600 letters.
    let long = "পদ্মা সেতুর টোলপ্লাজায় ঈদের আগে গাড়ির সারি। ".repeat(30);
    let mut all = padma_and_others();
    all.push(story(
        "padma-long",
        "পদ্মা সেতুতে ঈদের ভিড়",
        &long,
        "জাতীয়",
        "2025-06-05T10:00:00+06:00",
    ));
    let t = paper(&all).await;
    let mut ids = Vec::new();
    for s in &all {
        ids.push(id_of(&t, s["id"].as_str().unwrap()).await);
    }
    let store = t.app.store();
    let leads = store.published_leads(&ids).await.unwrap();
    let stories = store.published_articles(&ids).await.unwrap();
    assert_eq!(leads.len(), all.len());
    for (lead, story) in leads.iter().zip(&stories) {
        let cut = khobor::domain::StoryLead::of(story);
        assert_eq!(
            (lead.id, &lead.headline, &lead.lead),
            (cut.id, &cut.headline, &cut.lead)
        );
    }
    let long = leads.last().unwrap();
    assert_eq!(
        long.lead.chars().count(),
        khobor::domain::article::LEAD_CHARS
    );
    assert!(stories.last().unwrap().body_text.starts_with(&long.lead));
    // Read from the store or cut from the whole story, the related stories are the same.
    let search = t.app.state.search();
    for (lead, story) in leads.iter().zip(&stories) {
        assert_eq!(
            search.related_to(lead, 8).unwrap(),
            search.related(story, 8).unwrap()
        );
    }
}

#[tokio::test]
async fn the_running_server_indexes_new_and_unpublished_stories_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let over = Overrides {
        data: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let config = Config::load(&over, Some("127.0.0.1:0")).unwrap();
    let app = App::build(config.clone()).await.unwrap();
    let store = app.store().clone();
    let served = crate::helpers::Served::start(app).await;
    let base = served.base.clone();

    let client = reqwest::Client::new();
    let url = format!("{base}{}", api_path("শিমুলতলা", ""));
    let total = |client: reqwest::Client, url: String| async move {
        let resp = client.get(&url).send().await.expect("server answers");
        assert_eq!(resp.status(), 200);
        let v: Value = resp.json().await.expect("JSON");
        v["total"].as_u64().expect("total")
    };
    assert_eq!(total(client.clone(), url.clone()).await, 0);

    // Published while the server runs; nothing but the server's own indexer picks it up.
    let line = story(
        "simultala",
        "শিমুলতলায় পর্যটকের ভিড়",
        "শীত পড়তেই জামুইয়ের শিমুলতলায় কলকাতা ও ঢাকা থেকে পর্যটকেরা আসতে শুরু করেছেন।",
        "আন্তর্জাতিক",
        "2025-12-01T10:00:00+06:00",
    );
    let report = khobor::import::import_jsonl_reader(
        &store,
        format!("{line}\n").as_bytes(),
        config.site.timezone,
        khobor::domain::bijoy::BijoyMode::Auto,
    )
    .await
    .unwrap();
    assert_eq!(report.inserted, 1, "{:?}", report.skipped);
    eventually("the new story becomes searchable", || {
        let n = total(client.clone(), url.clone());
        async move { n.await == 1 }
    })
    .await;

    let list: Value = client
        .get(format!("{base}/api/v1/articles"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = list["articles"][0]["id"].as_i64().unwrap();
    assert!(store.set_status(id, Status::Unpublished).await.unwrap());
    eventually("the unpublished story leaves search", || {
        let n = total(client.clone(), url.clone());
        async move { n.await == 0 }
    })
    .await;

    served.stop().await;
}

/// Two economy stories of early September, for the restart and restore tests.
fn port_and_jute() -> [Value; 2] {
    [
        story(
            "port-jam",
            "চট্টগ্রাম বন্দরে কনটেইনার জট",
            "চট্টগ্রাম বন্দরে কনটেইনার জট কমাতে আজ থেকে চব্বিশ ঘণ্টা কাজ চলবে।",
            "অর্থনীতি",
            "2025-09-01T10:00:00+06:00",
        ),
        story(
            "jute-mills",
            "বন্ধ পাটকল চালুর ঘোষণা",
            "খুলনার বন্ধ পাটকলগুলো আগামী মাসে আবার চালু হবে বলে জানিয়েছে মন্ত্রণালয়।",
            "অর্থনীতি",
            "2025-09-02T10:00:00+06:00",
        ),
    ]
}

#[tokio::test]
async fn after_a_restart_the_index_catches_up_from_its_last_sequence_and_matches_a_rebuild() {
    let t = paper(&port_and_jute()).await;
    assert_eq!(hit_ids(&search(&t, "পাটকল", "").await), ["jute-mills"]);
    let applied = t.app.state.search().applied_seq().unwrap();
    assert_eq!(applied, t.app.store().last_change_seq().await.unwrap());
    let withdrawn = t.api_article("jute-mills").await["id"].as_i64().unwrap();

    // The server stops; while it is down, stories arrive and one is withdrawn.
    let closed = t.close().await;
    let store = closed.open_store().await;
    let mut lines = vec![story(
        "tea-wages",
        "চা শ্রমিকদের মজুরি বাড়ল",
        "সিলেটের বাগানগুলোতে চা শ্রমিকদের দৈনিক মজুরি পঞ্চাশ টাকা বাড়ানো হয়েছে।",
        "অর্থনীতি",
        "2025-09-03T10:00:00+06:00",
    )];
    lines.extend(stories("খেলা", 1, 3));
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let report = khobor::import::import_jsonl_reader(
        &store,
        text.as_bytes(),
        chrono_tz::Asia::Dhaka,
        khobor::domain::bijoy::BijoyMode::Auto,
    )
    .await
    .unwrap();
    assert_eq!(report.inserted, 4, "{:?}", report.skipped);
    assert!(store
        .set_status(withdrawn, Status::Unpublished)
        .await
        .unwrap());
    let last = store.last_change_seq().await.unwrap();
    store.close().await;

    // On restart the index still knows where it stopped, and applies only what is new.
    let t = TestApp::reopen(closed).await;
    assert_eq!(t.app.state.search().applied_seq().unwrap(), applied);
    assert_eq!(
        t.app.sync_search().await.unwrap(),
        5,
        "four imports and one unpublish"
    );
    assert_eq!(t.app.state.search().applied_seq().unwrap(), last);
    assert_eq!(
        t.app.sync_search().await.unwrap(),
        0,
        "nothing left to apply"
    );

    let queries = ["কনটেইনার", "পাটকল", "মজুরি", "পরীক্ষা", "চট্টগ্রাম বন্দর"];
    let expected = [
        set(&["port-jam"]),
        set(&[]),
        set(&["tea-wages"]),
        set(&["story-0001", "story-0002", "story-0003"]),
        set(&["port-jam"]),
    ];
    let mut caught_up = Vec::new();
    for (q, want) in queries.iter().zip(&expected) {
        let result = search(&t, q, "").await;
        assert_eq!(&id_set(&result), want, "{q}: {result}");
        caught_up.push((id_set(&result), result["total"].clone()));
    }
    let docs = t.app.state.search().num_docs();
    assert_eq!(docs, 5, "published stories in the index");

    // A full rebuild from the store gives the same answers.
    let rebuilt =
        khobor::jobs::search_indexer::rebuild(t.app.store(), t.app.state.search(), |_| {}, &|| {
            false
        })
        .await
        .unwrap();
    assert_eq!(rebuilt, 5);
    assert_eq!(t.app.state.search().num_docs(), docs);
    assert_eq!(t.app.state.search().applied_seq().unwrap(), last);
    for (q, before) in queries.iter().zip(&caught_up) {
        let result = search(&t, q, "").await;
        assert_eq!(
            (id_set(&result), result["total"].clone()),
            *before,
            "{q} after rebuild: {result}"
        );
    }

    // And a rebuild into a fresh index agrees with the caught-up one, hit for hit.
    let fresh = Arc::new(khobor::search::SearchIndex::in_ram().unwrap());
    khobor::jobs::search_indexer::rebuild(t.app.store(), &fresh, |_| {}, &|| false)
        .await
        .unwrap();
    assert_eq!(fresh.num_docs(), docs);
    let now = chrono::Utc::now().timestamp();
    for q in queries {
        let req = khobor::search::SearchRequest {
            q: q.to_owned(),
            limit: 50,
            ..Default::default()
        };
        let ids = |r: khobor::search::SearchResults| -> BTreeSet<i64> {
            r.hits.into_iter().map(|(id, _)| id).collect()
        };
        assert_eq!(
            ids(fresh.search(&req, now).unwrap()),
            ids(t.app.state.search().search(&req, now).unwrap()),
            "{q}"
        );
    }
}

#[tokio::test]
async fn an_index_of_an_earlier_schema_is_rebuilt_from_the_store_not_refused() {
    let t = paper(&port_and_jute()).await;
    let closed = t.close().await;

    // An index as an earlier version wrote it: positions kept in its text fields, claiming to
    // be in step with the store, and holding a story the store does not have.
    let dir = closed.data().join("search");
    let payload = tantivy::Index::open_in_dir(&dir)
        .unwrap()
        .load_metas()
        .unwrap()
        .payload;
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    let mut b = tantivy::schema::Schema::builder();
    let id = b.add_i64_field("id", tantivy::schema::INDEXED | tantivy::schema::STORED);
    let mut text = None;
    for name in [
        "headline",
        "headline_exact",
        "summary",
        "body",
        "body_exact",
        "tags",
        "author",
    ] {
        let field = b.add_text_field(name, tantivy::schema::TEXT);
        text.get_or_insert(field);
    }
    b.add_text_field("section", tantivy::schema::STRING);
    b.add_i64_field("published", tantivy::schema::INDEXED);
    let old = tantivy::Index::create_in_dir(&dir, b.build()).unwrap();
    let mut writer: tantivy::IndexWriter = old.writer(15_000_000).unwrap();
    let mut ghost = tantivy::TantivyDocument::default();
    ghost.add_i64(id, 999);
    ghost.add_text(text.unwrap(), "বাতিল গল্প");
    writer.add_document(ghost).unwrap();
    let mut commit = writer.prepare_commit().unwrap();
    commit.set_payload(&payload.expect("the index records its position"));
    commit.commit().unwrap();
    drop(writer);
    drop(old);

    // The server starts over it, and the indexer rebuilds it from the store.
    let t = TestApp::reopen(closed).await;
    assert_eq!(
        t.app.state.search().num_docs(),
        0,
        "nothing of the old index"
    );
    t.app.sync_search().await.expect("index rebuilds");
    assert_eq!(t.app.state.search().num_docs(), 2);
    assert_eq!(hit_ids(&search(&t, "পাটকল", "").await), ["jute-mills"]);
    assert_eq!(hit_ids(&search(&t, "কনটেইনার", "").await), ["port-jam"]);
    assert!(hit_ids(&search(&t, "বাতিল", "").await).is_empty());
}

#[tokio::test]
async fn aliases_from_the_config_file_expand_banglish_names() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("khobor.toml");
    std::fs::write(&config, "[search.aliases]\nBablu = [\"খোকাবাবু\"]\n").unwrap();
    let over = Overrides {
        config: Some(config),
        ..Default::default()
    };
    let t = TestApp::with_settings(over).await;
    t.import(&[story(
        "alias-1",
        "খোকাবাবুর প্রত্যাবর্তন",
        "বহু বছর পর খোকাবাবু গ্রামে ফিরেছেন।",
        "জাতীয়",
        "2024-01-10T10:00:00+06:00",
    )])
    .await;
    t.app.sync_search().await.unwrap();
    // "bablu" sounds nothing like খোকাবাবু: only the alias can lead there.
    let found = search(&t, "bablu", "").await;
    assert_eq!(hit_ids(&found), vec!["alias-1".to_owned()]);
    assert!(found["expansions"][0]["bengali"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b == "খোকাবাবু"));
}

/// Closes an application on SQLite, keeping its data directory.
async fn close(t: TestApp) -> (tempfile::TempDir, std::path::PathBuf) {
    assert!(t.db.is_none(), "a file copy is an SQLite store's backup");
    let closed = t.close().await;
    let data = closed.data();
    (closed.dir, data)
}

/// Copies the store's database file (with its WAL, if one is left) from `from` to `to`, as a
/// backup taken while the application is closed and a restore of it would.
fn copy_db(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for name in ["khobor.db", "khobor.db-wal", "khobor.db-shm"] {
        let _ = std::fs::remove_file(to.join(name));
        if from.join(name).exists() {
            std::fs::copy(from.join(name), to.join(name)).unwrap();
        }
    }
}

#[tokio::test]
async fn a_store_restored_from_an_older_copy_is_searched_as_it_is_now() {
    // A backup here is a copy of the SQLite file; PostgreSQL's restores keep their own
    // store identity and feed, and are covered by the identity checks alike.
    let t = paper_in(TestApp::on_sqlite().await, &port_and_jute()).await;
    let (dir, data) = close(t).await;
    let backup = tempfile::tempdir().unwrap();
    copy_db(&data, backup.path());

    // The paper goes on after the backup: two stories, published and indexed.
    let t = open_data_dir(dir, &data).await;
    t.import(&[
        story(
            "tea-wages",
            "চা শ্রমিকদের মজুরি বাড়ল",
            "সিলেটের বাগানগুলোতে চা শ্রমিকদের দৈনিক মজুরি পঞ্চাশ টাকা বাড়ানো হয়েছে।",
            "অর্থনীতি",
            "2025-09-03T10:00:00+06:00",
        ),
        story(
            "hilsa-ban",
            "ইলিশ ধরায় নিষেধাজ্ঞা শুরু",
            "প্রজনন মৌসুমে বাইশ দিন নদীতে ইলিশ ধরা বন্ধ থাকবে।",
            "জাতীয়",
            "2025-09-04T10:00:00+06:00",
        ),
    ])
    .await;
    t.app.sync_search().await.unwrap();
    assert_eq!(hit_ids(&search(&t, "মজুরি", "").await), ["tea-wages"]);
    let lost_id = t.api_article("tea-wages").await["id"].as_i64().unwrap();
    let (dir, data) = close(t).await;

    // The database is put back to the older copy; the index stays as it was.
    copy_db(backup.path(), &data);
    let t = open_data_dir(dir, &data).await;
    t.app.sync_search().await.unwrap();
    for q in ["মজুরি", "ইলিশ"] {
        assert_eq!(
            search(&t, q, "").await["total"],
            0,
            "{q}: a story the store no longer has"
        );
    }
    assert_eq!(hit_ids(&search(&t, "পাটকল", "").await), ["jute-mills"]);
    assert_eq!(hit_ids(&search(&t, "কনটেইনার", "").await), ["port-jam"]);

    // A story published now gets the id a lost one had: found by its own words only.
    t.import(&[story(
        "rail-fare",
        "রেলের ভাড়া বাড়ছে না",
        "আগামী বাজেটে রেলের ভাড়া অপরিবর্তিত থাকবে বলে জানিয়েছেন মন্ত্রী।",
        "জাতীয়",
        "2025-09-05T10:00:00+06:00",
    )])
    .await;
    t.app.sync_search().await.unwrap();
    assert_eq!(
        t.api_article("rail-fare").await["id"].as_i64(),
        Some(lost_id),
        "the id is given again"
    );
    assert_eq!(hit_ids(&search(&t, "ভাড়া", "").await), ["rail-fare"]);
    assert_eq!(search(&t, "মজুরি", "").await["total"], 0);
}

/// A store with a few imported stories and `copies` archive copies of them (which have no
/// rows in the change feed), closed; the search index not built yet.
async fn archive_paper(copies: i64) -> crate::helpers::Closed {
    let t = TestApp::new().await;
    t.import(&stories("জাতীয়", 1, 4)).await;
    let added = t
        .app
        .store()
        .generate_archive(copies, 5, khobor::storage::now(), |_| {})
        .await
        .unwrap();
    assert_eq!(added, copies);
    t.close().await
}

/// How many stories the index in `dir` finds for a word every test story has.
fn hits_in(dir: &std::path::Path) -> usize {
    let index = khobor::search::SearchIndex::open(dir, Default::default()).unwrap();
    let req = khobor::search::SearchRequest {
        q: "পরীক্ষা".to_owned(),
        limit: 10,
        ..Default::default()
    };
    let hits = index.search(&req, khobor::storage::now()).unwrap().total;
    index.finish().unwrap();
    hits
}

#[tokio::test]
async fn an_interrupted_reindex_keeps_the_previous_index_and_a_complete_one_swaps_in() {
    use khobor::jobs::search_indexer::{rebuild_beside, IndexerError};
    use std::sync::atomic::{AtomicBool, Ordering};
    let closed = archive_paper(20).await;
    let live = closed.data().join("search");
    let store = closed.open_store().await;
    let done = rebuild_beside(&store, &live, Default::default(), |_| {}, &|| false)
        .await
        .unwrap();
    assert_eq!(done, 24);
    assert_eq!(hits_in(&live), 24);

    // More archive stories (no feed rows: only a rebuild finds them), then a reindex that is
    // stopped after its first batch.
    store
        .generate_archive(6, 5, khobor::storage::now(), |_| {})
        .await
        .unwrap();
    let stop = AtomicBool::new(false);
    let stopped = rebuild_beside(
        &store,
        &live,
        Default::default(),
        |_| stop.store(true, Ordering::Relaxed),
        &|| stop.load(Ordering::Relaxed),
    )
    .await;
    assert!(
        matches!(stopped, Err(IndexerError::Interrupted)),
        "{stopped:?}"
    );
    assert_eq!(hits_in(&live), 24, "the previous index answers as before");
    assert!(
        !khobor::search::staging_dir(&live).exists(),
        "nothing left beside it"
    );

    // Completed, the new index takes its place.
    let done = rebuild_beside(&store, &live, Default::default(), |_| {}, &|| false)
        .await
        .unwrap();
    assert_eq!(done, 30);
    assert_eq!(hits_in(&live), 30);
    store.close().await;
}

#[tokio::test]
async fn a_rebuild_stopped_half_way_is_finished_by_the_next_catch_up_with_archive_stories() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let t = TestApp::reopen(archive_paper(20).await).await;
    let index = t.app.state.search();
    let stop = AtomicBool::new(false);
    let stopped = khobor::jobs::search_indexer::rebuild(
        t.app.store(),
        index,
        |_| stop.store(true, Ordering::Relaxed),
        &|| stop.load(Ordering::Relaxed),
    )
    .await;
    assert!(stopped.is_err(), "stopped");
    assert!(
        matches!(
            index.recorded().unwrap(),
            khobor::search::Recorded::Position(khobor::search::Position::Rebuilding { .. })
        ),
        "the index knows it is unfinished"
    );
    // Following the feed alone would never bring the archive stories back.
    t.app.sync_search().await.unwrap();
    assert_eq!(search(&t, "পরীক্ষা", "").await["total"], 24);
}
