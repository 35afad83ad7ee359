//! The home page: the lead story, the next top stories, the latest list and a block per section.

use axum::extract::State;
use axum::response::Html;
use serde::Serialize;

use crate::storage::articles::Filter;
use crate::storage::now;
use crate::web::http_cache::CacheTags;
use crate::web::view::{CardView, SectionView};
use crate::web::{AppState, WebError};

use super::latest_cards;

#[derive(Serialize)]
struct SectionBlock {
    section: SectionView,
    cards: Vec<CardView>,
}

pub async fn home(State(state): State<AppState>) -> Result<(CacheTags, Html<String>), WebError> {
    let now = now();
    let top = latest_cards(&state, 15, None, now).await?;
    let (lead, rest) = match top.split_first() {
        Some((lead, rest)) => (Some(lead.clone()), rest.to_vec()),
        None => (None, Vec::new()),
    };
    let (top_stories, latest) = rest.split_at(rest.len().min(4));
    let mut blocks = Vec::new();
    for section in state.store().sections().await? {
        let cards = state
            .store()
            .list_published(Filter::Section(section.id), None, 5)
            .await?;
        if !cards.is_empty() {
            blocks.push(SectionBlock {
                section: SectionView::from(&section),
                cards: CardView::list(&cards, state.tz(), now),
            });
        }
    }
    let html = state
        .render(
            "home.html",
            now,
            minijinja::context! {
                lead => lead, top => top_stories, latest => latest, blocks => blocks,
            },
        )
        .await?;
    Ok((CacheTags::new(["home", "latest"]), Html(html)))
}
