//! The dashboard, the story editor (create, save, move between states), revisions with diffs
//! and restore, and presence ("who else has this story open").

use std::collections::HashMap;

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::domain::diff::diff;
use crate::domain::newsroom::{may_edit, status_label, Transition};
use crate::domain::story::{field_label, split_list, FieldError, StoryFields};
use crate::domain::{urls, Action, Status};
use crate::storage::now;
use crate::storage::stories::{Story, StoryQuery};
use crate::web::view::{CorrectionView, DateView};
use crate::web::{AppState, WebError};

use super::{errors_by_field, page, ClientAddr, Staff};
use crate::stories::{Caller, ServiceError};

/// Someone counts as having a story open if their editor pinged within this many seconds.
pub const PRESENCE_SECS: i64 = 60;

pub(super) fn caller(staff: &Staff, address: &str) -> Caller {
    Caller {
        user: staff.user.clone(),
        address: address.to_owned(),
    }
}

pub(super) fn web_error(e: ServiceError) -> WebError {
    match e {
        ServiceError::Forbidden => super::session::forbidden(),
        ServiceError::NotFound => WebError::NotFound,
        ServiceError::Storage(e) => WebError::Storage(e),
        other => WebError::BadRequest(other.to_string()),
    }
}

// ---- dashboard

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DashboardQuery {
    status: String,
    section: String,
    mine: String,
    owner: String,
}

#[derive(Serialize)]
struct Row {
    id: i64,
    headline: String,
    status: String,
    status_label: &'static str,
    section: String,
    owner: String,
    updated: DateView,
    edit_url: String,
}

