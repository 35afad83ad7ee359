//! `/newsroom/webhooks`: admins register URLs to be told of published, updated and
//! unpublished stories and breaking news (`jobs::webhooks` sends them), switch them off or
//! delete them, read each one's delivery log and send a failed delivery again.

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth;
use crate::domain::webhook::{self, Event, WebhookError};
use crate::domain::Action;
use crate::storage::now;
use crate::web::view::DateView;
use crate::web::{AppState, WebError};

use super::{page, CsrfOnly, Staff};

/// Deliveries the log shows.
const LOG_LENGTH: i64 = 50;

/// The events as the form offers them, with their Bengali labels.
fn event_options(chosen: &[Event]) -> Vec<minijinja::Value> {
    Event::ALL
        .into_iter()
        .map(|e| {
            minijinja::context! {
                code => e.as_str(), label => event_label(e), checked => chosen.contains(&e),
            }
        })
        .collect()
}

fn event_label(e: Event) -> &'static str {
    match e {
        Event::Published => "খবর প্রকাশিত (published)",
        Event::Updated => "প্রকাশিত খবর হালনাগাদ (updated)",
        Event::Unpublished => "খবর প্রত্যাহার (unpublished)",
        Event::Breaking => "ব্রেকিং নিউজ (breaking)",
    }
}

fn state_label(state: &str) -> &'static str {
    match state {
        "delivered" => "পৌঁছেছে",
        "failed" => "ব্যর্থ",
        _ => "অপেক্ষায়",
    }
}

/// The form: one checkbox per event (`ev_published=on`…), so that it posts as plain fields.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WebhookForm {
    csrf: String,
    url: String,
    description: String,
    ev_published: Option<String>,
    ev_updated: Option<String>,
    ev_unpublished: Option<String>,
    ev_breaking: Option<String>,
}

impl WebhookForm {
    fn chosen(&self) -> Vec<String> {
        [
            (&self.ev_published, Event::Published),
            (&self.ev_updated, Event::Updated),
            (&self.ev_unpublished, Event::Unpublished),
            (&self.ev_breaking, Event::Breaking),
        ]
        .into_iter()
        .filter(|(v, _)| v.is_some())
        .map(|(_, e)| e.as_str().to_owned())
        .collect()
    }
}

async fn list_page(
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    error: Option<String>,
    form: &WebhookForm,
    created: Option<(i64, String)>,
) -> Result<Response, WebError> {
    let t = now();
    let hooks: Vec<minijinja::Value> = state
        .store()
        .webhooks()
        .await?
        .into_iter()
        .map(|w| {
            let events: Vec<&str> = webhook::parse_events(&w.events)
                .into_iter()
                .map(event_label)
                .collect();
            minijinja::context! {
                id => w.id, url => w.url, description => w.description, events => events,
                active => w.active == 1, secret_hint => webhook::secret_hint(&w.secret),
                created => DateView::new(w.created_at, state.tz(), t),
            }
        })
        .collect();
    let chosen: Vec<Event> = if error.is_some() {
        form.chosen()
            .iter()
            .filter_map(|e| Event::parse(e))
            .collect()
    } else {
        vec![Event::Published, Event::Updated, Event::Unpublished]
    };
    let (new_id, new_secret) = created.unzip();
    page(
        state,
        staff,
        status,
        "newsroom/webhooks.html",
        minijinja::context! {
            webhooks => hooks, events => event_options(&chosen), error => error,
            url => if error.is_some() { form.url.chars().take(webhook::MAX_URL_CHARS).collect::<String>() } else { String::new() },
            description => if error.is_some() { form.description.chars().take(webhook::MAX_DESCRIPTION_CHARS).collect::<String>() } else { String::new() },
            new_id => new_id, new_secret => new_secret,
        },
    )
    .await
}

pub async fn list(State(state): State<AppState>, staff: Staff) -> Result<Response, WebError> {
    staff.require(Action::ManageWebhooks)?;
    list_page(
        &state,
        &staff,
        StatusCode::OK,
        None,
        &WebhookForm::default(),
        None,
    )
    .await
}

