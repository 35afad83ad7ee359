//! Webhooks, against a real receiver on a loopback port that records every request: a
//! publish, an update, an unpublish and a breaking alert arrive signed, in order, with the
//! story or alert in the payload, and only where subscribed; a receiver that fails twice gets
//! a third attempt after the backoff (driven with the job's own clock, not by waiting) and the
//! log shows each answer; a delivery given up is sent again from the log; events written while
//! no node ran the job, or claimed by a node that died, arrive exactly once when a node runs
//! it; two nodes on one store send each event once; a publish never waits for a receiver that
//! hangs; and the admin page refuses non-admins, bad URLs and forms without the CSRF token.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

use khobor::domain::webhook;
use khobor::jobs::webhooks::{deliver_due, follow_once, LEASE};
use khobor::storage::now;

use crate::helpers::*;

/// What the receiver has been sent, and how it answers.
#[derive(Default, Clone)]
struct Inbox {
    requests: Vec<(HeaderMap, String)>,
    /// Statuses to answer with, in turn; 200 once they run out.
    script: VecDeque<u16>,
    /// Never answer (the request is recorded first).
    hang: bool,
    answered: usize,
}

impl Inbox {
    fn bodies(&self) -> Vec<Value> {
        self.requests
            .iter()
            .map(|(_, b)| serde_json::from_str(b).expect("a JSON body"))
            .collect()
    }

    fn events(&self) -> Vec<String> {
        self.requests
            .iter()
            .map(|(h, _)| h["khobor-event"].to_str().unwrap().to_owned())
            .collect()
    }
}

async fn receiver(script: &[u16], hang: bool) -> (String, Arc<Mutex<Inbox>>) {
    use axum::extract::State;
    let inbox = Arc::new(Mutex::new(Inbox {
        script: script.iter().copied().collect(),
        hang,
        ..Inbox::default()
    }));
    let router = axum::Router::new()
        .fallback(
            |State(inbox): State<Arc<Mutex<Inbox>>>, headers: HeaderMap, body: String| async move {
                let (status, hang) = {
                    let mut i = inbox.lock().unwrap();
                    i.requests.push((headers, body));
                    (i.script.pop_front().unwrap_or(200), i.hang)
                };
                if hang {
                    std::future::pending::<()>().await;
                }
                let n = {
                    let mut i = inbox.lock().unwrap();
                    i.answered += 1;
                    i.answered
                };
                (
                    StatusCode::from_u16(status).unwrap(),
                    format!("answer {n} with {status}"),
                )
            },
        )
        .with_state(Arc::clone(&inbox));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/hooks/khobor", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (base, inbox)
}

async fn newsroom(t: &TestApp) {
    t.add_user("admin@khobor.test", "প্রশাসক", "এডি", "admin")
        .await;
    t.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    t.add_user("reporter@khobor.test", "সাইফুল ইসলাম", "এসআই", "contributor")
        .await;
}

/// Registers a webhook on the admin page; its id and the secret the page showed once.
async fn add_webhook(admin: &Desk<'_>, url: &str, events: &[&str]) -> (i64, String) {
    let mut fields = vec![("url", url), ("description", "পরীক্ষার গ্রাহক")];
    let names: Vec<String> = events.iter().map(|e| format!("ev_{e}")).collect();
    for n in &names {
        fields.push((n.as_str(), "on"));
    }
    let made = admin.post("/newsroom/webhooks", &fields).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let secret = made
        .body
        .split("<code id=\"new-secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the secret is shown once")
        .to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let id = admin
        .app
        .app
        .store()
        .webhooks()
        .await
        .unwrap()
        .last()
        .unwrap()
        .id;
    (id, secret)
}

/// Writes deliveries for the feed and sends every one due at `at`, as many rounds as it takes
/// (each round sends at most one delivery per webhook); how many were sent.
async fn drive(t: &TestApp, at: i64) -> usize {
    let store = t.app.store();
    follow_once(store, "http://khobor.test", "test-node")
        .await
        .unwrap();
    let client = khobor::jobs::webhooks::client();
    let mut sent = 0;
    loop {
        let n = deliver_due(store, &client, "test-node", t.app.state.jobs(), at)
            .await
            .unwrap();
        if n == 0 {
            return sent;
        }
        sent += n;
    }
}

