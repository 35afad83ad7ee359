//! WordPress import, through the same function the CLI calls, on a WXR written here with the
//! quirks of a real Bengali export: percent-encoded lower-case slugs cut at 200 bytes, a zero
//! GMT date, drafts, a pending and a scheduled post, trash, a menu item, an attachment, a
//! child category, `[caption]` and block comments. Then the old links, re-imports, and broken
//! or foreign files.

use axum::body::Body;
use axum::http::{Request, StatusCode};

use khobor::domain::bijoy::BijoyMode;
use khobor::import::wordpress::{import_wordpress_reader, Permalink, WpError, WpOptions, WpReport};

use crate::helpers::{names, TestApp};

fn options() -> WpOptions {
    WpOptions {
        tz: chrono_tz::Asia::Dhaka,
        bijoy: BijoyMode::Auto,
        permalink: Permalink::Date,
        uploads: None,
        // Never written to: these exports bring in no images.
        media: khobor::media_store::MediaStore::local(
            &std::env::temp_dir().join("khobor-wp-unused-media"),
        )
        .unwrap(),
        section_map: Default::default(),
    }
}

/// WordPress's slug: the title's words joined by `-`, percent-encoded with lower-case hex,
/// the encoded form cut at 200 characters after a whole letter's bytes (so a conjunct may be
/// cut after its virama).
fn wp_slug(title: &str) -> String {
    let joined = title.split_whitespace().collect::<Vec<_>>().join("-");
    let mut out = String::new();
    for c in joined.chars() {
        let piece = if c.is_ascii_alphanumeric() || c == '-' {
            c.to_string()
        } else {
            let mut bytes = [0; 4];
            c.encode_utf8(&mut bytes)
                .bytes()
                .map(|b| format!("%{b:02x}"))
                .collect()
        };
        if out.len() + piece.len() > 200 {
            break;
        }
        out.push_str(&piece);
    }
    out
}

const LONG_TITLE: &str = "রাজধানীতে নিরাপদ সড়কের দাবিতে শিক্ষার্থীদের র‍্যালি ও মানববন্ধন অনুষ্ঠিত";

struct Post<'a> {
    id: u32,
    title: &'a str,
    slug: String,
    status: &'a str,
    post_type: &'a str,
    date: &'a str,
    date_gmt: &'a str,
    creator: &'a str,
    terms: &'a str,
    body: &'a str,
}

fn item(p: &Post) -> String {
    format!(
        r#"
	<item>
		<title><![CDATA[{title}]]></title>
		<link>http://old.test/?p={id}</link>
		<pubDate>Tue, 18 Mar 2025 03:15:00 +0000</pubDate>
		<dc:creator><![CDATA[{creator}]]></dc:creator>
		<guid isPermaLink="false">http://old.test/?p={id}</guid>
		<description></description>
		<content:encoded><![CDATA[{body}]]></content:encoded>
		<excerpt:encoded><![CDATA[]]></excerpt:encoded>
		<wp:post_id>{id}</wp:post_id>
		<wp:post_date><![CDATA[{date}]]></wp:post_date>
		<wp:post_date_gmt><![CDATA[{date_gmt}]]></wp:post_date_gmt>
		<wp:comment_status><![CDATA[open]]></wp:comment_status>
		<wp:post_name><![CDATA[{slug}]]></wp:post_name>
		<wp:status><![CDATA[{status}]]></wp:status>
		<wp:post_parent>0</wp:post_parent>
		<wp:menu_order>0</wp:menu_order>
		<wp:post_type><![CDATA[{post_type}]]></wp:post_type>
		<wp:post_password><![CDATA[]]></wp:post_password>
		<wp:is_sticky>0</wp:is_sticky>
		{terms}
		<wp:postmeta>
			<wp:meta_key><![CDATA[_pingme]]></wp:meta_key>
			<wp:meta_value><![CDATA[1]]></wp:meta_value>
		</wp:postmeta>
		<wp:comment>
			<wp:comment_id>9</wp:comment_id>
			<wp:comment_content><![CDATA[একটি মন্তব্য]]></wp:comment_content>
		</wp:comment>
	</item>"#,
        title = p.title,
        id = p.id,
        creator = p.creator,
        body = p.body,
        date = p.date,
        date_gmt = p.date_gmt,
        slug = p.slug,
        status = p.status,
        post_type = p.post_type,
        terms = p.terms,
    )
}

const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0"
	xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:wp="http://wordpress.org/export/1.2/"
