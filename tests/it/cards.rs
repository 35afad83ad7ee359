//! Photocards: made by an editor through the admin API or the newsroom page, signed with the
//! paper's Ed25519 key, published at `/c/{CODE}` with the exact text, the image and the signed
//! record; the keys as a JWKS; every card checked here with an Ed25519 implementation of the
//! test's own (ed25519-dalek directly), not only with Khobor's own `verify`.

use axum::http::{header, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::*;
use crate::newsroom::newsroom;

const HEADLINE: &str = "প্রধানমন্ত্রীর সঙ্গে বৈঠকে শিক্ষার্থীরা: ‘আমরা দ্রুত নির্বাচন চাই’";
const BODY: &str = "<p>বৈঠক শেষে একজন শিক্ষার্থী বলেন, আমরা দ্রুত নির্বাচন চাই। তাঁরা আরও দাবি জানান।</p>";

/// A published story made through the admin API by `desk`; its id.
async fn published_story(desk: &Desk<'_>, headline: &str) -> i64 {
    desk.api_publish(json!({"headline": headline, "section": "national", "body_html": BODY}))
        .await
}

async fn make_card(desk: &Desk<'_>, id: i64, body: Value) -> Page {
    desk.api(
        "POST",
        &format!("/api/v1/admin/articles/{id}/cards"),
        Some(body),
    )
    .await
}

/// Whether `record` verifies under the JWKS key `kid`, checked with ed25519-dalek directly.
fn verifies(jwks: &Value, kid: &str, record: &str, signature: &str) -> bool {
    let Some(key) = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
    else {
        return false;
    };
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    let x: [u8; 32] = B64
        .decode(key["x"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let sig = Signature::from_slice(&B64.decode(signature).unwrap()).unwrap();
    VerifyingKey::from_bytes(&x)
        .unwrap()
        .verify(record.as_bytes(), &sig)
        .is_ok()
}

#[tokio::test]
async fn an_editor_makes_a_card_whose_record_is_signed_and_names_the_image_served() {
    let t = newsroom().await;
    let desk = t.login("editor@khobor.test").await;
    let id = published_story(&desk, HEADLINE).await;

    let made = make_card(&desk, id, json!({"layout": "4:5"})).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let card = made.json()["card"].clone();
    let code = card["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 8);
    assert!(
        code.bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)),
        "{code}"
    );
    assert_eq!(card["url"], format!("http://khobor.test/c/{code}"));
    assert_eq!(card["text"], HEADLINE);
    assert_eq!(card["kind"], "headline");

    let (status, headers, png) = t.raw(&format!("/c/{code}.png"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert!(headers[header::CACHE_CONTROL]
        .to_str()
        .unwrap()
        .contains("immutable"));
    let img = image::load_from_memory(&png).expect("a PNG");
    assert_eq!((img.width(), img.height()), (1080, 1350));
    let sha = hex::encode(Sha256::digest(&png));
    // The QR code printed on the card leads to the card's page (upper-cased: alphanumeric mode).
    let luma = img.to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        luma.width() as usize,
        luma.height() as usize,
        |x, y| luma.get_pixel(x as u32, y as u32).0[0],
    );
    let read: Vec<String> = prepared
        .detect_grids()
        .iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect();
    assert_eq!(read, [format!("HTTP://KHOBOR.TEST/C/{code}")]);
    assert_eq!(card["png_sha256"], sha.as_str());

    let signed = t.get(&format!("/c/{code}.json")).await.json();
    assert_eq!(signed["alg"], "EdDSA");
    let record = signed["record"].as_str().unwrap();
    let lines: Vec<&str> = record.lines().collect();
    assert_eq!(
        lines,
        [
            "version=1".to_owned(),
            format!("code={code}"),
            format!("card_url=http://khobor.test/c/{code}"),
            format!("story_url=http://khobor.test/national/{id}"),
            "kind=headline".to_owned(),
            format!("text={HEADLINE}"),
            "speaker=".to_owned(),
            lines[7].to_owned(),
            format!("png_sha256={sha}"),
        ]
    );
    assert!(
        lines[7].starts_with("published=20") && lines[7].ends_with('Z'),
        "{}",
        lines[7]
    );

    let keys = t.get("/.well-known/khobor-card-keys.json").await;
    assert_eq!(
        keys.headers[header::CONTENT_TYPE],
        "application/jwk-set+json"
    );
    let jwks = keys.json();
    let kid = signed["kid"].as_str().unwrap();
    let signature = signed["signature"].as_str().unwrap();
    assert!(verifies(&jwks, kid, record, signature));
    let changed = record.replace("বৈঠকে", "বৈঠকের");
    assert!(
        !verifies(&jwks, kid, &changed, signature),
        "one changed letter must fail"
    );
    assert!(khobor::cards::verify(record, signature, kid, &jwks).is_ok());
    assert!(khobor::cards::verify(&changed, signature, kid, &jwks).is_err());

    // The API lists the story's cards.
    let list = desk
        .api("GET", &format!("/api/v1/admin/articles/{id}/cards"), None)
        .await
        .json();
    assert_eq!(list["cards"][0]["code"], code.as_str());
}

#[tokio::test]
async fn a_card_page_answers_its_code_in_any_case_and_an_unknown_code_gets_a_helpful_page() {
    let t = newsroom().await;
    let desk = t.login("editor@khobor.test").await;
    let id = published_story(&desk, HEADLINE).await;
    let code = make_card(&desk, id, json!({"layout": "1:1"})).await.json()["card"]["code"]
        .as_str()
        .unwrap()
        .to_owned();

    let page = t.get(&format!("/c/{code}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains(HEADLINE);
    page.assert_contains("এই ফটোকার্ডটি খবর-এর।");
    page.assert_contains(&format!("/national/{id}"));
    page.assert_contains(&format!("/c/{code}.json"));
    // As the QR code carries it: the whole URL upper-cased.
    let upper = t.get(&format!("/C/{code}")).await;
    assert_eq!(upper.status, StatusCode::OK);
    upper.assert_contains(HEADLINE);
    // Typed in lower case: sent to the card's own address.
    let lower = t.get(&format!("/c/{}", code.to_lowercase())).await;
    assert_eq!(lower.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(lower.location(), format!("/c/{code}"));
    let typed = t.get(&format!("/c/?code={}", code.to_lowercase())).await;
    assert_eq!(typed.location(), format!("/c/{code}"));

    let unknown = t.get("/c/ZZZZZZZZ").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    unknown.assert_contains("কোনো কার্ড প্রকাশ করেনি");
    unknown.assert_contains("<form");
    assert_eq!(
        t.get("/c/ZZZZZZZZ.json").await.status,
        StatusCode::NOT_FOUND
    );
    let nonsense = t.get("/c/%3Cscript%3E").await;
    assert_eq!(nonsense.status, StatusCode::NOT_FOUND);
    assert!(
        !nonsense.body.contains("<script>"),
        "the typed code is escaped"
    );
    let ask = t.get("/c/").await;
    assert_eq!(ask.status, StatusCode::OK);
    ask.assert_contains("name=\"code\"");

    // Recent cards, and the story's page shows its card with the code.
    t.get("/cards").await.assert_contains(&code);
    let story = t.get(&format!("/national/{id}")).await;
    story.assert_contains("এই খবরের ফটোকার্ড");
    story.assert_contains(&format!("/c/{code}"));
    let trust = t.get("/.well-known/trust.txt").await;
    trust.assert_contains("/.well-known/khobor-card-keys.json");
}

#[tokio::test]
async fn only_editors_make_cards_of_published_stories_with_words_the_story_has() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    let reporter = t.login("reporter@khobor.test").await;
    let id = published_story(&editor, HEADLINE).await;

    let denied = make_card(&reporter, id, json!({"layout": "4:5"})).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.body);

    let draft = editor
        .api(
            "POST",
            "/api/v1/admin/articles",
            Some(json!({"headline": "খসড়া খবর", "section": "national", "body_html": BODY})),
        )
        .await
        .json()["article"]["id"]
        .as_i64()
        .unwrap();
    let unpublished = make_card(&editor, draft, json!({"layout": "4:5"})).await;
    assert_eq!(
        unpublished.status,
        StatusCode::CONFLICT,
        "{}",
        unpublished.body
    );

    let bad_layout = make_card(&editor, id, json!({"layout": "9:16"})).await;
    assert_eq!(
        bad_layout.status,
        StatusCode::BAD_REQUEST,
        "{}",
        bad_layout.body
    );
    let bad_focal = make_card(&editor, id, json!({"layout": "og", "focal_x": 1.5})).await;
    assert_eq!(
        bad_focal.status,
        StatusCode::BAD_REQUEST,
        "{}",
        bad_focal.body
    );
    assert_eq!(
        make_card(&editor, 999_999, json!({"layout": "og"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let invented = make_card(
        &editor,
        id,
        json!({"layout": "4:5", "quote": "আমরা নির্বাচন চাই না", "speaker": "একজন শিক্ষার্থী"}),
    )
    .await;
    assert_eq!(
        invented.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        invented.body
    );
    assert_eq!(invented.json()["error"]["fields"][0]["field"], "quote");
    let lonely = make_card(&editor, id, json!({"layout": "4:5", "speaker": "কেউ"})).await;
    assert_eq!(
        lonely.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        lonely.body
    );
    let long = make_card(
        &editor,
        id,
        json!({"layout": "4:5", "quote": "ক".repeat(301)}),
    )
    .await;
    assert_eq!(
        long.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        long.body
    );

    let quoted = make_card(
        &editor,
        id,
        json!({"layout": "4:5", "quote": "আমরা দ্রুত নির্বাচন চাই।", "speaker": "একজন শিক্ষার্থী"}),
    )
    .await;
    assert_eq!(quoted.status, StatusCode::CREATED, "{}", quoted.body);
    let card = quoted.json()["card"].clone();
    assert_eq!(card["kind"], "quote");
    assert_eq!(card["speaker"], "একজন শিক্ষার্থী");
    let record = t
        .get(&format!("/c/{}.json", card["code"].as_str().unwrap()))
        .await
        .json();
    let record = record["record"].as_str().unwrap();
    assert!(
        record.contains("\nkind=quote\ntext=আমরা দ্রুত নির্বাচন চাই।\nspeaker=একজন শিক্ষার্থী\n"),
        "{record}"
    );

    // Nothing was recorded for the refused requests.
    let list = editor
        .api("GET", &format!("/api/v1/admin/articles/{id}/cards"), None)
        .await
        .json();
    assert_eq!(list["cards"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_corrected_headline_makes_a_new_card_and_the_old_one_says_it_was_superseded() {
    let t = newsroom().await;
    let desk = t.login("editor@khobor.test").await;
    let id = published_story(&desk, HEADLINE).await;
    let old = make_card(&desk, id, json!({"layout": "og"})).await.json()["card"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    // Without a photo, the story's link preview is its Open Graph card.
    let story = t.get(&format!("/national/{id}")).await;
    story.assert_contains(&format!("content=\"http://khobor.test/c/{old}.png\""));
    story.assert_contains("<meta property=\"og:image:width\" content=\"1200\">");

    let current = desk
        .api("GET", &format!("/api/v1/admin/articles/{id}"), None)
        .await
        .json();
    let saved = desk
        .api(
            "PUT",
            &format!("/api/v1/admin/articles/{id}"),
            Some(json!({
                "headline": "প্রধানমন্ত্রীর সঙ্গে বৈঠকে শিক্ষার্থীরা: ‘আমরা নির্বাচন চাই’",
                "section": "national", "body_html": BODY,
                "version": current["article"]["version"],
            })),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let new = make_card(&desk, id, json!({"layout": "og"})).await.json()["card"]["code"]
        .as_str()
        .unwrap()
        .to_owned();

    let old_page = t.get(&format!("/c/{old}")).await;
    assert_eq!(old_page.status, StatusCode::OK);
    old_page.assert_contains("নতুন কার্ড প্রকাশিত হয়েছে");
    old_page.assert_contains(&format!("href=\"/c/{new}\""));
    // The old card keeps its exact words: a card never changes.
    old_page.assert_contains(HEADLINE);
    let story = t.get(&format!("/national/{id}")).await;
    story.assert_contains(&format!("/c/{new}.png"));
    assert!(
        !story.body.contains(&format!("/c/{old}.png")),
        "superseded cards are not shown"
    );
    let api = desk
        .api("GET", &format!("/api/v1/admin/articles/{id}/cards"), None)
        .await
        .json();
    assert_eq!(api["cards"][1]["superseded_by"], new.as_str());
}

#[tokio::test]
async fn a_rotated_key_signs_new_cards_and_old_cards_still_verify() {
    let t = newsroom().await;
    let desk = t.login("editor@khobor.test").await;
    let id = published_story(&desk, HEADLINE).await;
    let first = make_card(&desk, id, json!({"layout": "4:5"})).await.json()["card"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = t.get(&format!("/c/{first}.json")).await.json();

    let keys = khobor::cards::KeySource::for_data_dir(t.dir.path(), None);
    let (new_kid, retired) = khobor::cards::rotate_key(t.app.store(), &keys)
        .await
        .unwrap();
    assert_eq!(retired, [first["kid"].as_str().unwrap()]);
    let file = t.dir.path().join("card-keys.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the private keys are the owner's only");
    }

    let second = make_card(&desk, id, json!({"layout": "1:1"})).await.json()["card"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = t.get(&format!("/c/{second}.json")).await.json();
    assert_eq!(second["kid"], new_kid.as_str());

    let jwks = t.get("/.well-known/khobor-card-keys.json").await.json();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    let old_key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == first["kid"])
        .unwrap();
    assert!(
        old_key["exp"].is_i64(),
        "a retired key says when it was retired"
    );
    for signed in [&first, &second] {
        assert!(verifies(
            &jwks,
            signed["kid"].as_str().unwrap(),
            signed["record"].as_str().unwrap(),
            signed["signature"].as_str().unwrap()
        ));
    }
    // The public store never holds a private key.
    let private = std::fs::read_to_string(&file).unwrap();
    let seed = serde_json::from_str::<Value>(&private).unwrap()["keys"][0]["seed"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!t
        .get("/.well-known/khobor-card-keys.json")
        .await
        .body
        .contains(&seed));
}

#[tokio::test]
async fn the_newsroom_page_previews_then_publishes_a_card() {
    let t = newsroom().await;
    let desk = t.login("editor@khobor.test").await;
    let id = published_story(&desk, HEADLINE).await;
    let path = format!("/newsroom/stories/{id}/cards");

    let form = desk.get(&path).await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_contains("id=\"card-form\"");
    desk.get(&format!("/newsroom/stories/{id}"))
        .await
        .assert_contains(&format!("href=\"{path}\""));

    let preview = desk
        .post(
            &path,
            &[
                ("action", "preview"),
                ("layout", "og"),
                ("focal_x", "50"),
                ("focal_y", "50"),
            ],
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    preview.assert_contains("src=\"data:image/png;base64,");
    assert!(
        t.get("/cards")
            .await
            .body
            .contains("এখনো কোনো ফটোকার্ড প্রকাশিত হয়নি"),
        "a preview publishes nothing"
    );

    let bad = desk
        .post(
            &path,
            &[
                ("action", "publish"),
                ("layout", "4:5"),
                ("quote", "খবরে নেই এমন কথা"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_contains("উদ্ধৃতিটি খবরের লেখায় নেই");

    let done = desk
        .post(&path, &[("action", "publish"), ("layout", "4:5")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let back = desk.get(done.location()).await;
    let code = back
        .body
        .split("data-code=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the story's cards are listed with their codes")
        .to_owned();
    back.assert_contains(&format!("href=\"/c/{code}.png\" download"));
    assert_eq!(t.get(&format!("/c/{code}")).await.status, StatusCode::OK);

    let reporter = t.login("reporter@khobor.test").await;
    assert_eq!(reporter.get(&path).await.status, StatusCode::FORBIDDEN);
    let refused = reporter
        .post(&path, &[("action", "publish"), ("layout", "4:5")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let no_csrf = desk
        .post_raw(&path, &[("action", "publish"), ("layout", "4:5")])
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_command_line_rotates_the_key_and_checks_a_saved_record_offline() {
    let t = newsroom().await;
    let desk = t.login("editor@khobor.test").await;
    let id = published_story(&desk, HEADLINE).await;
    let code = make_card(&desk, id, json!({"layout": "og"})).await.json()["card"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let work = tempfile::tempdir().unwrap();
    let record = work.path().join("record.json");
    std::fs::write(&record, t.get(&format!("/c/{code}.json")).await.body).unwrap();
    let keys = work.path().join("keys.json");
    std::fs::write(
        &keys,
        t.get("/.well-known/khobor-card-keys.json").await.body,
    )
    .unwrap();

    let verify = |file: &std::path::Path| {
        crate::cli::khobor()
            .args(["card", "verify"])
            .arg(file)
            .arg("--keys")
            .arg(&keys)
            .output()
            .unwrap()
    };
    let good = verify(&record);
    let out = String::from_utf8_lossy(&good.stdout);
    assert!(
        good.status.success(),
        "{out} {}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(out.contains(&format!("verified: card {code}")), "{out}");
    assert!(out.contains(HEADLINE), "{out}");

    let mut changed: Value =
        serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
    changed["record"] = changed["record"]
        .as_str()
        .unwrap()
        .replace("বৈঠকে", "বৈঠকের")
        .into();
    let forged = work.path().join("forged.json");
    std::fs::write(&forged, changed.to_string()).unwrap();
    let bad = verify(&forged);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("NOT verified"));

    // `card-key rotate` on the site's own store and data directory.
    let mut rotate = crate::cli::khobor();
    rotate
        .args(["card-key", "rotate", "--data"])
        .arg(t.dir.path());
    if let Some(db) = &t.db {
        rotate.args(["--database-url", &db.url()]);
    }
    let rotated = rotate.output().unwrap();
    let said = String::from_utf8_lossy(&rotated.stdout);
    assert!(
        rotated.status.success(),
        "{said} {}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    assert!(said.contains("retired"), "{said}");
    let jwks = t.get("/.well-known/khobor-card-keys.json").await.json();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    // The record signed before the rotation still checks out against the new key set.
    std::fs::write(&keys, jwks.to_string()).unwrap();
    assert!(verify(&record).status.success());
}

#[tokio::test]
async fn text_the_card_fonts_cannot_draw_is_refused_naming_the_word() {
    let t = newsroom().await;
    let desk = t.login("editor@khobor.test").await;
    let made = desk
        .api(
            "POST",
            "/api/v1/admin/articles",
            Some(json!({"headline": HEADLINE, "section": "national",
                "body_html": "<p>সম্মেলনের নাম 北京 বৈঠক। সে ািকছু বলেনি।</p>"})),
        )
        .await;
    let id = made.json()["article"]["id"].as_i64().unwrap();
    desk.api(
        "POST",
        &format!("/api/v1/admin/articles/{id}/transitions"),
        Some(json!({"action": "publish"})),
    )
    .await;
    for (quote, word) in [("সম্মেলনের নাম 北京 বৈঠক।", "北京"), ("সে ািকছু বলেনি।", "ািকছু")]
    {
        let refused = make_card(&desk, id, json!({"layout": "4:5", "quote": quote})).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        let message = refused.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(word), "{message}");
    }
    let list = desk
        .api("GET", &format!("/api/v1/admin/articles/{id}/cards"), None)
        .await
        .json();
    assert!(list["cards"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn s3_a_card_made_on_node_a_is_served_and_checked_on_node_b() {
    let a = TestApp::on_postgres_with_media(|_| {
        khobor::config::MediaStoreConfig::S3(TestS3::required().config())
    })
    .await;
    assert!(a.app.state.media_store().is_remote(), "media on S3");
    a.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    let desk = a.login("editor@khobor.test").await;
    let up = desk.api_upload("chobi.jpg", &jpeg(1600, 1000)).await;
    assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);
    let media_id = up.json()["media"]["id"].as_i64().unwrap();
    assert_eq!(a.app.process_media().await.unwrap(), 1);
    let id = published_story(&desk, HEADLINE).await;
    let made = make_card(&desk, id, json!({"layout": "4:5", "media_id": media_id})).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let code = made.json()["card"]["code"].as_str().unwrap().to_owned();

    let (b_app, b_dir) = a.another_node().await;
    let b = TestApp {
        app: b_app,
        dir: b_dir,
        db: None,
    };
    let (status, _, from_b) = b.raw(&format!("/c/{code}.png"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, from_a) = a.raw(&format!("/c/{code}.png"), &[]).await;
    assert_eq!(from_a, from_b, "both nodes serve the signed image");
    let signed = b.get(&format!("/c/{code}.json")).await.json();
    assert!(signed["record"]
        .as_str()
        .unwrap()
        .contains(&hex::encode(Sha256::digest(&from_b))));

    // Node B signs with its own key; both keys are published by both nodes.
    let b_editor = b.login("editor@khobor.test").await;
    let b_made = make_card(&b_editor, id, json!({"layout": "1:1"})).await;
    assert_eq!(b_made.status, StatusCode::CREATED, "{}", b_made.body);
    let b_code = b_made.json()["card"]["code"].as_str().unwrap().to_owned();
    let b_signed = a.get(&format!("/c/{b_code}.json")).await.json();
    assert_ne!(b_signed["kid"], signed["kid"]);
    for node in [&a, &b] {
        let jwks = node.get("/.well-known/khobor-card-keys.json").await.json();
        for s in [&signed, &b_signed] {
            assert!(verifies(
                &jwks,
                s["kid"].as_str().unwrap(),
                s["record"].as_str().unwrap(),
                s["signature"].as_str().unwrap()
            ));
        }
    }
    b.app.store().close().await;
}
