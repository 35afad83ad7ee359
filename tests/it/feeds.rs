//! Syndication and discovery: the site and section feeds (RSS 2.0, Atom, JSON Feed 1.1) read
//! back with a real feed parser, the sitemap index and its files, the Google News sitemap,
//! and robots.txt.

use std::collections::HashMap;

use axum::http::{header, StatusCode};
use chrono::{DateTime, Utc};
use feed_rs::model::{Feed, FeedType};
use serde_json::{json, Value};

use crate::helpers::{minutes_ago, site_path, stories, wire_story, TestApp};

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const NEWS_NS: &str = "http://www.google.com/schemas/sitemap-news/0.9";

/// The three feed files and what each must be.
const KINDS: [(&str, FeedType, &str); 3] = [
    ("feed.xml", FeedType::RSS2, "application/rss+xml"),
    ("atom.xml", FeedType::Atom, "application/atom+xml"),
    ("feed.json", FeedType::JSON, "application/feed+json"),
];

/// Fetches a feed, checks its status and content type, and parses it with feed-rs.
async fn fetch_feed(t: &TestApp, path: &str, kind: FeedType, mime: &str) -> Feed {
    let page = t.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}");
    let ct = page.headers[header::CONTENT_TYPE].to_str().unwrap();
    assert!(ct.starts_with(mime), "{path}: content-type {ct}");
    let feed = feed_rs::parser::parse(page.body.as_bytes())
        .unwrap_or_else(|e| panic!("{path} does not parse: {e}"));
    assert_eq!(feed.feed_type, kind, "{path}");
    feed
}