>
<channel>
	<title>পুরনো সংবাদ</title>
	<link>http://old.test</link>
	<language>en-US</language>
	<wp:wxr_version>1.2</wp:wxr_version>
	<wp:base_site_url>http://old.test</wp:base_site_url>
	<wp:base_blog_url>http://old.test</wp:base_blog_url>
	<wp:author><wp:author_id>2</wp:author_id><wp:author_login><![CDATA[rahima]]></wp:author_login><wp:author_email><![CDATA[r@example.com]]></wp:author_email><wp:author_display_name><![CDATA[রহিমা খাতুন]]></wp:author_display_name></wp:author>
	<wp:author><wp:author_id>3</wp:author_id><wp:author_login><![CDATA[tanvir]]></wp:author_login><wp:author_email><![CDATA[t@example.com]]></wp:author_email><wp:author_display_name><![CDATA[তানভীর আহমেদ]]></wp:author_display_name></wp:author>
	<wp:category><wp:term_id>3</wp:term_id><wp:category_nicename><![CDATA[national]]></wp:category_nicename><wp:category_parent><![CDATA[]]></wp:category_parent><wp:cat_name><![CDATA[জাতীয়]]></wp:cat_name></wp:category>
	<wp:category><wp:term_id>4</wp:term_id><wp:category_nicename><![CDATA[%e0%a6%b8%e0%a6%bf%e0%a6%9f%e0%a6%bf]]></wp:category_nicename><wp:category_parent><![CDATA[national]]></wp:category_parent><wp:cat_name><![CDATA[সিটি]]></wp:cat_name></wp:category>
	<wp:tag><wp:term_id>8</wp:term_id><wp:tag_slug><![CDATA[dhaka]]></wp:tag_slug><wp:tag_name><![CDATA[ঢাকা]]></wp:tag_name></wp:tag>
	<wp:tag><wp:term_id>9</wp:term_id><wp:tag_slug><![CDATA[%e0%a6%ac%e0%a6%a8%e0%a7%8d%e0%a6%af%e0%a6%be]]></wp:tag_slug><wp:tag_name><![CDATA[বন্যা]]></wp:tag_name></wp:tag>
"#;

const TAIL: &str = "\n</channel>\n</rss>\n";

const NATIONAL: &str =
    r#"<category domain="category" nicename="national"><![CDATA[জাতীয়]]></category>"#;
const CITY: &str = r#"<category domain="category" nicename="%e0%a6%b8%e0%a6%bf%e0%a6%9f%e0%a6%bf"><![CDATA[সিটি]]></category>
		<category domain="category" nicename="national"><![CDATA[জাতীয়]]></category>
		<category domain="post_tag" nicename="dhaka"><![CDATA[ঢাকা]]></category>
		<category domain="post_tag" nicename="%e0%a6%ac%e0%a6%a8%e0%a7%8d%e0%a6%af%e0%a6%be"><![CDATA[বন্যা]]></category>"#;

const BLOCKS: &str = "<!-- wp:paragraph -->\n<p>প্রথম অনুচ্ছেদে খবরের মূল কথা।</p>\n<!-- /wp:paragraph -->\n\n<!-- wp:paragraph -->\n<p>দ্বিতীয় অনুচ্ছেদ।</p>\n<!-- /wp:paragraph -->";
const CLASSIC: &str = "[caption id=\"attachment_44\" align=\"alignnone\" width=\"300\"]<img class=\"size-medium wp-image-44\" src=\"http://old.test/wp-content/uploads/2025/07/nets-300x200.png\" alt=\"নেট\" width=\"300\" height=\"200\" /> নেটে অনুশীলন[/caption]\n\nঅনুশীলন শুরু হয়েছে <strong>সোমবার</strong>।\n\n<!--more-->\n\nনতুন মৌসুমে [gallery ids=\"1,2\"] বিশ জন খেলোয়াড়। <a href=\"http://old.test/?p=201\">আগের খবর</a>";

