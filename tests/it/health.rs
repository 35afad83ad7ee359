//! `/healthz` and `/readyz`: what a load balancer asks, never cached; the search index's lag;
//! a store that lost its content while the search index still holds stories.

use axum::http::{header, StatusCode};

use crate::helpers::{open_data_dir, stories, Page, TestApp};

#[track_caller]
fn assert_never_cached(page: &Page) {
    assert_eq!(
        page.headers
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok()),
        Some("no-store"),
        "{:?}",
        page.headers
    );
}

#[tokio::test]
async fn a_new_paper_is_alive_and_ready_and_neither_answer_is_cached() {
    let t = TestApp::new().await;
    let alive = t.get("/healthz").await;
    assert_eq!(alive.status, StatusCode::OK);
    assert_eq!(alive.body, "ok");
    assert_never_cached(&alive);

    let ready = t.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
    assert_never_cached(&ready);
    let v = ready.json();
    assert_eq!(v["ready"], true, "{v}");
    assert_eq!(v["store"]["ok"], true, "{v}");
    assert_eq!(v["store"]["writable"], true, "{v}");
    assert_eq!(v["schema"]["ok"], true, "{v}");
    assert_eq!(v["schema"]["version"], v["schema"]["expected"], "{v}");
    assert_eq!(v["search"]["ok"], true, "{v}");
    assert_eq!(v["search"]["lag"], 0, "{v}");
    assert_eq!(v["content"]["ok"], true, "{v}");
    // Asked again, it is answered again, not from the page cache.
    let again = t.get("/readyz").await;
    assert_ne!(
        again.headers.get("x-cache").and_then(|v| v.to_str().ok()),
        Some("hit")
    );
}

#[tokio::test]
async fn readiness_reports_how_far_the_search_index_is_behind_the_store() {
    let t = TestApp::new().await;
    t.import(&stories("খেলা", 1, 3)).await;
    let behind = t.app.store().last_change_seq().await.unwrap();
    assert!(behind >= 3);
    let v = t.get("/readyz").await.json();
    assert_eq!(v["search"]["lag"], behind, "{v}");
    t.app.sync_search().await.unwrap();
    let v = t.get("/readyz").await.json();
    assert_eq!(v["search"]["lag"], 0, "{v}");
}

/// A paper of three indexed stories, closed, its database then removed (`empty`: false) or
/// left as an empty file (`empty`: true), and opened again.
async fn lose_the_database(empty: bool) -> TestApp {
    // Losing the file is how an SQLite store goes missing.
    let t = TestApp::on_sqlite().await;
    t.import(&stories("খেলা", 1, 3)).await;
    t.app.sync_search().await.unwrap();
    assert_eq!(t.app.state.search().num_docs(), 3);
    let TestApp { app, dir, db: _db } = t;
    app.store().close().await;
    drop(app);
    let data = dir.path().to_path_buf();
    for name in ["khobor.db", "khobor.db-wal", "khobor.db-shm"] {
        let _ = std::fs::remove_file(data.join(name));
    }
    if empty {
        std::fs::write(data.join("khobor.db"), b"").unwrap();
    }
    open_data_dir(dir, &data).await
}

async fn assert_lost_content_reported(t: &TestApp) {
    let ready = t.get("/readyz").await;
    assert_eq!(
        ready.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        ready.body
    );
    assert_never_cached(&ready);
    let v = ready.json();
    assert_eq!(v["ready"], false, "{v}");
    assert_eq!(v["content"]["ok"], false, "{v}");
    let warning = v["content"]["warning"].as_str().unwrap();
    assert!(warning.contains("khobor.db"), "{warning}");
    assert!(
        warning.contains('3'),
        "names what the index held: {warning}"
    );
    // The index no longer offers stories the store does not have.
    let found = t
        .get("/api/v1/search?q=%E0%A6%AA%E0%A6%B0%E0%A7%80%E0%A6%95%E0%A7%8D%E0%A6%B7%E0%A6%BE")
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert_eq!(found.json()["total"], 0, "{}", found.body);
}

#[tokio::test]
async fn a_deleted_database_with_an_index_present_is_reported_until_stories_return() {
    let t = lose_the_database(false).await;
    assert_lost_content_reported(&t).await;

    // Stories back in the store (restored or re-imported): ready again once indexed.
    t.import(&stories("খেলা", 1, 3)).await;
    t.app.sync_search().await.unwrap();
    let ready = t.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
}

#[tokio::test]
async fn an_empty_database_file_with_an_index_present_is_reported() {
    let t = lose_the_database(true).await;
    assert_lost_content_reported(&t).await;
}
