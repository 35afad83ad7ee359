//! The reader site: home, article page with every part of the reference page, section, tag,
//! author, archive and latest lists, canonical redirects and the Bengali 404 page.

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::{stories, wire_story, TestApp};

/// A paper with the wire story and 30 other stories, as the reference page's paper has.
async fn paper() -> TestApp {
    let app = TestApp::new().await;
    let mut all = vec![wire_story()];
    all.extend(stories("জাতীয়", 1, 15));
    all.extend(stories("খেলা", 16, 15));
    let report = app.import(&all).await;
    assert_eq!(report.inserted, 31, "{:?}", report.skipped);
    app
}

#[tokio::test]
async fn article_page_has_every_part_of_the_reference_page() {
    let app = paper().await;
    let path = app.path_of("wire-summit").await;
    assert!(path.starts_with("/international/"), "{path}");
    let page = app.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("<h1 class=\"headline\">দুই নেতার প্রথম শীর্ষ বৈঠক</h1>");
    page.assert_contains("সীমান্ত সম্মেলন");
    page.assert_contains("তানিয়া রহমান");
    page.assert_contains("মুখোমুখি বসেছেন");
    // The credit closes the first paragraph, as the reference page prints it.
    page.assert_contains("তাঁরা সাক্ষাৎ করেছেন। <span class=\"credit\">খবর এএফপির।</span></p>");
    page.assert_contains("<p class=\"signature\">টাইমস/এসআই</p>");
    page.assert_contains("২৫ এপ্রিল ২০১৯");
    page.assert_contains("১২ বৈশাখ ১৪২৬");
    page.assert_contains("বৃহস্পতিবার");
    page.assert_contains("সকাল ১০:০০");
    page.assert_contains("datetime=\"2019-04-25T10:00:00+06:00\"");
    page.assert_contains("মস্কো");
    for tag in ["উত্তর কোরিয়া", "শীর্ষ বৈঠক"] {
        page.assert_contains(&format!(">{tag}</a>"));
    }
    let links = page.links();
    for prefix in [
        "https://www.facebook.com/sharer/sharer.php?u=http%3A%2F%2Fkhobor.test%2Finternational%2F",
        "fb-messenger://share/?link=",
        "https://wa.me/?text=",
        "https://x.com/intent/post?url=",
        "https://t.me/share/url?url=",
        "https://www.linkedin.com/sharing/share-offsite/?url=",
        "mailto:?subject=",
    ] {
        assert!(
            links.iter().any(|l| l.starts_with(prefix)),
            "no share link {prefix}"
        );
    }
    page.assert_contains("data-copy-link");
    assert!(
        !page.body.contains("<script src=\"http"),
        "no third-party script may load"
    );
}

#[tokio::test]
async fn latest_list_beside_an_article_shows_the_twenty_newest_others() {
    let app = paper().await;
    let path = app.path_of("wire-summit").await;
    let page = app.get(&path).await;
    let latest = page
        .body
        .split("<h2 id=\"latest-heading\">সর্বশেষ</h2>")
        .nth(1)
        .expect("সর্বশেষ heading")
        .split("</ol>")
        .next()
        .unwrap();
    let items: Vec<&str> = latest.split("<li>").skip(1).collect();
    assert_eq!(items.len(), 20);
    // Newest first: story 30 (published last) leads, story 11 closes the list.
    assert!(items[0].contains("পরীক্ষার খবর নম্বর 30"), "{}", items[0]);
    assert!(items[19].contains("পরীক্ষার খবর নম্বর 11"), "{}", items[19]);
    for item in &items {
        assert!(item.contains("class=\"thumb small"), "thumbnail: {item}");
        assert!(item.contains("২ ডিসেম্বর ২০২৫"), "date: {item}");
        assert!(!item.contains("দুই নেতার প্রথম শীর্ষ বৈঠক"), "the story itself");
    }
    // Without a hero image, the thumbnail is the section's placeholder, never a broken <img>.
    assert!(items[0].contains("ph s-") && items[0].contains(">খেলা</span>"));
}

#[tokio::test]
async fn article_page_carries_canonical_open_graph_and_news_article_json_ld() {
    let app = paper().await;
    let path = app.path_of("wire-summit").await;
    let page = app.get(&path).await;
    page.assert_contains(&format!(
        "<link rel=\"canonical\" href=\"http://khobor.test{path}\">"
    ));
    page.assert_contains("<meta property=\"og:title\" content=\"দুই নেতার প্রথম শীর্ষ বৈঠক\">");
    page.assert_contains("<meta property=\"og:type\" content=\"article\">");
    page.assert_contains("<meta name=\"twitter:card\"");
    let ld = page
        .body
        .split("<script type=\"application/ld+json\">")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .expect("JSON-LD block");
    let ld: serde_json::Value = serde_json::from_str(ld).expect("JSON-LD parses");
    assert_eq!(ld["@type"], "NewsArticle");
    assert_eq!(ld["inLanguage"], "bn");
    assert_eq!(ld["headline"], "দুই নেতার প্রথম শীর্ষ বৈঠক");
    assert_eq!(ld["datePublished"], "2019-04-25T10:00:00+06:00");
    assert!(ld["dateModified"].is_string());
    assert_eq!(ld["author"][0]["name"], "তানিয়া রহমান");
    assert_eq!(ld["publisher"]["name"], "খবর");
}

