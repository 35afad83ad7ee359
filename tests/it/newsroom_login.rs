//! Login security: progressive delays that strangers cannot turn into a lockout of the real
//! user, known browsers, the site-wide cap, client addresses behind trusted proxies, field
//! limits before any work, TOTP two-factor with recovery codes, roles that must use it, and
//! pruning by age. Time is never waited for: failures "in the past" are written with past
//! timestamps, and nothing asserts on how long anything took.

use axum::http::{header, StatusCode};

use crate::helpers::*;

async fn newsroom() -> TestApp {
    let t = TestApp::new().await;
    t.add_user("admin@khobor.test", "প্রশাসক", "এডি", "admin")
        .await;
    t.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    t.add_user("reporter@khobor.test", "সাইফুল ইসলাম", "এসআই", "contributor")
        .await;
    t
}

async fn count(t: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(t.app.store().pool())
        .await
        .unwrap()
}

async fn failures(t: &TestApp, scope: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE scope = $1")
        .bind(scope)
        .fetch_one(t.app.store().pool())
        .await
        .unwrap()
}

/// Moves every recorded failure `secs` into the past: the delay they started has run out.
async fn age_failures(t: &TestApp, secs: i64) {
    sqlx::query("UPDATE login_failures SET at = at - $1")
        .bind(secs)
        .execute(t.app.store().pool())
        .await
        .unwrap();
}