pub async fn dashboard(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, WebError> {
    staff.require(Action::ViewNewsroom)?;
    let t = now();
    let status = Status::parse(&q.status);
    let section_id = q.section.parse::<i64>().ok();
    let only_mine = !staff.user.role.ge(&crate::domain::Role::Editor) || q.mine == "1";
    let owner = if only_mine {
        Some(staff.user.id)
    } else {
        q.owner.parse::<i64>().ok()
    };
    let rows = state
        .store()
        .newsroom_stories(&StoryQuery {
            status,
            section_id,
            owner,
            limit: 100,
        })
        .await?;
    let rows: Vec<Row> = rows
        .into_iter()
        .map(|r| Row {
            status_label: Status::parse(&r.status).map(status_label).unwrap_or(""),
            updated: DateView::new(r.updated_at, state.tz(), t),
            edit_url: format!("/newsroom/stories/{}", r.id),
            id: r.id,
            headline: r.headline,
            status: r.status,
            section: r.section_name,
            owner: r.owner_name.unwrap_or_else(|| "আমদানি".into()),
        })
        .collect();
    // Counts follow the list: a contributor sees their own stories' numbers, never the
    // newsroom's.
    let counts: HashMap<String, i64> = state
        .store()
        .story_counts(owner)
        .await?
        .into_iter()
        .collect();
    let tabs: Vec<_> = [
        Status::Draft,
        Status::Review,
        Status::Scheduled,
        Status::Published,
        Status::Unpublished,
        Status::Spiked,
    ]
    .into_iter()
    .map(|s| {
        minijinja::context! {
            code => s.as_str(), label => status_label(s),
            count => counts.get(s.as_str()).copied().unwrap_or(0),
            current => status == Some(s),
        }
    })
    .collect();
    let sections = state.store().sections().await?;
    let people: Vec<_> = if staff.is(crate::domain::Role::Editor) {
        state
            .store()
            .users()
            .await?
            .into_iter()
            .map(|u| minijinja::context! { id => u.id, name => u.name })
            .collect()
    } else {
        Vec::new()
    };
    page(
        &state,
        &staff,
        StatusCode::OK,
        "newsroom/dashboard.html",
        minijinja::context! {
            rows => rows, tabs => tabs, sections => sections, people => people,
            status => q.status, section => section_id, mine => only_mine, owner => owner,
        },
    )
    .await
}

// ---- the editor

/// The editor form as posted. Numbers and times arrive as text and are parsed here, so a bad
/// value becomes a field error rather than a bare 422.
#[derive(Deserialize, Default, Clone, Serialize)]
#[serde(default)]
pub struct StoryForm {
    csrf: String,
    version: String,
    action: String,
    headline: String,
    kicker: String,
    summary: String,
    body: String,
    section_id: String,
    tags: String,
    places: String,
    authors: String,
    credit: String,
    dateline: String,
    signature: String,
    hero_media_id: String,
    hero_caption: String,
    hero_credit: String,
    embargo_until: String,
    publish_at: String,
}

impl StoryForm {
    fn from_story(state: &AppState, s: &Story) -> StoryForm {
        let f = &s.fields;
        StoryForm {
            version: s.version.to_string(),
            headline: f.headline.clone(),
            kicker: f.kicker.clone(),
            summary: f.summary.clone(),
            body: f.body_html.clone(),
            section_id: f.section_id.to_string(),
            tags: f.tags.join(", "),
            places: f.places.join(", "),
            authors: f.authors.join(", "),
            credit: f.credit.clone(),
            dateline: f.dateline.clone(),
            signature: f.signature.clone(),
            hero_media_id: f.hero_media_id.map(|m| m.to_string()).unwrap_or_default(),
            hero_caption: f.hero_caption.clone(),
            hero_credit: f.hero_credit.clone(),
            embargo_until: f
                .embargo_until
                .map(|t| local_time_value(state, t))
                .unwrap_or_default(),
            publish_at: match (s.status, s.published_at) {
                (Status::Scheduled, Some(t)) => local_time_value(state, t),
                _ => String::new(),
            },
            ..Default::default()
        }
    }

    /// The story fields, the planned publish time, and any values that did not parse.
    fn parse(&self, state: &AppState) -> (StoryFields, Option<i64>, Vec<FieldError>) {
        let mut errors = Vec::new();
        let mut time = |field: &'static str, value: &str| -> Option<i64> {
            if value.trim().is_empty() {
                return None;
            }
            let t = parse_local_time(state, value);
            if t.is_none() {
                errors.push(FieldError {
                    field,
                    message: "তারিখ ও সময় বুঝতে পারিনি।".into(),
                });
            }
            t
        };
        let embargo_until = time("embargo_until", &self.embargo_until);
        let publish_at = time("publish_at", &self.publish_at);
        let hero_media_id = match self.hero_media_id.trim() {
            "" => None,
            v => match v.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push(FieldError {
                        field: "hero_media_id",
                        message: "ছবিটি বুঝতে পারিনি।".into(),
                    });
                    None
                }
            },
        };
        let fields = StoryFields {
            headline: self.headline.clone(),
            kicker: self.kicker.clone(),
            summary: self.summary.clone(),
            body_html: self.body.clone(),
            section_id: self.section_id.trim().parse().unwrap_or(0),
            tags: split_list(&self.tags),
            places: split_list(&self.places),
            place_ids: Vec::new(),
            authors: split_list(&self.authors),
            credit: self.credit.clone(),
            dateline: self.dateline.clone(),
            signature: self.signature.clone(),
            hero_media_id,
            hero_caption: self.hero_caption.clone(),
            hero_credit: self.hero_credit.clone(),
            embargo_until,
        };
        (fields, publish_at, errors)
    }
}

#[derive(Default)]
struct EditorExtras {
    errors: Vec<FieldError>,
    flash: Option<String>,
    conflict: Option<minijinja::Value>,
    /// What was wrong with a correction note, and what was typed.
    correction_error: Option<String>,
    correction_note: String,
}

