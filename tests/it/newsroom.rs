//! The newsroom: accounts and sessions, roles enforced on every action, the editor and its
//! workflow, desk signatures, revisions and concurrent saves, the media library, and the
//! admin API — each through the production router and a real store.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

/// An admin, an editor (initials আরকে) and a contributor (initials এসআই).
pub async fn newsroom() -> TestApp {
    let t = TestApp::new().await;
    t.add_user("admin@khobor.test", "প্রশাসক", "এডি", "admin")
        .await;
    t.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    t.add_user("reporter@khobor.test", "সাইফুল ইসলাম", "এসআই", "contributor")
        .await;
    t
}

pub const BODY: &str =
    "<p>ঢাকায় আজ সকালে বৃষ্টি হয়েছে। আবহাওয়া অফিস বলছে, বিকেলে আরও বৃষ্টি হতে পারে।</p><p>দ্বিতীয় অনুচ্ছেদ।</p>";

#[tokio::test]
async fn anonymous_visitors_get_the_login_form_and_the_right_password_logs_in() {
    let t = newsroom().await;
    let page = t.get("/newsroom/").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/newsroom/login");
    let form = t.get("/newsroom/login").await;
    form.assert_contains("type=\"password\"");
    assert!(hidden_value(&form.body, "csrf").is_some_and(|c| c.len() >= 32));
    assert_eq!(
        form.headers.get(header::CACHE_CONTROL).unwrap(),
        "no-store, private"
    );

    let done = t.try_login("editor@khobor.test", PASSWORD).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let cookie = set_cookie(&done, "khobor_session").expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http test site: {cookie}");

    let desk = t.login("editor@khobor.test").await;
    let dash = desk.get("/newsroom/").await;
    assert!(!dash.body.contains("type=\"password\""));
    dash.assert_contains("রফিক করিম");
    // The store keeps only a hash of the session id.
    let id = desk.cookie.trim_start_matches("khobor_session=");
    let stored: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM sessions")
        .fetch_all(t.app.store().pool())
        .await
        .unwrap();
    assert!(!stored.iter().any(|h| h == id));
    assert!(stored.contains(&khobor::auth::token_hash(id)));
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE email = 'editor@khobor.test'")
            .fetch_one(t.app.store().pool())
            .await
            .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
}

#[tokio::test]
async fn cookies_are_secure_when_the_site_is_served_over_https() {
    let t = TestApp::with_settings(khobor::config::Overrides {
        base_url: Some("https://khobor.test".into()),
        ..Default::default()
    })
    .await;
    t.add_user("editor@khobor.test", "সম্পাদক", "", "editor")
        .await;
    let done = t.try_login("editor@khobor.test", PASSWORD).await;
    let cookie = set_cookie(&done, "__Host-khobor_session").expect("session cookie");
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn wrong_passwords_and_forged_login_forms_are_refused() {
    let t = newsroom().await;
    let wrong = t.try_login("editor@khobor.test", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    wrong.assert_contains("ইমেইল বা পাসওয়ার্ড ঠিক নয়");
    wrong.assert_contains("type=\"password\"");
    assert!(set_cookie(&wrong, "khobor_session").is_none());
    let nobody = t.try_login("nobody@khobor.test", PASSWORD).await;
    assert_eq!(nobody.status, StatusCode::UNAUTHORIZED);

    // A login form posted without the CSRF cookie/field pair (from another site) is refused.
    let forged = t
        .request(
            Request::post("/newsroom/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form_body(&[
                    ("csrf", "forged"),
                    ("email", "editor@khobor.test"),
                    ("password", PASSWORD),
                ])))
                .unwrap(),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(set_cookie(&forged, "khobor_session").is_none());
}