/// The posts of the test site, in no particular order (as the exporter writes them).
fn posts() -> Vec<Post<'static>> {
    let p = |id, title, slug: String, status, post_type, date, gmt, creator, terms, body| Post {
        id,
        title,
        slug,
        status,
        post_type,
        date,
        date_gmt: gmt,
        creator,
        terms,
        body,
    };
    vec![
        p(
            201,
            LONG_TITLE,
            wp_slug(LONG_TITLE),
            "publish",
            "post",
            "2025-10-05 12:20:00",
            "2025-10-05 06:20:00",
            "tanvir",
            NATIONAL,
            BLOCKS,
        ),
        // A slug cut in the middle of a letter's bytes (a hand-edited or older export).
        p(
            202,
            "বন্যার আগাম প্রস্তুতি",
            "%e0%a6%ac%e0%a6%a8%e0%a7%8d%e0%a6%af%e0%a6%be-%e0%a6%86%e0%a6".into(),
            "publish",
            "post",
            "2025-03-18 09:15:00",
            "0000-00-00 00:00:00",
            "rahima",
            NATIONAL,
            BLOCKS,
        ),
        p(
            203,
            "ক্রিকেট একাডেমিতে অনুশীলন শুরু",
            "cricket-academy".into(),
            "publish",
            "post",
            "2025-07-21 16:00:00",
            "2025-07-21 10:00:00",
            "rahima",
            CITY,
            CLASSIC,
        ),
        p(
            204,
            "খসড়া সম্পাদকীয়",
            String::new(),
            "draft",
            "post",
            "2026-11-28 02:36:00",
            "0000-00-00 00:00:00",
            "tanvir",
            NATIONAL,
            BLOCKS,
        ),
        p(
            205,
            "অপেক্ষমাণ প্রতিবেদন",
            "pending-report".into(),
            "pending",
            "post",
            "2025-10-20 10:00:00",
            "0000-00-00 00:00:00",
            "tanvir",
            NATIONAL,
            BLOCKS,
        ),
        p(
            206,
            "একুশের প্রস্তুতি",
            "ekushey".into(),
            "future",
            "post",
            "2027-02-20 18:00:00",
            "2027-02-20 12:00:00",
            "rahima",
            NATIONAL,
            BLOCKS,
        ),
        p(
            207,
            "ফেলে দেওয়া লেখা",
            "trashed__trashed".into(),
            "trash",
            "post",
            "2025-01-01 10:00:00",
            "2025-01-01 04:00:00",
            "rahima",
            NATIONAL,
            BLOCKS,
        ),
        p(
            208,
            "প্রচ্ছদ",
            "208".into(),
            "publish",
            "nav_menu_item",
            "2025-01-01 10:00:00",
            "2025-01-01 04:00:00",
            "rahima",
            "",
            "",
        ),
        p(
            209,
            "নেটে অনুশীলন",
            "nets".into(),
            "inherit",
            "attachment",
            "2025-07-21 15:30:00",
            "2025-07-21 09:30:00",
            "rahima",
            "",
            "",
        ),
    ]
}

fn wxr(posts: &[Post]) -> String {
    let mut s = HEAD.to_owned();
    for p in posts {
        s.push_str(&item(p));
    }
    s.push_str(TAIL);
    s
}

async fn import(t: &TestApp, xml: &str) -> Result<WpReport, WpError> {
    import_wordpress_reader(t.app.store(), xml.as_bytes(), &options()).await
}

/// `(external id, status, published_at)` of every stored story, by external id.
async fn stored(t: &TestApp) -> Vec<(String, String, Option<i64>)> {
    sqlx::query_as("SELECT external_id, status, published_at FROM articles ORDER BY external_id")
        .fetch_all(t.app.store().pool())
        .await
        .unwrap()
}

async fn redirect(t: &TestApp, path: &str) -> (StatusCode, String) {
    let page = t
        .request(Request::get(path).body(Body::empty()).unwrap())
        .await;
    (page.status, page.location().to_owned())
}

#[tokio::test]
async fn wordpress_posts_become_stories_with_their_dates_sections_tags_and_bylines() {
    let t = TestApp::new().await;
    let report = import(&t, &wxr(&posts())).await.expect("import runs");
    assert_eq!(report.inserted, 6, "{report:?}");
    assert_eq!(report.by_status.get("published"), Some(&3));
    assert_eq!(report.by_status.get("draft"), Some(&1));
    assert_eq!(report.by_status.get("review"), Some(&1));
    assert_eq!(report.by_status.get("scheduled"), Some(&1));
    let reasons: Vec<(String, String)> = report
        .skipped
        .iter()
        .map(|s| (s.item.clone(), s.reason.clone()))
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].0.starts_with("post 207") && reasons[0].1.contains("trash"));
    assert!(reasons[1].0.starts_with("nav_menu_item 208") && reasons[1].1.contains("menu"));
    assert!(reasons[2].0.starts_with("attachment 209") && reasons[2].1.contains("--uploads"));

    // The long post: headline, original date (UTC), byline, section.
    let a = t.api_article("wp:201").await;
    assert_eq!(a["headline"], LONG_TITLE);
    assert_eq!(a["published_at"], "2025-10-05T12:20:00+06:00");
    assert_eq!(a["authors"][0]["name"], "তানভীর আহমেদ");
    assert_eq!(a["section"]["name"], "জাতীয়");
    let page = t.get(&t.path_of("wp:201").await).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("প্রথম অনুচ্ছেদে খবরের মূল কথা।");
    assert!(!page.body.contains("wp:paragraph"));

    // A zero GMT date: the local date in the paper's zone.
    let a = t.api_article("wp:202").await;
    assert_eq!(a["published_at"], "2025-03-18T09:15:00+06:00");
    assert_eq!(a["authors"][0]["name"], "রহিমা খাতুন");

    // The child category is the section; tags; the classic body made paragraphs and a figure.
    let a = t.api_article("wp:203").await;
    assert_eq!(a["section"]["name"], "সিটি");
    let tags = names(&a["tags"]);
    assert_eq!(tags, ["ঢাকা", "বন্যা"]);
    let body = a["body_html"].as_str().unwrap();
    assert!(
        body.contains("<figcaption>নেটে অনুশীলন</figcaption>"),
        "{body}"
    );
    assert!(
        body.contains("<p>অনুশীলন শুরু হয়েছে <strong>সোমবার</strong>।</p>"),
        "{body}"
    );
    assert!(
        !body.contains("[caption") && !body.contains("[gallery"),
        "{body}"
    );
    assert!(
        body.contains("<a href=\"/?p=201\""),
        "links to the old site are made site paths: {body}"
    );
    let next = t.get("/?p=201").await;
    assert_eq!(next.location(), t.path_of("wp:201").await);

    // The newsroom's stories: not on the site, with the statuses (and the scheduled time).
    assert_eq!(t.get("/api/v1/articles").await.json()["total"], 3);
    let rows = stored(&t).await;
    let status = |id: &str| rows.iter().find(|r| r.0 == id).cloned().unwrap();
    assert_eq!(status("wp:204").1, "draft");
    assert_eq!(status("wp:204").2, None);
    assert_eq!(status("wp:205").1, "review");
    assert_eq!(status("wp:206").1, "scheduled");
    assert_eq!(status("wp:206").2, Some(1_803_124_800)); // 2027-02-20 12:00 UTC
}

