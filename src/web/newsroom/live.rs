//! `/newsroom/stories/{id}/live`: an editor runs a published story as a live page — starts it,
//! adds timestamped entries (text, an image from the media library, a link to a YouTube,
//! Facebook or X post), edits or deletes them, and ends it (the entries stay, as an archive).
//! Plain forms with the CSRF token; every action goes through the story service.

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::domain::live::{MAX_ALT_CHARS, MAX_EMBED_CHARS, MAX_ENTRY_CHARS};
use crate::domain::{urls, Action, Status};
use crate::storage::now;
use crate::stories::live::EntryInput;
use crate::stories::ServiceError;
use crate::web::reader::live::{view, EntryView};
use crate::web::{AppState, WebError};

use super::stories::{caller, web_error};
use super::{errors_by_field, page, ClientAddr, CsrfOnly, Staff};

/// The entry form as sent (and sent back, cut to its fields' lengths, when refused).
#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub struct EntryForm {
    #[serde(skip_serializing)]
    csrf: String,
    body: String,
    media_id: String,
    media_alt: String,
    embed_url: String,
    key_event: String,
}

impl EntryForm {
    fn input(&self) -> EntryInput {
        EntryInput {
            body: self.body.clone(),
            media_id: self.media_id.clone(),
            media_alt: self.media_alt.clone(),
            embed_url: self.embed_url.clone(),
            key_event: !self.key_event.is_empty(),
        }
    }

