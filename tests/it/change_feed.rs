//! The change feed as followers on other nodes read it: `seq > last applied`, so a change
//! that commits after one with a higher sequence would be passed over for good. These run on
//! the suite's store (SQLite, or PostgreSQL with `KHOBOR_TEST_POSTGRES`).

use std::collections::BTreeSet;
use std::sync::Arc;

use khobor::storage::{changes, Store};

use crate::helpers::{eventually, TestApp};

/// Appends one change in a transaction of its own that stays open until `hold` resolves.
async fn write_change<F: std::future::Future<Output = ()>>(store: &Store, id: i64, hold: F) {
    let mut tx = store.begin().await.unwrap();
    changes::append(&mut tx, "test.race", "test", id)
        .await
        .unwrap();
    hold.await;
    store.commit(tx).await.unwrap();
}

#[tokio::test]
async fn a_follower_never_passes_over_a_change_that_commits_late() {
    let t = TestApp::new().await;
    let store = t.app.store().clone();
    let start = store.last_change_seq().await.unwrap();

    // Slow and fast writers race: each slow one keeps its transaction open (after its
    // sequence was handed out) until several fast ones have been started behind it.
    let writers = 6;
    let per_writer = 20;
    let done = Arc::new(tokio::sync::Semaphore::new(0));
    let mut tasks = Vec::new();
    for w in 0..writers {
        let store = store.clone();
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..per_writer {
                let id = w * 1000 + i;
                if w % 2 == 0 {
                    // Slow: stays open across many scheduler turns.
                    write_change(&store, id, async {
                        for _ in 0..50 {
                            tokio::task::yield_now().await;
                        }
                    })
                    .await;
                } else {
                    write_change(&store, id, async {}).await;
                }
            }
            done.add_permits(1);
        }));
    }

    // A follower reads as a node does, remembering only the last sequence it applied.
    let mut applied = start;
    let mut seen: Vec<i64> = Vec::new();
    loop {
        let finished = done.available_permits() == writers as usize;
        for c in store.changes_since(applied, 1000).await.unwrap() {
            seen.push(c.seq);
            applied = c.seq;
        }
        if finished {
            break;
        }
        tokio::task::yield_now().await;
    }
    for task in tasks {
        task.await.unwrap();
    }
    for c in store.changes_since(applied, 1000).await.unwrap() {
        seen.push(c.seq);
    }

    let all: Vec<i64> = sqlx::query_scalar("SELECT seq FROM changes WHERE seq > $1 ORDER BY seq")
        .bind(start)
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(all.len(), (writers * per_writer) as usize);
    let unique: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no change applied twice");
    assert_eq!(
        seen, all,
        "the follower saw every committed change, in order, none passed over"
    );
}

#[tokio::test]
async fn a_follower_is_woken_by_a_change_committed_elsewhere() {
    let t = TestApp::new().await;
    // A second handle on the same store, as another node (or `khobor import`) has.
    let other = Store::open(&t.app.state.config().store).await.unwrap();
    let mut signal = t.app.store().change_signal();
    signal.borrow_and_update();
    let before = t.app.store().last_change_seq().await.unwrap();
    write_change(&other, 1, async {}).await;
    if t.db.is_some() {
        // PostgreSQL: the other handle's commit is NOTIFYed to this one.
        eventually("the notification arrives", || {
            let signal = signal.clone();
            async move { signal.has_changed().unwrap_or(false) }
        })
        .await;
    }
    // Either way the feed itself has it for the follower to read.
    let after = t.app.store().changes_since(before, 10).await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].kind, "test.race");
    other.close().await;
}

/// The node's LISTEN connection as PostgreSQL sees it: its backend's pid, if connected.
async fn listener_pid(store: &Store, database: &str) -> Option<i64> {
    sqlx::query_scalar::<_, i64>(
        "SELECT pid::bigint FROM pg_stat_activity WHERE application_name = $1 AND datname = $2",
    )
    .bind(changes::LISTENER_NAME)
    .bind(database)
    .fetch_optional(store.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_node_whose_listen_connection_is_killed_listens_again_and_catches_up() {
    let t = TestApp::on_postgres().await;
    let database = t.db.as_ref().unwrap().name.clone();
    let store = t.app.store().clone();
    let mut signal = store.change_signal();
    eventually("the node LISTENs", || {
        let (store, database) = (store.clone(), database.clone());
        async move { listener_pid(&store, &database).await.is_some() }
    })
    .await;
    let first = listener_pid(&store, &database).await.unwrap();
    let page = t.get("/latest").await;
    assert_eq!(page.status, axum::http::StatusCode::OK);

    // The connection is cut from the server's side, as a failover or a proxy would.
    signal.borrow_and_update();
    let killed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT pg_terminate_backend($1::integer)) k")
            .bind(first)
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(killed, 1);
    // Back on a new connection, the node wakes its followers to catch up.
    eventually("a new LISTEN connection", || {
        let (store, database) = (store.clone(), database.clone());
        async move {
            listener_pid(&store, &database)
                .await
                .is_some_and(|p| p != first)
        }
    })
    .await;
    eventually("the followers are woken after reconnecting", || {
        let signal = signal.clone();
        async move { signal.has_changed().unwrap_or(false) }
    })
    .await;

    // Listening again: a story another node imports wakes this one by notification, and
    // its page cache shows it.
    signal.borrow_and_update();
    let other = Store::open(&t.app.state.config().store).await.unwrap();
    let report = khobor::import::import_jsonl_reader(
        &other,
        format!("{}\n", crate::helpers::stories("খেলা", 1, 1)[0]).as_bytes(),
        chrono_tz::Asia::Dhaka,
        khobor::domain::bijoy::BijoyMode::Auto,
    )
    .await
    .unwrap();
    assert_eq!(report.inserted, 1);
    eventually("notified of the other node's change", || {
        let signal = signal.clone();
        async move { signal.has_changed().unwrap_or(false) }
    })
    .await;
    let headline = crate::helpers::stories("খেলা", 1, 1)[0]["title"]
        .as_str()
        .unwrap()
        .to_owned();
    // What the cache's follower does when woken (this in-process app runs no background
    // jobs): it applies the feed from its last position.
    t.app.state.cache().catch_up(t.app.store()).await.unwrap();
    assert!(t.get("/latest").await.body.contains(&headline));
    other.close().await;
}