#[tokio::test]
async fn wordpress_old_links_answer_301_however_the_browser_sends_them() {
    let t = TestApp::new().await;
    import(&t, &wxr(&posts())).await.expect("import runs");
    let story = t.path_of("wp:201").await;
    let slug = wp_slug(LONG_TITLE);
    assert!(slug.len() > 190 && slug.len() <= 200, "{}", slug.len());
    let decoded = percent_encoding::percent_decode_str(&slug)
        .decode_utf8()
        .unwrap()
        .into_owned();
    assert!(
        !LONG_TITLE.replace(' ', "-").eq(&decoded),
        "the slug is cut"
    );
    for path in [
        "/?p=201".to_owned(),
        format!("/{slug}/"),
        format!("/{slug}"),
        format!("/{}/", slug.to_uppercase()),
        format!("/{}", slug.to_uppercase()),
        format!("/2025/10/05/{slug}/"),
    ] {
        assert_eq!(
            redirect(&t, &path).await,
            (StatusCode::MOVED_PERMANENTLY, story.clone()),
            "{path}"
        );
    }
    // Raw UTF-8, as some clients send a pasted link.
    let raw = format!("/{decoded}/");
    {
        let req = Request::get(raw.as_str()).body(Body::empty()).unwrap();
        let page = t.request(req).await;
        assert_eq!(
            (page.status, page.location()),
            (StatusCode::MOVED_PERMANENTLY, story.as_str())
        );
    }

    // A slug cut inside a letter's bytes, in either case of hex.
    let cut = t.path_of("wp:202").await;
    for path in [
        "/%e0%a6%ac%e0%a6%a8%e0%a7%8d%e0%a6%af%e0%a6%be-%e0%a6%86%e0%a6/",
        "/%E0%A6%AC%E0%A6%A8%E0%A7%8D%E0%A6%AF%E0%A6%BE-%E0%A6%86%E0%A6",
        "/?p=202",
    ] {
        assert_eq!(
            redirect(&t, path).await,
            (StatusCode::MOVED_PERMANENTLY, cut.clone()),
            "{path}"
        );
    }

    // Archives of the old site lead to the section, tag and author pages.
    let section = |name: &str| {
        let name = name.to_owned();
        let t = &t;
        async move {
            let a = t.api_article("wp:203").await;
            assert_eq!(a["section"]["name"], name.as_str());
            a["section"]["url"]
                .as_str()
                .unwrap()
                .trim_start_matches("http://khobor.test")
                .to_owned()
        }
    };
    let city = section("সিটি").await;
    assert_eq!(
        redirect(
            &t,
            "/category/national/%e0%a6%b8%e0%a6%bf%e0%a6%9f%e0%a6%bf/"
        )
        .await,
        (StatusCode::MOVED_PERMANENTLY, city)
    );
    assert_eq!(
        redirect(&t, "/category/national/").await,
        (StatusCode::MOVED_PERMANENTLY, "/national".to_owned())
    );
    let a = t.api_article("wp:203").await;
    let tag = a["tags"][1]["url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://khobor.test");
    assert_eq!(
        redirect(&t, "/tag/%E0%A6%AC%E0%A6%A8%E0%A7%8D%E0%A6%AF%E0%A6%BE/").await,
        (StatusCode::MOVED_PERMANENTLY, tag.to_owned())
    );
    let author = a["authors"][0]["url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://khobor.test");
    assert_eq!(
        redirect(&t, "/author/rahima/").await,
        (StatusCode::MOVED_PERMANENTLY, author.to_owned())
    );

    // Unpublished posts have no public old link; the home page is still the home page.
    assert_eq!(t.get("/?p=204").await.status, StatusCode::OK);
    assert_eq!(
        redirect(&t, "/pending-report").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(t.get("/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn wordpress_reimport_updates_in_place_and_never_duplicates() {
    let t = TestApp::new().await;
    import(&t, &wxr(&posts())).await.expect("first run");
    let before = stored(&t).await;
    let again = import(&t, &wxr(&posts())).await.expect("second run");
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 6));
    assert_eq!(stored(&t).await, before);

    let mut changed = posts();
    changed[0].title = "রাজধানীতে শিক্ষার্থীদের র‍্যালি";
    changed[4].status = "publish";
    let third = import(&t, &wxr(&changed)).await.expect("third run");
    assert_eq!((third.inserted, third.updated, third.unchanged), (0, 2, 4));
    assert_eq!(stored(&t).await.len(), 6);
    assert_eq!(
        t.api_article("wp:201").await["headline"],
        "রাজধানীতে শিক্ষার্থীদের র‍্যালি"
    );
    // The story is where the old link still leads.
    assert_eq!(redirect(&t, "/?p=201").await.1, t.path_of("wp:201").await);
}

#[tokio::test]
async fn wordpress_a_truncated_file_keeps_the_items_before_it_and_names_where_it_stopped() {
    let t = TestApp::new().await;
    let full = wxr(&posts());
    // Cut inside the third item (post 203), after its id.
    let at = full.find("<wp:post_id>203</wp:post_id>").unwrap() + 30;
    let err = import(&t, &full[..at]).await.unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, WpError::Truncated { kept: 2, .. }),
        "{message}"
    );
    assert!(
        message.contains("post 203") || message.contains("203"),
        "{message}"
    );
    assert!(message.contains("ক্রিকেট একাডেমিতে অনুশীলন শুরু"), "{message}");
    let rows = stored(&t).await;
    let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(ids, ["wp:201", "wp:202"]);
    // Those two are complete: pages with their bodies, and their old links.
    let page = t.get(&t.path_of("wp:202").await).await;
    page.assert_contains("দ্বিতীয় অনুচ্ছেদ।");
    assert_eq!(
        redirect(&t, "/?p=201").await.0,
        StatusCode::MOVED_PERMANENTLY
    );

    // The whole file later brings the rest.
    let report = import(&t, &full).await.expect("full file");
    assert_eq!((report.inserted, report.unchanged), (4, 2));
}