#[tokio::test]
async fn repeated_failures_lock_the_account_with_a_bengali_message() {
    let t = newsroom().await;
    for _ in 0..5 {
        let p = t.try_login("editor@khobor.test", "guessing wrong").await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    }
    // Now even the right password, from a browser never logged in here, waits a while
    // (newsroom_login.rs has the delays, known browsers and the site-wide cap).
    let locked = t.try_login("editor@khobor.test", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    locked.assert_contains("সেকেন্ড পরে আবার চেষ্টা করুন");
    assert!(locked.headers.get(header::RETRY_AFTER).is_some());
    assert!(set_cookie(&locked, "khobor_session").is_none());
    // Other accounts are not locked by it.
    t.login("reporter@khobor.test").await;
}

#[tokio::test]
async fn logout_and_password_change_end_sessions() {
    let t = newsroom().await;
    let first = t.login("editor@khobor.test").await;
    let second = t.login("editor@khobor.test").await;
    // Changing the password keeps this session and ends the other one.
    let bad = second
        .post(
            "/newsroom/account",
            &[
                ("current", "wrong one here"),
                ("new_password", "নতুন পাসওয়ার্ড ১২৩৪৫"),
                ("confirm", "নতুন পাসওয়ার্ড ১২৩৪৫"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = second
        .post(
            "/newsroom/account",
            &[
                ("current", PASSWORD),
                ("new_password", "নতুন পাসওয়ার্ড ১২৩৪৫"),
                ("confirm", "নতুন পাসওয়ার্ড ১২৩৪৫"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(first.get("/newsroom/").await.status, StatusCode::SEE_OTHER);
    assert_eq!(second.get("/newsroom/").await.status, StatusCode::OK);
    let old = t.try_login("editor@khobor.test", PASSWORD).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    // Logging out needs the CSRF token, then ends the session.
    assert_eq!(
        second.post_raw("/newsroom/logout", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(second.get("/newsroom/").await.status, StatusCode::OK);
    let out = second.post("/newsroom/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(second.get("/newsroom/").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_contributors_story_goes_through_an_editor_to_every_reader_page() {
    let t = newsroom().await;
    // The admin adds the two desk members through the users page.
    let admin = t.login("admin@khobor.test").await;
    for (email, name, initials, role) in [
        ("nadia@khobor.test", "নাদিয়া হক", "এনএইচ", "editor"),
        ("tanvir@khobor.test", "তানভীর আহমেদ", "টিএ", "contributor"),
    ] {
        let p = admin
            .post(
                "/newsroom/users",
                &[
                    ("email", email),
                    ("name", name),
                    ("initials", initials),
                    ("role", role),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    }
    let reporter = t.login("tanvir@khobor.test").await;
    let editor = t.login("nadia@khobor.test").await;

    // The reporter uploads a photo and writes the story with it.
    let up = reporter
        .upload("brishti.jpg", &jpeg(1200, 800), "ঢাকার রাস্তায় বৃষ্টি")
        .await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.body);
    let media_id = up
        .location()
        .trim_start_matches("/newsroom/media?uploaded=")
        .to_owned();
    let id = reporter
        .write_story(
            "ঢাকায় ভারী বৃষ্টি, জলাবদ্ধতা",
            BODY,
            &[
                ("tags", "আবহাওয়া, ঢাকা"),
                ("hero_media_id", &media_id),
                ("hero_caption", "মতিঝিলে বৃষ্টি"),
                ("credit", ""),
            ],
        )
        .await;
    let v = reporter.version_of(id).await;
    let submitted = reporter
        .post(
            &format!("/newsroom/stories/{id}"),
            &[
                ("version", &v),
                ("headline", "ঢাকায় ভারী বৃষ্টি, জলাবদ্ধতা"),
                ("body", BODY),
                ("section_id", "1"),
                ("tags", "আবহাওয়া, ঢাকা"),
                ("hero_media_id", &media_id),
                ("hero_caption", "মতিঝিলে বৃষ্টি"),
                ("action", "submit"),
            ],
        )
        .await;
    assert_eq!(
        submitted.status,
        StatusCode::SEE_OTHER,
        "{}",
        submitted.body
    );
    assert_eq!(t.app.process_media().await.unwrap(), 1);

    // Not on the site yet.
    assert!(!t.get("/").await.body.contains("ঢাকায় ভারী বৃষ্টি"));
    let review = editor.get("/newsroom/?status=review").await;
    review.assert_contains("ঢাকায় ভারী বৃষ্টি");

    let v = editor.version_of(id).await;
    let published = editor
        .post(
            &format!("/newsroom/stories/{id}"),
            &[
                ("version", &v),
                ("headline", "ঢাকায় ভারী বৃষ্টি, জলাবদ্ধতা"),
                ("body", BODY),
                ("section_id", "1"),
                ("tags", "আবহাওয়া, ঢাকা"),
                ("hero_media_id", &media_id),
                ("hero_caption", "মতিঝিলে বৃষ্টি"),
                ("action", "publish"),
            ],
        )
        .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );
    assert!(published.location().ends_with("done=publish"));

    // At once on the home page, its section, the feeds and the API.
    let path = format!("/national/{id}");
    assert!(t.get("/").await.body.contains(&path));
    assert!(t.get("/national").await.body.contains(&path));
    assert!(t.get("/feed.xml").await.body.contains("ঢাকায় ভারী বৃষ্টি"));
    assert!(t
        .get("/national/feed.json")
        .await
        .body
        .contains("ঢাকায় ভারী বৃষ্টি"));
    let api = t.get(&format!("/api/v1/articles/{id}")).await;
    assert_eq!(api.status, StatusCode::OK);
    assert_eq!(api.json()["article"]["headline"], "ঢাকায় ভারী বৃষ্টি, জলাবদ্ধতা");
    assert_eq!(api.json()["article"]["signature"], "খবর/টিএ/এনএইচ");
    // The article page shows the photo's variants, lazily, with srcset and sizes.
    let article = t.get(&path).await;
    article.assert_contains("srcset=\"/media/");
    article.assert_contains("type=\"image/webp\"");
    article.assert_contains("loading=\"lazy\"");
    article.assert_contains("alt=\"ঢাকার রাস্তায় বৃষ্টি\"");
    let src = article
        .body
        .split("srcset=\"")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_owned();
    let file = t.get(&src).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.headers[header::CACHE_CONTROL]
        .to_str()
        .unwrap()
        .contains("immutable"));
    // And the latest list shows it as a real thumbnail.
    assert!(t.get("/latest").await.body.contains("<picture>"));
}

#[tokio::test]
async fn a_contributor_is_refused_everything_beyond_their_own_drafts() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let reporter = t.login("reporter@khobor.test").await;
    let theirs = editor.write_story("সম্পাদকের খবর", BODY, &[]).await;
    let mine = reporter.write_story("প্রতিবেদকের খবর", BODY, &[]).await;
    let v = reporter.version_of(mine).await;

    // Publishing their own story.
    let p = reporter
        .post(
            &format!("/newsroom/stories/{mine}"),
            &[
                ("version", &v),
                ("headline", "প্রতিবেদকের খবর"),
                ("body", BODY),
                ("section_id", "1"),
                ("action", "publish"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // Opening or saving someone else's story.
    assert_eq!(
        reporter
            .get(&format!("/newsroom/stories/{theirs}"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let p = reporter
        .post(
            &format!("/newsroom/stories/{theirs}"),
            &[
                ("version", "2"),
                ("headline", "দখল"),
                ("body", BODY),
                ("section_id", "1"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // Admin pages.
    for page in [
        "/newsroom/users",
        "/newsroom/tokens",
        "/newsroom/audit",
        "/newsroom/settings",
    ] {
        assert_eq!(
            reporter.get(page).await.status,
            StatusCode::FORBIDDEN,
            "{page}"
        );
    }
    let p = reporter
        .post(
            "/newsroom/users",
            &[
                ("email", "x@khobor.test"),
                ("name", "এক্স"),
                ("role", "admin"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // The admin API with the session: publishing and someone else's story.
    let p = reporter
        .api(
            "POST",
            &format!("/api/v1/admin/articles/{mine}/transitions"),
            Some(json!({"action": "publish"})),
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(
        reporter
            .api("GET", &format!("/api/v1/admin/articles/{theirs}"), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // After submitting, the draft is no longer theirs to change.
    let p = reporter
        .post(
            &format!("/newsroom/stories/{mine}"),
            &[
                ("version", &v),
                ("headline", "প্রতিবেদকের খবর"),
                ("body", BODY),
                ("section_id", "1"),
                ("action", "submit"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let v = reporter.version_of(mine).await;
    let p = reporter
        .post(
            &format!("/newsroom/stories/{mine}"),
            &[
                ("version", &v),
                ("headline", "জমার পরে বদল"),
                ("body", BODY),
                ("section_id", "1"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // Nothing of the above reached readers or changed the stories.
    let story = t.app.store().story(theirs).await.unwrap().unwrap();
    assert_eq!(story.fields.headline, "সম্পাদকের খবর");
    assert_eq!(
        t.app
            .store()
            .story(mine)
            .await
            .unwrap()
            .unwrap()
            .fields
            .headline,
        "প্রতিবেদকের খবর"
    );
    assert_eq!(t.app.store().count_users().await.unwrap(), 3);
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused_and_change_nothing() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let id = editor.write_story("আসল শিরোনাম", BODY, &[]).await;
    let v = editor.version_of(id).await;
    for fields in [
        vec![
            ("version", v.as_str()),
            ("headline", "জাল শিরোনাম"),
            ("body", BODY),
            ("section_id", "1"),
            ("action", "publish"),
        ],
        vec![
            ("csrf", "not-the-token"),
            ("version", v.as_str()),
            ("headline", "জাল শিরোনাম"),
            ("body", BODY),
            ("section_id", "1"),
            ("action", "publish"),
        ],
    ] {
        let p = editor
            .post_raw(&format!("/newsroom/stories/{id}"), &fields)
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        p.assert_contains("নিরাপত্তা-টোকেন");
    }
    let p = editor
        .post_raw(
            "/newsroom/stories/new",
            &[("headline", "জাল"), ("body", BODY), ("section_id", "1")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // The admin API with the session cookie but no X-CSRF-Token header.
    let p = t
        .request(
            Request::post(format!("/api/v1/admin/articles/{id}/transitions"))
                .header(header::COOKIE, &editor.cookie)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"action":"publish"}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(p.json()["error"]["code"], "csrf");
    let story = t.app.store().story(id).await.unwrap().unwrap();
    assert_eq!(story.fields.headline, "আসল শিরোনাম");
    assert_eq!(story.status, khobor::domain::Status::Draft);
}

#[tokio::test]
async fn the_desk_signature_lists_the_reporter_then_each_editor() {
    let t = newsroom().await;
    let admin = t.login("admin@khobor.test").await;
    let p = admin
        .post("/newsroom/settings", &[("short_name", "টাইমস")])
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let reporter = t.login("reporter@khobor.test").await;
    let editor = t.login("editor@khobor.test").await;
    let id = reporter.write_story("স্বাক্ষরের খবর", BODY, &[]).await;
    let story = t.app.store().story(id).await.unwrap().unwrap();
    assert_eq!(story.fields.signature, "টাইমস/এসআই");
    // The editor saves: their initials follow, and the form's unchanged signature stays automatic.
    let page = editor.get(&format!("/newsroom/stories/{id}")).await;
    let v = hidden_value(&page.body, "version").unwrap();
    let p = editor
        .post(
            &format!("/newsroom/stories/{id}"),
            &[
                ("version", &v),
                ("headline", "স্বাক্ষরের খবর"),
                ("body", BODY),
                ("section_id", "1"),
                ("signature", "টাইমস/এসআই"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(
        t.app
            .store()
            .story(id)
            .await
            .unwrap()
            .unwrap()
            .fields
            .signature,
        "টাইমস/এসআই/আরকে"
    );
    // A signature typed by hand is kept as typed.
    let v = editor.version_of(id).await;
    editor
        .post(
            &format!("/newsroom/stories/{id}"),
            &[
                ("version", &v),
                ("headline", "স্বাক্ষরের খবর"),
                ("body", BODY),
                ("section_id", "1"),
                ("signature", "টাইমস/বিশেষ"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(
        t.app
            .store()
            .story(id)
            .await
            .unwrap()
            .unwrap()
            .fields
            .signature,
        "টাইমস/বিশেষ"
    );
    // Initials are a setting of each person.
    let admin_users = admin.get("/newsroom/users").await;
    admin_users.assert_contains("value=\"আরকে\"");
}

#[tokio::test]
async fn two_saves_of_the_same_version_one_wins_and_both_texts_survive() {
    let t = newsroom().await;
    let a = t.login("editor@khobor.test").await;
    let b = t.login("admin@khobor.test").await;
    let id = a.write_story("মূল শিরোনাম", BODY, &[]).await;
    let v = a.version_of(id).await;
    let path = format!("/newsroom/stories/{id}");
    let first = [
        ("version", v.as_str()),
        ("headline", "প্রথম জনের শিরোনাম"),
        ("body", BODY),
        ("section_id", "1"),
        ("action", "save"),
    ];
    let second = [
        ("version", v.as_str()),
        ("headline", "দ্বিতীয় জনের শিরোনাম"),
        ("body", BODY),
        ("section_id", "1"),
        ("action", "save"),
    ];
    let (ra, rb) = tokio::join!(a.post(&path, &first), b.post(&path, &second));
    let mut statuses = [ra.status, rb.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    let loser = if ra.status == StatusCode::CONFLICT {
        &ra
    } else {
        &rb
    };
    loser.assert_contains("খবরটি বদলেছেন");
    // The loser's own text is still in their form.
    let (winner_text, loser_text) = if ra.status == StatusCode::CONFLICT {
        ("দ্বিতীয় জনের শিরোনাম", "প্রথম জনের শিরোনাম")
    } else {
        ("প্রথম জনের শিরোনাম", "দ্বিতীয় জনের শিরোনাম")
    };
    loser.assert_contains(loser_text);
    let story = t.app.store().story(id).await.unwrap().unwrap();
    assert_eq!(story.fields.headline, winner_text);
    let revs = t.app.store().revisions(id).await.unwrap();
    let mut texts = Vec::new();
    for r in &revs {
        texts.push((
            r.kind.clone(),
            t.app
                .store()
                .revision(id, r.id)
                .await
                .unwrap()
                .unwrap()
                .fields
                .headline,
        ));
    }
    assert!(
        texts.contains(&("save".into(), winner_text.into())),
        "{texts:?}"
    );
    assert!(
        texts.contains(&("conflict".into(), loser_text.into())),
        "{texts:?}"
    );
}

#[tokio::test]
async fn revisions_show_who_changed_what_and_can_be_restored() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let id = editor.write_story("প্রথম শিরোনাম", BODY, &[]).await;
    for headline in ["দ্বিতীয় শিরোনাম", "তৃতীয় শিরোনাম"]
    {
        let v = editor.version_of(id).await;
        let p = editor
            .post(
                &format!("/newsroom/stories/{id}"),
                &[
                    ("version", &v),
                    ("headline", headline),
                    ("body", BODY),
                    ("section_id", "1"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER);
    }
    let history = editor
        .get(&format!("/newsroom/stories/{id}/revisions"))
        .await;
    assert_eq!(history.status, StatusCode::OK);
    history.assert_contains("<del>দ্বিতীয়</del><ins>তৃতীয়</ins>");
    history.assert_contains("রফিক করিম");
    let revs = t.app.store().revisions(id).await.unwrap();
    let first = revs.last().unwrap().id;
    let compare = editor
        .get(&format!(
            "/newsroom/stories/{id}/revisions?a={first}&b={}",
            revs[0].id
        ))
        .await;
    compare.assert_contains("<del>প্রথম</del><ins>তৃতীয়</ins>");
    let v = editor.version_of(id).await;
    let p = editor
        .post(
            &format!("/newsroom/stories/{id}/revisions/{first}/restore"),
            &[("version", &v)],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(
        t.app
            .store()
            .story(id)
            .await
            .unwrap()
            .unwrap()
            .fields
            .headline,
        "প্রথম শিরোনাম"
    );
    assert_eq!(
        t.app.store().revisions(id).await.unwrap()[0].kind,
        "restore"
    );
}

#[tokio::test]
async fn hostile_markup_in_a_body_never_reaches_a_reader_page() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let body = r#"<p onclick="steal()">প্রথম অনুচ্ছেদ<script>alert('x')</script></p><p><a href="javascript:alert(1)">ক্লিক</a> <img src="x" onerror="alert(2)"> <a href="https://example.org/">ঠিক লিংক</a></p><iframe src="https://evil.example/"></iframe><p style="color:red">শেষ</p>"#;
    let id = editor
        .write_story("নিরাপদ লেখা", body, &[("action", "publish")])
        .await;
    let page = t.get(&format!("/national/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    for bad in [
        "<script>alert",
        "onclick",
        "javascript:",
        "onerror",
        "<iframe",
        "evil.example",
        "style=\"color",
    ] {
        assert!(!page.body.contains(bad), "{bad} reached the reader page");
    }
    page.assert_contains("ঠিক লিংক");
    page.assert_contains("href=\"https://example.org/\"");
    let api = t.get(&format!("/api/v1/articles/{id}")).await.json();
    assert!(!api["article"]["body_html"]
        .as_str()
        .unwrap()
        .contains("script"));
}

#[tokio::test]
async fn an_overlong_headline_gets_a_field_error_and_nothing_stored_changes() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let id = editor.write_story("ঠিকঠাক শিরোনাম", BODY, &[]).await;
    let v = editor.version_of(id).await;
    let long = "শ".repeat(201);
    let p = editor
        .post(
            &format!("/newsroom/stories/{id}"),
            &[
                ("version", &v),
                ("headline", &long),
                ("body", BODY),
                ("section_id", "1"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    p.assert_contains("id=\"err-headline\"");
    p.assert_contains("সর্বোচ্চ ২০০ অক্ষর");
    // The form keeps what was typed.
    p.assert_contains(&long);
    let story = t.app.store().story(id).await.unwrap().unwrap();
    assert_eq!(story.fields.headline, "ঠিকঠাক শিরোনাম");
    assert_eq!(story.version.to_string(), v);
    let p = editor
        .post(
            "/newsroom/stories/new",
            &[("headline", ""), ("body", BODY), ("section_id", "1")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    p.assert_contains("শিরোনাম লিখুন");
    let p = editor
        .post(
            &format!("/newsroom/stories/{id}"),
            &[
                ("version", &v),
                ("headline", "ঠিক"),
                ("body", BODY),
                ("section_id", "1"),
                ("embargo_until", "কাল সকালে"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    p.assert_contains("id=\"err-embargo_until\"");
}

/// A PNG that declares `width`×`height` pixels but holds almost nothing: a decompression bomb.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut z, &vec![0u8; 64 * 1024]).unwrap();
    chunk(&mut out, b"IDAT", &z.finish().unwrap());
    chunk(&mut out, b"IEND", &[]);
    out
}

#[tokio::test]
async fn uploads_are_judged_by_their_bytes_and_bombs_are_refused() {
    let t = newsroom().await;
    let reporter = t.login("reporter@khobor.test").await;
    // An executable renamed to .jpg.
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.extend_from_slice(&[0u8; 2000]);
    let p = reporter.upload("chobi.jpg", &elf, "ছবি").await;
    assert_eq!(p.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    p.assert_contains("ফাইলটি ছবি নয়");
    let bomb = png_claiming(20_000, 20_000);
    assert!(bomb.len() < 10_000);
    let p = reporter.upload("boro.png", &bomb, "বড় ছবি").await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    p.assert_contains("২০০০০×২০০০০");
    // Alt text is required.
    let p = reporter.upload("chobi.jpg", &jpeg(400, 300), "").await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    p.assert_contains("বিকল্প লেখা");
    assert!(t.app.store().media_list(None, 10).await.unwrap().is_empty());
    // A real photo with a misleading name is accepted for what it is.
    let p = reporter.upload("notes.txt", &jpeg(400, 300), "ছবি").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let m = &t.app.store().media_list(None, 10).await.unwrap()[0];
    assert_eq!(m.mime, "image/jpeg");
    assert!(m.path.ends_with(".jpg"));
    t.app.process_media().await.unwrap();
    let variants = t.app.store().media_variants(&[m.id]).await.unwrap();
    let widths: Vec<(i64, &str)> = variants
        .iter()
        .map(|v| (v.width, v.mime.as_str()))
        .collect();
    assert!(
        widths.contains(&(320, "image/webp")) && widths.contains(&(400, "image/jpeg")),
        "{widths:?}"
    );
    assert!(
        !widths.iter().any(|(w, _)| *w > 400),
        "never upscaled: {widths:?}"
    );
}

#[tokio::test]
async fn an_embargo_holds_back_publishing_and_early_schedules() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .with_timezone(&chrono_tz::Asia::Dhaka)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let id = editor
        .write_story("নিষেধাজ্ঞার খবর", BODY, &[("embargo_until", &tomorrow)])
        .await;
    let v = editor.version_of(id).await;
    let p = editor
        .post(
            &format!("/newsroom/stories/{id}"),
            &[
                ("version", &v),
                ("headline", "নিষেধাজ্ঞার খবর"),
                ("body", BODY),
                ("section_id", "1"),
                ("embargo_until", &tomorrow),
                ("action", "publish"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    p.assert_contains("এমবার্গো শেষ হবে");
    let in_an_hour = (chrono::Utc::now() + chrono::Duration::hours(1))
        .with_timezone(&chrono_tz::Asia::Dhaka)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let v = editor.version_of(id).await;
    let p = editor
        .post(
            &format!("/newsroom/stories/{id}"),
            &[
                ("version", &v),
                ("headline", "নিষেধাজ্ঞার খবর"),
                ("body", BODY),
                ("section_id", "1"),
                ("embargo_until", &tomorrow),
                ("publish_at", &in_an_hour),
                ("action", "schedule"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        t.app.store().story(id).await.unwrap().unwrap().status,
        khobor::domain::Status::Draft
    );
    assert!(t
        .app
        .store()
        .publish_due(chrono::Utc::now().timestamp() + 7200)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn scheduled_publishing_claims_each_story_exactly_once() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let id = editor.write_story("নির্ধারিত খবর", BODY, &[]).await;
    let at = (chrono::Utc::now() + chrono::Duration::minutes(1)).to_rfc3339();
    let p = editor
        .api(
            "POST",
            &format!("/api/v1/admin/articles/{id}/transitions"),
            Some(json!({"action": "schedule", "publish_at": at})),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert_eq!(p.json()["article"]["status"], "scheduled");
    assert_eq!(
        t.get(&format!("/api/v1/articles/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let now = chrono::Utc::now().timestamp();
    assert!(
        t.app.store().publish_due(now).await.unwrap().is_empty(),
        "not due yet"
    );
    // Two nodes' job runners at the same moment: the story goes out once.
    let store = t.app.store();
    let (a, b) = tokio::join!(store.publish_due(now + 61), store.publish_due(now + 61));
    let mut all = a.unwrap();
    all.extend(b.unwrap());
    assert_eq!(all, vec![id]);
    assert_eq!(
        t.get(&format!("/api/v1/articles/{id}")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn admin_api_tokens_are_shown_once_scoped_and_revocable() {
    let t = newsroom().await;
    let anonymous = t.get("/api/v1/admin/articles").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.json()["error"]["code"], "unauthenticated");

    let admin = t.login("admin@khobor.test").await;
    let made = admin
        .post(
            "/newsroom/tokens",
            &[("name", "ওয়্যার ডেস্ক"), ("role", "editor")],
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED);
    let token = made
        .body
        .split("<code id=\"new-token\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert!(token.starts_with("khobor_"));
    assert!(
        !admin.get("/newsroom/tokens").await.body.contains(&token),
        "shown once"
    );
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
        .fetch_all(t.app.store().pool())
        .await
        .unwrap();
    assert_eq!(stored, vec![khobor::auth::token_hash(&token)]);

    let call = |method: &str, path: &str, token: &str, body: Option<Value>| {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        t.request(
            req.body(body.map(|b| Body::from(b.to_string())).unwrap_or_default())
                .unwrap(),
        )
    };
    let created = call("POST", "/api/v1/admin/articles", &token, Some(json!({
        "headline": "ওয়্যারের খবর", "body_html": "<p>সংস্থার পাঠানো খবর।</p>", "section": "international",
        "credit": "এএফপি", "tags": ["বিশ্ব"]
    }))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let story = created.json()["article"].clone();
    let id = story["id"].as_i64().unwrap();
    assert_eq!(story["status"], "draft");
    assert_eq!(story["version"], 1);
    // Unknown fields (400: the document rules them out) and bad sections (422, naming the
    // field) are refused with a clear error.
    let bad = call(
        "POST",
        "/api/v1/admin/articles",
        &token,
        Some(json!({"headline": "x", "section": "international", "titel": "typo"})),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("titel"));
    let bad = call(
        "POST",
        "/api/v1/admin/articles",
        &token,
        Some(json!({"headline": "x", "section": "nowhere"})),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Update from version 1 twice: the second is stale.
    let edit = json!({"headline": "ওয়্যারের খবর (হালনাগাদ)", "section": "international", "version": 1});
    assert_eq!(
        call(
            "PUT",
            &format!("/api/v1/admin/articles/{id}"),
            &token,
            Some(edit.clone())
        )
        .await
        .status,
        StatusCode::OK
    );
    let stale = call(
        "PUT",
        &format!("/api/v1/admin/articles/{id}"),
        &token,
        Some(json!({"headline": "পুরোনো থেকে", "section": "international", "version": 1})),
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.json()["error"]["code"], "conflict");
    assert_eq!(stale.json()["current"]["headline"], "ওয়্যারের খবর (হালনাগাদ)");

    let published = call(
        "POST",
        &format!("/api/v1/admin/articles/{id}/transitions"),
        &token,
        Some(json!({"action": "publish"})),
    )
    .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);
    assert_eq!(
        t.get(&format!("/api/v1/articles/{id}")).await.status,
        StatusCode::OK
    );
    let del = call(
        "DELETE",
        &format!("/api/v1/admin/articles/{id}"),
        &token,
        None,
    )
    .await;
    assert_eq!(
        del.status,
        StatusCode::FORBIDDEN,
        "deleting a story for good is an admin's right, not an editor token's"
    );
    let revisions = call(
        "GET",
        &format!("/api/v1/admin/articles/{id}/revisions"),
        &token,
        None,
    )
    .await;
    assert!(revisions.json()["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["kind"] == "conflict"));

    // Upload by API.
    let (ct, body) = multipart(&[("alt", "সংস্থার ছবি")], "x.bin", &jpeg(640, 480));
    let up = t
        .request(
            Request::post("/api/v1/admin/media")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);
    assert_eq!(up.json()["media"]["status"], "processing");

    // A contributor token cannot publish; a revoked token is refused.
    let made = admin
        .post(
            "/newsroom/tokens",
            &[("name", "অতিথি লেখক"), ("role", "contributor")],
        )
        .await;
    let weak = made
        .body
        .split("<code id=\"new-token\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let p = call(
        "POST",
        &format!("/api/v1/admin/articles/{id}/transitions"),
        &weak,
        Some(json!({"action": "unpublish"})),
    )
    .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let token_id: i64 = sqlx::query_scalar("SELECT id FROM api_tokens WHERE name = 'ওয়্যার ডেস্ক'")
        .fetch_one(t.app.store().pool())
        .await
        .unwrap();
    assert_eq!(
        admin
            .post(&format!("/newsroom/tokens/{token_id}/revoke"), &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let refused = call("GET", "/api/v1/admin/articles", &token, None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.json()["error"]["code"], "invalid_token");
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    let t = newsroom().await;
    let doc = t.get("/api/v1/openapi.json").await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.keys().any(|p| p.starts_with("/admin/")));
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            let url = format!("/api/v1{}", path.replace("{id}", "1"));
            let url = if path == "/search" {
                format!("{url}?q=ঢাকা")
            } else {
                url
            };
            let req = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(url.as_str())
                .body(Body::empty())
                .unwrap();
            let p = t.request(req).await;
            assert_ne!(p.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            let secured = op.get("security").is_some();
            if secured {
                assert_eq!(
                    p.status,
                    StatusCode::UNAUTHORIZED,
                    "{method} {path} must need credentials"
                );
            } else {
                assert!(
                    p.status == StatusCode::OK
                        || p.status == StatusCode::NOT_FOUND && path.contains("{id}"),
                    "{method} {path}: {}",
                    p.status
                );
            }
            for code in op["responses"].as_object().unwrap().keys() {
                assert!(code.parse::<u16>().is_ok(), "{code}");
            }
        }
    }
    // An undocumented admin path is a JSON 404, not a page.
    let p = t.get("/api/v1/admin/nothing-here").await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert_eq!(p.json()["error"]["code"], "not_found");
}

/// JSON has one number type: a whole number written with a zero fraction is an `integer` to
/// JSON Schema, and so to the API; a fraction is not.
#[tokio::test]
async fn integers_written_with_a_zero_fraction_are_integers() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let id = editor.write_story("সংখ্যার খবর", BODY, &[]).await;
    let path = format!("/api/v1/admin/articles/{id}/transitions");
    let stale = json!({"action": "submit", "version": 2251799813685247.0});
    let p = editor.api("POST", &path, Some(stale)).await;
    assert_eq!(p.status, StatusCode::CONFLICT, "{}", p.body);
    let p = editor
        .api(
            "POST",
            &path,
            Some(json!({"action": "submit", "version": 1.5})),
        )
        .await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST, "{}", p.body);
    let p = editor
        .api(
            "POST",
            &path,
            Some(json!({"action": "submit", "version": 1.0})),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert_eq!(p.json()["article"]["status"], "review");
}

/// Every `$ref` in the document, so that each can be checked to resolve.
fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r);
            }
            m.values().for_each(|v| refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// Every schema that allows integers, with where it is.
fn integers<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Object(m) => {
            let t = &m.get("type");
            if t.is_some_and(|t| {
                t == "integer" || t.as_array().is_some_and(|a| a.contains(&json!("integer")))
            }) {
                out.push((at.clone(), v));
            }
            for (k, v) in m {
                integers(v, format!("{at}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                integers(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The document's promises that hold for every operation, checked against the router: the
/// answers each kind of operation can give are documented, and the ones a request can provoke
/// here (bad JSON, a wrong content type, no credentials, an unknown id) are what it says.
/// scripts/schemathesis.sh checks the rest against a running server.
#[tokio::test]
async fn every_operation_documents_the_answers_it_gives() {
    let t = newsroom().await;
    let doc = t.get("/api/v1/openapi.json").await.json();
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        let pointer = r.strip_prefix('#').expect("local $ref");
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
    let mut ints = Vec::new();
    integers(&doc, String::new(), &mut ints);
    assert!(!ints.is_empty());
    for (at, schema) in ints {
        assert_eq!(
            schema["format"], "int64",
            "{at}: ids, versions and counts are 64-bit"
        );
    }

    let editor = t.login("editor@khobor.test").await;
    // Deleting is an admin's right: the admin asks about unknown ids.
    let admin = t.login("admin@khobor.test").await;
    let id = editor.write_story("দলিলের খবর", BODY, &[]).await;
    let section = t.get("/api/v1/sections").await.json()["sections"][0]["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let story = json!({"headline": "নেই", "section": section, "version": 1});
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let documented = |code: u16| op["responses"].get(code.to_string()).is_some();
            let name = format!("{} {path}", method.to_uppercase());
            let secured = op.get("security").is_some();
            if secured {
                assert!(documented(401) && documented(403), "{name}: 401 and 403");
                let unauth = &op["responses"]["401"]["$ref"];
                assert_eq!(unauth, "#/components/responses/Unauthenticated", "{name}");
            }
            if path.contains("{id}") {
                assert!(documented(404), "{name}: 404 for an unknown id");
            }
            let url = format!("/api/v1{}", path.replace("{id}", &id.to_string()));
            let url = if path == "/search" {
                format!("{url}?q=ঢাকা")
            } else {
                url
            };
            let content = &op["requestBody"]["content"];
            if content.get("application/json").is_some() {
                for code in [400, 413, 415, 422] {
                    assert!(documented(code), "{name}: {code}");
                }
                let send = |ct: &'static str, body: &'static str| {
                    Request::builder()
                        .method(method.to_uppercase().as_str())
                        .uri(url.as_str())
                        .header(header::COOKIE, &editor.cookie)
                        .header("x-csrf-token", &editor.csrf)
                        .header(header::CONTENT_TYPE, ct)
                        .body(Body::from(body))
                        .unwrap()
                };
                let p = t.request(send("text/plain", "{}")).await;
                assert_eq!(p.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{name}");
                let p = t.request(send("application/json", "{not json")).await;
                assert_eq!(p.status, StatusCode::BAD_REQUEST, "{name}");
                let p = t
                    .request(send("application/json", r#"{"headline": 5, "action": 5}"#))
                    .await;
                assert_eq!(p.status, StatusCode::BAD_REQUEST, "{name}: a wrong type");
                assert_eq!(p.json()["error"]["code"], "invalid_json", "{name}");
            }
            if content.get("multipart/form-data").is_some() {
                for code in [400, 413, 415, 422] {
                    assert!(documented(code), "{name}: {code}");
                }
            }
            if path.contains("{id}") {
                let unknown = format!("/api/v1{}", path.replace("{id}", "999999"));
                let req = Request::builder()
                    .method(method.to_uppercase().as_str())
                    .uri(unknown.as_str())
                    .header(header::COOKIE, &admin.cookie)
                    .header("x-csrf-token", &admin.csrf)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(if path.ends_with("/transitions") {
                        json!({"action": "submit"}).to_string()
                    } else if path.ends_with("/cards") {
                        json!({"layout": "4:5"}).to_string()
                    } else {
                        story.to_string()
                    }))
                    .unwrap();
                let p = t.request(req).await;
                assert_eq!(p.status, StatusCode::NOT_FOUND, "{name}: {}", p.body);
            }
        }
    }
}

#[tokio::test]
async fn the_audit_log_records_who_did_what() {
    let t = newsroom().await;
    let _ = t.try_login("editor@khobor.test", "wrong password!").await;
    let editor = t.login("editor@khobor.test").await;
    let id = editor
        .write_story("অডিটের খবর", BODY, &[("action", "publish")])
        .await;
    let v = editor.version_of(id).await;
    editor
        .post(
            &format!("/newsroom/stories/{id}"),
            &[
                ("version", &v),
                ("headline", "অডিটের খবর"),
                ("body", BODY),
                ("section_id", "1"),
                ("action", "unpublish"),
            ],
        )
        .await;
    let admin = t.login("admin@khobor.test").await;
    let reporter_id: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'reporter@khobor.test'")
            .fetch_one(t.app.store().pool())
            .await
            .unwrap();
    let p = admin
        .post(
            &format!("/newsroom/users/{reporter_id}"),
            &[("role", "editor"), ("initials", "এসআই")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let log = admin.get("/newsroom/audit").await;
    assert_eq!(log.status, StatusCode::OK);
    for action in [
        "login.failed",
        "login",
        "story.create",
        "story.publish",
        "story.unpublish",
        "user.role",
    ] {
        log.assert_contains(&format!("data-action=\"{action}\""));
    }
    log.assert_contains("role contributor → editor");
    log.assert_contains(&format!("/newsroom/stories/{id}"));
}

#[tokio::test]
async fn the_editor_shows_who_else_has_the_story_open() {
    let t = newsroom().await;
    let a = t.login("editor@khobor.test").await;
    let b = t.login("admin@khobor.test").await;
    let id = a.write_story("একসঙ্গে খোলা", BODY, &[]).await;
    a.get(&format!("/newsroom/stories/{id}")).await;
    let page = b.get(&format!("/newsroom/stories/{id}")).await;
    page.assert_contains("এখন খোলা রেখেছেন: রফিক করিম");
    let ping = t
        .request(
            Request::post(format!("/newsroom/stories/{id}/presence"))
                .header(header::COOKIE, &a.cookie)
                .header("x-csrf-token", &a.csrf)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(ping.json()["others"], json!(["প্রশাসক"]));
}

#[tokio::test]
async fn a_scheduled_story_goes_out_on_time_with_no_request_arriving() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let id = editor.write_story("সময়মতো প্রকাশ", BODY, &[]).await;
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let p = editor
        .api(
            "POST",
            &format!("/api/v1/admin/articles/{id}/transitions"),
            Some(json!({"action": "schedule", "publish_at": at})),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let store = t.app.store().clone();
    let TestApp {
        app,
        dir: _dir,
        db: _db,
    } = t;
    let served = Served::start(app).await;
    // Nobody calls the server: its own job runner publishes the story.
    eventually("the scheduled story is published", || {
        let store = store.clone();
        async move {
            store.story(id).await.unwrap().unwrap().status == khobor::domain::Status::Published
        }
    })
    .await;
    let published = reqwest::get(format!("{}/api/v1/articles/{id}", served.base))
        .await
        .unwrap();
    assert_eq!(published.status(), 200);
    served.stop().await;
}

#[tokio::test]
async fn a_story_due_while_the_server_was_down_goes_out_at_start() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let id = editor.write_story("বন্ধের সময়ের খবর", BODY, &[]).await;
    let at = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    editor
        .api(
            "POST",
            &format!("/api/v1/admin/articles/{id}/transitions"),
            Some(json!({"action": "schedule", "publish_at": at})),
        )
        .await;
    // The planned time passes while no server runs.
    sqlx::query("UPDATE articles SET published_at = published_at - 7200 WHERE id = $1")
        .bind(id)
        .execute(t.app.store().pool())
        .await
        .unwrap();
    let store = t.app.store().clone();
    let TestApp {
        app,
        dir: _dir,
        db: _db,
    } = t;
    let served = Served::start(app).await;
    eventually("the overdue story is published at start", || {
        let store = store.clone();
        async move {
            store.story(id).await.unwrap().unwrap().status == khobor::domain::Status::Published
        }
    })
    .await;
    served.stop().await;
}

#[tokio::test]
async fn editors_manage_sections_tags_and_authors_without_breaking_urls() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let id = editor
        .write_story(
            "বিভাগের খবর",
            BODY,
            &[
                ("tags", "পুরোনো ট্যাগ"),
                ("authors", "পুরোনো নাম"),
                ("action", "publish"),
            ],
        )
        .await;
    let p = editor
        .post(
            "/newsroom/sections",
            &[("name", "প্রযুক্তি"), ("colour", "#336699")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let tech = t
        .app
        .store()
        .sections()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == "প্রযুক্তি")
        .unwrap();
    assert_eq!(
        t.get(&format!("/{}", tech.slug)).await.status,
        StatusCode::OK
    );
    let p = editor
        .post(
            "/newsroom/sections/1",
            &[("name", "দেশ"), ("colour", "#112233"), ("position", "5")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let p = editor
        .post(
            "/newsroom/sections/1",
            &[("name", "দেশ"), ("colour", "red; }"), ("position", "5")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    p.assert_contains("#rrggbb");
    let tag = t.app.store().story(id).await.unwrap().unwrap().fields.tags;
    assert_eq!(tag, vec!["পুরোনো ট্যাগ"]);
    let tag_id: i64 = sqlx::query_scalar("SELECT id FROM tags")
        .fetch_one(t.app.store().pool())
        .await
        .unwrap();
    let p = editor
        .post(
            &format!("/newsroom/labels/tag/{tag_id}"),
            &[("name", "নতুন ট্যাগ")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let page = t.get(&format!("/national/{id}")).await;
    page.assert_contains("নতুন ট্যাগ");
    page.assert_contains("দেশ");
    // A contributor may not.
    let reporter = t.login("reporter@khobor.test").await;
    assert_eq!(
        reporter.get("/newsroom/sections").await.status,
        StatusCode::FORBIDDEN
    );
    let p = reporter
        .post(
            "/newsroom/sections",
            &[("name", "গোপন"), ("colour", "#000000")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_expired_session_sends_the_person_back_to_the_login_form() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    assert_eq!(editor.get("/newsroom/").await.status, StatusCode::OK);
    sqlx::query("UPDATE sessions SET expires_at = 0")
        .execute(t.app.store().pool())
        .await
        .unwrap();
    let p = editor.get("/newsroom/").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location(), "/newsroom/login");
    let api = editor.api("GET", "/api/v1/admin/articles", None).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
}

/// `POST /newsroom/bijoy` as the editor's paste handler calls it.
async fn bijoy_paste(t: &TestApp, who: &Desk<'_>, body: Value, csrf: &str) -> Page {
    t.request(
        Request::post("/newsroom/bijoy")
            .header(header::COOKIE, &who.cookie)
            .header("x-csrf-token", csrf)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn text_pasted_in_bijoy_comes_back_in_unicode_and_other_text_does_not() {
    let t = newsroom().await;
    let c = t.login("reporter@khobor.test").await;
    // "বাংলাদেশ সরকার এবং জনগণ" typed in Bijoy, as plain text and as the editor's HTML.
    let plain = bijoy_paste(&t, &c, json!({"text": "evsjv‡`k miKvi Ges RbMY"}), &c.csrf).await;
    assert_eq!(plain.status, StatusCode::OK, "{}", plain.body);
    assert_eq!(
        plain.json(),
        json!({"bijoy": true, "text": "বাংলাদেশ সরকার এবং জনগণ"})
    );
    let html = bijoy_paste(
        &t,
        &c,
        json!({"text": "<p><b>evsjv‡`k miKvi</b> Ges RbMY</p>", "html": true}),
        &c.csrf,
    )
    .await;
    assert_eq!(html.json()["text"], "<p><b>বাংলাদেশ সরকার</b> এবং জনগণ</p>");
    for other in ["The Daily Star reported on Monday", "বাংলাদেশ সরকার"] {
        let page = bijoy_paste(&t, &c, json!({ "text": other }), &c.csrf).await;
        assert_eq!(
            page.json(),
            json!({"bijoy": false, "text": null}),
            "{other}"
        );
    }
    // The CSRF token is required, and a paste larger than a story body is refused unread.
    let forged = bijoy_paste(&t, &c, json!({"text": "miKvi"}), "not-the-token").await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let huge = "miKvi ".repeat(khobor::domain::text::MAX_RAW_BODY_BYTES / 6 + 1);
    let refused = bijoy_paste(&t, &c, json!({ "text": huge }), &c.csrf).await;
    assert!(refused.status.is_client_error(), "{}", refused.status);
}
