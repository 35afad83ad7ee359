//! The story service: what every way in does to a story — the editor pages, the admin API,
//! importers and the command line — with every permission check in one place: create, save
//! (optimistic concurrency), move between states, restore. It knows nothing of HTTP; the
//! web layer maps [`ServiceError`] to pages and JSON.

use chrono::{Datelike, TimeZone, Timelike};
use chrono_tz::Tz;

use crate::cpu::CpuPool;
use crate::domain::breaking;
use crate::domain::correction::{clean_note, CorrectionKind};
use crate::domain::geo;
use crate::domain::newsroom::{allows, may_edit, Transition};
use crate::domain::story::{FieldError, StoryFields};
use crate::domain::{Action, Status};
use crate::storage::stories::{Actor, MoveOutcome, SaveOutcome, Story};
use crate::storage::users::User;
use crate::storage::{now, StorageError, Store};

pub mod live;

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

/// The story service over one store; cheap to clone.
#[derive(Clone, Debug)]
pub struct StoryService {
    store: Store,
    cpu: CpuPool,
    tz: Tz,
    /// The configured short name, for desk signatures when the site setting has none.
    short_name: String,
}

impl StoryService {
    pub fn new(store: Store, cpu: CpuPool, tz: Tz, short_name: String) -> StoryService {
        StoryService {
            store,
            cpu,
            tz,
            short_name,
        }
    }