#[tokio::test]
async fn wordpress_an_rss_feed_from_elsewhere_is_refused_and_nothing_is_imported() {
    let t = TestApp::new().await;
    let feed = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>অন্য সাইট</title><link>https://other.test</link>
<generator>https://gohugo.io/</generator>
<item><title>একটি খবর</title><link>https://other.test/a</link>
<content:encoded><![CDATA[<p>লেখা</p>]]></content:encoded></item>
</channel></rss>"#;
    let err = import(&t, feed).await.unwrap_err();
    assert!(matches!(err, WpError::NotWxr(_)), "{err}");
    assert!(err.to_string().contains("not a WordPress export"), "{err}");
    let html = "<!doctype html><html><body>না</body></html>";
    assert!(matches!(import(&t, html).await, Err(WpError::NotWxr(_))));
    for other in ["", "{\"id\": 1}\n", "\u{feff}plain text"] {
        assert!(
            matches!(import(&t, other).await, Err(WpError::NotWxr(_))),
            "{other:?}"
        );
    }
    assert!(stored(&t).await.is_empty());
}

#[tokio::test]
async fn wordpress_cli_prints_a_summary_names_skipped_items_and_exits_2_only_for_problems() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("site.wxr.xml");
    std::fs::write(&file, wxr(&posts())).unwrap();
    let import = |file: &std::path::Path| {
        crate::cli::khobor()
            .args(["import", "wordpress"])
            .arg(file)
            .args(["--permalink", "date", "--data"])
            .arg(&data)
            .output()
            .unwrap()
    };
    // Items that are not stories by design are listed, and the import succeeds.
    let out = import(&file);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("stories by status: draft 1, published 3, review 1, scheduled 1"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "imported 6 new, updated 0, unchanged 0, skipped 3 (not content), could not import 0"
        ),
        "{stdout}"
    );
    assert!(
        stderr.contains("skipped post 207 “ফেলে দেওয়া লেখা”: in the trash"),
        "{stderr}"
    );
    assert!(stderr.contains("skipped nav_menu_item 208"), "{stderr}");

    // A post that cannot be a story (no title) is a problem: named, and exit status 2.
    let mut bad = posts();
    bad[0].title = "";
    let broken = dir.path().join("broken.wxr.xml");
    std::fs::write(&broken, wxr(&bad)).unwrap();
    let out = import(&broken);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("could not import post"), "{stderr}");
    assert!(stderr.contains(": no title"), "{stderr}");
    assert!(stdout.contains("could not import 1"), "{stdout}");

    // A file from elsewhere: one line naming the problem, exit 1, nothing stored.
    let feed = dir.path().join("feed.xml");
    std::fs::write(
        &feed,
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>x</title>\
         <item><title>y</title></item></channel></rss>",
    )
    .unwrap();
    let empty = dir.path().join("empty");
    let out = crate::cli::khobor()
        .args(["import", "wordpress"])
        .arg(&feed)
        .arg("--data")
        .arg(&empty)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not a WordPress export"), "{stderr}");
}