fn check_signature(headers: &HeaderMap, body: &str, secret: &str) {
    assert_eq!(headers["content-type"], "application/json");
    let sig = headers["khobor-signature"].to_str().unwrap();
    assert!(
        webhook::verify(secret, sig, body, now(), 300),
        "signature {sig} does not verify"
    );
    assert!(
        !webhook::verify("whsec_wrong", sig, body, now(), 300),
        "a wrong secret must not verify"
    );
    // Recomputed here from the documented recipe, not with the crate's own verifier.
    use hmac::{Hmac, Mac};
    let (t, v1) = sig.split_once(",v1=").unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    assert_eq!(hex::encode(mac.finalize().into_bytes()), v1);
    let delivery = headers["khobor-delivery"].to_str().unwrap();
    let json: Value = serde_json::from_str(body).unwrap();
    assert_eq!(json["id"].as_i64().unwrap().to_string(), delivery);
    assert_eq!(json["event"], headers["khobor-event"].to_str().unwrap());
}

async fn section_slug(t: &TestApp, id: i64) -> String {
    sqlx::query_scalar(
        "SELECT s.slug FROM articles a JOIN sections s ON s.id = a.section_id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_one(t.app.store().pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn published_updated_unpublished_and_breaking_arrive_signed_in_order_where_subscribed() {
    let t = TestApp::new().await;
    newsroom(&t).await;
    let admin = t.login("admin@khobor.test").await;
    let editor = t.login("editor@khobor.test").await;
    let (all_url, all) = receiver(&[], false).await;
    let (breaking_url, only_breaking) = receiver(&[], false).await;
    let (_, secret) = add_webhook(
        &admin,
        &all_url,
        &["published", "updated", "unpublished", "breaking"],
    )
    .await;
    let (_, breaking_secret) = add_webhook(&admin, &breaking_url, &["breaking"]).await;

    // A draft is nobody's business.
    let id = editor
        .write_story("পদ্মায় নতুন সেতু", "<p>প্রথম খসড়া।</p>", &[])
        .await;
    assert_eq!(drive(&t, now()).await, 0);
    assert!(all.lock().unwrap().requests.is_empty());

    let publish = editor
        .api(
            "POST",
            &format!("/api/v1/admin/articles/{id}/transitions"),
            Some(json!({"action": "publish"})),
        )
        .await;
    assert_eq!(publish.status, StatusCode::OK, "{}", publish.body);
    // The job runs between the steps, as it does within a second on a running server (a
    // payload tells the story as it is when the event is written).
    let mut sent = drive(&t, now()).await;
    let v = editor.version_of(id).await;
    let save = editor
        .post(
            &format!("/newsroom/stories/{id}"),
            &[
                ("version", &v),
                ("headline", "পদ্মায় নতুন সেতু খুলল"),
                ("body", "<p>হালনাগাদ।</p>"),
                ("section_id", "1"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(save.status, StatusCode::SEE_OTHER, "{}", save.body);
    sent += drive(&t, now()).await;
    let unpublish = editor
        .api(
            "POST",
            &format!("/api/v1/admin/articles/{id}/transitions"),
            Some(json!({"action": "unpublish"})),
        )
        .await;
    assert_eq!(unpublish.status, StatusCode::OK, "{}", unpublish.body);
    sent += drive(&t, now()).await;
    // Saving the withdrawn story again is a draft's save: no event.
    let v = editor.version_of(id).await;
    editor
        .post(
            &format!("/newsroom/stories/{id}"),
            &[
                ("version", &v),
                ("headline", "পদ্মায় নতুন সেতু খুলল"),
                ("body", "<p>আবার খসড়া।</p>"),
                ("section_id", "1"),
                ("action", "save"),
            ],
        )
        .await;
    let alert = editor
        .post(
            "/newsroom/breaking",
            &[("text", "ঘূর্ণিঝড় উপকূলে আঘাত হেনেছে"), ("minutes", "60")],
        )
        .await;
    assert_eq!(alert.status, StatusCode::SEE_OTHER, "{}", alert.body);

    sent += drive(&t, now()).await;
    assert_eq!(sent, 5);

    let slug = section_slug(&t, id).await;
    let inbox = all.lock().unwrap().clone();
    assert_eq!(
        inbox.events(),
        ["published", "updated", "unpublished", "breaking"]
    );
    for (headers, body) in &inbox.requests {
        check_signature(headers, body, &secret);
    }
    let bodies = inbox.bodies();
    let ids: Vec<i64> = bodies.iter().map(|b| b["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let story = &bodies[0]["story"];
    assert_eq!(story["id"], id);
    assert_eq!(story["headline"], "পদ্মায় নতুন সেতু");
    assert_eq!(
        story["url"],
        format!(
            "http://khobor.test{}",
            khobor::domain::urls::article(&slug, id)
        )
    );
    assert_eq!(story["status"], "published");
    assert!(story["published_at"].as_str().unwrap().ends_with('Z'));
    assert!(bodies[0]["occurred_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(bodies[1]["story"]["headline"], "পদ্মায় নতুন সেতু খুলল");
    assert_eq!(bodies[2]["story"]["id"], id);
    assert_eq!(bodies[3]["breaking"]["text"], "ঘূর্ণিঝড় উপকূলে আঘাত হেনেছে");
    assert_eq!(bodies[3]["breaking"]["state"], "live");
    assert!(bodies[3]["breaking"]["expires_at"].is_string());

    // Subscribed to breaking news only: the alert and nothing else.
    let inbox = only_breaking.lock().unwrap().clone();
    assert_eq!(inbox.events(), ["breaking"]);
    check_signature(&inbox.requests[0].0, &inbox.requests[0].1, &breaking_secret);

    // Nothing is sent twice.
    assert_eq!(drive(&t, now() + 100_000).await, 0);
    assert_eq!(all.lock().unwrap().requests.len(), 4);
}

#[tokio::test]
async fn a_receiver_failing_twice_gets_a_third_attempt_after_the_backoff_and_later_events_wait() {
    let t = TestApp::new().await;
    newsroom(&t).await;
    let admin = t.login("admin@khobor.test").await;
    let editor = t.login("editor@khobor.test").await;
    let (url, inbox) = receiver(&[500, 500], false).await;
    let (webhook_id, secret) = add_webhook(&admin, &url, &["published"]).await;
    let first = editor
        .write_story("প্রথম খবর", "<p>এক।</p>", &[("action", "publish")])
        .await;
    let start = now();
    assert_eq!(drive(&t, start).await, 1);
    // Not due again before the backoff, however often the job looks.
    assert_eq!(drive(&t, start).await, 0);
    assert_eq!(drive(&t, start + 9).await, 0);
    // A later event for the same URL waits behind the first.
    let second = editor
        .write_story("দ্বিতীয় খবর", "<p>দুই।</p>", &[("action", "publish")])
        .await;
    assert_eq!(drive(&t, start + 9).await, 0);
    assert_eq!(drive(&t, start + 10).await, 1);
    assert_eq!(drive(&t, start + 10 + 29).await, 0);
    // The third attempt succeeds, and the second story follows at once.
    assert_eq!(drive(&t, start + 10 + 30).await, 2);

    let got = inbox.lock().unwrap().clone();
    assert_eq!(got.requests.len(), 4);
    let delivery_ids: Vec<&str> = got
        .requests
        .iter()
        .map(|(h, _)| h["khobor-delivery"].to_str().unwrap())
        .collect();
    assert_eq!(delivery_ids[0], delivery_ids[1]);
    assert_eq!(delivery_ids[1], delivery_ids[2]);
    assert_ne!(delivery_ids[2], delivery_ids[3]);
    // The same bytes every attempt.
    assert_eq!(got.requests[0].1, got.requests[2].1);
    for (h, b) in &got.requests {
        check_signature(h, b, &secret);
    }
    let stories: Vec<i64> = got
        .bodies()
        .iter()
        .map(|b| b["story"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(stories, [first, first, first, second]);

    let log = admin.get(&format!("/newsroom/webhooks/{webhook_id}")).await;
    assert_eq!(log.status, StatusCode::OK);
    let first_row = log
        .body
        .split("<tr data-delivery=")
        .find(|row| row.contains("data-attempt=\"3\""))
        .expect("the first delivery's row with three attempts");
    assert!(
        first_row.contains("data-state=\"delivered\""),
        "{first_row}"
    );
    assert!(first_row.contains("answer 1 with 500"), "{first_row}");
    assert!(first_row.contains("answer 2 with 500"), "{first_row}");
    assert!(first_row.contains("answer 3 with 200"), "{first_row}");
    let jobs = t.app.state.jobs();
    use khobor::jobs::{Job, Outcome};
    assert_eq!(jobs.count(Job::Webhooks, Outcome::Done), 2);
    assert_eq!(jobs.count(Job::Webhooks, Outcome::Failed), 2);

    // The hourly pruning keeps the log for a month.
    let store = t.app.store();
    let retention = t.app.state.config().retention;
    let month = webhook::LOG_DAYS * 86_400;
    khobor::jobs::scheduler::prune(store, retention, now() + month - 3600)
        .await
        .unwrap();
    assert_eq!(
        store
            .webhook_deliveries(webhook_id, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    khobor::jobs::scheduler::prune(store, retention, now() + month + 3600)
        .await
        .unwrap();
    assert!(store
        .webhook_deliveries(webhook_id, 10)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_delivery_given_up_is_sent_again_from_the_log() {
    let t = TestApp::new().await;
    newsroom(&t).await;
    let admin = t.login("admin@khobor.test").await;
    let editor = t.login("editor@khobor.test").await;
    let fails = [503u16; webhook::MAX_ATTEMPTS as usize];
    let (url, inbox) = receiver(&fails, false).await;
    let (webhook_id, _) = add_webhook(&admin, &url, &["published"]).await;
    editor
        .write_story("ব্যর্থ খবর", "<p>এক।</p>", &[("action", "publish")])
        .await;
    let mut at = now();
    for _ in 0..webhook::MAX_ATTEMPTS {
        assert_eq!(drive(&t, at).await, 1);
        at += 4 * 3600;
    }
    assert_eq!(drive(&t, at).await, 0, "given up after the last attempt");
    let deliveries = t
        .app
        .store()
        .webhook_deliveries(webhook_id, 10)
        .await
        .unwrap();
    assert_eq!(deliveries[0].state, "failed");
    assert_eq!(deliveries[0].attempts, webhook::MAX_ATTEMPTS);
    assert_eq!(deliveries[0].response_status, Some(503));

    let log = admin.get(&format!("/newsroom/webhooks/{webhook_id}")).await;
    log.assert_contains("আবার পাঠান");
    let path = format!(
        "/newsroom/webhooks/{webhook_id}/deliveries/{}/redeliver",
        deliveries[0].id
    );
    // Not without the form's token.
    assert_eq!(
        admin.post_raw(&path, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let again = admin.post(&path, &[]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(drive(&t, now()).await, 1);
    let d = &t
        .app
        .store()
        .webhook_deliveries(webhook_id, 10)
        .await
        .unwrap()[0];
    assert_eq!(d.state, "delivered");
    assert_eq!(inbox.lock().unwrap().requests.len(), 9);
    // Only a failed delivery can be sent again.
    assert_eq!(admin.post(&path, &[]).await.status, StatusCode::NOT_FOUND);
    let audit = admin.get("/newsroom/audit").await;
    audit.assert_contains("webhook.redeliver");
}

/// Publishes a story through the admin API of the node at `base`; its id.
async fn publish(base: &str, token: &str, headline: &str) -> i64 {
    let client = reqwest::Client::new();
    let made: Value = client
        .post(format!("{base}/api/v1/admin/articles"))
        .bearer_auth(token)
        .json(&json!({
            "headline": headline,
            "section": "national",
            "body_html": format!("<p>{headline}। বিস্তারিত আসছে।</p>"),
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = made["article"]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("story made: {made}"));
    let moved = client
        .post(format!("{base}/api/v1/admin/articles/{id}/transitions"))
        .bearer_auth(token)
        .json(&json!({"action": "publish"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        moved.status(),
        StatusCode::OK,
        "{}",
        moved.text().await.unwrap()
    );
    id
}

/// Whether every delivery in the store is delivered, and how many there are.
async fn all_delivered(store: &khobor::storage::Store) -> (bool, i64) {
    let (pending, total): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN state <> 'delivered' THEN 1 ELSE 0 END), 0), COUNT(*) \
         FROM webhook_deliveries",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    (pending == 0, total)
}

#[tokio::test]
async fn events_made_while_no_node_ran_the_job_or_claimed_by_a_node_that_died_arrive_once() {
    let t = TestApp::new().await;
    newsroom(&t).await;
    let admin = t.login("admin@khobor.test").await;
    let editor = t.login("editor@khobor.test").await;
    let (url, inbox) = receiver(&[], false).await;
    let (_, secret) = add_webhook(&admin, &url, &["published"]).await;
    let store = t.app.store().clone();

    // A node follows the feed for the first story, claims its delivery and dies before
    // sending it (its claim and lease have run out since).
    let first = editor
        .write_story("প্রথম খবর", "<p>এক।</p>", &[("action", "publish")])
        .await;
    assert_eq!(
        follow_once(&store, "http://khobor.test", "dead-node")
            .await
            .unwrap(),
        1
    );
    let claimed = store
        .claim_webhook_deliveries("dead-node", now(), 60, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    // Its claim and its lease run out.
    sqlx::query("UPDATE webhook_deliveries SET claimed_until = $1")
        .bind(now() - 1)
        .execute(store.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE job_leases SET lease_until = 0 WHERE name = $1")
        .bind(LEASE)
        .execute(store.pool())
        .await
        .unwrap();
    // The second story is published while no node runs the job at all.
    let second = editor
        .write_story("দ্বিতীয় খবর", "<p>দুই।</p>", &[("action", "publish")])
        .await;
    assert!(inbox.lock().unwrap().requests.is_empty());

    let TestApp {
        app,
        dir: _dir,
        db: _db,
    } = t;
    let node = Served::start(app).await;
    eventually("both stories delivered", || async {
        all_delivered(&store).await == (true, 2)
    })
    .await;
    let got = inbox.lock().unwrap().clone();
    assert_eq!(got.events(), ["published", "published"]);
    let stories: Vec<i64> = got
        .bodies()
        .iter()
        .map(|b| b["story"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(stories, [first, second]);
    for (h, b) in &got.requests {
        check_signature(h, b, &secret);
    }
    // The dead node's late answer is refused: the delivery was not its any more.
    let late = store
        .finish_webhook_attempt(
            claimed[0].id,
            "dead-node",
            &khobor::storage::webhooks::AttemptResult {
                at: now(),
                status: Some(200),
                excerpt: None,
                error: None,
                duration_ms: 1,
                state: "delivered",
                next_attempt_at: now(),
            },
        )
        .await
        .unwrap();
    assert!(!late);
    assert_eq!(all_delivered(&store).await, (true, 2));
    node.stop().await;
}

#[tokio::test]
async fn two_nodes_on_one_store_send_each_event_once() {
    let a = TestApp::on_postgres().await;
    newsroom(&a).await;
    let admin = a.login("admin@khobor.test").await;
    let (url, inbox) = receiver(&[], false).await;
    add_webhook(&admin, &url, &["published"]).await;
    let token = admin.new_api_token("ডেস্ক", "editor").await;
    let store = a.app.store().clone();
    let (b_app, _b_dir) = a.another_node().await;
    let TestApp {
        app: a_app,
        dir: _a_dir,
        db: _db,
    } = a;
    let node_a = Served::start(a_app).await;
    let node_b = Served::start(b_app).await;
    let mut ids = Vec::new();
    for n in 0..6 {
        let base = if n % 2 == 0 {
            &node_a.base
        } else {
            &node_b.base
        };
        ids.push(publish(base, &token, &format!("দুই সার্ভারের খবর {n}")).await);
    }
    eventually("every story delivered", || async {
        all_delivered(&store).await == (true, 6)
    })
    .await;
    let got: Vec<i64> = inbox
        .lock()
        .unwrap()
        .bodies()
        .iter()
        .map(|b| b["story"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(got, ids, "each once, in the order published");
    node_a.stop().await;
    node_b.stop().await;
}

#[tokio::test]
async fn a_publish_never_waits_for_a_receiver_that_hangs() {
    let t = TestApp::new().await;
    newsroom(&t).await;
    let admin = t.login("admin@khobor.test").await;
    let (url, inbox) = receiver(&[], true).await;
    add_webhook(&admin, &url, &["published"]).await;
    let token = admin.new_api_token("ডেস্ক", "editor").await;
    let TestApp {
        app,
        dir: _dir,
        db: _db,
    } = t;
    let node = Served::start(app).await;

    publish(&node.base, &token, "প্রথম খবর").await;
    eventually("the receiver holds the first delivery", || async {
        inbox.lock().unwrap().requests.len() == 1
    })
    .await;
    // The receiver has not answered, and the next publish answers all the same.
    publish(&node.base, &token, "দ্বিতীয় খবর").await;
    publish(&node.base, &token, "তৃতীয় খবর").await;
    let got = inbox.lock().unwrap().clone();
    assert_eq!(got.answered, 0);
    // And the later deliveries wait behind the first, in order.
    assert_eq!(got.requests.len(), 1);
    node.stop().await;
}

#[tokio::test]
async fn only_admins_register_webhooks_and_bad_urls_save_nothing() {
    let t = TestApp::new().await;
    newsroom(&t).await;
    let admin = t.login("admin@khobor.test").await;
    let editor = t.login("editor@khobor.test").await;
    let reporter = t.login("reporter@khobor.test").await;
    let fields = [("url", "https://example.com/hooks"), ("ev_published", "on")];
    for desk in [&editor, &reporter] {
        assert_eq!(
            desk.get("/newsroom/webhooks").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            desk.post("/newsroom/webhooks", &fields).await.status,
            StatusCode::FORBIDDEN
        );
    }
    // The admin navigation links the page, for admins only.
    admin
        .get("/newsroom/")
        .await
        .assert_contains("href=\"/newsroom/webhooks\"");
    assert!(!editor
        .get("/newsroom/")
        .await
        .body
        .contains("href=\"/newsroom/webhooks\""));
    // No CSRF token, nothing saved.
    let mut raw = vec![("csrf", "not-the-token")];
    raw.extend_from_slice(&fields);
    assert_eq!(
        admin.post_raw("/newsroom/webhooks", &raw).await.status,
        StatusCode::FORBIDDEN
    );
    let long = format!("https://example.com/{}", "ক".repeat(600));
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let bad: &[Case] = &[
        ("", &[("ev_published", "on")], "ঠিকানা দিন"),
        ("ftp://example.com/x", &[("ev_published", "on")], "http://"),
        ("/hooks", &[("ev_published", "on")], "http://"),
        ("javascript:alert(1)", &[("ev_published", "on")], "http://"),
        (
            "https://name:secret@example.com/x",
            &[("ev_published", "on")],
            "পাসওয়ার্ড",
        ),
        (long.as_str(), &[("ev_published", "on")], "৫০০"),
        ("https://example.com/x", &[], "অন্তত একটি"),
        (
            "https://example.com/x",
            &[("ev_everything", "on")],
            "অন্তত একটি",
        ),
    ];
    for (url, events, message) in bad {
        let mut f = vec![("url", *url)];
        f.extend_from_slice(events);
        let page = admin.post("/newsroom/webhooks", &f).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert!(
            page.body.contains("id=\"webhook-error\"") && page.body.contains(message),
            "{url}: {}",
            page.body
        );
    }
    assert!(t.app.store().webhooks().await.unwrap().is_empty());

    // Made, the secret shown once; afterwards only its start.
    let (id, secret) = add_webhook(&admin, "https://example.com/hooks", &["published"]).await;
    let list = admin.get("/newsroom/webhooks").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.body.contains(&secret));
    list.assert_contains(&secret[..10]);
    list.assert_contains("https://example.com/hooks");

    // Switched off, it gets no deliveries.
    let off = admin
        .post(
            &format!("/newsroom/webhooks/{id}/active"),
            &[("active", "0")],
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    editor
        .write_story("বন্ধ থাকার সময়ের খবর", "<p>এক।</p>", &[("action", "publish")])
        .await;
    assert_eq!(
        follow_once(t.app.store(), "http://khobor.test", "test-node")
            .await
            .unwrap(),
        0
    );
    let on = admin
        .post(
            &format!("/newsroom/webhooks/{id}/active"),
            &[("active", "1")],
        )
        .await;
    assert_eq!(on.status, StatusCode::SEE_OTHER);
    let gone = admin
        .post(&format!("/newsroom/webhooks/{id}/delete"), &[])
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert!(t.app.store().webhooks().await.unwrap().is_empty());
    let audit = admin.get("/newsroom/audit").await;
    for action in [
        "webhook.create",
        "webhook.disable",
        "webhook.enable",
        "webhook.delete",
    ] {
        audit.assert_contains(action);
    }
}
