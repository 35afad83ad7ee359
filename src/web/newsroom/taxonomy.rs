//! Sections, tags and authors, managed by editors: add and edit sections (name, colour, menu
//! position), rename tags and authors. Slugs never change, so no published URL breaks.

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::text::clean_line;
use crate::domain::Action;
use crate::web::{AppState, WebError};

use super::{page, Staff};

async fn taxonomy_page(
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    error: Option<&str>,
) -> Result<Response, WebError> {
    let sections = state.store().sections().await?;
    let tags: Vec<_> = state
        .store()
        .tags_with_counts(300)
        .await?
        .into_iter()
        .map(
            |(t, n)| minijinja::context! { id => t.id, name => t.name, slug => t.slug, count => n },
        )
        .collect();
    let authors: Vec<_> = state
        .store()
        .authors_with_counts(300)
        .await?
        .into_iter()
        .map(
            |(a, n)| minijinja::context! { id => a.id, name => a.name, slug => a.slug, count => n },
        )
        .collect();
    let positions: Vec<i64> = sqlx_positions(state).await?;
    let sections: Vec<_> = sections
        .iter()
        .zip(positions.iter().chain(std::iter::repeat(&100)))
        .map(|(s, p)| minijinja::context! { id => s.id, name => s.name, slug => s.slug, colour => s.colour, position => p })
        .collect();
    page(
        state,
        staff,
        status,
        "newsroom/taxonomy.html",
        minijinja::context! { sections => sections, tags => tags, authors => authors, error => error },
    )
    .await
}

/// Menu positions in the same order as `Store::sections`.
async fn sqlx_positions(state: &AppState) -> Result<Vec<i64>, WebError> {
    Ok(state.store().section_positions().await?)
}

pub async fn show(State(state): State<AppState>, staff: Staff) -> Result<Response, WebError> {
    staff.require(Action::ManageTaxonomy)?;
    taxonomy_page(&state, &staff, StatusCode::OK, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SectionForm {
    csrf: String,
    name: String,
    colour: String,
    position: String,
}

fn valid_colour(c: &str) -> bool {
    let hex = c.strip_prefix('#').unwrap_or("");
    hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

pub async fn add_section(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<SectionForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageTaxonomy)?;
    let name = clean_line(&form.name);
    let colour = if form.colour.is_empty() {
        "#4a4e69".to_owned()
    } else {
        form.colour.to_lowercase()
    };
    if name.is_empty() || name.chars().count() > 60 || !valid_colour(&colour) {
        return taxonomy_page(
            &state,
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("বিভাগের নাম (সর্বোচ্চ ৬০ অক্ষর) আর #rrggbb রং দিন।"),
        )
        .await;
    }
    let id = state.store().add_section(&name, &colour).await?;
    state
        .store()
        .write_audit(&staff.audit("section.add", "section", Some(id), name))
        .await?;
    Ok(Redirect::to("/newsroom/sections").into_response())
}

pub async fn update_section(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<SectionForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageTaxonomy)?;
    let name = clean_line(&form.name);
    let colour = form.colour.to_lowercase();
    let position = form
        .position
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|p| (0..=10_000).contains(p));
    let (false, true, Some(position)) = (
        name.is_empty() || name.chars().count() > 60,
        valid_colour(&colour),
        position,
    ) else {
        return taxonomy_page(
            &state,
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("বিভাগের নাম, #rrggbb রং আর ০–১০০০০ অবস্থান দিন।"),
        )
        .await;
    };
    if !state
        .store()
        .update_section(id, &name, &colour, position)
        .await?
    {
        return Err(WebError::NotFound);
    }
    state
        .store()
        .write_audit(&staff.audit("section.update", "section", Some(id), name))
        .await?;
    Ok(Redirect::to("/newsroom/sections").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RenameForm {
    csrf: String,
    name: String,
}

pub async fn rename(
    State(state): State<AppState>,
    staff: Staff,
    Path((kind, id)): Path<(String, i64)>,
    Form(form): Form<RenameForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageTaxonomy)?;
    let name = clean_line(&form.name);
    if name.is_empty() || name.chars().count() > 120 {
        return taxonomy_page(
            &state,
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("নাম দিন (সর্বোচ্চ ১২০ অক্ষর)।"),
        )
        .await;
    }
    if !state.store().rename_label(&kind, id, &name).await? {
        return Err(WebError::NotFound);
    }
    let action = if kind == "tag" {
        "tag.rename"
    } else {
        "author.rename"
    };
    state
        .store()
        .write_audit(&staff.audit(action, &kind, Some(id), name))
        .await?;
    Ok(Redirect::to("/newsroom/sections").into_response())
}
