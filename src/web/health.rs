//! `/healthz` (the process is alive and answering) and `/readyz` (every part a reader's
//! request needs works: the store reachable and writable, its schema the one this binary
//! expects, the search index following the store, the store's content not lost). Both are
//! for load balancers and monitors: never cached, never compressed into the page cache.

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::datadir;
use crate::search::{Position, Recorded};
use crate::storage::identity::expected_schema_version;

use super::AppState;

/// How long a part may take to answer before it counts as unreachable.
const PART_TIMEOUT: Duration = Duration::from_secs(2);

const NO_STORE: (header::HeaderName, &str) = (header::CACHE_CONTROL, "no-store");

pub async fn healthz() -> Response {
    ([NO_STORE], "ok").into_response()
}

#[derive(Serialize)]
struct Readiness {
    ready: bool,
    store: StorePart,
    schema: SchemaPart,
    search: SearchPart,
    content: ContentPart,
}

#[derive(Serialize)]
struct StorePart {
    ok: bool,
    reachable: bool,
    writable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct SchemaPart {
    ok: bool,
    version: Option<i64>,
    expected: i64,
}

#[derive(Serialize)]
struct SearchPart {
    ok: bool,
    /// Changes in the feed the index has not applied yet (none while it is being rebuilt).
    lag: Option<i64>,
    rebuilding: bool,
    /// Why the index is not ready yet, when it is on its way (rebuilding, or catching up
    /// after a restore from a snapshot).
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct ContentPart {
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
}

async fn timed<T, E: std::fmt::Display>(
    f: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(PART_TIMEOUT, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} s", PART_TIMEOUT.as_secs())),
    }
}

/// The last change the search index applied, when it has a place in the feed: not while it is
/// being rebuilt (the feed position it will take is recorded only when the rebuild is done)
/// nor when its record cannot be read. Shared by `/readyz` and `/metrics`.
pub fn position_in_feed(recorded: &Recorded) -> Option<i64> {
    match recorded {
        Recorded::Legacy(seq) | Recorded::Position(Position::At { seq, .. }) => Some(*seq),
        _ => None,
    }
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    let store = state.store();
    let config = state.config();

    let has_stories = timed(store.has_stories()).await;
    let writable = datadir::check_writable(&config.data_dir)
        .and_then(|()| match &config.store {
            crate::storage::Location::Sqlite(db) => datadir::check_file_writable(db),
            // PostgreSQL's writability shows in the store's own answers.
            crate::storage::Location::Postgres(_) => Ok(()),
        })
        .map_err(|e| e.to_string());
    let store_part = StorePart {
        ok: has_stories.is_ok() && writable.is_ok(),
        reachable: has_stories.is_ok(),
        writable: writable.is_ok(),
        error: has_stories
            .as_ref()
            .err()
            .or(writable.as_ref().err())
            .cloned(),
    };

    let version = timed(store.schema_version()).await.ok();
    let expected = expected_schema_version();
    let schema = SchemaPart {
        ok: version == Some(expected),
        version,
        expected,
    };

    let recorded = state.search().recorded().map_err(|e| e.to_string());
    let position = recorded.as_ref().ok().and_then(position_in_feed);
    let rebuilding = position.is_none();
    let newest = timed(store.last_change_seq()).await;
    let lag = match (&newest, position) {
        (Ok(newest), Some(applied)) => Some((newest - applied).max(0)),
        _ => None,
    };
    let search_error = state
        .indexer()
        .last_error()
        .or(recorded.err())
        .or(datadir::check_writable(&config.search_dir())
            .err()
            .map(|e| e.to_string()));
    // A node restored from a snapshot is ready only once it has replayed the feed since.
    let behind = state.indexer().behind_after_restore(lag);
    let reason = if rebuilding {
        Some("search: rebuilding the index from the store".to_owned())
    } else {
        behind.map(|seq| {
            let n = lag.map_or_else(|| "some".to_owned(), |n| n.to_string());
            format!("search: {n} changes behind (restored from a snapshot at feed position {seq})")
        })
    };
    let search = SearchPart {
        ok: reason.is_none() && search_error.is_none(),
        lag,
        rebuilding,
        reason,
        error: search_error,
    };

    let lost = state
        .indexer()
        .content_lost()
        .filter(|_| !matches!(has_stories, Ok(true)));
    let content = ContentPart {
        ok: lost.is_none(),
        warning: lost.map(|docs| {
            format!("the store has no stories but the search index held {docs} at start: khobor.db was lost or replaced by an empty database; restore it from a backup")
        }),
    };

    let ready = store_part.ok && schema.ok && search.ok && content.ok;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Readiness {
        ready,
        store: store_part,
        schema,
        search,
        content,
    };
    (status, [NO_STORE], Json(body)).into_response()
}