/// The API's listing (newest first) for `query`, up to 100 stories.
async fn api_list(t: &TestApp, query: &str) -> Vec<Value> {
    t.get(&format!("/api/v1/articles?limit=100{query}"))
        .await
        .json()["articles"]
        .as_array()
        .unwrap()
        .clone()
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// Entry by entry, the feed says what the API says: headline, link, date, body.
#[track_caller]
fn assert_feed_matches(path: &str, feed: &Feed, expected: &[Value]) {
    assert_eq!(feed.entries.len(), expected.len(), "{path}: entry count");
    for (entry, a) in feed.entries.iter().zip(expected) {
        let title = entry.title.as_ref().map(|t| t.content.as_str());
        assert_eq!(title, a["headline"].as_str(), "{path}: title");
        let links: Vec<&str> = entry.links.iter().map(|l| l.href.as_str()).collect();
        assert_eq!(links.first().copied(), a["url"].as_str(), "{path}: link");
        assert_eq!(
            entry.published,
            Some(time(&a["published_at"])),
            "{path}: published of {}",
            a["external_id"]
        );
        let content = entry
            .content
            .as_ref()
            .and_then(|c| c.body.as_deref())
            .unwrap_or_else(|| panic!("{path}: no content for {}", a["external_id"]));
        // The body's last paragraph, as stored, is in the entry's content.
        let last_paragraph = a["body_html"]
            .as_str()
            .unwrap()
            .trim_end()
            .rsplit("<p>")
            .next()
            .unwrap()
            .trim_end_matches("</p>");
        assert!(!last_paragraph.is_empty());
        assert!(
            content.contains(last_paragraph),
            "{path}: content of {} lacks {last_paragraph:?}: {content}",
            a["external_id"]
        );
    }
}

/// A story whose headline needs escaping in XML and HTML.
fn awkward_story() -> Value {
    json!({
        "id": "awkward-1",
        "title": "চাল & ডাল: <দাম> বাড়ল \"আবার\"",
        "body": "বাজারে চাল ও ডালের দাম বেড়েছে।\n\nক্রেতারা বলছেন, এক সপ্তাহে কেজিপ্রতি দাম বেড়েছে পাঁচ টাকা।",
        "category": "অর্থনীতি",
        "published": "2025-12-02T07:30:00+06:00",
        "tags": ["বাজার"],
    })
}

#[tokio::test]
async fn site_feeds_parse_and_match_the_api_story_for_story() {
    let t = TestApp::new().await;
    t.import(&[wire_story(), awkward_story()]).await;
    t.import(&stories("খেলা", 1, 4)).await;
    t.import(&stories("রাজনীতি", 5, 2)).await;
    let expected = api_list(&t, "").await;
    assert_eq!(expected.len(), 8);

    for (file, kind, mime) in KINDS {
        let path = format!("/{file}");
        let feed = fetch_feed(&t, &path, kind, mime).await;
        assert_feed_matches(&path, &feed, &expected);
        let dates: Vec<_> = feed.entries.iter().map(|e| e.published).collect();
        assert!(
            dates.windows(2).all(|w| w[0] >= w[1]),
            "{path}: newest first"
        );
    }
}

#[tokio::test]
async fn the_wire_storys_date_survives_in_every_feed() {
    let t = TestApp::new().await;
    t.import(&[wire_story()]).await;
    let expected: DateTime<Utc> = DateTime::parse_from_rfc3339("2019-04-25T10:00:00+06:00")
        .unwrap()
        .with_timezone(&Utc);
    for (file, kind, mime) in KINDS {
        let feed = fetch_feed(&t, &format!("/{file}"), kind, mime).await;
        assert_eq!(feed.entries.len(), 1);
        let entry = &feed.entries[0];
        assert_eq!(entry.published, Some(expected), "{file}");
        assert_eq!(
            entry.title.as_ref().unwrap().content,
            "দুই নেতার প্রথম শীর্ষ বৈঠক"
        );
        assert!(entry.authors.iter().any(|p| p.name.contains("তানিয়া রহমান")));
    }
    // The printed offset is Dhaka's, as the paper shows it.
    let json = t.get("/feed.json").await.json();
    assert_eq!(
        json["items"][0]["date_published"],
        "2019-04-25T10:00:00+06:00"
    );
    let rss = t.get("/feed.xml").await;
    rss.assert_contains("<pubDate>Thu, 25 Apr 2019 10:00:00 +0600</pubDate>");
}

#[tokio::test]
async fn feeds_show_the_newest_fifty_stories() {
    let t = TestApp::new().await;
    t.import(&stories("জাতীয়", 1, 60)).await;
    for (file, kind, mime) in KINDS {
        let feed = fetch_feed(&t, &format!("/{file}"), kind, mime).await;
        assert_eq!(feed.entries.len(), 50, "{file}");
        let first = &feed.entries[0].title.as_ref().unwrap().content;
        let last = &feed.entries[49].title.as_ref().unwrap().content;
        assert_eq!(first, "পরীক্ষার খবর নম্বর 60", "{file}");
        assert_eq!(last, "পরীক্ষার খবর নম্বর 11", "{file}");
    }
}

#[tokio::test]
async fn section_feeds_hold_only_that_sections_stories() {
    let t = TestApp::new().await;
    t.import(&[wire_story()]).await;
    t.import(&stories("খেলা", 1, 3)).await;
    t.import(&stories("রাজনীতি", 4, 2)).await;
    for (slug, n) in [("sports", 3), ("politics", 2), ("international", 1)] {
        let expected = api_list(&t, &format!("&section={slug}")).await;
        assert_eq!(expected.len(), n);
        for (file, kind, mime) in KINDS {
            let path = format!("/{slug}/{file}");
            let feed = fetch_feed(&t, &path, kind, mime).await;
            assert_feed_matches(&path, &feed, &expected);
        }
    }
    // A desk with no stories has a valid, empty feed.
    for (file, kind, mime) in KINDS {
        let feed = fetch_feed(&t, &format!("/economy/{file}"), kind, mime).await;
        assert!(feed.entries.is_empty());
    }
}

#[tokio::test]
async fn a_bengali_section_has_feeds_at_its_encoded_path() {
    let t = TestApp::new().await;
    t.import(&stories("প্রবাস জীবন", 1, 2)).await;
    t.import(&stories("খেলা", 3, 1)).await;
    let expected = api_list(&t, "").await;
    let mine: Vec<Value> = expected
        .into_iter()
        .filter(|a| a["section"]["name"] == "প্রবাস জীবন")
        .collect();
    assert_eq!(mine.len(), 2);
    let section_path = site_path(mine[0]["section"]["url"].as_str().unwrap());
    assert!(section_path.starts_with("/%E0%A6%"), "{section_path}");
    for (file, kind, mime) in KINDS {
        let path = format!("{section_path}/{file}");
        let feed = fetch_feed(&t, &path, kind, mime).await;
        assert_feed_matches(&path, &feed, &mine);
    }
}

#[tokio::test]
async fn unknown_section_feeds_are_404() {
    let t = TestApp::new().await;
    t.import(&[wire_story()]).await;
    for path in [
        "/weather/feed.xml",
        "/weather/atom.xml",
        "/weather/feed.json",
        "/%E0%A6%86%E0%A6%AC%E0%A6%B9%E0%A6%BE%E0%A6%93%E0%A6%AF%E0%A6%BC%E0%A6%BE/feed.xml",
    ] {
        assert_eq!(t.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn feeds_describe_themselves_with_absolute_urls() {
    let t = TestApp::new().await;
    t.import(&stories("খেলা", 1, 2)).await;

    let json = t.get("/feed.json").await.json();
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(json["home_page_url"], "http://khobor.test/");
    assert_eq!(json["feed_url"], "http://khobor.test/feed.json");
    assert_eq!(json["language"], "bn");
    let section = t.get("/sports/feed.json").await.json();
    assert_eq!(section["home_page_url"], "http://khobor.test/sports");
    assert_eq!(section["feed_url"], "http://khobor.test/sports/feed.json");
    assert!(section["title"].as_str().unwrap().contains("খেলা"));

    // RSS: a well-formed <rss version="2.0"> whose channel links home.
    let rss = t.get("/feed.xml").await.body;
    let doc = roxmltree::Document::parse(&rss).expect("RSS is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "rss");
    assert_eq!(root.attribute("version"), Some("2.0"));
    let channel_link = root
        .descendants()
        .find(|n| n.has_tag_name("link") && n.parent().unwrap().has_tag_name("channel"))
        .and_then(|n| n.text());
    assert_eq!(channel_link, Some("http://khobor.test/"));

    // Atom: in the Atom namespace, with a self link to itself.
    let atom = t.get("/sports/atom.xml").await.body;
    let doc = roxmltree::Document::parse(&atom).expect("Atom is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "feed");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2005/Atom")
    );
    let self_link = root
        .children()
        .find(|n| n.has_tag_name("link") && n.attribute("rel") == Some("self"))
        .and_then(|n| n.attribute("href"));
    assert_eq!(self_link, Some("http://khobor.test/sports/atom.xml"));
}

#[tokio::test]
async fn demo_paper_feeds_hold_every_story_by_section() {
    let t = TestApp::with_demo().await;
    let all = api_list(&t, "").await;
    assert_eq!(all.len(), 48);
    for (file, kind, mime) in KINDS {
        let path = format!("/{file}");
        let feed = fetch_feed(&t, &path, kind, mime).await;
        assert_feed_matches(&path, &feed, &all);
    }
    for slug in [
        "national",
        "politics",
        "international",
        "economy",
        "sports",
        "entertainment",
    ] {
        let expected = api_list(&t, &format!("&section={slug}")).await;
        assert_eq!(expected.len(), 8, "{slug}");
        for (file, kind, mime) in KINDS {
            let path = format!("/{slug}/{file}");
            let feed = fetch_feed(&t, &path, kind, mime).await;
            assert_feed_matches(&path, &feed, &expected);
        }
    }
}

/// Fetches a sitemap file by its absolute URL and checks it is well-formed XML.
async fn fetch_xml(t: &TestApp, url: &str) -> String {
    let page = t.get(&site_path(url)).await;
    assert_eq!(page.status, StatusCode::OK, "{url}");
    let ct = page.headers[header::CONTENT_TYPE].to_str().unwrap();
    assert!(ct.starts_with("application/xml"), "{url}: {ct}");
    roxmltree::Document::parse(&page.body)
        .unwrap_or_else(|e| panic!("{url} is not well-formed: {e}"));
    page.body
}

/// The text of every `<loc>` in a sitemap document.
fn locs(xml: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name((SITEMAP_NS, "loc")))
        .map(|n| n.text().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn sitemap_index_lists_absolute_files_that_all_exist() {
    let t = TestApp::new().await;
    t.import(&[wire_story()]).await;
    t.import(&stories("খেলা", 1, 3)).await;

    let index = fetch_xml(&t, "http://khobor.test/sitemap.xml").await;
    let doc = roxmltree::Document::parse(&index).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "sitemapindex");
    assert_eq!(root.tag_name().namespace(), Some(SITEMAP_NS));
    let files = locs(&index);
    assert!(
        files.contains(&"http://khobor.test/sitemaps/articles-1.xml".to_owned()),
        "{files:?}"
    );
    assert!(files.contains(&"http://khobor.test/sitemaps/news.xml".to_owned()));
    for url in &files {
        assert!(url.starts_with("http://khobor.test/"), "{url}");
        let file = fetch_xml(&t, url).await;
        let doc = roxmltree::Document::parse(&file).unwrap();
        assert_eq!(doc.root_element().tag_name().name(), "urlset", "{url}");
        for loc in locs(&file) {
            assert!(loc.starts_with("http://khobor.test/"), "{url}: {loc}");
        }
    }
}

#[tokio::test]
async fn an_empty_papers_sitemap_index_lists_only_files_that_exist() {
    let t = TestApp::new().await;
    let index = fetch_xml(&t, "http://khobor.test/sitemap.xml").await;
    let files = locs(&index);
    assert!(!files.is_empty());
    for url in &files {
        fetch_xml(&t, url).await;
    }
    assert!(!files.iter().any(|f| f.contains("articles-")), "{files:?}");
}

#[tokio::test]
async fn article_sitemap_lists_every_story_once_with_its_lastmod() {
    let t = TestApp::new().await;
    t.import(&[wire_story(), awkward_story()]).await;
    t.import(&stories("খেলা", 1, 5)).await;
    t.import(&stories("প্রবাস জীবন", 6, 2)).await;
    let articles = api_list(&t, "").await;
    assert_eq!(articles.len(), 9);

    let xml = fetch_xml(&t, "http://khobor.test/sitemaps/articles-1.xml").await;
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().namespace(), Some(SITEMAP_NS));
    let mut lastmod_of = HashMap::new();
    for url in root.children().filter(|n| n.has_tag_name("url")) {
        let loc = url
            .children()
            .find(|n| n.has_tag_name("loc"))
            .and_then(|n| n.text())
            .expect("<loc>");
        let lastmod = url
            .children()
            .find(|n| n.has_tag_name("lastmod"))
            .and_then(|n| n.text())
            .unwrap_or_else(|| panic!("{loc} has no <lastmod>"));
        DateTime::parse_from_rfc3339(lastmod).expect("lastmod is W3C time");
        assert!(
            lastmod_of
                .insert(loc.to_owned(), lastmod.to_owned())
                .is_none(),
            "{loc} listed twice"
        );
    }
    assert_eq!(lastmod_of.len(), articles.len());
    for a in &articles {
        let url = a["url"].as_str().unwrap();
        let lastmod = lastmod_of
            .get(url)
            .unwrap_or_else(|| panic!("{url} missing from the sitemap"));
        assert_eq!(time(&json!(lastmod)), time(&a["updated_at"]), "{url}");
    }
}

#[tokio::test]
async fn sitemap_files_that_do_not_exist_are_404() {
    let t = TestApp::new().await;
    t.import(&stories("খেলা", 1, 3)).await;
    for path in [
        "/sitemaps/articles-2.xml",
        "/sitemaps/articles-0.xml",
        "/sitemaps/articles--1.xml",
        "/sitemaps/articles-.xml",
        "/sitemaps/articles-x.xml",
        "/sitemaps/articles-1.txt",
        "/sitemaps/nonsense.xml",
        "/sitemaps/articles-99999999999999999999999.xml",
    ] {
        assert_eq!(t.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn pages_sitemap_lists_home_and_every_section() {
    let t = TestApp::new().await;
    t.import(&stories("প্রবাস জীবন", 1, 1)).await;
    let xml = fetch_xml(&t, "http://khobor.test/sitemaps/pages.xml").await;
    let listed = locs(&xml);
    assert!(listed.contains(&"http://khobor.test/".to_owned()));
    let sections = t.get("/api/v1/sections").await.json();
    for s in sections["sections"].as_array().unwrap() {
        let url = s["url"].as_str().unwrap().to_owned();
        assert!(listed.contains(&url), "{url} not in pages.xml");
        assert_eq!(t.get(&site_path(&url)).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn news_sitemap_has_todays_stories_and_not_old_ones() {
    let t = TestApp::new().await;
    t.import(&[wire_story(), awkward_story()]).await;
    t.import(&[
        json!({
            "id": "fresh-1",
            "title": "সকালের বৃষ্টিতে নগরে জলাবদ্ধতা",
            "body": "ভোর থেকে টানা বৃষ্টিতে নগরের নিচু এলাকা তলিয়ে গেছে।",
            "category": "জাতীয়",
            "age_minutes": 30,
        }),
        json!({
            "id": "fresh-2",
            "title": "এক ঘণ্টা আগের খবর & তার পরের কথা",
            "body": "এই খবর এক ঘণ্টা আগে প্রকাশিত হয়েছে।",
            "category": "খেলা",
            "published": minutes_ago(60),
        }),
        json!({
            "id": "stale-1",
            "title": "তিন দিন আগের খবর",
            "body": "এই খবর তিন দিন আগে প্রকাশিত হয়েছে।",
            "category": "খেলা",
            "published": minutes_ago(3 * 24 * 60),
        }),
    ])
    .await;

    let xml = fetch_xml(&t, "http://khobor.test/sitemaps/news.xml").await;
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().namespace(), Some(SITEMAP_NS));
    assert_eq!(root.lookup_namespace_uri(Some("news")), Some(NEWS_NS));

    let mut found = HashMap::new();
    for url in root.children().filter(|n| n.has_tag_name("url")) {
        let loc = url
            .children()
            .find(|n| n.has_tag_name("loc"))
            .and_then(|n| n.text())
            .unwrap();
        let news = url
            .children()
            .find(|n| n.has_tag_name((NEWS_NS, "news")))
            .expect("news:news");
        let text = |name: &str| {
            news.descendants()
                .find(|n| n.has_tag_name((NEWS_NS, name)))
                .and_then(|n| n.text())
                .unwrap_or_else(|| panic!("{loc}: no news:{name}"))
                .to_owned()
        };
        assert_eq!(text("language"), "bn");
        assert!(!text("name").is_empty());
        DateTime::parse_from_rfc3339(&text("publication_date")).expect("publication date");
        found.insert(loc.to_owned(), text("title"));
    }
    let fresh1 = t.api_article("fresh-1").await;
    let fresh2 = t.api_article("fresh-2").await;
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(
        found.get(fresh1["url"].as_str().unwrap()),
        Some(&"সকালের বৃষ্টিতে নগরে জলাবদ্ধতা".to_owned())
    );
    assert_eq!(
        found.get(fresh2["url"].as_str().unwrap()),
        Some(&"এক ঘণ্টা আগের খবর & তার পরের কথা".to_owned())
    );
    for old in ["wire-summit", "stale-1", "awkward-1"] {
        let url = t.api_article(old).await["url"].as_str().unwrap().to_owned();
        assert!(!found.contains_key(&url), "{old} is older than 48 hours");
    }
}

#[tokio::test]
async fn demo_paper_sitemaps_cover_every_story() {
    let t = TestApp::with_demo().await;
    let articles = api_list(&t, "").await;
    assert_eq!(articles.len(), 48);
    let index = fetch_xml(&t, "http://khobor.test/sitemap.xml").await;
    let mut listed = Vec::new();
    for file in locs(&index) {
        if file.contains("/sitemaps/articles-") {
            listed.extend(locs(&fetch_xml(&t, &file).await));
        }
    }
    let mut expected: Vec<String> = articles
        .iter()
        .map(|a| a["url"].as_str().unwrap().to_owned())
        .collect();
    listed.sort();
    expected.sort();
    assert_eq!(listed, expected);

    // News: every demo story well inside the last 48 hours, none well outside it.
    let news = locs(&fetch_xml(&t, "http://khobor.test/sitemaps/news.xml").await);
    let now = Utc::now();
    for a in &articles {
        let age = now - time(&a["published_at"]);
        let url = a["url"].as_str().unwrap().to_owned();
        if age < chrono::Duration::hours(47) {
            assert!(news.contains(&url), "{url} ({age}) missing from news");
        } else if age > chrono::Duration::hours(49) {
            assert!(!news.contains(&url), "{url} ({age}) too old for news");
        }
    }
    assert!(!news.is_empty());
}

#[tokio::test]
async fn robots_txt_names_the_sitemaps_absolutely() {
    let t = TestApp::new().await;
    let page = t.get("/robots.txt").await;
    assert_eq!(page.status, StatusCode::OK);
    let ct = page.headers[header::CONTENT_TYPE].to_str().unwrap();
    assert!(ct.starts_with("text/plain"), "{ct}");
    let sitemaps: Vec<&str> = page
        .body
        .lines()
        .filter_map(|l| l.strip_prefix("Sitemap: "))
        .collect();
    assert!(
        sitemaps.contains(&"http://khobor.test/sitemap.xml"),
        "{}",
        page.body
    );
    for url in sitemaps {
        fetch_xml(&t, url).await;
    }
    assert!(page.body.contains("User-agent: *"));
}

#[tokio::test]
async fn a_site_name_with_markup_characters_keeps_every_feed_well_formed() {
    let name = "আজকের খবর & <বিশ্লেষণ>";
    let t = TestApp::with_settings(khobor::config::Overrides {
        site_name: Some(name.to_owned()),
        ..Default::default()
    })
    .await;
    t.import(&[awkward_story()]).await;
    t.import(&[json!({
        "id": "fresh-1",
        "title": "নতুন খবর <আজ> & এখন",
        "body": "আজকের খবর।",
        "category": "জাতীয়",
        "age_minutes": 5,
    })])
    .await;
    for (file, kind, mime) in KINDS {
        let feed = fetch_feed(&t, &format!("/{file}"), kind.clone(), mime).await;
        assert_eq!(
            feed.title.map(|t| t.content).as_deref(),
            Some(name),
            "{file}"
        );
        assert_eq!(feed.entries.len(), 2);
        let section = fetch_feed(&t, &format!("/economy/{file}"), kind, mime).await;
        let title = section.title.unwrap().content;
        assert!(title.contains(name) && title.contains("অর্থনীতি"), "{title}");
    }
    let news = fetch_xml(&t, "http://khobor.test/sitemaps/news.xml").await;
    let doc = roxmltree::Document::parse(&news).unwrap();
    let publication = doc
        .descendants()
        .find(|n| n.has_tag_name((NEWS_NS, "name")))
        .and_then(|n| n.text());
    assert_eq!(publication, Some(name));
    let title = doc
        .descendants()
        .find(|n| n.has_tag_name((NEWS_NS, "title")))
        .and_then(|n| n.text());
    assert_eq!(title, Some("নতুন খবর <আজ> & এখন"));
}

#[tokio::test]
async fn feeds_keep_the_instant_in_another_papers_zone() {
    let t = TestApp::with_settings(khobor::config::Overrides {
        timezone: Some("Asia/Kolkata".to_owned()),
        ..Default::default()
    })
    .await;
    t.import(&[wire_story()]).await;
    let json = t.get("/feed.json").await.json();
    assert_eq!(
        json["items"][0]["date_published"],
        "2019-04-25T09:30:00+05:30"
    );
    assert_eq!(
        t.api_article("wire-summit").await["published_at"],
        "2019-04-25T09:30:00+05:30"
    );
    let expected = DateTime::parse_from_rfc3339("2019-04-25T10:00:00+06:00")
        .unwrap()
        .with_timezone(&Utc);
    for (file, kind, mime) in KINDS {
        let feed = fetch_feed(&t, &format!("/{file}"), kind, mime).await;
        assert_eq!(feed.entries[0].published, Some(expected), "{file}");
    }
}
