//! সারাদেশ by place: Bangladesh's 8 divisions, 64 districts and 494 upazilas are in every
//! new store; editors give stories places in the editor (by Bengali or English name, an
//! upazila that several districts have with its district in brackets); `/country/{division}`,
//! `/country/{division}/{district}` and `…/{upazila}` list the stories about the place and
//! everything below it, the সারাদেশ page links the divisions, and a সারাদেশ story keeps its
//! own `/country/{id}` address. Editors rename, add and remove places; the pages follow at
//! once. The home page's district picker keeps the reader's choice in a first-party cookie
//! and never splits the cached home page.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;

use crate::helpers::*;

async fn newsroom() -> TestApp {
    let t = TestApp::new().await;
    t.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    t.add_user("reporter@khobor.test", "সাইফুল ইসলাম", "এসআই", "contributor")
        .await;
    t
}

/// A story published by `desk` with `places` typed in the editor's field; its public path.
async fn published(desk: &Desk<'_>, headline: &str, places: &str) -> (i64, String) {
    let id = desk
        .write_story(
            headline,
            "<p>স্থানীয় প্রতিনিধি জানান, সকাল থেকে বৃষ্টি হচ্ছে।</p>",
            &[("places", places), ("action", "publish")],
        )
        .await;
    (id, story_path(desk.app, id).await)
}

async fn count(t: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(t.app.store().pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn every_new_store_has_the_countrys_places_and_the_country_section() {
    let t = TestApp::new().await;
    let by_kind = |kind: &'static str| format!("SELECT COUNT(*) FROM places WHERE kind = '{kind}'");
    assert_eq!(count(&t, &by_kind("division")).await, 8);
    assert_eq!(count(&t, &by_kind("district")).await, 64);
    assert_eq!(count(&t, &by_kind("upazila")).await, 494);
    // Every district sits under a division and every upazila under a district.
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM places c JOIN places p ON p.id = c.parent_id \
             WHERE (c.kind = 'district' AND p.kind = 'division') \
                OR (c.kind = 'upazila' AND p.kind = 'district')"
        )
        .await,
        64 + 494
    );
    let country = t.get("/country").await;
    assert_eq!(country.status, StatusCode::OK, "{}", country.body);
    country.assert_contains("<h1>সারাদেশ</h1>");
    for (slug, name) in [
        ("dhaka", "ঢাকা"),
        ("chattogram", "চট্টগ্রাম"),
        ("rajshahi", "রাজশাহী"),
        ("khulna", "খুলনা"),
        ("barishal", "বরিশাল"),
        ("sylhet", "সিলেট"),
        ("rangpur", "রংপুর"),
        ("mymensingh", "ময়মনসিংহ"),
    ] {
        country.assert_contains(&format!("<a href=\"/country/{slug}\">{name}</a>"));
    }
    // Opening the store again adds nothing.
    let closed = t.close().await;
    let t = TestApp::reopen(closed).await;
    assert_eq!(count(&t, "SELECT COUNT(*) FROM places").await, 8 + 64 + 494);
}

