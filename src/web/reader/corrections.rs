//! `/corrections`: every correction and update note on a published story, newest first, each
//! with its story, keyset-paginated (`?before=TIME-ID`).

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::storage::now;
use crate::web::http_cache::CacheTags;
use crate::web::view::CorrectionView;
use crate::web::{AppState, WebError};

/// Notes a page lists.
const PAGE_SIZE: i64 = 50;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Paging {
    before: Option<String>,
}

/// `TIME-ID` of the last note on the page before.
fn parse_before(s: &str) -> Option<(i64, i64)> {
    let (t, id) = s.split_once('-')?;
    Some((t.parse().ok()?, id.parse().ok()?))
}

pub async fn list(
    State(state): State<AppState>,
    Query(paging): Query<Paging>,
) -> Result<Response, WebError> {
    let before = match paging.before.as_deref() {
        None => None,
        Some(s) => Some(parse_before(s).ok_or(WebError::NotFound)?),
    };
    let mut notes = state
        .store()
        .recent_corrections(before, PAGE_SIZE + 1)
        .await?;
    if notes.is_empty() && before.is_some() {
        return Err(WebError::NotFound);
    }
    let older = (notes.len() as i64 > PAGE_SIZE).then(|| {
        notes.truncate(PAGE_SIZE as usize);
        let last = notes.last().expect("a full page");
        format!("/corrections?before={}-{}", last.created_at, last.id)
    });
    let now = now();
    let mut tags = vec!["corrections".to_owned()];
    tags.extend(notes.iter().map(|c| format!("article:{}", c.article_id)));
    tags.sort();
    tags.dedup();
    let views: Vec<CorrectionView> = notes
        .iter()
        .map(|c| CorrectionView::new(c, state.tz(), now))
        .collect();
    let html = state
        .render(
            "corrections.html",
            now,
            minijinja::context! { corrections => views, older => older, first_page => before.is_none() },
        )
        .await?;
    Ok((CacheTags(tags), Html(html)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_is_time_and_id() {
        assert_eq!(parse_before("1765000000-42"), Some((1_765_000_000, 42)));
        assert_eq!(parse_before("42"), None);
        assert_eq!(parse_before("x-1"), None);
    }
}