async fn render_editor(
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    story: Option<&Story>,
    form: &StoryForm,
    extras: EditorExtras,
) -> Result<Response, WebError> {
    let t = now();
    let corrections: Vec<CorrectionView> = match story {
        Some(s) if s.status == Status::Published => state
            .store()
            .corrections_of(s.id)
            .await?
            .into_iter()
            .map(|c| CorrectionView::new(&c, state.tz(), t))
            .collect(),
        _ => Vec::new(),
    };
    let (story_ctx, transitions, can_edit, others) = match story {
        Some(s) => {
            let transitions: Vec<_> =
                Transition::available(s.status, staff.user.role, staff.user.id, s.created_by)
                    .into_iter()
                    .map(|t| minijinja::context! { name => t.as_str(), label => t.label() })
                    .collect();
            let others = state
                .store()
                .touch_presence(s.id, staff.user.id, t - PRESENCE_SECS)
                .await?;
            let ctx = minijinja::context! {
                id => s.id, status => s.status.as_str(), status_label => status_label(s.status),
                version => s.version,
                public_url => (s.status == Status::Published).then(|| urls::article(&s.section_slug, s.id)),
                scheduled_for => (s.status == Status::Scheduled).then(|| s.published_at.map(|p| when_text(state, p))).flatten(),
                updated => DateView::new(s.updated_at, state.tz(), t),
                signature_auto => s.signature_auto,
            };
            let can_edit = may_edit(staff.user.role, staff.user.id, s.created_by, s.status);
            (Some(ctx), transitions, can_edit, others)
        }
        None => (
            None,
            vec![minijinja::context! { name => "submit", label => Transition::Submit.label() }],
            true,
            Vec::new(),
        ),
    };
    let sections = state.store().sections().await?;
    let media = super::media::picker(state).await?;
    let error_list: Vec<_> = extras
        .errors
        .iter()
        .map(|e| minijinja::context! { label => field_label(e.field), message => e.message })
        .collect();
    page(
        state,
        staff,
        status,
        "newsroom/editor.html",
        minijinja::context! {
            story => story_ctx, f => form, sections => sections, media => media,
            transitions => transitions, can_edit => can_edit, others => others,
            errors => errors_by_field(&extras.errors), error_list => error_list,
            flash => extras.flash, conflict => extras.conflict,
            is_editor => staff.is(crate::domain::Role::Editor),
            corrections => corrections, correction_error => extras.correction_error,
            correction_note => extras.correction_note,
        },
    )
    .await
}

/// The editor again, with what was typed and what is wrong with it (422).
async fn field_errors(
    state: &AppState,
    staff: &Staff,
    story: Option<&Story>,
    form: &StoryForm,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let extras = EditorExtras {
        errors,
        ..Default::default()
    };
    render_editor(
        state,
        staff,
        StatusCode::UNPROCESSABLE_ENTITY,
        story,
        form,
        extras,
    )
    .await
}

/// Refuses, before anything is saved, a button this person may not press on a story owned
/// by `owner`.
fn refuse_forbidden_move(
    staff: &Staff,
    form: &StoryForm,
    owner: Option<i64>,
) -> Result<(), WebError> {
    match Transition::parse(&form.action) {
        Some(t) if !t.allowed_for(staff.user.role, staff.user.id, owner) => {
            Err(super::session::forbidden())
        }
        _ => Ok(()),
    }
}

pub async fn new_form(State(state): State<AppState>, staff: Staff) -> Result<Response, WebError> {
    staff.require(Action::CreateStory)?;
    let form = StoryForm {
        authors: staff.user.name.clone(),
        section_id: state
            .store()
            .sections()
            .await?
            .first()
            .map(|s| s.id.to_string())
            .unwrap_or_default(),
        ..Default::default()
    };
    render_editor(
        &state,
        &staff,
        StatusCode::OK,
        None,
        &form,
        EditorExtras::default(),
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    ClientAddr(address): ClientAddr,
    Form(form): Form<StoryForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::CreateStory)?;
    let (fields, publish_at, errors) = form.parse(&state);
    if !errors.is_empty() {
        return field_errors(&state, &staff, None, &form, errors).await;
    }
    let who = caller(&staff, &address);
    refuse_forbidden_move(&staff, &form, Some(staff.user.id))?;
    let id = match state.stories().create(&who, fields).await {
        Ok(id) => id,
        Err(ServiceError::Invalid(errors)) => {
            return field_errors(&state, &staff, None, &form, errors).await;
        }
        Err(e) => return Err(web_error(e)),
    };
    finish_action(&state, &staff, &who, id, &form, publish_at, None).await
}