#[tokio::test]
async fn json_ld_cannot_close_its_script_element() {
    let app = TestApp::new().await;
    let mut story = wire_story();
    story["summary"] = json!("সারাংশে </script><script>alert(1)</script> আছে");
    app.import(&[story]).await;
    let page = app.get(&app.path_of("wire-summit").await).await;
    assert!(!page.body.contains("</script><script>alert(1)"));
}

#[tokio::test]
async fn wrong_section_or_extra_suffix_redirects_permanently_to_the_canonical_path() {
    let app = paper().await;
    let path = app.path_of("wire-summit").await;
    let id = path.rsplit('/').next().unwrap();
    for other in [
        format!("/news/{id}"),
        format!("/national/{id}"),
        format!("{path}/kim-putin-meeting"),
    ] {
        let page = app.get(&other).await;
        assert_eq!(page.status, StatusCode::MOVED_PERMANENTLY, "{other}");
        assert_eq!(page.location(), path, "{other}");
    }
    let page = app.get(&format!("{path}/")).await;
    assert_eq!(page.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(page.location(), path);
}

#[tokio::test]
async fn bad_or_unknown_ids_get_the_bengali_404_page() {
    let app = paper().await;
    for path in [
        "/news/abc",
        "/international/99999",
        "/international/0",
        "/international/-3",
        "/international/1e3",
        "/international/%E0%A7%A7",
        "/international/99999999999999999999999",
        "/no-such-section",
        "/tag/no-such-tag",
        "/author/no-such-author",
        "/archive/2019/02/30",
        "/archive/19/4/25",
        "/static/missing.css",
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        page.assert_contains("<html lang=\"bn\">");
        page.assert_contains("পাতাটি খুঁজে পাওয়া যায়নি");
        page.assert_contains("৪০৪");
    }
}

#[tokio::test]
async fn home_page_has_lead_latest_and_a_block_per_section() {
    let app = TestApp::with_demo().await;
    let page = app.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    let newest = app.get("/api/v1/articles?limit=1").await.json()["articles"][0].clone();
    let lead = page
        .body
        .split("<article class=\"lead\">")
        .nth(1)
        .expect("lead story");
    assert!(lead.contains(newest["headline"].as_str().unwrap()));
    page.assert_contains("<h2 id=\"latest-heading\">সর্বশেষ</h2>");
    for (slug, name) in [
        ("national", "জাতীয়"),
        ("politics", "রাজনীতি"),
        ("international", "আন্তর্জাতিক"),
        ("economy", "অর্থনীতি"),
        ("sports", "খেলা"),
        ("entertainment", "বিনোদন"),
    ] {
        page.assert_contains(&format!("<a href=\"/{slug}\">{name}</a></h2>"));
    }
}

#[tokio::test]
async fn empty_paper_has_a_home_page_that_says_so() {
    let app = TestApp::new().await;
    let page = app.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("এখনো কোনো খবর প্রকাশিত হয়নি");
}

#[tokio::test]
async fn section_page_lists_only_its_stories_and_pages_through_all_of_them() {
    let app = TestApp::new().await;
    app.import(&stories("খেলা", 1, 45)).await;
    app.import(&stories("জাতীয়", 100, 3)).await;
    let mut seen = Vec::new();
    let mut path = "/sports".to_owned();
    loop {
        let page = app.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        page.assert_contains("<h1>খেলা</h1>");
        assert!(
            !page.body.contains("নম্বর 100"),
            "a national story on the sports page"
        );
        for chunk in page.body.split("class=\"card-headline\">").skip(1) {
            seen.push(chunk.split('<').next().unwrap().to_owned());
        }
        let older = page
            .links()
            .into_iter()
            .find(|l| l.starts_with("/sports?before="));
        match older {
            Some(next) => path = next,
            None => break,
        }
    }
    let expected: Vec<String> = (1..=45)
        .rev()
        .map(|i| format!("পরীক্ষার খবর নম্বর {i}"))
        .collect();
    assert_eq!(
        seen, expected,
        "every story once, newest first, across pages"
    );
    let bad = app.get("/sports?before=yesterday").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    bad.assert_contains("before=yesterday");
}

#[tokio::test]
async fn tag_author_latest_and_archive_pages_list_their_stories() {
    let app = paper().await;
    let tag = app.get("/api/v1/tags").await.json();
    let tag_url = tag["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "শীর্ষ বৈঠক")
        .expect("tag listed")["url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://khobor.test")
        .to_owned();
    let page = app.get(&tag_url).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("দুই নেতার প্রথম শীর্ষ বৈঠক");
    assert!(!page.body.contains("পরীক্ষার খবর নম্বর"));

    let author = app.api_article("wire-summit").await["authors"][0]["url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://khobor.test")
        .to_owned();
    let page = app.get(&author).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("<h1>তানিয়া রহমান</h1>");
    page.assert_contains("দুই নেতার প্রথম শীর্ষ বৈঠক");

    let page = app.get("/latest").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("পরীক্ষার খবর নম্বর 30");

    // 10:00 in Dhaka on 25 April 2019 is 04:00 UTC: the archive day is the paper's day.
    let page = app.get("/archive/2019/04/25").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("দুই নেতার প্রথম শীর্ষ বৈঠক");
    page.assert_contains("২৫ এপ্রিল ২০১৯ (১২ বৈশাখ ১৪২৬)");
    page.assert_contains("href=\"/archive/2019/04/24\"");
    page.assert_contains("href=\"/archive/2019/04/26\"");
    let other_day = app.get("/archive/2019/04/24").await;
    assert_eq!(other_day.status, StatusCode::OK);
    assert!(!other_day.body.contains("দুই নেতার প্রথম শীর্ষ বৈঠক"));
}

#[tokio::test]
async fn times_are_shown_in_the_papers_zone_not_the_servers() {
    let over = khobor::config::Overrides {
        timezone: Some("Asia/Kolkata".into()),
        ..Default::default()
    };
    let app = TestApp::with_settings(over).await;
    app.import(&[wire_story()]).await;
    let page = app.get(&app.path_of("wire-summit").await).await;
    // 10:00 in Dhaka is 09:30 in Kolkata.
    page.assert_contains("সকাল ৯:৩০");
    page.assert_contains("datetime=\"2019-04-25T09:30:00+05:30\"");
}

#[tokio::test]
async fn pages_forbid_third_party_code_by_policy() {
    let app = paper().await;
    let page = app.get("/").await;
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'"));
    assert!(csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn stylesheet_font_and_section_colours_are_served() {
    let app = TestApp::new().await;
    let css = app.get("/static/site.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.body.contains("@font-face"));
    let font = app
        .request(
            axum::http::Request::get("/static/fonts/NotoSansBengali-Regular.woff2")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(font.headers["content-type"], "font/woff2");
    let theme = app.get("/theme.css").await;
    assert!(theme.body.contains(".s-1{--tone:#"), "{}", theme.body);
}

/// The `href`/`src` values of the elements of `html` that start with `tag` and carry `marker`.
fn linked(html: &str, tag: &str, marker: &str, attr: &str) -> Vec<String> {
    html.split(tag)
        .skip(1)
        .filter_map(|rest| rest.split('>').next())
        .filter(|el| el.contains(marker))
        .filter_map(|el| el.split(&format!("{attr}=\"")).nth(1))
        .filter_map(|v| v.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_first_view_fits_a_slow_phone_and_fetches_a_font_only_where_the_device_has_none() {
    let t = paper().await;
    let path = t.path_of("story-0001").await;
    let br = [("accept-encoding", "br")];
    let (status, _, page) = t.raw(&path, &br).await;
    assert_eq!(status, StatusCode::OK);
    let html = t.get(&path).await.body;
    // No font is fetched ahead of need: nothing preloaded, and every Bengali face names the
    // fonts phones and computers ship before the bundled web font.
    assert!(
        !html.contains("rel=\"preload\""),
        "a preload downloads the font everywhere"
    );
    let sheets = linked(&html, "<link", "rel=\"stylesheet\"", "href");
    assert!(
        sheets.contains(&"/static/site.css".to_owned()),
        "{sheets:?}"
    );
    let css = t.get("/static/site.css").await.body;
    let faces: Vec<&str> = css.split("@font-face").skip(1).collect();
    assert_eq!(faces.len(), 2, "{css}");
    for face in faces {
        let src = face
            .split("src:")
            .nth(1)
            .unwrap()
            .split(';')
            .next()
            .unwrap();
        let local = src
            .find("local(\"Noto Sans Bengali")
            .expect("the device's Noto first");
        assert!(src.contains("local(\"Nirmala UI") && src.contains("local(\"Kohinoor Bangla"));
        assert!(
            local < src.find("url(").expect("the bundled font last"),
            "{src}"
        );
    }
    // Everything the page needs besides fonts and pictures, as a browser fetches it.
    let mut total = page.len();
    for url in sheets
        .iter()
        .chain(&linked(&html, "<script", "src=", "src"))
    {
        let (status, _, body) = t.raw(url, &br).await;
        assert_eq!(status, StatusCode::OK, "{url}");
        total += body.len();
    }
    assert!(total <= 50 * 1024, "first view {total} bytes");
    // The icon the page links, and the one browsers ask for unasked.
    assert_eq!(
        linked(&html, "<link", "rel=\"icon\"", "href"),
        ["/static/favicon.svg"]
    );
    for icon in ["/static/favicon.svg", "/favicon.ico"] {
        let (status, headers, body) = t.raw(icon, &[]).await;
        assert_eq!(status, StatusCode::OK, "{icon}");
        assert_eq!(headers["content-type"], "image/svg+xml");
        assert!(String::from_utf8(body).unwrap().starts_with("<svg"));
    }
}
