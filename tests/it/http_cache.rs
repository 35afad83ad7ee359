//! HTTP caching: strong ETags, 304 on a match with no body, Last-Modified, Cache-Control for a
//! CDN, Surrogate-Key tags naming what a response shows, compressed bodies equal to the plain
//! one, and private newsroom responses left alone.

use std::io::Read;

use axum::http::{header, StatusCode};

use crate::helpers::*;

fn header<'a>(h: &'a axum::http::HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn pages_feeds_and_the_api_carry_validators_and_cdn_headers() {
    let t = TestApp::with_demo().await;
    let id = t.get("/api/v1/articles?limit=1").await.json()["articles"][0]["id"]
        .as_i64()
        .unwrap();
    let article_path = site_path(
        t.get(&format!("/api/v1/articles/{id}")).await.json()["article"]["url"]
            .as_str()
            .unwrap(),
    );
    for path in [
        "/",
        "/latest",
        "/national",
        article_path.as_str(),
        "/feed.xml",
        "/national/atom.xml",
        "/sitemap.xml",
        &format!("/api/v1/articles/{id}"),
        "/api/v1/articles",
    ] {
        let (status, h, body) = t.raw(path, &[]).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let etag = header(&h, "etag");
        assert!(
            etag.starts_with('"') && etag.len() > 10,
            "{path}: strong ETag, got {etag:?}"
        );
        assert!(header(&h, "last-modified").ends_with(" GMT"), "{path}");
        let cc = header(&h, "cache-control");
        assert!(
            cc.contains("s-maxage=60") && cc.contains("stale-while-revalidate=30"),
            "{path}: {cc}"
        );
        assert!(!body.is_empty());
        // The same request with that ETag: 304, no body, the validator repeated.
        let (status, h2, body) = t.raw(path, &[("if-none-match", etag)]).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(body.is_empty(), "{path}: a 304 has no body");
        assert_eq!(header(&h2, "etag"), etag);
        // Another ETag: the full response.
        let (status, _, body) = t
            .raw(path, &[("if-none-match", "\"something-else\"")])
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(!body.is_empty());
    }
}

#[tokio::test]
async fn surrogate_keys_name_what_a_response_shows() {
    let t = TestApp::new().await;
    t.import(&[wire_story()]).await;
    let a = t.api_article("wire-summit").await;
    let id = a["id"].as_i64().unwrap();
    let path = site_path(a["url"].as_str().unwrap());
    let section: i64 = sqlx::query_scalar("SELECT section_id FROM articles WHERE id = $1")
        .bind(id)
        .fetch_one(t.app.store().pool())
        .await
        .unwrap();
    let (_, h, _) = t.raw(&path, &[]).await;
    let keys: Vec<&str> = header(&h, "surrogate-key").split(' ').collect();
    for want in [format!("article:{id}"), "site".into()] {
        assert!(keys.contains(&want.as_str()), "{want} not in {keys:?}");
    }
    // A story page is not purged from a CDN when another story joins its section, tag or
    // author, nor when any story is published (its "latest" box may lag at the CDN).
    assert!(
        !keys.iter().any(|k| k.starts_with("section:")
            || k.starts_with("tag:")
            || k.starts_with("author:")
            || *k == "latest"),
        "{keys:?}"
    );
    let (_, h, _) = t.raw("/", &[]).await;
    let keys: Vec<&str> = header(&h, "surrogate-key").split(' ').collect();
    for want in [
        "home".to_owned(),
        "latest".into(),
        format!("section:{section}"),
        format!("article:{id}"),
    ] {
        assert!(keys.contains(&want.as_str()), "{want} not in {keys:?}");
    }
    let (_, h, _) = t.raw("/feed.xml", &[]).await;
    assert_eq!(header(&h, "surrogate-key"), "feed latest site");
    let (_, h, _) = t.raw(&format!("/api/v1/articles/{id}"), &[]).await;
    assert_eq!(
        header(&h, "surrogate-key"),
        format!("article:{id} section:{section} site")
    );
    assert_eq!(
        header(&h, "cache-control"),
        "public, max-age=0, s-maxage=60, stale-while-revalidate=30"
    );
    // Cloudflare's Cache-Tag is sent only to Cloudflare.
    assert!(h.get("cache-tag").is_none());
}