/// After a save: carry out the button's move (if it was not plain "save") and go back to the
/// editor with a message, or show the editor with what went wrong.
async fn finish_action(
    state: &AppState,
    staff: &Staff,
    who: &Caller,
    id: i64,
    form: &StoryForm,
    publish_at: Option<i64>,
    version: Option<i64>,
) -> Result<Response, WebError> {
    let done = match form.action.as_str() {
        "" | "save" => "saved".to_owned(),
        name => {
            let t = Transition::parse(name)
                .ok_or_else(|| WebError::BadRequest(format!("অজানা কাজ: {name}")))?;
            match state
                .stories()
                .transition(who, id, t, publish_at, version)
                .await
            {
                Ok(_) => t.as_str().to_owned(),
                Err(ServiceError::Invalid(errors)) => {
                    let story = state.stories().load(who, id).await.map_err(web_error)?;
                    let mut kept = form.clone();
                    kept.version = story.version.to_string();
                    return render_editor(
                        state,
                        staff,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        Some(&story),
                        &kept,
                        EditorExtras {
                            errors,
                            flash: Some("লেখাটি সংরক্ষিত হয়েছে, কিন্তু অবস্থা বদলানো যায়নি।".into()),
                            ..Default::default()
                        },
                    )
                    .await;
                }
                Err(ServiceError::WrongState(s)) => {
                    return Err(WebError::BadRequest(format!(
                        "খবরটি এখন “{}” অবস্থায়; এই কাজটি এখন করা যায় না।",
                        status_label(s)
                    )))
                }
                Err(e) => return Err(web_error(e)),
            }
        }
    };
    Ok(Redirect::to(&format!("/newsroom/stories/{id}?done={done}")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EditQuery {
    done: String,
}

fn done_message(done: &str) -> Option<String> {
    Some(
        match done {
            "saved" => "সংরক্ষিত হয়েছে।",
            "submit" => "সম্পাদনার জন্য জমা দেওয়া হয়েছে।",
            "return" => "প্রতিবেদকের কাছে ফেরত পাঠানো হয়েছে।",
            "schedule" => "নির্ধারিত সময়ে প্রকাশের জন্য শিডিউল করা হয়েছে।",
            "unschedule" => "শিডিউল বাতিল হয়েছে।",
            "publish" => "প্রকাশিত হয়েছে।",
            "unpublish" => "প্রকাশ প্রত্যাহার করা হয়েছে।",
            "spike" => "খবরটি বাতিল (স্পাইক) করা হয়েছে।",
            "restore" => "ফিরিয়ে আনা হয়েছে।",
            "restored" => "পুরোনো সংস্করণটি ফিরিয়ে আনা হয়েছে।",
            "correction" => "নোটটি খবরে যোগ হয়েছে; পাঠকেরা এখন দেখছেন।",
            _ => return None,
        }
        .to_owned(),
    )
}

pub async fn edit_form(
    State(state): State<AppState>,
    staff: Staff,
    ClientAddr(address): ClientAddr,
    Path(id): Path<i64>,
    Query(q): Query<EditQuery>,
) -> Result<Response, WebError> {
    let who = caller(&staff, &address);
    let story = state.stories().load(&who, id).await.map_err(web_error)?;
    let form = StoryForm::from_story(&state, &story);
    render_editor(
        &state,
        &staff,
        StatusCode::OK,
        Some(&story),
        &form,
        EditorExtras {
            flash: done_message(&q.done),
            ..Default::default()
        },
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CorrectionForm {
    csrf: String,
    kind: String,
    note: String,
}

/// `POST /newsroom/stories/{id}/corrections`: an editor adds a correction or update note to a
/// published story.
pub async fn add_correction(
    State(state): State<AppState>,
    staff: Staff,
    ClientAddr(address): ClientAddr,
    Path(id): Path<i64>,
    Form(form): Form<CorrectionForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let who = caller(&staff, &address);
    match state
        .stories()
        .add_correction(&who, id, &form.kind, &form.note)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/newsroom/stories/{id}?done=correction#corrections"
        ))
        .into_response()),
        Err(ServiceError::Invalid(errors)) => {
            let story = state.stories().load(&who, id).await.map_err(web_error)?;
            let story_form = StoryForm::from_story(&state, &story);
            let message = errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" ");
            // What was typed comes back (cut to the field's length, never whole).
            let typed: String = form
                .note
                .chars()
                .take(crate::domain::correction::MAX_NOTE_CHARS)
                .collect();
            render_editor(
                &state,
                &staff,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&story),
                &story_form,
                EditorExtras {
                    correction_error: Some(message),
                    correction_note: typed,
                    ..Default::default()
                },
            )
            .await
        }
        Err(ServiceError::WrongState(_)) => Err(WebError::BadRequest(
            "শুধু প্রকাশিত খবরে সংশোধনী বা হালনাগাদ যোগ করা যায়।".into(),
        )),
        Err(e) => Err(web_error(e)),
    }
}

pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    ClientAddr(address): ClientAddr,
    Path(id): Path<i64>,
    Form(form): Form<StoryForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let who = caller(&staff, &address);
    let story = state.stories().load(&who, id).await.map_err(web_error)?;
    let version: i64 = form
        .version
        .trim()
        .parse()
        .map_err(|_| WebError::BadRequest("সংস্করণ নম্বর নেই।".into()))?;
    let (fields, publish_at, errors) = form.parse(&state);
    if !errors.is_empty() {
        return field_errors(&state, &staff, Some(&story), &form, errors).await;
    }
    refuse_forbidden_move(&staff, &form, story.created_by)?;
    let editable = may_edit(
        staff.user.role,
        staff.user.id,
        story.created_by,
        story.status,
    );
    let next_version = if editable {
        match state
            .stories()
            .save(&who, id, version, fields.clone(), "save")
            .await
        {
            Ok(v) => v,
            Err(ServiceError::Invalid(errors)) => {
                return field_errors(&state, &staff, Some(&story), &form, errors).await;
            }
            Err(ServiceError::Conflict { current, by, .. }) => {
                let mine = fields.clone();
                let mine = state.cpu(move || mine.cleaned()).await;
                let changes = diff(&mine, &current.fields);
                let mut kept = form.clone();
                kept.version = current.version.to_string();
                let conflict = minijinja::context! {
                    by => by, version => current.version, changes => changes,
                };
                return render_editor(
                    &state,
                    &staff,
                    StatusCode::CONFLICT,
                    Some(&current),
                    &kept,
                    EditorExtras {
                        conflict: Some(conflict),
                        ..Default::default()
                    },
                )
                .await;
            }
            Err(e) => return Err(web_error(e)),
        }
    } else if form.action.is_empty() || form.action == "save" {
        return Err(super::session::forbidden());
    } else {
        version
    };
    finish_action(
        &state,
        &staff,
        &who,
        id,
        &form,
        publish_at,
        Some(next_version),
    )
    .await
}

// ---- revisions

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RevisionsQuery {
    a: Option<i64>,
    b: Option<i64>,
}