#[tokio::test]
async fn a_storys_places_put_it_on_its_place_pages_and_every_page_above() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let (teknaf_id, teknaf) = published(&editor, "টেকনাফে পাহাড়ধস", "টেকনাফ, gazipur").await;
    let (kaliganj_id, _) = published(&editor, "কালীগঞ্জে সেতু উদ্বোধন", "কালীগঞ্জ (গাজীপুর)").await;
    let (_, _) = published(&editor, "সংসদে বাজেট পাস", "").await;

    // The editor shows the places as it writes them.
    let form = editor.get(&format!("/newsroom/stories/{teknaf_id}")).await;
    form.assert_contains("value=\"টেকনাফ (কক্সবাজার), গাজীপুর\"");

    let page = |path: &'static str| {
        let t = &t;
        async move {
            let p = t.get(path).await;
            assert_eq!(p.status, StatusCode::OK, "{path}: {}", p.body);
            p
        }
    };
    let upazila = page("/country/chattogram/coxs-bazar/teknaf").await;
    upazila.assert_contains("টেকনাফে পাহাড়ধস");
    upazila.assert_contains("<h1>টেকনাফ, কক্সবাজার</h1>");
    upazila.assert_contains("<a href=\"/country/chattogram/coxs-bazar\">কক্সবাজার</a>");
    let district = page("/country/chattogram/coxs-bazar").await;
    district.assert_contains("টেকনাফে পাহাড়ধস");
    district.assert_contains("<a href=\"/country/chattogram/coxs-bazar/teknaf\">টেকনাফ</a>");
    district.assert_contains("<a href=\"/country/chattogram\">চট্টগ্রাম</a>");
    page("/country/chattogram")
        .await
        .assert_contains("টেকনাফে পাহাড়ধস");
    let gazipur = page("/country/dhaka/gazipur").await;
    gazipur.assert_contains("টেকনাফে পাহাড়ধস");
    gazipur.assert_contains("কালীগঞ্জে সেতু উদ্বোধন");
    assert!(!gazipur.body.contains("সংসদে বাজেট পাস"));
    let kaliganj = page("/country/dhaka/gazipur/kaliganj").await;
    kaliganj.assert_contains("কালীগঞ্জে সেতু উদ্বোধন");
    assert!(!kaliganj.body.contains("টেকনাফে পাহাড়ধস"));
    // Another district's কালীগঞ্জ is not this one.
    let other = page("/country/khulna/jhenaidah/kaliganj").await;
    assert!(!other.body.contains("কালীগঞ্জে সেতু উদ্বোধন"));
    other.assert_contains("এখানে এখনো কোনো খবর নেই");
    for missing in [
        "/country/atlantis",
        "/country/dhaka/atlantis",
        "/country/dhaka/gazipur/atlantis",
        "/country/dhaka/gazipur/kaliganj/more",
    ] {
        assert_eq!(
            t.get(missing).await.status,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }

    // The story's page links its places.
    let story = page_at(&t, &teknaf).await;
    story.assert_contains("<a href=\"/country/chattogram/coxs-bazar/teknaf\">টেকনাফ (কক্সবাজার)</a>");
    story.assert_contains("<a href=\"/country/dhaka/gazipur\">গাজীপুর</a>");

    // Taking a place off a story takes it off that place's pages on the very next request,
    // though they were cached.
    assert_eq!(x_cache(&t.get("/country/dhaka/gazipur").await), "hit");
    let version = editor.version_of(kaliganj_id).await;
    let saved = editor
        .post(
            &format!("/newsroom/stories/{kaliganj_id}"),
            &[
                ("version", &version),
                ("headline", "কালীগঞ্জে সেতু উদ্বোধন"),
                ("body", "<p>স্থানীয় প্রতিনিধি জানান, সকাল থেকে বৃষ্টি হচ্ছে।</p>"),
                ("section_id", "1"),
                ("places", "শ্রীপুর (গাজীপুর)"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let kaliganj = t.get("/country/dhaka/gazipur/kaliganj").await;
    assert!(!kaliganj.body.contains("কালীগঞ্জে সেতু উদ্বোধন"));
    t.get("/country/dhaka/gazipur/sreepur")
        .await
        .assert_contains("কালীগঞ্জে সেতু উদ্বোধন");
    t.get("/country/dhaka/gazipur")
        .await
        .assert_contains("কালীগঞ্জে সেতু উদ্বোধন");

    // The admin API reads and writes places too.
    t.add_user("admin@khobor.test", "আয়েশা সিদ্দিকা", "এএস", "admin")
        .await;
    let admin = t.login("admin@khobor.test").await;
    let token = admin.new_api_token("অ্যাপ", "editor").await;
    let made = t
        .request(
            Request::post("/api/v1/admin/articles")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({
                        "headline": "সিলেটে বন্যা",
                        "body_html": "<p>নদীর পানি বাড়ছে।</p>",
                        "section": "national",
                        "places": ["sylhet/sunamganj", "Sylhet Division"],
                    })
                    .to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(
        made.json()["article"]["places"],
        json!(["সুনামগঞ্জ", "সিলেট বিভাগ"])
    );
}

async fn page_at(t: &TestApp, path: &str) -> Page {
    let p = t.get(path).await;
    assert_eq!(p.status, StatusCode::OK, "{path}: {}", p.body);
    p
}

#[tokio::test]
async fn a_country_story_keeps_its_address_beside_the_place_pages() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let country: i64 = count(&t, "SELECT id FROM sections WHERE slug = 'country'").await;
    let made = editor
        .post(
            "/newsroom/stories/new",
            &[
                ("headline", "রংপুরে শীতের দাপট"),
                ("body", "<p>উত্তরাঞ্চলে তাপমাত্রা নামছে।</p>"),
                ("section_id", &country.to_string()),
                ("places", "রংপুর"),
                ("action", "publish"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let id = story_id(made.location());
    let path = story_path(&t, id).await;
    assert_eq!(path, format!("/country/{id}"));
    page_at(&t, &path).await.assert_contains("রংপুরে শীতের দাপট");
    // Its old-style suffix still redirects to it, and the section's feed is still the feed.
    let suffixed = t.get(&format!("/country/{id}/rongpur-shit")).await;
    assert_eq!(suffixed.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(suffixed.location(), path);
    let feed = page_at(&t, "/country/feed.xml").await;
    feed.assert_contains("রংপুরে শীতের দাপট");
    page_at(&t, "/country")
        .await
        .assert_contains("রংপুরে শীতের দাপট");
    page_at(&t, "/country/rangpur/rangpur")
        .await
        .assert_contains("রংপুরে শীতের দাপট");
}

#[tokio::test]
async fn a_place_the_desk_cannot_name_is_refused_and_nothing_is_saved() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let before = count(&t, "SELECT COUNT(*) FROM articles").await;
    for (typed, says) in [
        ("কালীগঞ্জ", "জেলাসহ লিখুন, যেমন"),
        ("আটলান্টিস", "‘আটলান্টিস’ নামে কোনো স্থান নেই"),
        ("কালীগঞ্জ (ফেনী)", "কোনো স্থান নেই"),
        (
            "ঢাকা, গাজীপুর, নরসিংদী, টাঙ্গাইল, ফেনী, খুলনা, সিলেট, রংপুর, বগুড়া, পাবনা, যশোর",
            "সর্বোচ্চ ১০টি স্থান",
        ),
    ] {
        let page = editor
            .post(
                "/newsroom/stories/new",
                &[
                    ("headline", "কোথায় ঘটল"),
                    ("body", "<p>লেখা</p>"),
                    ("section_id", "1"),
                    ("places", typed),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        page.assert_contains(says);
        // What was typed is kept in the form to be corrected.
        page.assert_contains(&format!("value=\"{typed}\""));
    }
    assert_eq!(count(&t, "SELECT COUNT(*) FROM articles").await, before);
}

#[tokio::test]
async fn editors_rename_add_and_remove_places_and_the_pages_follow() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let (_, story) = published(&editor, "কালীগঞ্জে সেতু উদ্বোধন", "কালীগঞ্জ (গাজীপুর)").await;
    let gazipur: i64 = count(&t, "SELECT id FROM places WHERE path = 'dhaka/gazipur'").await;
    // Cached with the old name.
    page_at(&t, &story)
        .await
        .assert_contains(">কালীগঞ্জ (গাজীপুর)</a>");

    let list = editor.get("/newsroom/places").await;
    assert_eq!(list.status, StatusCode::OK);
    list.assert_contains("<a href=\"/newsroom/places/");
    let shown = editor.get(&format!("/newsroom/places/{gazipur}")).await;
    shown.assert_contains("কালিয়াকৈর");

    // A slug with capitals or Bengali letters is refused with the reason.
    let bad = editor
        .post(
            &format!("/newsroom/places/{gazipur}"),
            &[
                ("name_bn", "গাজীপুর"),
                ("name_en", "Gazipur"),
                ("slug", "গাজীপুর"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_contains("স্লাগে শুধু ইংরেজি ছোট হাতের অক্ষর");
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM places WHERE path = 'dhaka/gazipur'"
        )
        .await,
        1
    );

    let renamed = editor
        .post(
            &format!("/newsroom/places/{gazipur}"),
            &[
                ("name_bn", "গাজীপুর মহানগর"),
                ("name_en", "Gazipur City"),
                ("slug", "gazipur-city"),
            ],
        )
        .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER, "{}", renamed.body);
    assert_eq!(
        t.get("/country/dhaka/gazipur").await.status,
        StatusCode::NOT_FOUND
    );
    page_at(&t, "/country/dhaka/gazipur-city/kaliganj")
        .await
        .assert_contains("কালীগঞ্জে সেতু উদ্বোধন");
    page_at(&t, &story).await.assert_contains(
        "<a href=\"/country/dhaka/gazipur-city/kaliganj\">কালীগঞ্জ (গাজীপুর মহানগর)</a>",
    );

    // A new upazila, its slug made from its English name.
    let added = editor
        .post(
            "/newsroom/places",
            &[
                ("parent", &gazipur.to_string()),
                ("name_bn", "টঙ্গী"),
                ("name_en", "Tongi"),
                ("slug", ""),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    page_at(&t, "/country/dhaka/gazipur-city")
        .await
        .assert_contains("<a href=\"/country/dhaka/gazipur-city/tongi\">টঙ্গী</a>");
    let again = editor
        .post(
            "/newsroom/places",
            &[
                ("parent", &gazipur.to_string()),
                ("name_bn", "টঙ্গী"),
                ("name_en", "Tongi"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    again.assert_contains("এই স্লাগ আরেকটি স্থানের আছে");

    // A place with stories stays; an unused one goes.
    let kaliganj: i64 = count(
        &t,
        "SELECT id FROM places WHERE path = 'dhaka/gazipur-city/kaliganj'",
    )
    .await;
    let refused = editor
        .post(&format!("/newsroom/places/{kaliganj}/remove"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("মুছে ফেলা যায় না");
    let tongi: i64 = count(
        &t,
        "SELECT id FROM places WHERE path = 'dhaka/gazipur-city/tongi'",
    )
    .await;
    let removed = editor
        .post(&format!("/newsroom/places/{tongi}/remove"), &[])
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    assert_eq!(
        t.get("/country/dhaka/gazipur-city/tongi").await.status,
        StatusCode::NOT_FOUND
    );
    let audit = count(
        &t,
        "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'place.%'",
    )
    .await;
    assert_eq!(audit, 3, "rename, add and remove are in the audit log");

    // Contributors don't manage places.
    let reporter = t.login("reporter@khobor.test").await;
    assert_eq!(
        reporter.get("/newsroom/places").await.status,
        StatusCode::FORBIDDEN
    );
    let tried = reporter
        .post(
            &format!("/newsroom/places/{gazipur}"),
            &[("name_bn", "x"), ("name_en", "x"), ("slug", "x")],
        )
        .await;
    assert_eq!(tried.status, StatusCode::FORBIDDEN);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM places WHERE path = 'dhaka/gazipur-city'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn the_district_picker_remembers_a_choice_without_splitting_the_cached_home_page() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    published(&editor, "গাজীপুরে কারখানায় আগুন", "গাজীপুর").await;

    let home = page_at(&t, "/").await;
    home.assert_contains("<select id=\"district\" name=\"district\">");
    home.assert_contains("<optgroup label=\"ঢাকা বিভাগ\">");
    home.assert_contains("<option value=\"dhaka/gazipur\">গাজীপুর</option>");
    home.assert_contains("<script src=\"/static/district.js\" defer></script>");
    assert_eq!(home.body.matches("<option value=\"").count(), 64 + 1);

    // Without JavaScript: the form remembers the district and opens its page.
    let picked = t.get("/my-district?district=dhaka%2Fgazipur").await;
    assert_eq!(picked.status, StatusCode::SEE_OTHER);
    assert_eq!(picked.location(), "/country/dhaka/gazipur");
    let cookie = set_cookie(&picked, "khobor_district").expect("the choice is remembered");
    assert!(
        cookie.starts_with("khobor_district=dhaka%2Fgazipur;"),
        "{cookie}"
    );
    assert!(
        cookie.contains("Path=/") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(cookie.contains("Max-Age=31536000"), "{cookie}");
    assert_eq!(
        picked.headers[header::CACHE_CONTROL],
        "no-store",
        "a cookie is never cached"
    );

    // A reader with the cookie gets the very same cached home page as everyone.
    let with_cookie = t
        .request(
            Request::get("/")
                .header(header::COOKIE, "khobor_district=dhaka%2Fgazipur")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(x_cache(&with_cookie), "hit");
    assert_eq!(with_cookie.body, t.get("/").await.body);

    // The block's list: one cached response per district, shared by its readers.
    let latest = t.get("/country/dhaka/gazipur/latest.json").await;
    assert_eq!(latest.status, StatusCode::OK, "{}", latest.body);
    let v = latest.json();
    assert_eq!(v["place"]["name"], "গাজীপুর");
    assert_eq!(v["place"]["url"], "/country/dhaka/gazipur");
    assert_eq!(v["stories"][0]["headline"], "গাজীপুরে কারখানায় আগুন");
    assert_eq!(
        x_cache(&t.get("/country/dhaka/gazipur/latest.json").await),
        "hit"
    );
    // A new story there is in it on the very next request.
    published(&editor, "টঙ্গীতে যানজট", "গাজীপুর").await;
    let v = t.get("/country/dhaka/gazipur/latest.json").await.json();
    assert_eq!(v["stories"][0]["headline"], "টঙ্গীতে যানজট");
    assert_eq!(v["stories"].as_array().unwrap().len(), 2);

    // Only districts can be picked; anything else is a clear error and no cookie.
    for bad in ["dhaka", "dhaka%2Fatlantis", "..%2F..%2Fetc"] {
        let refused = t.get(&format!("/my-district?district={bad}")).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
        refused.assert_contains("এই নামে কোনো জেলা নেই");
        assert!(set_cookie(&refused, "khobor_district").is_none());
    }
    assert_eq!(
        t.get("/country/dhaka/latest.json").await.status,
        StatusCode::NOT_FOUND
    );
    // An empty choice forgets it.
    let forgot = t.get("/my-district?district=").await;
    assert_eq!(forgot.status, StatusCode::SEE_OTHER);
    assert_eq!(forgot.location(), "/");
    assert!(set_cookie(&forgot, "khobor_district")
        .unwrap()
        .contains("Max-Age=0"));
}