#[tokio::test]
async fn responses_without_keys_are_kept_by_a_cdn_for_a_minute_at_most() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("khobor.toml");
    std::fs::write(&config, "[cache]\ns_maxage = 86400\n").unwrap();
    let t = TestApp::with_settings(khobor::config::Overrides {
        config: Some(config),
        ..Default::default()
    })
    .await;
    t.import(&[wire_story()]).await;
    // A search is not purged when a story changes: a minute at most.
    let (status, h, _) = t
        .raw("/search?q=%E0%A6%AC%E0%A7%88%E0%A6%A0%E0%A6%95", &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        header(&h, "cache-control"),
        "public, max-age=0, s-maxage=60, stale-while-revalidate=30"
    );
    assert_eq!(header(&h, "surrogate-key"), "site");
    // A page with keys is kept as long as configured: purges keep it fresh.
    let (_, h, _) = t.raw("/", &[]).await;
    assert_eq!(
        header(&h, "cache-control"),
        "public, max-age=0, s-maxage=86400, stale-while-revalidate=30"
    );
}

#[tokio::test]
async fn compressed_bodies_decode_to_the_plain_one_and_have_their_own_etag() {
    let t = TestApp::with_demo().await;
    let (_, plain_h, plain) = t.raw("/", &[]).await;
    let (_, gz_h, gz) = t.raw("/", &[("accept-encoding", "gzip")]).await;
    let (_, br_h, br) = t.raw("/", &[("accept-encoding", "br")]).await;
    assert_eq!(header(&gz_h, "content-encoding"), "gzip");
    assert_eq!(header(&br_h, "content-encoding"), "br");
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    let mut unbrotlied = Vec::new();
    brotli::Decompressor::new(&br[..], 4096)
        .read_to_end(&mut unbrotlied)
        .unwrap();
    assert_eq!(unzipped, plain);
    assert_eq!(unbrotlied, plain);
    let plain_tag = header(&plain_h, "etag");
    let br_tag = header(&br_h, "etag");
    assert_eq!(br_tag, format!("{}-br\"", plain_tag.trim_end_matches('"')));
    assert_eq!(
        header(&gz_h, "etag"),
        format!("{}-gzip\"", plain_tag.trim_end_matches('"'))
    );
    // A client holding the brotli body revalidates with its ETag: 304.
    let (status, _, body) = t
        .raw("/", &[("accept-encoding", "br"), ("if-none-match", br_tag)])
        .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
}

#[tokio::test]
async fn feeds_answer_if_modified_since_but_pages_with_relative_times_do_not() {
    let t = TestApp::with_demo().await;
    let (_, h, _) = t.raw("/feed.xml", &[]).await;
    let last = header(&h, "last-modified").to_owned();
    let (status, _, body) = t.raw("/feed.xml", &[("if-modified-since", &last)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    let (status, _, _) = t
        .raw(
            "/feed.xml",
            &[("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The home page says "৩ ঘণ্টা আগে": its date alone never proves the client's copy current.
    let (status, _, _) = t.raw("/", &[("if-modified-since", &last)]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_unpublished_story_is_gone_even_for_a_client_holding_the_old_page() {
    let t = TestApp::new().await;
    t.import(&[wire_story()]).await;
    let a = t.api_article("wire-summit").await;
    let id = a["id"].as_i64().unwrap();
    let (_, h, body) = t.raw("/", &[]).await;
    let etag = header(&h, "etag").to_owned();
    assert!(String::from_utf8_lossy(&body).contains("দুই নেতার প্রথম শীর্ষ বৈঠক"));
    assert!(t
        .app
        .store()
        .set_status(id, khobor::domain::Status::Unpublished)
        .await
        .unwrap());
    let (status, _, body) = t.raw("/", &[("if-none-match", &etag)]).await;
    assert_eq!(status, StatusCode::OK, "the old ETag no longer matches");
    assert!(!String::from_utf8_lossy(&body).contains("দুই নেতার প্রথম শীর্ষ বৈঠক"));
}

#[tokio::test]
async fn private_newsroom_responses_are_never_made_cacheable() {
    let t = TestApp::new().await;
    t.add_user("editor@khobor.test", "সম্পাদক", "", "editor")
        .await;
    let (_, h, _) = t.raw("/newsroom/login", &[]).await;
    assert_eq!(header(&h, "cache-control"), "no-store, private");
    assert_eq!(header(&h, "etag"), "");
    let desk = t.login("editor@khobor.test").await;
    let page = desk.get("/newsroom/").await;
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store, private");
    assert!(page.headers.get(header::ETAG).is_none());
    let api = desk.api("GET", "/api/v1/admin/articles", None).await;
    assert_eq!(api.status, StatusCode::OK);
    assert!(api.headers.get(header::ETAG).is_none());
    assert_eq!(api.headers[header::CACHE_CONTROL], "no-store, private");
}
