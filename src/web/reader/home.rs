//! The home page: the lead story, the next top stories, the latest list and a block per section.

use axum::extract::{OriginalUri, State};
use axum::response::{Html, IntoResponse, Response};

use crate::domain::Section;
use crate::storage::articles::Filter;
use crate::storage::now;
use crate::web::cache::Fragment;
use crate::web::http_cache::CacheTags;
use crate::web::view::{CardView, SectionView};
use crate::web::{AppState, WebError};

use super::latest_cards;

/// The home page, or a 301 for an imported site's `/?p=ID` link. Each section's block is a
/// cached fragment tagged with the section and the stories it shows, so a publish in one
/// section renders only that block again.
pub async fn home(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, WebError> {
    if let Some(query) = uri.query() {
        let key = crate::domain::urls::redirect_key("/", Some(query));
        if key != "/" {
            if let Some(to) = super::article::old_link(&state, "/", Some(query)).await? {
                return Ok(super::article::moved_permanently(&to));
            }
        }
    }
    Ok(front_page(&state).await?.into_response())
}

async fn front_page(state: &AppState) -> Result<(CacheTags, Html<String>), WebError> {
    let state = state.clone();
    let now = now();
    let top = latest_cards(&state, 15, None, now).await?;
    let (lead, rest) = match top.split_first() {
        Some((lead, rest)) => (Some(lead.clone()), rest.to_vec()),
        None => (None, Vec::new()),
    };
    let (top_stories, latest) = rest.split_at(rest.len().min(4));
    let mut tags = vec![
        "home".to_owned(),
        "latest".to_owned(),
        "breaking".to_owned(),
    ];
    let breaking = super::breaking::live(&state, now).await?;
    let most_read = super::most_read::beside(&state, None).await?;
    tags.extend(most_read.tags.iter().cloned());
    let district = state
        .cache()
        .fragment("district-picker", || district_picker(&state))
        .await?;
    if let Some(d) = &district {
        tags.extend(d.tags.iter().cloned());
    }
    let mut blocks = Vec::new();
    for section in state.cache().sections(state.store()).await?.iter().cloned() {
        let block = state
            .cache()
            .fragment(&format!("home-block:{}", section.id), || {
                section_block(&state, section, now)
            })
            .await?;
        if let Some(block) = block {
            tags.extend(block.tags.iter().cloned());
            blocks.push(block.html.clone());
        }
    }
    let html = state
        .render(
            "home.html",
            now,
            minijinja::context! {
                lead => lead, top => top_stories, latest => latest, blocks => blocks,
                breaking => breaking, most_read => most_read.html,
                district => district.map(|d| d.html.clone()),
            },
        )
        .await?;
    tags.sort();
    tags.dedup();
    Ok((CacheTags(tags), Html(html)))
}

/// The district picker: the same for every reader (their choice is read by the browser from
/// its cookie, see `places`), so the home page is still one cached page.
async fn district_picker(state: &AppState) -> Result<Option<Fragment>, WebError> {
    let divisions = super::places::district_options(state).await?;
    if divisions.is_empty() {
        return Ok(None);
    }
    let html = state.render_part(
        "fragments/district.html",
        minijinja::context! { divisions => divisions },
    )?;
    Ok(Some(Fragment {
        html,
        tags: vec!["places".to_owned()],
        canonical: None,
    }))
}

async fn section_block(
    state: &AppState,
    section: Section,
    now: i64,
) -> Result<Option<Fragment>, WebError> {
    let cards = state
        .store()
        .list_published(Filter::Section(section.id), None, 5)
        .await?;
    if cards.is_empty() {
        return Ok(None);
    }
    let mut tags = vec![format!("section:{}", section.id)];
    tags.extend(cards.iter().map(|c| format!("article:{}", c.id)));
    let html = state.render_part(
        "fragments/section_block.html",
        minijinja::context! {
            section => SectionView::from(&section),
            cards => CardView::list(&cards, state.tz(), now, state.media_base()),
        },
    )?;
    Ok(Some(Fragment {
        html,
        tags,
        canonical: None,
    }))
}
