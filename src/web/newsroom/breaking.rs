//! `/newsroom/breaking`: editors put up a one-line breaking-news alert (optionally pointing at
//! a published story) for a while, and take live ones down.

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::Action;
use crate::storage::now;
use crate::stories::ServiceError;
use crate::web::reader::breaking::live;
use crate::web::{AppState, WebError};

use super::stories::{caller, web_error};
use super::{page, ClientAddr, CsrfOnly, Staff};

/// The durations the form offers, in minutes, with their labels.
const DURATIONS: [(i64, &str); 7] = [
    (15, "১৫ মিনিট"),
    (30, "৩০ মিনিট"),
    (60, "১ ঘণ্টা"),
    (120, "২ ঘণ্টা"),
    (360, "৬ ঘণ্টা"),
    (720, "১২ ঘণ্টা"),
    (1440, "২৪ ঘণ্টা"),
];

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BreakingForm {
    csrf: String,
    text: String,
    story_id: String,
    minutes: String,
}

async fn breaking_page(
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    error: Option<String>,
    form: &BreakingForm,
    flash: Option<&str>,
) -> Result<Response, WebError> {
    let alerts = live(state, now()).await?;
    let durations: Vec<minijinja::Value> = DURATIONS
        .iter()
        .map(|(m, label)| minijinja::context! { minutes => m, label => label })
        .collect();
    let text: String = form
        .text
        .chars()
        .take(crate::domain::breaking::MAX_TEXT_CHARS)
        .collect();
    page(
        state,
        staff,
        status,
        "newsroom/breaking.html",
        minijinja::context! {
            alerts => alerts, durations => durations, error => error, flash => flash,
            text => text, story_id => form.story_id.chars().take(20).collect::<String>(),
            minutes => if form.minutes.is_empty() { "60" } else { form.minutes.as_str() },
        },
    )
    .await
}

pub async fn show(State(state): State<AppState>, staff: Staff) -> Result<Response, WebError> {
    staff.require(Action::PostBreaking)?;
    breaking_page(
        &state,
        &staff,
        StatusCode::OK,
        None,
        &BreakingForm::default(),
        None,
    )
    .await
}

pub async fn add(
    State(state): State<AppState>,
    staff: Staff,
    ClientAddr(address): ClientAddr,
    Form(form): Form<BreakingForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::PostBreaking)?;
    let story_id = match form.story_id.trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                let error = Some("খবরের আইডি একটি সংখ্যা (খবরের ঠিকানার শেষে থাকে)।".to_owned());
                return breaking_page(
                    &state,
                    &staff,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    error,
                    &form,
                    None,
                )
                .await;
            }
        },
    };
    let who = caller(&staff, &address);
    match state
        .stories()
        .post_breaking(&who, &form.text, story_id, &form.minutes)
        .await
    {
        Ok(_) => Ok(Redirect::to("/newsroom/breaking").into_response()),
        Err(ServiceError::Invalid(errors)) => {
            let message = errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" ");
            breaking_page(
                &state,
                &staff,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(message),
                &form,
                None,
            )
            .await
        }
        Err(e) => Err(web_error(e)),
    }
}

pub async fn clear(
    State(state): State<AppState>,
    staff: Staff,
    ClientAddr(address): ClientAddr,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::PostBreaking)?;
    let who = caller(&staff, &address);
    state
        .stories()
        .clear_breaking(&who, id)
        .await
        .map_err(web_error)?;
    Ok(Redirect::to("/newsroom/breaking").into_response())
}