#[tokio::test]
async fn wordpress_bijoy_posts_are_imported_as_unicode_unless_told_otherwise() {
    let t = TestApp::new().await;
    let post = Post {
        id: 301,
        // বাংলাদেশ সরকার এবং জনগণ
        title: "evsjv‡`k miKvi Ges RbMY",
        slug: "bijoy-post".into(),
        status: "publish",
        post_type: "post",
        date: "2025-06-01 10:00:00",
        date_gmt: "2025-06-01 04:00:00",
        creator: "rahima",
        terms: r#"<category domain="category" nicename="bd"><![CDATA[evsjv‡`k]]></category>"#,
        body: "<!-- wp:paragraph -->\n<p>evsjv‡`k miKvi Ges RbMY</p>\n<!-- /wp:paragraph -->",
    };
    let report = import(&t, &wxr(std::slice::from_ref(&post))).await.unwrap();
    assert_eq!((report.inserted, report.from_bijoy), (1, 1), "{report:?}");
    let a = t.api_article("wp:301").await;
    assert_eq!(a["headline"], "বাংলাদেশ সরকার এবং জনগণ");
    assert_eq!(a["section"]["name"], "বাংলাদেশ");
    assert!(a["body_html"]
        .as_str()
        .unwrap()
        .contains("বাংলাদেশ সরকার এবং জনগণ"));

    let off = TestApp::new().await;
    let options = WpOptions {
        bijoy: BijoyMode::Off,
        ..options()
    };
    let xml = wxr(&[post]);
    import_wordpress_reader(off.app.store(), xml.as_bytes(), &options)
        .await
        .unwrap();
    assert_eq!(
        off.api_article("wp:301").await["headline"],
        "evsjv‡`k miKvi Ges RbMY"
    );
}

