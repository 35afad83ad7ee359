//! The reader site: server-rendered Bengali pages that work without JavaScript.

pub mod article;
pub mod breaking;
pub mod cards;
pub mod corrections;
pub mod home;
pub mod lists;
pub mod live;
pub mod most_read;
pub mod places;
pub mod search;

use serde::Deserialize;

use crate::storage::articles::{Cursor, Filter};

use super::view::CardView;
use super::{AppState, WebError};

/// Stories per list page.
pub const PAGE_SIZE: i64 = 20;
/// Stories in the সর্বশেষ (latest) list beside every article.
pub const LATEST_SIZE: i64 = 20;

/// `?before=…`: where an "older stories" page starts.
#[derive(Debug, Deserialize)]
pub struct Paging {
    before: Option<String>,
}

impl Paging {
    pub fn cursor(&self) -> Result<Option<Cursor>, WebError> {
        match self.before.as_deref() {
            None | Some("") => Ok(None),
            Some(s) => Cursor::parse(s).map(Some).ok_or_else(|| {
                WebError::BadRequest(format!(
                    "পাতার ঠিকানায় before={s} সঠিক নয়। প্রথম পাতা থেকে আবার দেখুন।"
                ))
            }),
        }
    }
}

/// The newest published stories as cards, skipping `except` (the story being read).
pub async fn latest_cards(
    state: &AppState,
    n: i64,
    except: Option<i64>,
    now: i64,
) -> Result<Vec<CardView>, WebError> {
    let cards = state
        .store()
        .list_published(Filter::All, None, n + 1)
        .await?;
    Ok(cards
        .iter()
        .filter(|c| Some(c.id) != except)
        .take(n as usize)
        .map(|c| CardView::new(c, state.tz(), now, state.media_base()))
        .collect())
}
