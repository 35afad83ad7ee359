//! The public JSON API under `/api/v1`: article listing (order, paging, filters), single
//! articles, sections and tags, and JSON errors with stable codes for every bad request.

use std::collections::HashSet;

use axum::http::{header, StatusCode};
use chrono::DateTime;
use serde_json::{json, Value};

use crate::helpers::{names, site_path, stories, wire_story, TestApp};

/// The `articles` array of a listing that must succeed.
#[track_caller]
fn articles_of(list: &Value) -> Vec<Value> {
    list["articles"].as_array().expect("articles array").clone()
}

/// Asserts a JSON error response and returns its message.
#[track_caller]
fn assert_api_error(page: &crate::helpers::Page, status: StatusCode, code: &str) -> String {
    assert_eq!(page.status, status, "body: {}", page.body);
    let ct = page.headers[header::CONTENT_TYPE].to_str().unwrap();
    assert!(ct.starts_with("application/json"), "content-type {ct}");
    let body = page.json();
    assert_eq!(body["error"]["code"], code, "body: {body}");
    let message = body["error"]["message"]
        .as_str()
        .expect("message")
        .to_owned();
    assert!(!message.trim().is_empty());
    message
}

/// The slug at the end of an absolute `/tag/{slug}` or section URL, still percent-encoded.
fn last_segment(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn articles_are_listed_newest_first_with_full_records() {
    let t = TestApp::new().await;
    t.import(&[wire_story()]).await;
    t.import(&stories("খেলা", 1, 5)).await;

    let page = t.get("/api/v1/articles").await;
    assert_eq!(page.status, StatusCode::OK);
    let ct = page.headers[header::CONTENT_TYPE].to_str().unwrap();
    assert!(ct.starts_with("application/json"), "{ct}");
    let list = page.json();
    assert_eq!(list["total"], 6);
    assert_eq!(list["page"], 1);
    assert_eq!(list["limit"], 20);
    assert_eq!(list["pages"], 1);
    let articles = articles_of(&list);
    assert_eq!(articles.len(), 6);

    // Newest first: story-0005 (the latest of the fixtures) opens, the 2019 wire story closes.
    let ids: Vec<&str> = articles
        .iter()
        .map(|a| a["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "story-0005",
            "story-0004",
            "story-0003",
            "story-0002",
            "story-0001",
            "wire-summit"
        ]
    );
    let times: Vec<_> = articles
        .iter()
        .map(|a| DateTime::parse_from_rfc3339(a["published_at"].as_str().unwrap()).unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");

    for a in &articles {
        let url = a["url"].as_str().unwrap();
        assert!(url.starts_with("http://khobor.test/"), "{url}");
        assert!(url.ends_with(&format!("/{}", a["id"])), "{url}");
        for field in ["published_at", "updated_at"] {
            let time = a[field].as_str().unwrap();
            assert!(time.ends_with("+06:00"), "{field} {time}");
        }
        assert!(a["section"]["url"]
            .as_str()
            .unwrap()
            .starts_with("http://khobor.test/"));
    }

    let wire = articles.last().unwrap();
    assert_eq!(wire["headline"], "দুই নেতার প্রথম শীর্ষ বৈঠক");
    assert_eq!(wire["kicker"], "সীমান্ত সম্মেলন");
    assert_eq!(
        wire["summary"],
        "দীর্ঘ আলোচনার পর দুই প্রতিবেশী দেশের নেতা প্রথমবার মুখোমুখি বসেছেন।"
    );
    assert_eq!(wire["published_at"], "2019-04-25T10:00:00+06:00");
    assert_eq!(wire["credit"], "এএফপি");
    assert_eq!(wire["signature"], "টাইমস/এসআই");
    assert_eq!(wire["dateline"], "মস্কো");
    assert_eq!(wire["source"], Value::Null);
    assert_eq!(wire["section"]["slug"], "international");
    assert_eq!(wire["section"]["name"], "আন্তর্জাতিক");
    assert_eq!(wire["section"]["url"], "http://khobor.test/international");
    let tag_names = names(&wire["tags"]);
    assert_eq!(tag_names, ["উত্তর কোরিয়া", "শীর্ষ বৈঠক"]);
    for tag in wire["tags"].as_array().unwrap() {
        assert!(tag["url"]
            .as_str()
            .unwrap()
            .starts_with("http://khobor.test/tag/"));
        assert!(!tag["slug"].as_str().unwrap().is_empty());
    }
    assert_eq!(wire["authors"][0]["name"], "তানিয়া রহমান");
    let body = wire["body_html"].as_str().unwrap();
    assert!(body.starts_with("<p>প্রথমবারের মতো শীর্ষ বৈঠকে"), "{body}");
    assert_eq!(body.matches("<p>").count(), 2, "{body}");
}

#[tokio::test]
async fn an_empty_paper_lists_no_articles() {
    let t = TestApp::new().await;
    let list = t.get("/api/v1/articles").await.json();
    assert_eq!(list["total"], 0);
    assert_eq!(list["pages"], 0);
    assert_eq!(articles_of(&list).len(), 0);
}

#[tokio::test]
async fn pages_do_not_overlap_and_together_cover_every_story() {
    let t = TestApp::new().await;
    t.import(&stories("রাজনীতি", 1, 20)).await;
    // Three stories published at the very same minute: the order among them must still be
    // stable from page to page.
    let same_time: Vec<Value> = (0..3)
        .map(|i| {
            json!({
                "id": format!("same-minute-{i}"),
                "title": format!("একই সময়ের খবর {i}"),
                "body": "একই মিনিটে প্রকাশিত খবর।",
                "category": "রাজনীতি",
                "published": "2025-12-02T08:10:00+06:00",
            })
        })
        .collect();
    t.import(&same_time).await;

    let all: Vec<i64> = articles_of(&t.get("/api/v1/articles?limit=100").await.json())
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(all.len(), 23);

    let mut paged = Vec::new();
    for n in 1..=5 {
        let list = t
            .get(&format!("/api/v1/articles?page={n}&limit=5"))
            .await
            .json();
        assert_eq!(list["page"], n);
        assert_eq!(list["limit"], 5);
        assert_eq!(list["total"], 23);
        assert_eq!(list["pages"], 5);
        let got = articles_of(&list);
        assert_eq!(got.len(), if n < 5 { 5 } else { 3 }, "page {n}");
        paged.extend(got.iter().map(|a| a["id"].as_i64().unwrap()));
    }
    let distinct: HashSet<i64> = paged.iter().copied().collect();
    assert_eq!(distinct.len(), paged.len(), "a story appeared on two pages");
    assert_eq!(
        paged, all,
        "pages in sequence must be the full list in order"
    );

    for query in ["page=6&limit=5", "page=9223372036854775807&limit=100"] {
        let beyond = t.get(&format!("/api/v1/articles?{query}")).await;
        assert_eq!(beyond.status, StatusCode::OK, "{query}");
        let list = beyond.json();
        assert_eq!(articles_of(&list).len(), 0, "{query}");
        assert_eq!(list["total"], 23);
    }
}

#[tokio::test]
async fn a_limit_of_one_hundred_is_the_largest_page() {
    let t = TestApp::new().await;
    t.import(&stories("অর্থনীতি", 1, 105)).await;
    let list = t.get("/api/v1/articles?limit=100").await.json();
    assert_eq!(articles_of(&list).len(), 100);
    assert_eq!(list["total"], 105);
    assert_eq!(list["pages"], 2);
    let second = t.get("/api/v1/articles?limit=100&page=2").await.json();
    assert_eq!(articles_of(&second).len(), 5);

    let message = assert_api_error(
        &t.get("/api/v1/articles?limit=101").await,
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
    );
    assert!(message.contains("limit"), "{message}");
}

#[tokio::test]
async fn bad_paging_values_are_a_json_400() {
    let t = TestApp::new().await;
    t.import(&stories("খেলা", 1, 3)).await;
    for (query, name) in [
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("limit=-5", "limit"),
        ("limit=2.5", "limit"),
        ("limit=", "limit"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=এক", "page"),
        ("page=99999999999999999999999", "page"),
    ] {
        let encoded = query.replace("এক", "%E0%A6%8F%E0%A6%95");
        let page = t.get(&format!("/api/v1/articles?{encoded}")).await;
        let message = assert_api_error(&page, StatusCode::BAD_REQUEST, "invalid_parameter");
        assert!(message.contains(name), "{query}: {message}");
    }
}

#[tokio::test]
async fn unknown_parameters_are_a_json_400_naming_them() {
    let t = TestApp::new().await;
    let message = assert_api_error(
        &t.get("/api/v1/articles?sort=oldest").await,
        StatusCode::BAD_REQUEST,
        "unknown_parameter",
    );
    assert!(message.contains("sort"), "{message}");
    // A typo of a real parameter is not silently ignored either.
    assert_api_error(
        &t.get("/api/v1/articles?limt=5").await,
        StatusCode::BAD_REQUEST,
        "unknown_parameter",
    );
}

#[tokio::test]
async fn section_filter_returns_only_that_sections_stories() {
    let t = TestApp::new().await;
    t.import(&[wire_story()]).await;
    t.import(&stories("খেলা", 1, 4)).await;
    t.import(&stories("রাজনীতি", 10, 3)).await;

    let sports = t.get("/api/v1/articles?section=sports").await.json();
    assert_eq!(sports["total"], 4);
    let got = articles_of(&sports);
    assert_eq!(got.len(), 4);
    assert!(got.iter().all(|a| a["section"]["slug"] == "sports"));

    let politics = t
        .get("/api/v1/articles?section=politics&limit=2")
        .await
        .json();
    assert_eq!(politics["total"], 3);
    assert_eq!(politics["pages"], 2);
    assert!(articles_of(&politics)
        .iter()
        .all(|a| a["section"]["slug"] == "politics"));

    let intl = articles_of(&t.get("/api/v1/articles?section=international").await.json());
    assert_eq!(intl.len(), 1);
    assert_eq!(intl[0]["external_id"], "wire-summit");

    // A seeded desk with no stories yet is an empty list, not an error.
    let economy = t.get("/api/v1/articles?section=economy").await;
    assert_eq!(economy.status, StatusCode::OK);
    assert_eq!(economy.json()["total"], 0);
}

#[tokio::test]
async fn tag_filter_returns_only_tagged_stories() {
    let t = TestApp::new().await;
    t.import(&[wire_story()]).await;
    t.import(&stories("খেলা", 1, 4)).await;

    let wire = t.api_article("wire-summit").await;
    let summit = last_segment(wire["tags"][1]["url"].as_str().unwrap());
    let list = t
        .get(&format!("/api/v1/articles?tag={summit}"))
        .await
        .json();
    assert_eq!(list["total"], 1);
    let got = articles_of(&list);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["external_id"], "wire-summit");

    // The fixtures' shared tag পরীক্ষা: the four test stories, not the wire story.
    let story = t.api_article("story-0001").await;
    let test_tag = last_segment(story["tags"][0]["url"].as_str().unwrap());
    let got = articles_of(
        &t.get(&format!("/api/v1/articles?tag={test_tag}"))
            .await
            .json(),
    );
    assert_eq!(got.len(), 4);
    assert!(got.iter().all(|a| a["tags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|tag| tag["name"] == "পরীক্ষা")));
}

#[tokio::test]
async fn unknown_section_or_tag_filter_is_a_json_404() {
    let t = TestApp::new().await;
    t.import(&[wire_story()]).await;
    assert_api_error(
        &t.get("/api/v1/articles?section=weather").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_api_error(
        &t.get("/api/v1/articles?tag=no-such-tag").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    // Each parameter is well-formed; together they break a rule: 422, not 400.
    assert_api_error(
        &t.get("/api/v1/articles?section=sports&tag=x").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_parameter",
    );
}

#[tokio::test]
async fn one_article_by_id_is_the_same_record_with_its_external_id() {
    let t = TestApp::new().await;
    t.import(&[wire_story()]).await;
    t.import(&stories("বিনোদন", 1, 2)).await;
    let listed = t.api_article("wire-summit").await;
    let id = listed["id"].as_i64().unwrap();

    let page = t.get(&format!("/api/v1/articles/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let one = page.json();
    assert_eq!(one["article"], listed);
    assert_eq!(one["article"]["external_id"], "wire-summit");
}

#[tokio::test]
async fn non_numeric_or_unknown_article_ids_are_a_json_404() {
    let t = TestApp::new().await;
    t.import(&[wire_story()]).await;
    let id = t.api_article("wire-summit").await["id"].as_i64().unwrap();
    for bad in [
        "abc".to_owned(),
        "0".to_owned(),
        "-1".to_owned(),
        "1.5".to_owned(),
        (id + 1000).to_string(),
        "99999999999999999999999".to_owned(),
        "wire-summit".to_owned(),
        "%E0%A7%A7".to_owned(), // the Bengali digit ১
    ] {
        let page = t.get(&format!("/api/v1/articles/{bad}")).await;
        assert_api_error(&page, StatusCode::NOT_FOUND, "not_found");
    }
}

#[tokio::test]
async fn unknown_endpoints_under_the_api_are_a_json_404() {
    let t = TestApp::new().await;
    t.import(&[wire_story()]).await;
    // API clients get JSON even for a path the API does not have, never the reader's HTML
    // error page (these paths are also shaped like `/{section}/{id}/…` reader paths).
    for path in [
        "/api/v1/nothing",
        "/api/v1/authors",
        "/api/v1/sections/x",
        "/api/v1/articles/1/comments",
        "/api/v1",
    ] {
        let page = t.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        let ct = page.headers[header::CONTENT_TYPE].to_str().unwrap();
        assert!(
            ct.starts_with("application/json"),
            "{path} answered {ct}, not JSON"
        );
        assert_eq!(page.json()["error"]["code"], "not_found", "{path}");
    }
}

#[tokio::test]
async fn sections_lists_the_seven_desks_and_those_created_by_import() {
    let t = TestApp::new().await;
    let sections = t.get("/api/v1/sections").await.json();
    let slugs: Vec<&str> = sections["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["slug"].as_str().unwrap())
        .collect();
    assert_eq!(
        slugs,
        [
            "national",
            "politics",
            "international",
            "economy",
            "sports",
            "entertainment",
            "country"
        ]
    );
    let names = names(&sections["sections"]);
    assert_eq!(
        names,
        [
            "জাতীয়",
            "রাজনীতি",
            "আন্তর্জাতিক",
            "অর্থনীতি",
            "খেলা",
            "বিনোদন",
            "সারাদেশ"
        ]
    );

    t.import(&stories("প্রবাস জীবন", 1, 1)).await;
    let after = t.get("/api/v1/sections").await.json();
    let all = after["sections"].as_array().unwrap();
    assert_eq!(all.len(), 8);
    let new = all
        .iter()
        .find(|s| s["name"] == "প্রবাস জীবন")
        .expect("the imported category is a section");
    let url = new["url"].as_str().unwrap();
    assert!(url.starts_with("http://khobor.test/%E0%A6%"), "{url}");
    let page = t.get(&site_path(url)).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("পরীক্ষার খবর নম্বর 1");
}

#[tokio::test]
async fn tags_lists_each_tag_with_its_article_count() {
    let t = TestApp::new().await;
    t.import(&[wire_story()]).await;
    t.import(&stories("খেলা", 1, 3)).await;
    let tags = t.get("/api/v1/tags").await.json();
    let tags = tags["tags"].as_array().unwrap();
    let count = |name: &str| {
        tags.iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("tag {name} missing"))["articles"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(count("পরীক্ষা"), 3);
    assert_eq!(count("উত্তর কোরিয়া"), 1);
    assert_eq!(count("শীর্ষ বৈঠক"), 1);
    assert_eq!(tags.len(), 3);
    // Most used first.
    assert_eq!(tags[0]["name"], "পরীক্ষা");
    for tag in tags {
        let url = tag["url"].as_str().unwrap();
        assert_eq!(t.get(&site_path(url)).await.status, StatusCode::OK, "{url}");
    }
}

#[tokio::test]
async fn every_articles_api_url_opens_its_page() {
    let t = TestApp::new().await;
    t.import(&[wire_story()]).await;
    t.import(&stories("খেলা", 1, 2)).await;
    t.import(&stories("নগর সংবাদ", 3, 2)).await;
    let list = t.get("/api/v1/articles?limit=100").await.json();
    let articles = articles_of(&list);
    assert_eq!(articles.len(), 5);
    for a in &articles {
        let url = a["url"].as_str().unwrap();
        let page = t.get(&site_path(url)).await;
        assert_eq!(page.status, StatusCode::OK, "{url}");
        page.assert_contains(a["headline"].as_str().unwrap());
    }
}
