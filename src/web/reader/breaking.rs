//! Breaking news on the reader site. `/breaking.json` lists the live alerts; every page loads
//! `static/breaking.js`, which asks for it once and, only while an alert is live, again every
//! `poll_seconds`, and hides each alert at its expiry. The home page also draws the alerts on
//! the server, so a reader without JavaScript sees them there. Both carry the `breaking` key:
//! putting up, taking down or the expiry of an alert (noted by the scheduler) purges those two
//! and nothing else, in every node's cache and at the CDN.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Json, Response};
use serde::Serialize;
use serde_json::json;

use crate::domain::urls;
use crate::storage::breaking::Breaking;
use crate::storage::now;
use crate::web::http_cache::CacheTags;
use crate::web::view::DateView;
use crate::web::{AppState, WebError};

/// How often a page with a live alert asks again, in seconds.
pub const POLL_SECONDS: i64 = 30;

/// An alert as pages and the JSON show it.
#[derive(Debug, Clone, Serialize)]
pub struct BreakingView {
    pub id: i64,
    pub text: String,
    /// The story's page, when the alert points at a published one.
    pub url: Option<String>,
    pub expires_at: i64,
    pub expires: String,
}

impl BreakingView {
    pub fn new(state: &AppState, b: &Breaking, at: i64) -> BreakingView {
        BreakingView {
            id: b.id,
            text: b.text.clone(),
            url: match (&b.section_slug, b.article_id) {
                (Some(slug), Some(id)) => Some(urls::article(slug, id)),
                _ => None,
            },
            expires_at: b.expires_at,
            expires: DateView::new(b.expires_at, state.tz(), at).iso,
        }
    }
}

/// The live alerts, newest first.
pub async fn live(state: &AppState, at: i64) -> Result<Vec<BreakingView>, WebError> {
    Ok(state
        .store()
        .live_breaking(at)
        .await?
        .iter()
        .map(|b| BreakingView::new(state, b, at))
        .collect())
}

/// `/breaking.json`: `{"items": [...], "poll_seconds": 30}`.
pub async fn json(State(state): State<AppState>) -> Result<Response, WebError> {
    let items = live(&state, now()).await?;
    // No stale-while-revalidate: a browser would show the alerts it had before for a while
    // (a CDN is purged by key, so it may keep the answer `s_maxage`).
    let cache_control = format!(
        "public, max-age=0, s-maxage={}",
        state.config().cache.s_maxage
    );
    Ok((
        CacheTags(vec!["breaking".into()]),
        [(header::CACHE_CONTROL, cache_control)],
        Json(json!({ "items": items, "poll_seconds": POLL_SECONDS })),
    )
        .into_response())
}
