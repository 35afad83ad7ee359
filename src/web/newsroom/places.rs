//! স্থান: the place taxonomy, managed by editors. `/newsroom/places` lists the divisions;
//! `/newsroom/places/{id}` shows one place with the places below it, where its names and slug
//! are changed, a place is added below it, or it is removed (only with no stories and nothing
//! below). A new slug changes the place's reader address and those of the places below it.

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::geo::{self, Place};
use crate::domain::Action;
use crate::storage::places::PlaceRefusal;
use crate::web::{AppState, WebError};

use super::{page, Staff};

async fn places_page(
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    place: Option<Place>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let store = state.store();
    let mut trail = Vec::new();
    let mut up = place.as_ref().and_then(|p| p.parent_id);
    while let Some(id) = up {
        let Some(p) = store.place(id).await? else {
            break;
        };
        up = p.parent_id;
        trail.push(minijinja::context! { id => p.id, name => geo::label(&p, None) });
    }
    trail.reverse();
    let below = store.place_children(place.as_ref().map(|p| p.id)).await?;
    let mut rows = Vec::with_capacity(below.len());
    for p in &below {
        rows.push(minijinja::context! {
            id => p.id, name_bn => p.name_bn, name_en => p.name_en, slug => p.slug,
            url => p.url(), stories => store.place_story_count(p.id).await?,
        });
    }
    let below_kind = match &place {
        None => Some(geo::PlaceKind::Division.bn()),
        Some(p) => p.kind.child().map(geo::PlaceKind::bn),
    };
    let current = match &place {
        Some(p) => Some(minijinja::context! {
            id => p.id, name_bn => p.name_bn, name_en => p.name_en, slug => p.slug,
            kind => p.kind.bn(), url => p.url(), stories => store.place_story_count(p.id).await?,
            removable => below.is_empty(),
        }),
        None => None,
    };
    page(
        state,
        staff,
        status,
        "newsroom/places.html",
        minijinja::context! {
            place => current, trail => trail, below => rows, below_kind => below_kind,
            error => error,
        },
    )
    .await
}

pub async fn list(State(state): State<AppState>, staff: Staff) -> Result<Response, WebError> {
    staff.require(Action::ManageTaxonomy)?;
    places_page(&state, &staff, StatusCode::OK, None, None).await
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    staff.require(Action::ManageTaxonomy)?;
    let place = state.store().place(id).await?.ok_or(WebError::NotFound)?;
    places_page(&state, &staff, StatusCode::OK, Some(place), None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PlaceForm {
    csrf: String,
    /// The place a new one goes under; empty for a division.
    parent: String,
    name_bn: String,
    name_en: String,
    /// Empty: made from the English name.
    slug: String,
}

impl PlaceForm {
    /// The names and slug, checked.
    fn checked(&self) -> Result<(String, String, String), String> {
        let (bn, en) = geo::check_names(&self.name_bn, &self.name_en)?;
        let slug = match self.slug.trim() {
            "" => geo::slug_of(&en),
            s => s.to_owned(),
        };
        if let Some(problem) = geo::slug_problem(&slug) {
            return Err(problem);
        }
        Ok((bn, en, slug))
    }
}

fn refusal(r: PlaceRefusal) -> String {
    match r {
        PlaceRefusal::SlugTaken => "একই জায়গার নিচে এই স্লাগ আরেকটি স্থানের আছে।".into(),
        PlaceRefusal::NoChildren => "উপজেলার নিচে আর কোনো স্থান যোগ করা যায় না।".into(),
        PlaceRefusal::InUse => "এই স্থানের খবর বা নিচে আরও স্থান আছে; তাই মুছে ফেলা যায় না।".into(),
    }
}

fn back_to(id: Option<i64>) -> Response {
    match id {
        Some(id) => Redirect::to(&format!("/newsroom/places/{id}")).into_response(),
        None => Redirect::to("/newsroom/places").into_response(),
    }
}

pub async fn add(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<PlaceForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageTaxonomy)?;
    let parent = match form.parent.trim() {
        "" => None,
        id => Some(
            state
                .store()
                .place(id.parse().map_err(|_| WebError::NotFound)?)
                .await?
                .ok_or(WebError::NotFound)?,
        ),
    };
    let refused = |state: AppState, staff: Staff, parent: Option<Place>, message: String| async move {
        places_page(
            &state,
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            parent,
            Some(message),
        )
        .await
    };
    let (bn, en, slug) = match form.checked() {
        Ok(v) => v,
        Err(message) => return refused(state, staff, parent, message).await,
    };
    let line = staff.audit("place.add", "place", None, format!("{bn} ({slug})"));
    match state
        .store()
        .add_place(parent.as_ref(), &slug, &bn, &en, &line)
        .await?
    {
        Ok(_) => Ok(back_to(parent.map(|p| p.id))),
        Err(r) => refused(state.clone(), staff, parent, refusal(r)).await,
    }
}

pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<PlaceForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageTaxonomy)?;
    let place = state.store().place(id).await?.ok_or(WebError::NotFound)?;
    let (bn, en, slug) = match form.checked() {
        Ok(v) => v,
        Err(message) => {
            return places_page(
                &state,
                &staff,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(place),
                Some(message),
            )
            .await
        }
    };
    let line = staff.audit(
        "place.update",
        "place",
        Some(id),
        format!("{} → {bn} ({slug})", place.name_bn),
    );
    match state
        .store()
        .update_place(&place, &slug, &bn, &en, &line)
        .await?
    {
        Ok(()) => Ok(back_to(Some(id))),
        Err(r) => {
            places_page(
                &state,
                &staff,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(place),
                Some(refusal(r)),
            )
            .await
        }
    }
}

pub async fn remove(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<super::CsrfOnly>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageTaxonomy)?;
    let place = state.store().place(id).await?.ok_or(WebError::NotFound)?;
    let line = staff.audit("place.remove", "place", Some(id), place.name_bn.clone());
    match state.store().remove_place(id, &line).await? {
        Ok(_) => Ok(back_to(place.parent_id)),
        Err(r) => {
            places_page(
                &state,
                &staff,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(place),
                Some(refusal(r)),
            )
            .await
        }
    }
}