fn retry_after(page: &Page) -> i64 {
    page.headers
        .get(header::RETRY_AFTER)
        .unwrap_or_else(|| panic!("no Retry-After; status {}", page.status))
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn audit_addresses(t: &TestApp, action: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT address FROM audit_log WHERE action = $1 ORDER BY id")
        .bind(action)
        .fetch_all(t.app.store().pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn strangers_hammering_an_account_do_not_lock_out_its_owner_on_a_known_browser() {
    let t = newsroom().await;
    // The editor logged in from this browser last week: it holds a device cookie.
    let mut own = Browser::at("192.0.2.10");
    let first = t.try_login_from(&own, "editor@khobor.test", PASSWORD).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let device = set_cookie(&first, "khobor_device").expect("device cookie");
    assert!(
        device.contains("HttpOnly") && device.contains("Max-Age="),
        "{device}"
    );
    own.keep_cookie(&first, "khobor_device");
    // Only its hash is stored.
    let token = own.cookies[0]
        .trim_start_matches("khobor_device=")
        .to_owned();
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM trusted_devices")
        .fetch_all(t.app.store().pool())
        .await
        .unwrap();
    assert_eq!(stored, [khobor::auth::token_hash(&token)]);

    // Someone else guesses from elsewhere, then keeps going long after.
    let attacker = Browser::at("203.0.113.66");
    for _ in 0..5 {
        let p = t
            .try_login_from(&attacker, "editor@khobor.test", "guess guess guess")
            .await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    }
    let refused = t
        .try_login_from(&attacker, "editor@khobor.test", PASSWORD)
        .await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "strangers wait"
    );
    let long_ago = khobor::storage::now() - 60;
    for _ in 0..50 {
        t.app
            .store()
            .record_login_failure_at(&["email:editor@khobor.test"], long_ago)
            .await
            .unwrap();
    }

    // The owner, on their own browser, gets straight in, and a typo there is just a typo.
    let typo = t
        .try_login_from(&own, "editor@khobor.test", "correct horse battery stapel")
        .await;
    assert_eq!(typo.status, StatusCode::UNAUTHORIZED, "{}", typo.body);
    let done = t.try_login_from(&own, "editor@khobor.test", PASSWORD).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(set_cookie(&done, "khobor_session").is_some());
    // The browser is kept known (same token, renewed).
    assert_eq!(
        cookie_pair(&done, "khobor_device").as_deref(),
        Some(own.cookies[0].as_str())
    );

    // A device cookie of another account is no pass for this one.
    let mut other = Browser::at("203.0.113.66");
    let theirs = t
        .try_login_from(&other, "reporter@khobor.test", PASSWORD)
        .await;
    other.keep_cookie(&theirs, "khobor_device");
    let p = t
        .try_login_from(&other, "editor@khobor.test", PASSWORD)
        .await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn during_a_delay_attempts_are_refused_unchecked_and_uncounted() {
    let t = newsroom().await;
    let scope = "email:editor@khobor.test";
    for _ in 0..5 {
        let p = t.try_login("editor@khobor.test", "guessing wrong").await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(failures(&t, scope).await, 5);
    let audited = count(
        &t,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'login.failed'",
    )
    .await;
    // Hammering during the delay changes nothing: refused, not counted, not logged, and the
    // wait does not grow.
    for _ in 0..10 {
        let p = t.try_login("editor@khobor.test", "guessing wrong").await;
        assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
        let wait = retry_after(&p);
        assert!((1..=30).contains(&wait), "first delay is 30 s, got {wait}");
        p.assert_contains("সেকেন্ড পরে আবার চেষ্টা করুন");
        assert!(set_cookie(&p, "khobor_session").is_none());
    }
    let locked = t.try_login("editor@khobor.test", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(failures(&t, scope).await, 5);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'login.failed'"
        )
        .await,
        audited
    );
    // The lockout was logged once, when the fifth failure started it.
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'login.delay'"
        )
        .await,
        1
    );

    // When the delay has run out, the next failure counts and doubles it...
    age_failures(&t, 31).await;
    let p = t.try_login("editor@khobor.test", "guessing wrong").await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    let p = t.try_login("editor@khobor.test", PASSWORD).await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&p);
    assert!(
        (31..=60).contains(&wait),
        "second delay is 60 s, got {wait}"
    );
    // ...and never beyond the cap, however many failures there were.
    for _ in 0..40 {
        t.app
            .store()
            .record_login_failure_at(&[scope], khobor::storage::now())
            .await
            .unwrap();
    }
    let p = t.try_login("editor@khobor.test", PASSWORD).await;
    assert!(retry_after(&p) <= 15 * 60);
    p.assert_contains("১৫ মিনিট");

    // Once it runs out, the right password gets in.
    age_failures(&t, 15 * 60 + 1).await;
    let done = t.try_login("editor@khobor.test", PASSWORD).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    // Other accounts were never held up.
    t.login("reporter@khobor.test").await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_counts() {
    let t = TestApp::with_settings(khobor::config::Overrides {
        trusted_proxies: Some("127.0.0.1, 10.0.0.0/8".into()),
        ..Default::default()
    })
    .await;
    t.add_user("editor@khobor.test", "সম্পাদক", "", "editor")
        .await;
    let via_proxy = Browser {
        forwarded_for: Some("6.6.6.6, 203.0.113.7, 10.1.1.1".into()),
        ..Browser::at("127.0.0.1")
    };
    let p = t
        .try_login_from(&via_proxy, "editor@khobor.test", "wrong password")
        .await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    // Straight from the internet, the same header is a forgery and is ignored.
    let direct = Browser {
        forwarded_for: Some("203.0.113.99".into()),
        ..Browser::at("198.51.100.9")
    };
    t.try_login_from(&direct, "editor@khobor.test", "wrong password")
        .await;
    assert_eq!(
        audit_addresses(&t, "login.failed").await,
        ["203.0.113.7", "198.51.100.9"]
    );
    assert_eq!(failures(&t, "addr:203.0.113.7").await, 1);
    assert_eq!(failures(&t, "addr:198.51.100.9").await, 1);
    assert_eq!(failures(&t, "addr:203.0.113.99").await, 0);
    assert_eq!(failures(&t, "addr:127.0.0.1").await, 0);

    let done = t
        .try_login_from(&via_proxy, "editor@khobor.test", PASSWORD)
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let session_address: String = sqlx::query_scalar("SELECT address FROM sessions")
        .fetch_one(t.app.store().pool())
        .await
        .unwrap();
    assert_eq!(session_address, "203.0.113.7");
}

#[tokio::test]
async fn the_site_wide_cap_stops_rotating_addresses_but_not_known_browsers() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("khobor.toml");
    std::fs::write(&config, "[auth]\nfailed_logins_per_hour = 3\n").unwrap();
    let t = TestApp::with_settings(khobor::config::Overrides {
        config: Some(config),
        ..Default::default()
    })
    .await;
    t.add_user("editor@khobor.test", "সম্পাদক", "", "editor")
        .await;
    t.add_user("reporter@khobor.test", "প্রতিবেদক", "", "contributor")
        .await;
    let mut own = Browser::at("192.0.2.10");
    let first = t.try_login_from(&own, "editor@khobor.test", PASSWORD).await;
    own.keep_cookie(&first, "khobor_device");

    // A spray: one guess per account, each from a fresh address.
    for (i, email) in ["a@khobor.test", "b@khobor.test", "reporter@khobor.test"]
        .iter()
        .enumerate()
    {
        let p = t
            .try_login_from(
                &Browser::at(&format!("203.0.113.{}", i + 1)),
                email,
                "guess",
            )
            .await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    }
    // The cap is reached: the next stranger waits, whoever and wherever they are.
    let p = t
        .try_login_from(&Browser::at("198.51.100.50"), "editor@khobor.test", "guess")
        .await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    assert!((1..=3600).contains(&retry_after(&p)));
    assert_eq!(failures(&t, "site").await, 3, "the refusal was not counted");
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'login.site_cap'"
        )
        .await,
        1
    );
    // A known browser is not a stranger.
    let done = t.try_login_from(&own, "editor@khobor.test", PASSWORD).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    // An hour on, strangers are let through again.
    age_failures(&t, 3601).await;
    let p = t
        .try_login_from(
            &Browser::at("198.51.100.50"),
            "reporter@khobor.test",
            PASSWORD,
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn oversized_login_fields_are_refused_before_anything_is_written() {
    let t = newsroom().await;
    let tables = ["login_failures", "audit_log", "sessions", "trusted_devices"];
    let mut before = Vec::new();
    for table in tables {
        before.push(count(&t, &format!("SELECT COUNT(*) FROM {table}")).await);
    }
    let long_email = format!("{}@khobor.test", "a".repeat(250));
    let p = t.try_login(&long_email, "guess").await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    p.assert_contains("অস্বাভাবিক লম্বা");
    assert!(!p.body.contains(&long_email), "not echoed back");
    let p = t.try_login("editor@khobor.test", &"x".repeat(1025)).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A megabyte and a half is not even read.
    let huge = format!("{}@khobor.test", "a".repeat(1_500_000));
    let p = t.try_login(&huge, "guess").await;
    assert_eq!(p.status, StatusCode::PAYLOAD_TOO_LARGE);
    for (table, n) in tables.iter().zip(before) {
        assert_eq!(
            count(&t, &format!("SELECT COUNT(*) FROM {table}")).await,
            n,
            "{table} grew"
        );
    }
    // The largest legal address is still an ordinary failure.
    let legal = format!("{}@khobor.test", "a".repeat(254 - 12));
    assert_eq!(legal.len(), 254);
    let p = t.try_login(&legal, "guess").await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn old_audit_lines_and_failed_logins_are_pruned_by_age() {
    let t = TestApp::new().await;
    let store = t.app.store();
    let now = khobor::storage::now();
    let day = 86_400;
    for (age_days, action) in [(400, "old.line"), (10, "recent.line")] {
        sqlx::query("INSERT INTO audit_log (at, actor, action) VALUES ($1, 'পরীক্ষা', $2)")
            .bind(now - age_days * day)
            .bind(action)
            .execute(store.pool())
            .await
            .unwrap();
    }
    store
        .record_login_failure_at(&["email:old@khobor.test"], now - 40 * day)
        .await
        .unwrap();
    store
        .record_login_failure_at(&["email:recent@khobor.test"], now - 2 * day)
        .await
        .unwrap();
    khobor::jobs::scheduler::prune(store, khobor::config::RetentionConfig::default(), now)
        .await
        .unwrap();
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(actions, ["recent.line"]);
    assert_eq!(failures(&t, "email:old@khobor.test").await, 0);
    assert_eq!(failures(&t, "email:recent@khobor.test").await, 1);
    // A shorter retention keeps less.
    let short = khobor::config::RetentionConfig {
        audit_days: 5,
        login_failures_days: 1,
    };
    khobor::jobs::scheduler::prune(store, short, now)
        .await
        .unwrap();
    assert_eq!(count(&t, "SELECT COUNT(*) FROM audit_log").await, 0);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM login_failures").await, 0);
}

// ---- two-factor login

/// The text of `<code id="ID">…</code>` on a page.
fn code_text(page: &Page, id: &str) -> String {
    let start = page
        .body
        .find(&format!("<code id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no #{id} on the page"))
        + id.len()
        + 12;
    let rest = &page.body[start..];
    rest[..rest.find("</code>").unwrap()].to_owned()
}

/// The recovery codes shown once after enrolment.
fn recovery_codes(page: &Page) -> Vec<String> {
    let start = page
        .body
        .find("id=\"recovery-codes\"")
        .expect("recovery codes shown");
    let block = &page.body[start..];
    let block = &block[..block.find("</div>").unwrap()];
    block
        .split("<li><code>")
        .skip(1)
        .map(|s| s[..s.find("</code>").unwrap()].to_owned())
        .collect()
}

/// A six-digit code that is not valid around `at` (for "a wrong code").
fn wrong_code(secret: &str, at: i64) -> String {
    let valid: Vec<String> = (-1..=1)
        .map(|k| khobor::auth::totp_code(secret, at + 30 * k).unwrap())
        .collect();
    ["000000", "111111", "222222"]
        .into_iter()
        .find(|c| !valid.iter().any(|v| v == c))
        .unwrap()
        .to_owned()
}

/// Turns two-factor on for a logged-in person; returns (secret, time of the first code,
/// recovery codes).
async fn enrol(desk: &Desk<'_>) -> (String, i64, Vec<String>) {
    let p = desk.post("/newsroom/account/2fa/start", &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let page = desk.get("/newsroom/account").await;
    assert_eq!(page.status, StatusCode::OK);
    let secret = code_text(&page, "totp-secret");
    assert!(code_text(&page, "totp-uri").starts_with("otpauth://totp/"));
    let at = khobor::storage::now();
    let bad = desk
        .post(
            "/newsroom/account/2fa/confirm",
            &[("code", &wrong_code(&secret, at))],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_contains("id=\"two-factor-confirm\"");
    let code = khobor::auth::totp_code(&secret, at).unwrap();
    let done = desk
        .post("/newsroom/account/2fa/confirm", &[("code", &code)])
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let codes = recovery_codes(&done);
    assert_eq!(codes.len(), 10);
    (secret, at, codes)
}

#[tokio::test]
async fn two_factor_enrolment_then_login_needs_a_fresh_code_or_a_recovery_code() {
    let t = newsroom().await;
    let desk = t.login("editor@khobor.test").await;
    let account = desk.get("/newsroom/account").await;
    account.assert_contains("id=\"two-factor-start\"");
    let (secret, at, codes) = enrol(&desk).await;
    // The secret is kept for any node to check codes; recovery codes only as hashes.
    let stored: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM recovery_codes")
        .fetch_all(t.app.store().pool())
        .await
        .unwrap();
    assert_eq!(stored.len(), 10);
    assert!(!stored.iter().any(|h| codes.contains(h)));
    assert!(stored.contains(&khobor::auth::recovery_code_hash(&codes[0])));
    desk.get("/newsroom/account")
        .await
        .assert_contains("id=\"two-factor-disable\"");

    // The password alone is only half a login: no session, a code form.
    let browser = Browser::default();
    let half = t.try_login("editor@khobor.test", PASSWORD).await;
    assert_eq!(half.status, StatusCode::SEE_OTHER);
    assert_eq!(half.location(), "/newsroom/login/code");
    assert!(set_cookie(&half, "khobor_session").is_none());
    let challenge = cookie_pair(&half, "khobor_login_challenge").expect("challenge cookie");
    assert_eq!(count(&t, "SELECT COUNT(*) FROM login_challenges").await, 1);

    let wrong = t
        .submit_code(&browser, &challenge, &wrong_code(&secret, at))
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    wrong.assert_contains("কোডটি ঠিক নয়");
    assert!(set_cookie(&wrong, "khobor_session").is_none());
    // The code used at enrolment was seen once: replaying it is refused.
    let first = khobor::auth::totp_code(&secret, at).unwrap();
    let replay = t.submit_code(&browser, &challenge, &first).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    // The next one works.
    let next = khobor::auth::totp_code(&secret, at + 30).unwrap();
    let done = t.submit_code(&browser, &challenge, &next).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/newsroom/");
    assert!(set_cookie(&done, "khobor_session").is_some());
    assert_eq!(count(&t, "SELECT COUNT(*) FROM login_challenges").await, 0);
    // ... once.
    let again = t.try_login("editor@khobor.test", PASSWORD).await;
    let challenge = cookie_pair(&again, "khobor_login_challenge").unwrap();
    let p = t.submit_code(&browser, &challenge, &next).await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);

    // A recovery code (typed in capitals, without dashes) works, once.
    let typed = codes[3].to_uppercase().replace('-', "");
    let p = t.submit_code(&browser, &challenge, &typed).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM audit_log WHERE action = '2fa.recovery_used'"
        )
        .await,
        1
    );
    let again = t.try_login("editor@khobor.test", PASSWORD).await;
    let challenge = cookie_pair(&again, "khobor_login_challenge").unwrap();
    let p = t.submit_code(&browser, &challenge, &codes[3]).await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    // Wrong codes count as failed logins; enough of them end the challenge.
    for _ in 0..4 {
        t.submit_code(&browser, &challenge, "999999").await;
    }
    let form = t
        .request(browser.get("/newsroom/login/code", std::slice::from_ref(&challenge)))
        .await;
    assert_eq!(form.status, StatusCode::SEE_OTHER, "challenge is gone");
    assert_eq!(form.location(), "/newsroom/login");
    assert!(failures(&t, "email:editor@khobor.test").await >= 5);

    // Turning it off takes the password and a code.
    let p = desk
        .post(
            "/newsroom/account/2fa/disable",
            &[("password", PASSWORD), ("code", "000000")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let p = desk
        .post(
            "/newsroom/account/2fa/disable",
            &[("password", PASSWORD), ("code", &codes[5])],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    p.assert_contains("id=\"two-factor-start\"");
    let log = t
        .login("admin@khobor.test")
        .await
        .get("/newsroom/audit")
        .await;
    for action in [
        "2fa.enable",
        "2fa.disable",
        "2fa.recovery_used",
        "login.code_failed",
    ] {
        log.assert_contains(&format!("data-action=\"{action}\""));
    }
}

#[tokio::test]
async fn a_role_that_must_use_two_factor_is_sent_to_enrol_before_anything_else() {
    let t = newsroom().await;
    let admin = t.login("admin@khobor.test").await;
    let p = admin
        .post("/newsroom/settings/two-factor", &[("editor", "1")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let settings = admin.get("/newsroom/settings").await;
    settings.assert_contains("id=\"require-editor\" name=\"editor\" value=\"1\" checked");
    assert!(!settings.body.contains("name=\"admin\" value=\"1\" checked"));
    // The admin (not required) carries on.
    assert_eq!(admin.get("/newsroom/users").await.status, StatusCode::OK);

    let done = t.try_login("editor@khobor.test", PASSWORD).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location(), "/newsroom/account#two-factor");
    let cookie = cookie_pair(&done, "khobor_session").unwrap();
    let mut editor = Desk {
        app: &t,
        cookie,
        csrf: String::new(),
    };
    let account = editor.get("/newsroom/account").await;
    assert_eq!(account.status, StatusCode::OK);
    account.assert_contains("id=\"two-factor-required\"");
    editor.csrf = hidden_value(&account.body, "csrf").unwrap();
    // Nothing else is open until enrolment.
    for path in ["/newsroom/", "/newsroom/stories/new", "/newsroom/media"] {
        let p = editor.get(path).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(p.location(), "/newsroom/account#two-factor");
    }
    let p = editor
        .post(
            "/newsroom/stories/new",
            &[
                ("headline", "খবর"),
                ("body", "<p>লেখা</p>"),
                ("section_id", "1"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(p.location(), "/newsroom/account#two-factor");
    assert_eq!(count(&t, "SELECT COUNT(*) FROM revisions").await, 0);
    let api = editor.api("GET", "/api/v1/admin/articles", None).await;
    assert_eq!(api.status, StatusCode::FORBIDDEN);
    assert_eq!(api.json()["error"]["code"], "two_factor_required");

    enrol(&editor).await;
    assert_eq!(editor.get("/newsroom/").await.status, StatusCode::OK);
    // While the role requires it, it cannot be switched off.
    let p = editor
        .post(
            "/newsroom/account/2fa/disable",
            &[("password", PASSWORD), ("code", "000000")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    p.assert_contains("বাধ্যতামূলক");
    // Other roles are not affected.
    t.login("reporter@khobor.test").await;
    admin
        .get("/newsroom/audit")
        .await
        .assert_contains("data-action=\"settings.require_2fa\"");
}

#[tokio::test]
async fn an_admin_resets_a_lost_second_factor_and_the_persons_sessions_end() {
    let t = newsroom().await;
    let editor = t.login("editor@khobor.test").await;
    enrol(&editor).await;
    assert_eq!(editor.get("/newsroom/").await.status, StatusCode::OK);
    let admin = t.login("admin@khobor.test").await;
    let users = admin.get("/newsroom/users").await;
    assert_eq!(users.status, StatusCode::OK);
    let editor_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind("editor@khobor.test")
        .fetch_one(t.app.store().pool())
        .await
        .unwrap();
    let reset = format!("/newsroom/users/{editor_id}/two-factor/reset");
    users.assert_contains(&format!("action=\"{reset}\""));

    // Someone else's session, or a wrong password, is not enough.
    let p = editor.post(&reset, &[("password", PASSWORD)]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = admin
        .post(&reset, &[("password", "not the password")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    p.assert_contains("পাসওয়ার্ড ঠিক নয়");
    let two_factor_on = "SELECT COUNT(*) FROM totp WHERE confirmed_at IS NOT NULL";
    assert_eq!(count(&t, two_factor_on).await, 1);
    assert_eq!(editor.get("/newsroom/").await.status, StatusCode::OK);
    // Nor is a request without the form's CSRF token.
    let p = admin.post_raw(&reset, &[("password", PASSWORD)]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(count(&t, two_factor_on).await, 1);

    let p = admin.post(&reset, &[("password", PASSWORD)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location(), "/newsroom/users?done=2fa-reset");
    assert_eq!(count(&t, two_factor_on).await, 0);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM recovery_codes").await, 0);
    // The person's open session (perhaps on the lost phone) is over…
    let p = editor.get("/newsroom/").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(
        p.location().starts_with("/newsroom/login"),
        "{}",
        p.location()
    );
    // …and their password alone logs them in again, without a code.
    let again = t.try_login("editor@khobor.test", PASSWORD).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(again.location(), "/newsroom/");
    // Audited, naming whose it was; an admin cannot reset their own here.
    let audit = admin.get("/newsroom/audit").await;
    audit.assert_contains("data-action=\"2fa.reset\"");
    audit.assert_contains("editor@khobor.test");
    let admin_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind("admin@khobor.test")
        .fetch_one(t.app.store().pool())
        .await
        .unwrap();
    let p = admin
        .post(
            &format!("/newsroom/users/{admin_id}/two-factor/reset"),
            &[("password", PASSWORD)],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
}