/// A real PNG of `w`×`h`, as WordPress keeps in its uploads folder.
fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([180, 40, 30]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn wordpress_images_come_into_the_media_library_from_the_uploads_folder() {
    let t = TestApp::new().await;
    let uploads = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(uploads.path().join("2025/07")).unwrap();
    std::fs::write(
        uploads.path().join("2025/07/nets-300x200.png"),
        png(300, 200),
    )
    .unwrap();
    std::fs::write(uploads.path().join("2025/07/nets.png"), png(480, 320)).unwrap();
    let mut list = posts();
    // Post 203 has attachment 209 as its featured image; attachment 210's file is missing.
    let with_thumbnail = format!(
        "{CITY}\n<wp:postmeta><wp:meta_key><![CDATA[_thumbnail_id]]></wp:meta_key>\
         <wp:meta_value><![CDATA[209]]></wp:meta_value></wp:postmeta>"
    );
    list[2].terms = Box::leak(with_thumbnail.into_boxed_str());
    list[8].terms = "<wp:attachment_url><![CDATA[http://old.test/wp-content/uploads/2025/07/nets.png]]></wp:attachment_url>";
    list.push(Post {
        id: 210,
        title: "হারানো ছবি",
        slug: "lost".into(),
        status: "inherit",
        post_type: "attachment",
        date: "2025-07-21 15:30:00",
        date_gmt: "2025-07-21 09:30:00",
        creator: "rahima",
        terms: "<wp:attachment_url><![CDATA[http://old.test/wp-content/uploads/2025/07/lost.png]]></wp:attachment_url>",
        body: "",
    });
    let options = WpOptions {
        uploads: Some(uploads.path().to_path_buf()),
        media: t.app.state.media_store().clone(),
        ..options()
    };
    let xml = wxr(&list);
    let report = import_wordpress_reader(t.app.store(), xml.as_bytes(), &options)
        .await
        .unwrap();
    assert_eq!((report.media_added, report.heroes), (2, 1), "{report:?}");
    let lost: Vec<_> = report
        .skipped
        .iter()
        .filter(|s| s.item.starts_with("attachment"))
        .collect();
    assert_eq!(lost.len(), 1, "{:?}", report.skipped);
    assert!(lost[0].item.starts_with("attachment 210"));
    assert!(
        lost[0]
            .reason
            .contains("uploads/2025/07/lost.png cannot be read"),
        "{lost:?}"
    );

    // The body's image is the library's copy, served by Khobor.
    let body = t.api_article("wp:203").await["body_html"]
        .as_str()
        .unwrap()
        .to_owned();
    let src = body
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    assert!(
        src.starts_with("/media/") && src.ends_with(".png"),
        "{body}"
    );
    let image = t.get(&src).await;
    assert_eq!(image.status, StatusCode::OK);
    let hero: Vec<(String, Option<i64>)> = sqlx::query_as(
        "SELECT external_id, hero_media_id FROM articles WHERE hero_media_id IS NOT NULL",
    )
    .fetch_all(t.app.store().pool())
    .await
    .unwrap();
    assert_eq!(hero.len(), 1);
    assert_eq!(hero[0].0, "wp:203");

    // Again: nothing new in the library, nothing changed.
    let again = import_wordpress_reader(t.app.store(), xml.as_bytes(), &options)
        .await
        .unwrap();
    assert_eq!(
        (again.media_added, again.heroes, again.unchanged),
        (0, 0, 6)
    );
}

/// Redirects stored before keys were normalised (the path as it was, trailing slash and all)
/// still answer; a raw-UTF-8 one also answers the percent-encoded form browsers send.
#[tokio::test]
async fn wordpress_redirects_recorded_before_keep_working() {
    let t = TestApp::new().await;
    t.import(&[crate::helpers::wire_story()]).await;
    let id = t.api_article("wire-summit").await["id"].as_i64().unwrap();
    let story = t.path_of("wire-summit").await;
    for from in ["/old/story.html", "/old/folder/", "/পুরনো/খবর"] {
        sqlx::query("INSERT INTO redirects (from_path, article_id, created_at) VALUES ($1, $2, 0)")
            .bind(from)
            .bind(id)
            .execute(t.app.store().pool())
            .await
            .unwrap();
    }
    for path in [
        "/old/story.html",
        "/old/folder/",
        "/%E0%A6%AA%E0%A7%81%E0%A6%B0%E0%A6%A8%E0%A7%8B/%E0%A6%96%E0%A6%AC%E0%A6%B0",
    ] {
        assert_eq!(
            redirect(&t, path).await,
            (StatusCode::MOVED_PERMANENTLY, story.clone()),
            "{path}"
        );
    }
    assert_eq!(
        redirect(&t, "/old/other.html").await.0,
        StatusCode::NOT_FOUND
    );
}

/// The imported draft, story in review and scheduled story open in the newsroom's editor,
/// and the dashboard lists them.
#[tokio::test]
async fn wordpress_unpublished_posts_open_in_the_newsroom() {
    let t = TestApp::new().await;
    import(&t, &wxr(&posts())).await.unwrap();
    t.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    let desk = t.login("editor@khobor.test").await;
    let rows = stored(&t).await;
    for (external_id, title) in [
        ("wp:204", "খসড়া সম্পাদকীয়"),
        ("wp:205", "অপেক্ষমাণ প্রতিবেদন"),
        ("wp:206", "একুশের প্রস্তুতি"),
    ] {
        assert!(rows.iter().any(|r| r.0 == external_id));
        let id: i64 = sqlx::query_scalar("SELECT id FROM articles WHERE external_id = $1")
            .bind(external_id)
            .fetch_one(t.app.store().pool())
            .await
            .unwrap();
        let page = desk.get(&format!("/newsroom/stories/{id}")).await;
        assert_eq!(page.status, StatusCode::OK, "{external_id}");
        page.assert_contains(title);
    }
    let dashboard = desk.get("/newsroom/").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    dashboard.assert_contains("খসড়া সম্পাদকীয়");
}

/// The old links an import recorded are listed for admins, who can add one by hand (to a
/// story or a page of this site, never elsewhere), repoint one, and remove one.
#[tokio::test]
async fn wordpress_old_links_are_listed_and_edited_by_admins_in_the_newsroom() {
    let t = TestApp::new().await;
    import(&t, &wxr(&posts())).await.expect("import runs");
    t.add_user("admin@khobor.test", "নাসরিন হক", "এনএইচ", "admin")
        .await;
    t.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    let editor = t.login("editor@khobor.test").await;
    assert_eq!(
        editor.get("/newsroom/redirects").await.status,
        StatusCode::FORBIDDEN
    );
    let admin = t.login("admin@khobor.test").await;
    let list = admin.get("/newsroom/redirects").await;
    assert_eq!(list.status, StatusCode::OK);
    list.assert_contains("<code>/?p=201</code>");
    let story = t.path_of("wp:201").await;
    list.assert_contains(&format!("href=\"{story}\""));
    let found = admin.get("/newsroom/redirects?q=%3Fp%3D201").await;
    assert_eq!(found.body.matches("<code>").count(), 1, "{}", found.body);

    // Added by hand, in any form a browser sends it.
    let id = story.rsplit('/').next().unwrap().to_owned();
    let added = admin
        .post(
            "/newsroom/redirects",
            &[
                ("from", "/purono/%E0%A6%96%E0%A6%AC%E0%A6%B0/"),
                ("to", &id),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    assert_eq!(
        redirect(&t, "/purono/খবর").await,
        (StatusCode::MOVED_PERMANENTLY, story.clone())
    );
    // Repointed to a page of this site.
    admin
        .post(
            "/newsroom/redirects",
            &[("from", "/purono/খবর/"), ("to", "/latest")],
        )
        .await;
    assert_eq!(
        redirect(&t, "/purono/%e0%a6%96%e0%a6%ac%e0%a6%b0").await,
        (StatusCode::MOVED_PERMANENTLY, "/latest".to_owned())
    );
    // Never to another site, never over Khobor's own paths, never to a story not published.
    for (from, to, says) in [
        ("/elsewhere", "https://evil.example/", "এই সাইটের একটি পাতা"),
        ("/newsroom/x", "/latest", "খবর নিজেই ব্যবহার করে"),
        ("/missing", "999999", "কোনো প্রকাশিত খবর নেই"),
    ] {
        let refused = admin
            .post("/newsroom/redirects", &[("from", from), ("to", to)])
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{from}");
        refused.assert_contains(says);
        assert_eq!(redirect(&t, from).await.0, StatusCode::NOT_FOUND, "{from}");
    }
    // Removed: the old path is a 404 again.
    let key = khobor::domain::urls::redirect_key("/purono/খবর", None);
    let removed = admin
        .post("/newsroom/redirects/delete", &[("from", &key)])
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert_eq!(redirect(&t, "/purono/খবর").await.0, StatusCode::NOT_FOUND);
    let audit = admin.get("/newsroom/audit").await;
    audit.assert_contains("redirect.set");
    audit.assert_contains("redirect.delete");
}

/// `--section-map`: categories go to the sections a newsroom chooses, by slug or by name; a
/// child category not listed follows its nearest listed parent; a bad map is refused whole.
#[tokio::test]
async fn wordpress_categories_follow_the_section_map() {
    use khobor::import::wordpress::SectionMap;
    let t = TestApp::new().await;
    let map = SectionMap::parse("national = \"বাংলাদেশ\"\n").unwrap();
    let mapped = WpOptions {
        section_map: map,
        ..options()
    };
    import_wordpress_reader(t.app.store(), wxr(&posts()).as_bytes(), &mapped)
        .await
        .unwrap();
    assert_eq!(t.api_article("wp:201").await["section"]["name"], "বাংলাদেশ");
    // সিটি is national's child and not listed: it follows its parent.
    assert_eq!(t.api_article("wp:203").await["section"]["name"], "বাংলাদেশ");

    let t = TestApp::new().await;
    let map = SectionMap::parse("national = \"বাংলাদেশ\"\n\"সিটি\" = \"রাজধানী\"\n").unwrap();
    let mapped = WpOptions {
        section_map: map,
        ..options()
    };
    import_wordpress_reader(t.app.store(), wxr(&posts()).as_bytes(), &mapped)
        .await
        .unwrap();
    assert_eq!(t.api_article("wp:201").await["section"]["name"], "বাংলাদেশ");
    assert_eq!(t.api_article("wp:203").await["section"]["name"], "রাজধানী");

    for (bad, says) in [
        ("national = ", "expected lines like"),
        ("national = 3", "section name in quotes"),
        ("national = \"\"", "a section name of 1 to"),
    ] {
        let err = SectionMap::parse(bad).unwrap_err();
        assert!(err.contains(says), "{bad}: {err}");
    }
    // The command names the file and imports nothing.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("map.toml");
    std::fs::write(&file, "national = 3\n").unwrap();
    let wxr_file = dir.path().join("site.xml");
    std::fs::write(&wxr_file, wxr(&posts())).unwrap();
    let data = dir.path().join("data");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_khobor"))
        .args(["import", "wordpress"])
        .arg(&wxr_file)
        .arg("--section-map")
        .arg(&file)
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("map.toml") && stderr.contains("section name in quotes"),
        "{stderr}"
    );
}

/// An attachment's page on the old site (`/?attachment_id=ID`, `/<post>/<attachment>/`, and
/// under the date permalink) answers 301 to its post's story, even without `--uploads`.
#[tokio::test]
async fn wordpress_attachment_pages_lead_to_their_posts_story() {
    let t = TestApp::new().await;
    let xml = wxr(&posts());
    // Attachment 209 ("nets") belongs to post 203 ("cricket-academy").
    let at = xml.find("<wp:post_id>209</wp:post_id>").unwrap();
    let parent = at
        + xml[at..]
            .find("<wp:post_parent>0</wp:post_parent>")
            .unwrap();
    let xml = format!(
        "{}<wp:post_parent>203</wp:post_parent>{}",
        &xml[..parent],
        &xml[parent + "<wp:post_parent>0</wp:post_parent>".len()..]
    );
    import(&t, &xml).await.expect("import runs");
    let story = t.path_of("wp:203").await;
    for path in [
        "/?attachment_id=209",
        "/cricket-academy/nets/",
        "/cricket-academy/nets",
        "/2025/07/21/cricket-academy/nets/",
    ] {
        assert_eq!(
            redirect(&t, path).await,
            (StatusCode::MOVED_PERMANENTLY, story.clone()),
            "{path}"
        );
    }
    // An attachment of no post, or of one not published, leads nowhere.
    assert_eq!(redirect(&t, "/?attachment_id=210").await.0, StatusCode::OK);
}
