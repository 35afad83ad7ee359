//! Live pages through the story service: who may run one (editors and admins,
//! `Action::RunLivePage`), and the checks an entry passes before it is stored — cheap limits
//! first, sanitising on the CPU pool, an image that is in the media library, an embed link to
//! one of the accepted networks. Every action is audited by the store in its transaction.

use crate::domain::live;
use crate::domain::story::FieldError;
use crate::domain::{Action, Status};
use crate::storage::live::{EntryFields, LiveOutcome};
use crate::storage::users::Audit;

use super::{Caller, Result, ServiceError, StoryService};

/// What an editor is told when adding to (or ending) a page that is not live.
pub const NOT_LIVE: &str = "এই খবরের লাইভ পাতা চালু নেই; আগে লাইভ শুরু করুন।";

/// An entry as the newsroom form sends it.
#[derive(Debug, Clone, Default)]
pub struct EntryInput {
    pub body: String,
    /// A media library id, as typed or picked ("" for none).
    pub media_id: String,
    pub media_alt: String,
    pub embed_url: String,
    pub key_event: bool,
}

impl StoryService {
    fn audit<'a>(&self, caller: &'a Caller, action: &'a str, id: i64, detail: String) -> Audit<'a> {
        caller.actor().audit(action, "article", Some(id), detail)
    }

    /// The caller may run live pages and story `id` exists and is published.
    async fn live_story(&self, caller: &Caller, id: i64) -> Result<()> {
        if !caller.allows(Action::RunLivePage) {
            return Err(ServiceError::Forbidden);
        }
        let story = self.store.story(id).await?.ok_or(ServiceError::NotFound)?;
        if story.status != Status::Published {
            return Err(ServiceError::WrongState(story.status));
        }
        Ok(())
    }

    /// Starts (or restarts) story `id`'s live page.
    pub async fn start_live(&self, caller: &Caller, id: i64) -> Result<()> {
        self.live_story(caller, id).await?;
        let audit = self.audit(caller, "live.start", id, String::new());
        outcome(self.store.start_live(id, caller.user.id, &audit).await?).map(drop)
    }

    /// Ends story `id`'s live page; its entries stay as an archive.
    pub async fn end_live(&self, caller: &Caller, id: i64) -> Result<()> {
        if !caller.allows(Action::RunLivePage) {
            return Err(ServiceError::Forbidden);
        }
        let audit = self.audit(caller, "live.end", id, String::new());
        outcome(self.store.end_live(id, &audit).await?).map(drop)
    }

    /// Checks and cleans an entry: every field's error at once.
    async fn entry_fields(&self, input: EntryInput) -> Result<EntryFields> {
        let mut errors = Vec::new();
        let mut field = |field: &'static str, message: &str| {
            errors.push(FieldError {
                field,
                message: message.into(),
            })
        };
        // The cheap checks on the raw text before the sanitiser runs on the CPU pool.
        let body = match live::check_raw_body(&input.body) {
            Ok(()) => {
                let raw = input.body;
                self.cpu.run(move || live::clean_body(&raw)).await
            }
            Err(m) => Err(m),
        };
        let body = body.map_err(|m| field("body", m)).ok();
        let embed_url = live::parse_embed(&input.embed_url)
            .map_err(|m| field("embed_url", m))
            .ok()
            .flatten();
        let media_alt = live::clean_alt(&input.media_alt)
            .map_err(|m| field("media_alt", m))
            .ok();
        let media_id = match input.media_id.trim() {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(m) if m > 0 && self.store.media(m).await?.is_some() => Some(m),
                _ => {
                    field("media_id", "এই আইডির কোনো ছবি মিডিয়া লাইব্রেরিতে নেই।");
                    None
                }
            },
        };
        match (body, media_alt) {
            (Some(body_html), Some(alt)) if errors.is_empty() => Ok(EntryFields {
                body_html,
                media_alt: (media_id.is_some() && !alt.is_empty()).then_some(alt),
                media_id,
                embed_url,
                key_event: input.key_event,
            }),
            _ => Err(ServiceError::Invalid(errors)),
        }
    }

    /// Adds an entry to story `id`'s live page; the entry's id.
    pub async fn add_live_entry(&self, caller: &Caller, id: i64, input: EntryInput) -> Result<i64> {
        self.live_story(caller, id).await?;
        let fields = self.entry_fields(input).await?;
        let detail = crate::domain::text::excerpt(
            &crate::domain::text::html_to_text(&fields.body_html),
            120,
        );
        let audit = self.audit(caller, "live.entry.add", id, detail);
        outcome(
            self.store
                .add_live_entry(id, &fields, caller.user.id, &audit)
                .await?,
        )
    }

    /// Replaces entry `entry_id` of story `id`'s live page.
    pub async fn update_live_entry(
        &self,
        caller: &Caller,
        id: i64,
        entry_id: i64,
        input: EntryInput,
    ) -> Result<()> {
        if !caller.allows(Action::RunLivePage) {
            return Err(ServiceError::Forbidden);
        }
        let fields = self.entry_fields(input).await?;
        let audit = self.audit(caller, "live.entry.edit", id, format!("entry {entry_id}"));
        outcome(
            self.store
                .update_live_entry(id, entry_id, &fields, &audit)
                .await?,
        )
        .map(drop)
    }

    /// Deletes entry `entry_id` of story `id`'s live page.
    pub async fn delete_live_entry(&self, caller: &Caller, id: i64, entry_id: i64) -> Result<()> {
        if !caller.allows(Action::RunLivePage) {
            return Err(ServiceError::Forbidden);
        }
        let audit = self.audit(caller, "live.entry.delete", id, format!("entry {entry_id}"));
        outcome(self.store.delete_live_entry(id, entry_id, &audit).await?).map(drop)
    }
}

fn outcome(o: LiveOutcome) -> Result<i64> {
    match o {
        LiveOutcome::Done(id) => Ok(id),
        LiveOutcome::NotPublished => Err(ServiceError::WrongState(Status::Unpublished)),
        LiveOutcome::NotLive => Err(ServiceError::Invalid(vec![FieldError {
            field: "live",
            message: NOT_LIVE.into(),
        }])),
        LiveOutcome::NoEntry => Err(ServiceError::NotFound),
    }
}
