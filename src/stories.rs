//! What the editor pages and the admin API both do to a story, with every permission check
//! in one place: create, save (optimistic concurrency), move between states, restore.

use crate::domain::newsroom::{allows, may_edit, Transition};
use crate::domain::story::{FieldError, StoryFields};
use crate::domain::{Action, Status};
use crate::storage::stories::{Actor, MoveOutcome, SaveOutcome, Story};
use crate::storage::users::User;
use crate::storage::{now, StorageError};
use crate::web::AppState;

/// The person acting, however they authenticated.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub address: String,
}

impl Caller {
    pub fn actor(&self) -> Actor<'_> {
        Actor {
            user_id: self.user.id,
            name: &self.user.name,
            address: &self.address,
        }
    }

    pub fn allows(&self, action: Action) -> bool {
        allows(self.user.role, action)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    #[error("the story changed since version {expected}")]
    Conflict {
        expected: i64,
        current: Box<Story>,
        by: Option<String>,
    },
    #[error("not possible while the story is {0:?}")]
    WrongState(Status),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// The paper's short name for desk signatures (a site setting, else the configured one).
pub async fn short_name(state: &AppState) -> Result<String> {
    Ok(state
        .store()
        .setting("site.short_name")
        .await?
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| state.config().site.short_name.clone()))
}

/// Checks the cheap limits, then cleans (off the async workers) and validates a story, and
/// checks that its section and hero image exist.
async fn prepare(state: &AppState, fields: StoryFields) -> Result<StoryFields> {
    let errors = fields.check_raw();
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let fields = state.cpu(move || fields.cleaned()).await;
    let mut errors = fields.validate();
    if fields.section_id > 0
        && !state
            .store()
            .sections()
            .await?
            .iter()
            .any(|s| s.id == fields.section_id)
    {
        errors.push(FieldError {
            field: "section_id",
            message: "এই বিভাগটি নেই।".into(),
        });
    }
    if let Some(m) = fields.hero_media_id {
        if state.store().media(m).await?.is_none() {
            errors.push(FieldError {
                field: "hero_media_id",
                message: "ছবিটি মিডিয়া লাইব্রেরিতে নেই।".into(),
            });
        }
    }
    if errors.is_empty() {
        Ok(fields)
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

pub async fn create(state: &AppState, caller: &Caller, fields: StoryFields) -> Result<i64> {
    if !caller.allows(Action::CreateStory) {
        return Err(ServiceError::Forbidden);
    }
    let mut fields = prepare(state, fields).await?;
    if fields.authors.is_empty() {
        fields.authors = vec![caller.user.name.clone()];
    }
    let short = short_name(state).await?;
    Ok(state
        .store()
        .create_story(&fields, caller.actor(), &short)
        .await?)
}

/// The story, if this person may see it in the newsroom (contributors see their own only).
pub async fn load(state: &AppState, caller: &Caller, id: i64) -> Result<Story> {
    let story = state
        .store()
        .story(id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !caller.allows(Action::EditAnyStory) && story.created_by != Some(caller.user.id) {
        return Err(ServiceError::Forbidden);
    }
    Ok(story)
}

pub async fn save(
    state: &AppState,
    caller: &Caller,
    id: i64,
    version: i64,
    fields: StoryFields,
    kind: &str,
) -> Result<i64> {
    let story = load(state, caller, id).await?;
    if !may_edit(
        caller.user.role,
        caller.user.id,
        story.created_by,
        story.status,
    ) {
        return Err(ServiceError::Forbidden);
    }
    let fields = prepare(state, fields).await?;
    let short = short_name(state).await?;
    match state
        .store()
        .save_story(id, version, &fields, caller.actor(), &short, kind)
        .await?
    {
        SaveOutcome::Saved { version } => Ok(version),
        SaveOutcome::Conflict { current, by } => Err(ServiceError::Conflict {
            expected: version,
            current,
            by,
        }),
        SaveOutcome::NotFound => Err(ServiceError::NotFound),
    }
}

/// Moves a story; `publish_at` is required for scheduling. Embargo: nothing is published, or
/// scheduled to be, before the embargo ends.
pub async fn transition(
    state: &AppState,
    caller: &Caller,
    id: i64,
    t: Transition,
    publish_at: Option<i64>,
    version: Option<i64>,
) -> Result<(Status, i64)> {
    let story = load(state, caller, id).await?;
    if !t.allowed_for(caller.user.role, caller.user.id, story.created_by) {
        return Err(ServiceError::Forbidden);
    }
    let to = t
        .target(story.status)
        .ok_or(ServiceError::WrongState(story.status))?;
    let at = now();
    let embargo = story.fields.embargo_until.filter(|e| *e > at);
    if t == Transition::Publish {
        if let Some(e) = embargo {
            return Err(ServiceError::Invalid(vec![FieldError {
                field: "embargo_until",
                message: format!(
                    "এমবার্গো শেষ হবে {}; তার আগে প্রকাশ করা যাবে না। সেই সময়ে প্রকাশের জন্য শিডিউল করুন।",
                    when_text(state, e)
                ),
            }]));
        }
    }
    if t == Transition::Schedule {
        let Some(when) = publish_at.filter(|w| *w > at) else {
            return Err(ServiceError::Invalid(vec![FieldError {
                field: "publish_at",
                message: "ভবিষ্যতের একটি প্রকাশের সময় দিন।".into(),
            }]));
        };
        if embargo.is_some_and(|e| when < e) {
            return Err(ServiceError::Invalid(vec![FieldError {
                field: "publish_at",
                message: "প্রকাশের সময় এমবার্গো শেষ হওয়ার আগে হতে পারে না।".into(),
            }]));
        }
    }
    let from: Vec<Status> = [
        Status::Draft,
        Status::Review,
        Status::Scheduled,
        Status::Published,
        Status::Unpublished,
        Status::Spiked,
    ]
    .into_iter()
    .filter(|s| t.target(*s) == Some(to))
    .collect();
    let action = format!("story.{}", t.as_str());
    match state
        .store()
        .move_story(id, &from, to, version, publish_at, caller.actor(), &action)
        .await?
    {
        MoveOutcome::Moved { version } => Ok((to, version)),
        MoveOutcome::WrongState(s) => Err(ServiceError::WrongState(s)),
        MoveOutcome::Conflict { .. } => {
            let current = state
                .store()
                .story(id)
                .await?
                .ok_or(ServiceError::NotFound)?;
            Err(ServiceError::Conflict {
                expected: version.unwrap_or(0),
                current: Box::new(current),
                by: None,
            })
        }
        MoveOutcome::NotFound => Err(ServiceError::NotFound),
    }
}

/// "২৮ নভেম্বর ২০২৬, সকাল ১০:৩০" in the paper's zone.
pub fn when_text(state: &AppState, t: i64) -> String {
    let d = crate::web::view::DateView::new(t, state.tz(), t);
    format!("{}, {}", d.gregorian, d.clock)
}

/// A `datetime-local` form value ("2026-11-28T10:30") in the paper's zone, as Unix seconds.
pub fn parse_local_time(state: &AppState, s: &str) -> Option<i64> {
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
pub fn local_time_value(state: &AppState, t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| {
            d.with_timezone(&state.tz())
                .format("%Y-%m-%dT%H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}