    /// What was typed, never more than the fields hold, to show again.
    fn shown(&self) -> EntryForm {
        let cut = |s: &str, n: usize| s.chars().take(n).collect::<String>();
        EntryForm {
            csrf: String::new(),
            body: cut(&self.body, MAX_ENTRY_CHARS * 2),
            media_id: cut(&self.media_id, 20),
            media_alt: cut(&self.media_alt, MAX_ALT_CHARS),
            embed_url: cut(&self.embed_url, MAX_EMBED_CHARS),
            key_event: cut(&self.key_event, 2),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Done {
    done: String,
}

fn done_message(done: &str) -> Option<&'static str> {
    Some(match done {
        "started" => "লাইভ শুরু হয়েছে; পাঠকেরা খবরের পাতায় আপডেট দেখবেন।",
        "added" => "আপডেট যোগ হয়েছে; পাঠকেরা এখনই দেখছেন।",
        "edited" => "আপডেটটি সংশোধিত হয়েছে।",
        "deleted" => "আপডেটটি মুছে ফেলা হয়েছে।",
        "ended" => "লাইভ শেষ হয়েছে; আপডেটগুলো খবরের পাতায় রয়ে গেল।",
        _ => return None,
    })
}

/// What the page shows besides the story's live state.
#[derive(Default)]
struct Shown {
    flash: Option<&'static str>,
    errors: Vec<crate::domain::story::FieldError>,
    form: EntryForm,
    /// The entry being edited.
    editing: Option<i64>,
}

async fn render(
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    id: i64,
    shown: Shown,
) -> Result<Response, WebError> {
    let story = state.store().story(id).await?.ok_or(WebError::NotFound)?;
    let t = now();
    let live = view(state, id, t).await?;
    let media = super::media::picker(state).await?;
    let error_list: Vec<&str> = shown.errors.iter().map(|e| e.message.as_str()).collect();
    let published = story.status == Status::Published;
    page(
        state,
        staff,
        status,
        "newsroom/live.html",
        minijinja::context! {
            story => minijinja::context! {
                id => story.id, headline => story.fields.headline, published => published,
                public_url => published.then(|| urls::article(&story.section_slug, story.id)),
            },
            live => live, media => media, f => shown.form, flash => shown.flash,
            errors => errors_by_field(&shown.errors), error_list => error_list,
            editing => shown.editing,
        },
    )
    .await
}

/// The page again with what is wrong (422), or the service's refusal as an error page.
async fn refused(
    state: &AppState,
    staff: &Staff,
    id: i64,
    e: ServiceError,
    form: &EntryForm,
    editing: Option<i64>,
) -> Result<Response, WebError> {
    match e {
        ServiceError::Invalid(errors) => {
            let shown = Shown {
                errors,
                form: form.shown(),
                editing,
                ..Shown::default()
            };
            render(state, staff, StatusCode::UNPROCESSABLE_ENTITY, id, shown).await
        }
        ServiceError::WrongState(_) => {
            Err(WebError::BadRequest("শুধু প্রকাশিত খবর লাইভ পাতা হতে পারে।".into()))
        }
        e => Err(web_error(e)),
    }
}

fn back(id: i64, done: &str) -> Response {
    Redirect::to(&format!("/newsroom/stories/{id}/live?done={done}")).into_response()
}

/// `GET /newsroom/stories/{id}/live`
pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    staff.require(Action::RunLivePage)?;
    let shown = Shown {
        flash: done_message(&done.done),
        ..Shown::default()
    };
    render(&state, &staff, StatusCode::OK, id, shown).await
}

/// `POST /newsroom/stories/{id}/live/start`
pub async fn start(
    State(state): State<AppState>,
    staff: Staff,
    ClientAddr(address): ClientAddr,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let who = caller(&staff, &address);
    match state.stories().start_live(&who, id).await {
        Ok(()) => Ok(back(id, "started")),
        Err(e) => refused(&state, &staff, id, e, &EntryForm::default(), None).await,
    }
}

/// `POST /newsroom/stories/{id}/live/end`
pub async fn end(
    State(state): State<AppState>,
    staff: Staff,
    ClientAddr(address): ClientAddr,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let who = caller(&staff, &address);
    match state.stories().end_live(&who, id).await {
        Ok(()) => Ok(back(id, "ended")),
        Err(e) => refused(&state, &staff, id, e, &EntryForm::default(), None).await,
    }
}

/// `POST /newsroom/stories/{id}/live/entries`
pub async fn add(
    State(state): State<AppState>,
    staff: Staff,
    ClientAddr(address): ClientAddr,
    Path(id): Path<i64>,
    Form(form): Form<EntryForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let who = caller(&staff, &address);
    match state.stories().add_live_entry(&who, id, form.input()).await {
        Ok(_) => Ok(back(id, "added")),
        Err(e) => refused(&state, &staff, id, e, &form, None).await,
    }
}

/// `GET /newsroom/stories/{id}/live/entries/{entry}`: the entry in the form, to edit.
pub async fn edit_form(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, entry)): Path<(i64, i64)>,
) -> Result<Response, WebError> {
    staff.require(Action::RunLivePage)?;
    let e = state
        .store()
        .live_entry(id, entry)
        .await?
        .ok_or(WebError::NotFound)?;
    let view = EntryView::new(&state, &e, &Default::default(), now());
    let form = EntryForm {
        body: e.body_html.clone(),
        media_id: e.media_id.map(|m| m.to_string()).unwrap_or_default(),
        media_alt: e.media_alt.clone().unwrap_or_default(),
        embed_url: view.embed.map(|x| x.url).unwrap_or_default(),
        key_event: if view.key_event {
            "1".into()
        } else {
            String::new()
        },
        csrf: String::new(),
    };
    let shown = Shown {
        form,
        editing: Some(entry),
        ..Shown::default()
    };
    render(&state, &staff, StatusCode::OK, id, shown).await
}

/// `POST /newsroom/stories/{id}/live/entries/{entry}`
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    ClientAddr(address): ClientAddr,
    Path((id, entry)): Path<(i64, i64)>,
    Form(form): Form<EntryForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let who = caller(&staff, &address);
    match state
        .stories()
        .update_live_entry(&who, id, entry, form.input())
        .await
    {
        Ok(()) => Ok(back(id, "edited")),
        Err(e) => refused(&state, &staff, id, e, &form, Some(entry)).await,
    }
}

/// `POST /newsroom/stories/{id}/live/entries/{entry}/delete`
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    ClientAddr(address): ClientAddr,
    Path((id, entry)): Path<(i64, i64)>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let who = caller(&staff, &address);
    state
        .stories()
        .delete_live_entry(&who, id, entry)
        .await
        .map_err(web_error)?;
    Ok(back(id, "deleted"))
}