pub async fn add(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<WebhookForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageWebhooks)?;
    let parsed = (|| -> Result<_, WebhookError> {
        let url = webhook::parse_url(&form.url)?;
        let events = webhook::parse_chosen(&form.chosen())?;
        let description = webhook::parse_description(&form.description)?;
        Ok((url, events, description))
    })();
    let (url, events, description) = match parsed {
        Ok(p) => p,
        Err(e) => {
            return list_page(
                &state,
                &staff,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(e.to_string()),
                &form,
                None,
            )
            .await;
        }
    };
    let secret = format!("whsec_{}", auth::random_token());
    let made = state
        .store()
        .create_webhook(
            &url,
            &description,
            &webhook::events_text(&events),
            &secret,
            webhook::MAX_WEBHOOKS,
            &staff.audit("webhook.create", "webhook", None, url.clone()),
        )
        .await?;
    let Some(id) = made else {
        return list_page(
            &state,
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("ওয়েবহুক বড়জোর ৫০টি রাখা যায়; পুরোনো একটি মুছে ফেলুন।".into()),
            &form,
            None,
        )
        .await;
    };
    // The secret is shown in this response only; afterwards its first characters.
    list_page(
        &state,
        &staff,
        StatusCode::CREATED,
        None,
        &WebhookForm::default(),
        Some((id, secret)),
    )
    .await
}

pub async fn log(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    staff.require(Action::ManageWebhooks)?;
    let Some(w) = state.store().webhook(id).await? else {
        return Err(WebError::NotFound);
    };
    let t = now();
    let deliveries = state.store().webhook_deliveries(id, LOG_LENGTH).await?;
    let first = deliveries.last().map_or(0, |d| d.id);
    let attempts = state.store().webhook_attempts(id, first).await?;
    let rows: Vec<minijinja::Value> = deliveries
        .into_iter()
        .map(|d| {
            let tries: Vec<minijinja::Value> = attempts
                .iter()
                .filter(|a| a.delivery_id == d.id)
                .map(|a| {
                    minijinja::context! {
                        attempt => a.attempt, at => DateView::new(a.at, state.tz(), t),
                        status => a.response_status, excerpt => a.response_excerpt,
                        error => a.error, duration_ms => a.duration_ms,
                    }
                })
                .collect();
            minijinja::context! {
                id => d.id, event => d.event, state => d.state, state_label => state_label(&d.state),
                attempts => d.attempts, status => d.response_status,
                excerpt => d.response_excerpt, error => d.last_error,
                created => DateView::new(d.created_at, state.tz(), t),
                // A retry's time; a first attempt goes as soon as the deliveries before it have.
                next => (d.state == "pending" && d.attempts > 0).then(|| DateView::new(d.next_attempt_at, state.tz(), t)),
                tries => tries,
            }
        })
        .collect();
    page(
        &state,
        &staff,
        StatusCode::OK,
        "newsroom/webhook_log.html",
        minijinja::context! {
            webhook => minijinja::context! {
                id => w.id, url => w.url, description => w.description, active => w.active == 1,
            },
            deliveries => rows,
        },
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActiveForm {
    csrf: String,
    active: String,
}

pub async fn set_active(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<ActiveForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageWebhooks)?;
    let active = match form.active.as_str() {
        "1" => true,
        "0" => false,
        _ => return Err(WebError::BadRequest("active must be 0 or 1".into())),
    };
    let action = if active {
        "webhook.enable"
    } else {
        "webhook.disable"
    };
    if !state
        .store()
        .set_webhook_active(
            id,
            active,
            &staff.audit(action, "webhook", Some(id), String::new()),
        )
        .await?
    {
        return Err(WebError::NotFound);
    }
    Ok(Redirect::to("/newsroom/webhooks").into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageWebhooks)?;
    let url = state
        .store()
        .webhook(id)
        .await?
        .map(|w| w.url)
        .ok_or(WebError::NotFound)?;
    state
        .store()
        .delete_webhook(id, &staff.audit("webhook.delete", "webhook", Some(id), url))
        .await?;
    Ok(Redirect::to("/newsroom/webhooks").into_response())
}

pub async fn redeliver(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, delivery)): Path<(i64, i64)>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageWebhooks)?;
    if !state
        .store()
        .redeliver_webhook(
            id,
            delivery,
            &staff.audit(
                "webhook.redeliver",
                "webhook",
                Some(id),
                format!("delivery {delivery}"),
            ),
        )
        .await?
    {
        return Err(WebError::NotFound);
    }
    Ok(Redirect::to(&format!("/newsroom/webhooks/{id}")).into_response())
}