    /// The paper's short name for desk signatures (a site setting, else the configured one).
    pub async fn short_name(&self) -> Result<String> {
        Ok(self
            .store
            .setting("site.short_name")
            .await?
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| self.short_name.clone()))
    }

    /// Checks the cheap limits, then cleans (off the async workers) and validates a story, and
    /// checks that its section and hero image exist.
    async fn prepare(&self, fields: StoryFields) -> Result<StoryFields> {
        let errors = fields.check_raw();
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let fields = self.cpu.run(move || fields.cleaned()).await;
        let mut errors = fields.validate();
        if fields.section_id > 0
            && !self
                .store
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
        let mut fields = fields;
        fields.place_ids.clear();
        if !fields.places.is_empty() {
            let places = self.store.places().await?;
            let mut labels = Vec::with_capacity(fields.places.len());
            for typed in &fields.places {
                match geo::resolve(&places, typed) {
                    Ok(p) => {
                        if !fields.place_ids.contains(&p.id) {
                            let parent = p
                                .parent_id
                                .and_then(|id| places.iter().find(|x| x.id == id));
                            fields.place_ids.push(p.id);
                            labels.push(geo::label(p, parent));
                        }
                    }
                    Err(message) => errors.push(FieldError {
                        field: "places",
                        message,
                    }),
                }
            }
            fields.places = labels;
        }
        if let Some(m) = fields.hero_media_id {
            if self.store.media(m).await?.is_none() {
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

    pub async fn create(&self, caller: &Caller, fields: StoryFields) -> Result<i64> {
        if !caller.allows(Action::CreateStory) {
            return Err(ServiceError::Forbidden);
        }
        let mut fields = self.prepare(fields).await?;
        if fields.authors.is_empty() {
            fields.authors = vec![caller.user.name.clone()];
        }
        let short = self.short_name().await?;
        Ok(self
            .store
            .create_story(&fields, caller.actor(), &short)
            .await?)
    }

    /// Makes a draft in `section_id` of wire item `item_id`: its headline, summary and text,
    /// the agency in the credit line, and its first revision marked as from the wire. A second
    /// request for the same item gives the draft already made. Returns the story and whether
    /// it is new.
    pub async fn draft_from_wire(
        &self,
        caller: &Caller,
        item_id: i64,
        section_id: i64,
    ) -> Result<(i64, bool)> {
        if !caller.allows(Action::CreateStory) {
            return Err(ServiceError::Forbidden);
        }
        let item = self
            .store
            .wire_item(item_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if let Some(article) = item.article_id {
            return Ok((article, false));
        }
        let fields = self
            .prepare(StoryFields {
                headline: item.headline,
                summary: item.summary,
                body_html: item.body_html,
                section_id,
                credit: item.agency,
                ..StoryFields::default()
            })
            .await?;
        let short = self.short_name().await?;
        match self
            .store
            .create_story_from_wire(item_id, &fields, caller.actor(), &short)
            .await?
        {
            None => Err(ServiceError::NotFound),
            Some(Ok(id)) => Ok((id, true)),
            Some(Err(existing)) => Ok((existing, false)),
        }
    }

    /// The story, if this person may see it in the newsroom (contributors see their own only).
    pub async fn load(&self, caller: &Caller, id: i64) -> Result<Story> {
        let story = self.store.story(id).await?.ok_or(ServiceError::NotFound)?;
        if !caller.allows(Action::EditAnyStory) && story.created_by != Some(caller.user.id) {
            return Err(ServiceError::Forbidden);
        }
        Ok(story)
    }

    pub async fn save(
        &self,
        caller: &Caller,
        id: i64,
        version: i64,
        fields: StoryFields,
        kind: &str,
    ) -> Result<i64> {
        let story = self.load(caller, id).await?;
        if !may_edit(
            caller.user.role,
            caller.user.id,
            story.created_by,
            story.status,
        ) {
            return Err(ServiceError::Forbidden);
        }
        let fields = self.prepare(fields).await?;
        let short = self.short_name().await?;
        match self
            .store
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
        &self,
        caller: &Caller,
        id: i64,
        t: Transition,
        publish_at: Option<i64>,
        version: Option<i64>,
    ) -> Result<(Status, i64)> {
        let story = self.load(caller, id).await?;
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
                        when_text(self.tz, e)
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
        match self
            .store
            .move_story(id, &from, to, version, publish_at, caller.actor(), &action)
            .await?
        {
            MoveOutcome::Moved { version } => Ok((to, version)),
            MoveOutcome::WrongState(s) => Err(ServiceError::WrongState(s)),
            MoveOutcome::Conflict { .. } => {
                let current = self.store.story(id).await?.ok_or(ServiceError::NotFound)?;
                Err(ServiceError::Conflict {
                    expected: version.unwrap_or(0),
                    current: Box::new(current),
                    by: None,
                })
            }
            MoveOutcome::NotFound => Err(ServiceError::NotFound),
        }
    }

    /// Adds a correction or update note to a published story (editors and admins); its id.
    pub async fn add_correction(
        &self,
        caller: &Caller,
        id: i64,
        kind: &str,
        note: &str,
    ) -> Result<i64> {
        if !caller.allows(Action::AddCorrection) {
            return Err(ServiceError::Forbidden);
        }
        let story = self.store.story(id).await?.ok_or(ServiceError::NotFound)?;
        if story.status != Status::Published {
            return Err(ServiceError::WrongState(story.status));
        }
        let kind = CorrectionKind::parse(kind).ok_or_else(|| FieldError {
            field: "kind",
            message: "সংশোধনী না হালনাগাদ, বেছে নিন।".into(),
        });
        let note = clean_note(note).map_err(|message| FieldError {
            field: "note",
            message: message.into(),
        });
        let (kind, note) = match (kind, note) {
            (Ok(kind), Ok(note)) => (kind, note),
            (kind, note) => {
                return Err(ServiceError::Invalid(
                    kind.err().into_iter().chain(note.err()).collect(),
                ))
            }
        };
        let audit = caller.actor().audit(
            "story.correction",
            "article",
            Some(id),
            format!("{}: {note}", kind.as_str()),
        );
        match self
            .store
            .add_correction(id, kind.as_str(), &note, caller.user.id, &audit)
            .await?
        {
            Some(correction) => Ok(correction),
            // Unpublished between the check and the write.
            None => Err(ServiceError::WrongState(Status::Unpublished)),
        }
    }
}

impl StoryService {
    /// Puts up a breaking-news alert for `minutes`, pointing at story `story_id` if given (it
    /// must be published); its id.
    pub async fn post_breaking(
        &self,
        caller: &Caller,
        text: &str,
        story_id: Option<i64>,
        minutes: &str,
    ) -> Result<i64> {
        if !caller.allows(Action::PostBreaking) {
            return Err(ServiceError::Forbidden);
        }
        let mut errors = Vec::new();
        let text = breaking::clean_text(text).map_err(|m| FieldError {
            field: "text",
            message: m.into(),
        });
        let minutes = breaking::parse_minutes(minutes).map_err(|m| FieldError {
            field: "minutes",
            message: m.into(),
        });
        if let Some(id) = story_id {
            let published = self
                .store
                .story(id)
                .await?
                .is_some_and(|s| s.status == Status::Published);
            if !published {
                errors.push(FieldError {
                    field: "story_id",
                    message: "এই আইডির কোনো প্রকাশিত খবর নেই।".into(),
                });
            }
        }
        let (text, minutes) = match (text, minutes) {
            (Ok(t), Ok(m)) if errors.is_empty() => (t, m),
            (t, m) => {
                errors.extend(t.err());
                errors.extend(m.err());
                return Err(ServiceError::Invalid(errors));
            }
        };
        let audit = caller
            .actor()
            .audit("breaking.add", "breaking", None, text.clone());
        Ok(self
            .store
            .add_breaking(
                &text,
                story_id,
                now() + minutes * 60,
                caller.user.id,
                &audit,
            )
            .await?)
    }

    /// Takes a live alert down.
    pub async fn clear_breaking(&self, caller: &Caller, id: i64) -> Result<()> {
        if !caller.allows(Action::PostBreaking) {
            return Err(ServiceError::Forbidden);
        }
        let audit = caller
            .actor()
            .audit("breaking.clear", "breaking", Some(id), String::new());
        if self.store.clear_breaking(id, &audit).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound)
        }
    }
}

/// "২৮ নভেম্বর ২০২৬, সকাল ১০:৩০": `t` in the paper's zone.
pub fn when_text(tz: Tz, t: i64) -> String {
    let utc = chrono::DateTime::<chrono::Utc>::from_timestamp(crate::domain::clamp_time(t), 0)
        .unwrap_or_default();
    let local = tz.from_utc_datetime(&utc.naive_utc());
    format!(
        "{}, {}",
        bangla::calendar::gregorian_bn(local.year(), local.month(), local.day()),
        bangla::time::clock_bn(local.hour(), local.minute())
    )
}