pub async fn revisions(
    State(state): State<AppState>,
    staff: Staff,
    ClientAddr(address): ClientAddr,
    Path(id): Path<i64>,
    Query(q): Query<RevisionsQuery>,
) -> Result<Response, WebError> {
    let who = caller(&staff, &address);
    let story = state.stories().load(&who, id).await.map_err(web_error)?;
    let revs = state.store().revisions(id).await?;
    let t = now();
    // Default comparison: the newest revision against the one before it.
    let b = q.b.or_else(|| revs.first().map(|r| r.id));
    let a = q.a.or_else(|| revs.get(1).map(|r| r.id)).or(b);
    let mut changes = Vec::new();
    if let (Some(a), Some(b)) = (a, b) {
        let ra = state
            .store()
            .revision(id, a)
            .await?
            .ok_or(WebError::NotFound)?;
        let rb = state
            .store()
            .revision(id, b)
            .await?
            .ok_or(WebError::NotFound)?;
        changes = diff(&ra.fields, &rb.fields);
    }
    let rows: Vec<_> = revs
        .iter()
        .map(|r| {
            // A draft made from the wire names its item (`wire:ID`), linked on the page.
            let wire = r
                .changed
                .split(',')
                .find_map(|c| c.strip_prefix("wire:"))
                .and_then(|id| id.parse::<i64>().ok());
            let changed: Vec<&str> = r
                .changed
                .split(',')
                .filter(|c| !c.is_empty() && !c.starts_with("wire:"))
                .map(|c| match Status::parse(c) {
                    Some(s) => status_label(s),
                    None => field_label(c),
                })
                .collect();
            minijinja::context! {
                id => r.id, version => r.version, kind => r.kind, who => r.user_name,
                when => DateView::new(r.created_at, state.tz(), t), changed => changed.join(", "),
                is_a => Some(r.id) == a, is_b => Some(r.id) == b, wire => wire,
            }
        })
        .collect();
    let can_edit = may_edit(
        staff.user.role,
        staff.user.id,
        story.created_by,
        story.status,
    );
    page(
        &state,
        &staff,
        StatusCode::OK,
        "newsroom/revisions.html",
        minijinja::context! {
            story => minijinja::context! { id => story.id, headline => story.fields.headline, version => story.version },
            revisions => rows, changes => changes, a => a, b => b, can_edit => can_edit,
        },
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RestoreForm {
    csrf: String,
    version: i64,
}

pub async fn restore(
    State(state): State<AppState>,
    staff: Staff,
    ClientAddr(address): ClientAddr,
    Path((id, rev)): Path<(i64, i64)>,
    Form(form): Form<RestoreForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let who = caller(&staff, &address);
    let old = state
        .store()
        .revision(id, rev)
        .await?
        .ok_or(WebError::NotFound)?;
    match state
        .stories()
        .save(&who, id, form.version, old.fields, "restore")
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/newsroom/stories/{id}?done=restored")).into_response()),
        Err(ServiceError::Conflict { .. }) => Err(WebError::BadRequest(
            "এর মধ্যে খবরটি আবার বদলেছে; ইতিহাস পাতাটি আবার খুলে চেষ্টা করুন।".into(),
        )),
        Err(e) => Err(web_error(e)),
    }
}

// ---- presence

pub async fn presence(
    State(state): State<AppState>,
    staff: Staff,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    staff.check_csrf_header(&headers)?;
    let who = caller(&staff, &address);
    state.stories().load(&who, id).await.map_err(web_error)?;
    let others = state
        .store()
        .touch_presence(id, staff.user.id, now() - PRESENCE_SECS)
        .await?;
    Ok(super::session::no_store(
        Json(serde_json::json!({ "others": others })).into_response(),
    ))
}

// ---- Bijoy on paste

#[derive(Deserialize)]
pub struct Paste {
    text: String,
    /// The text is the editor's HTML (only the text between tags is converted).
    #[serde(default)]
    html: bool,
}

/// `POST /newsroom/bijoy`: what the editor is about to paste, converted to Unicode if it is
/// Bijoy (SutonnyMJ). `{"bijoy": false}` otherwise; the editor then pastes it unchanged.
pub async fn bijoy(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Json(paste): Json<Paste>,
) -> Result<Response, WebError> {
    staff.check_csrf_header(&headers)?;
    let max = crate::domain::text::MAX_RAW_BODY_BYTES;
    if paste.text.len() > max {
        return Err(WebError::BadRequest(format!(
            "the pasted text is larger than {max} bytes"
        )));
    }
    let converted = state
        .cpu(move || {
            if paste.html {
                crate::domain::bijoy::convert_html(&paste.text)
            } else {
                crate::domain::bijoy::convert_text(&paste.text)
            }
        })
        .await;
    Ok(super::session::no_store(
        Json(serde_json::json!({ "bijoy": converted.is_some(), "text": converted }))
            .into_response(),
    ))
}

/// "২৮ নভেম্বর ২০২৬, সকাল ১০:৩০" in the paper's zone.
fn when_text(state: &AppState, t: i64) -> String {
    crate::stories::when_text(state.tz(), t)
}

/// A `datetime-local` form value ("2026-11-28T10:30") in the paper's zone, as Unix seconds.
fn parse_local_time(state: &AppState, s: &str) -> Option<i64> {
    use chrono::TimeZone;
    let s = s.trim();
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    state
        .tz()
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.timestamp())
        .filter(|t| crate::domain::in_time_range(*t))
}

/// Unix seconds as a `datetime-local` value in the paper's zone.
fn local_time_value(state: &AppState, t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| {
            d.with_timezone(&state.tz())
                .format("%Y-%m-%dT%H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}
