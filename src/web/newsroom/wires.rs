//! The wire queue (ওয়্যার) in the newsroom: items polled from the agencies, newest first,
//! searchable and filterable by agency, each one click from a draft; and, for admins, the
//! sources polled (`/newsroom/wires/sources`).

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::domain::wire::check_source;
use crate::domain::Action;
use crate::storage::articles::Cursor;
use crate::storage::now;
use crate::storage::wires::{NewSource, QueuedItem};
use crate::web::view::DateView;
use crate::web::{AppState, WebError};

use super::stories::{caller, web_error};
use super::{page, ClientAddr, Staff};

/// Items a queue page lists.
const PAGE_SIZE: i64 = 50;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QueueQuery {
    source: String,
    q: String,
    before: String,
}

#[derive(Serialize)]
struct ItemView {
    id: i64,
    agency: String,
    headline: String,
    summary: String,
    body_html: String,
    link: Option<String>,
    published: DateView,
    updated: bool,
    draft: Option<i64>,
}

impl ItemView {
    fn new(item: QueuedItem, state: &AppState, now: i64) -> ItemView {
        ItemView {
            id: item.id,
            agency: item.agency,
            headline: item.headline,
            summary: item.summary,
            body_html: item.body_html,
            link: item.link,
            published: DateView::new(item.published_at, state.tz(), now),
            updated: item.updated_at.is_some(),
            draft: item.article_id,
        }
    }
}

async fn sections(state: &AppState) -> Result<Vec<minijinja::Value>, WebError> {
    Ok(state
        .store()
        .sections()
        .await?
        .iter()
        .map(|s| minijinja::context! { id => s.id, name => s.name })
        .collect())
}

/// `GET /newsroom/wires`
pub async fn queue(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<QueueQuery>,
) -> Result<Response, WebError> {
    staff.require(Action::CreateStory)?;
    let source =
        match query.source.trim() {
            "" => None,
            s => Some(s.parse::<i64>().map_err(|_| {
                WebError::BadRequest("সংস্থার তালিকা থেকে একটি সংস্থা বেছে নিন।".to_owned())
            })?),
        };
    let text: String = query.q.trim().chars().take(100).collect();
    let before = match query.before.trim() {
        "" => None,
        s => Some(Cursor::parse(s).ok_or_else(|| {
            WebError::BadRequest("পাতার ঠিকানায় before= সঠিক নয়। প্রথম পাতা থেকে আবার দেখুন।".to_owned())
        })?),
    };
    let mut items = state
        .store()
        .wire_queue(
            source,
            (!text.is_empty()).then_some(text.as_str()),
            before,
            PAGE_SIZE + 1,
        )
        .await?;
    let older = (items.len() as i64 > PAGE_SIZE).then(|| {
        items.truncate(PAGE_SIZE as usize);
        let last = items.last().expect("a full page");
        let cursor = Cursor {
            published_at: last.published_at,
            id: last.id,
        };
        let mut url = format!("/newsroom/wires?before={}", cursor.encode());
        if let Some(s) = source {
            url.push_str(&format!("&source={s}"));
        }
        if !text.is_empty() {
            url.push_str(&format!("&q={}", crate::domain::urls::query_value(&text)));
        }
        url
    });
    let now = now();
    let sources: Vec<minijinja::Value> = state
        .store()
        .wire_sources()
        .await?
        .iter()
        .map(|s| minijinja::context! { id => s.id, agency => s.agency })
        .collect();
    let items: Vec<ItemView> = items
        .into_iter()
        .map(|i| ItemView::new(i, &state, now))
        .collect();
    page(
        &state,
        &staff,
        StatusCode::OK,
        "newsroom/wires.html",
        minijinja::context! {
            items => items, sources => sources, source => source, q => text,
            older => older, sections => sections(&state).await?,
        },
    )
    .await
}

/// `GET /newsroom/wires/{id}`: one item in full.
pub async fn item(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    staff.require(Action::CreateStory)?;
    let item = state
        .store()
        .wire_item(id)
        .await?
        .ok_or(WebError::NotFound)?;
    page(
        &state,
        &staff,
        StatusCode::OK,
        "newsroom/wire_item.html",
        minijinja::context! {
            item => ItemView::new(item, &state, now()), sections => sections(&state).await?,
        },
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DraftForm {
    csrf: String,
    section_id: String,
}

/// `POST /newsroom/wires/{id}/draft`: a draft of the item, then its editor.
pub async fn draft(
    State(state): State<AppState>,
    staff: Staff,
    ClientAddr(address): ClientAddr,
    Path(id): Path<i64>,
    Form(form): Form<DraftForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::CreateStory)?;
    let section_id = form
        .section_id
        .trim()
        .parse::<i64>()
        .map_err(|_| WebError::BadRequest("খসড়ার জন্য একটি বিভাগ বেছে নিন।".to_owned()))?;
    let who = caller(&staff, &address);
    match state.stories().draft_from_wire(&who, id, section_id).await {
        Ok((story, _)) => Ok(Redirect::to(&format!("/newsroom/stories/{story}")).into_response()),
        Err(crate::stories::ServiceError::Invalid(errors)) => Err(WebError::BadRequest(
            errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" "),
        )),
        Err(e) => Err(web_error(e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SourceForm {
    csrf: String,
    agency: String,
    url: String,
    format: String,
    minutes: String,
}

#[derive(Serialize)]
struct SourceView {
    id: i64,
    agency: String,
    url: String,
    format: &'static str,
    minutes: i64,
    active: bool,
    last_polled: Option<DateView>,
    last_ok: Option<DateView>,
    failures: i64,
    last_error: Option<String>,
    items_seen: i64,
}

async fn sources_page(
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    errors: Vec<String>,
    form: &SourceForm,
) -> Result<Response, WebError> {
    let now = now();
    let sources: Vec<SourceView> = state
        .store()
        .wire_sources()
        .await?
        .into_iter()
        .map(|s| SourceView {
            id: s.id,
            format: s.format().label(),
            agency: s.agency,
            url: s.url,
            minutes: s.poll_seconds / 60,
            active: s.active == 1,
            last_polled: s.last_polled_at.map(|t| DateView::new(t, state.tz(), now)),
            last_ok: s.last_ok_at.map(|t| DateView::new(t, state.tz(), now)),
            failures: s.failures,
            last_error: s.last_error,
            items_seen: s.items_seen,
        })
        .collect();
    let clip = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    page(
        state,
        staff,
        status,
        "newsroom/wire_sources.html",
        minijinja::context! {
            sources => sources, errors => errors,
            agency => clip(&form.agency, 40), url => clip(&form.url, 2000),
            format => if form.format.is_empty() { "feed" } else { form.format.as_str() },
            minutes => if form.minutes.is_empty() { "5".to_owned() } else { clip(&form.minutes, 6) },
        },
    )
    .await
}

/// `GET /newsroom/wires/sources`
pub async fn sources(State(state): State<AppState>, staff: Staff) -> Result<Response, WebError> {
    staff.require(Action::ManageWires)?;
    sources_page(
        &state,
        &staff,
        StatusCode::OK,
        Vec::new(),
        &SourceForm::default(),
    )
    .await
}

/// `POST /newsroom/wires/sources`
pub async fn add_source(
    State(state): State<AppState>,
    staff: Staff,
    ClientAddr(address): ClientAddr,
    Form(form): Form<SourceForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageWires)?;
    match check_source(&form.agency, &form.url, &form.format, &form.minutes) {
        Ok((agency, url, format, poll_seconds)) => {
            let who = caller(&staff, &address);
            state
                .store()
                .add_wire_source(
                    &NewSource {
                        agency: &agency,
                        url: &url,
                        format,
                        poll_seconds,
                    },
                    who.actor(),
                )
                .await?;
            Ok(Redirect::to("/newsroom/wires/sources").into_response())
        }
        Err(errors) => {
            sources_page(
                &state,
                &staff,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                &form,
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SourceAction {
    csrf: String,
    active: String,
}

/// `POST /newsroom/wires/sources/{id}/active`: pause (`active=0`) or resume (`active=1`).
pub async fn set_active(
    State(state): State<AppState>,
    staff: Staff,
    ClientAddr(address): ClientAddr,
    Path(id): Path<i64>,
    Form(form): Form<SourceAction>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageWires)?;
    let active = match form.active.as_str() {
        "1" => true,
        "0" => false,
        _ => return Err(WebError::BadRequest("active=0 বা active=1 দিন।".to_owned())),
    };
    let who = caller(&staff, &address);
    if !state
        .store()
        .set_wire_source_active(id, active, who.actor())
        .await?
    {
        return Err(WebError::NotFound);
    }
    Ok(Redirect::to("/newsroom/wires/sources").into_response())
}

/// `POST /newsroom/wires/sources/{id}/delete`
pub async fn delete_source(
    State(state): State<AppState>,
    staff: Staff,
    ClientAddr(address): ClientAddr,
    Path(id): Path<i64>,
    Form(form): Form<SourceAction>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageWires)?;
    let who = caller(&staff, &address);
    if !state.store().delete_wire_source(id, who.actor()).await? {
        return Err(WebError::NotFound);
    }
    Ok(Redirect::to("/newsroom/wires/sources").into_response())
}
