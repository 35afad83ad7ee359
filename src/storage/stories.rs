//! Stories as the newsroom works on them: create, save with optimistic concurrency and a full
//! revision per save, move between states, the dashboard list, scheduled publishing claimed
//! through the store, and who has a story open.

use serde::Serialize;

use crate::domain::geo::{self, PlaceKind};
use crate::domain::newsroom::desk_signature;
use crate::domain::story::StoryFields;
use crate::domain::Status;

use super::users::{audit, Audit};
use super::{changes, now, taxonomy, Result, StorageError, Store, Tx};

/// A story with everything the editor shows.
#[derive(Debug, Clone, Serialize)]
pub struct Story {
    pub id: i64,
    pub fields: StoryFields,
    pub status: Status,
    pub version: i64,
    pub created_by: Option<i64>,
    pub signature_auto: bool,
    pub published_at: Option<i64>,
    pub updated_at: i64,
    pub created_at: i64,
    pub section_slug: String,
}

/// A row of the newsroom dashboard.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct StoryRow {
    pub id: i64,
    pub headline: String,
    pub status: String,
    pub section_name: String,
    pub section_slug: String,
    pub owner_name: Option<String>,
    pub updated_at: i64,
    pub published_at: Option<i64>,
    pub version: i64,
}

#[derive(Debug, Clone, Default)]
pub struct StoryQuery {
    pub status: Option<Status>,
    pub section_id: Option<i64>,
    pub owner: Option<i64>,
    pub limit: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RevisionRow {
    pub id: i64,
    pub article_id: i64,
    pub version: i64,
    pub kind: String,
    pub user_id: Option<i64>,
    pub user_name: Option<String>,
    pub created_at: i64,
    pub changed: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Revision {
    pub meta: RevisionRow,
    pub fields: StoryFields,
}

/// Who is saving, for revisions, signatures and the audit log.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub address: &'a str,
}

impl<'a> Actor<'a> {
    /// The audit line for `action` on `entity` (`entity_id`) done by this person.
    pub fn audit(
        &self,
        action: &'a str,
        entity: &'a str,
        entity_id: Option<i64>,
        detail: String,
    ) -> Audit<'a> {
        Audit {
            user_id: Some(self.user_id),
            actor: self.name,
            action,
            entity,
            entity_id,
            detail,
            address: self.address,
        }
    }
}

#[derive(Debug)]
pub enum SaveOutcome {
    Saved {
        version: i64,
    },
    /// The story moved on since `expected`: nothing was overwritten; the refused text is kept
    /// as a 'conflict' revision, and `current` is what the other person saved.
    Conflict {
        current: Box<Story>,
        by: Option<String>,
    },
    NotFound,
}

#[derive(Debug)]
pub enum MoveOutcome {
    Moved {
        version: i64,
    },
    /// The story is not in a state this move applies to (someone else moved it).
    WrongState(Status),
    Conflict {
        current_version: i64,
    },
    NotFound,
}

#[derive(sqlx::FromRow)]
struct StoryDbRow {
    id: i64,
    headline: String,
    kicker: Option<String>,
    summary: Option<String>,
    body_html: String,
    section_id: i64,
    section_slug: String,
    credit: Option<String>,
    signature: Option<String>,
    dateline: Option<String>,
    hero_media_id: Option<i64>,
    hero_caption: Option<String>,
    hero_credit: Option<String>,
    embargo_until: Option<i64>,
    status: String,
    version: i64,
    created_by: Option<i64>,
    signature_auto: i64,
    published_at: Option<i64>,
    updated_at: i64,
    created_at: i64,
}

const STORY_SELECT: &str =
    "SELECT a.id, a.headline, a.kicker, a.summary, b.body_html, a.section_id, \
    s.slug AS section_slug, a.credit, a.signature, a.dateline, a.hero_media_id, a.hero_caption, \
    a.hero_credit, a.embargo_until, a.status, a.version, a.created_by, a.signature_auto, \
    a.published_at, a.updated_at, a.created_at \
    FROM articles a JOIN sections s ON s.id = a.section_id \
    JOIN article_bodies b ON b.article_id = a.id WHERE a.id = $1";

async fn load_story(tx: &mut Tx<'_>, id: i64) -> Result<Option<Story>> {
    let row: Option<StoryDbRow> = sqlx::query_as(STORY_SELECT)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(r) = row else { return Ok(None) };
    let tags: Vec<String> = sqlx::query_scalar(
        "SELECT t.name FROM article_tags x JOIN tags t ON t.id = x.tag_id WHERE x.article_id = $1 ORDER BY x.position",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    let authors: Vec<String> = sqlx::query_scalar(
        "SELECT au.name FROM article_authors x JOIN authors au ON au.id = x.author_id WHERE x.article_id = $1 ORDER BY x.position",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    let places: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT p.id, p.kind, p.name_bn, q.name_bn FROM article_places x \
         JOIN places p ON p.id = x.place_id LEFT JOIN places q ON q.id = p.parent_id \
         WHERE x.article_id = $1 AND x.direct = 1 ORDER BY x.position",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    let place_ids = places.iter().map(|p| p.0).collect();
    let places = places
        .into_iter()
        .map(|(_, kind, name, parent)| {
            let kind = PlaceKind::parse(&kind).unwrap_or(PlaceKind::Upazila);
            geo::label_of(kind, &name, parent.as_deref())
        })
        .collect();
    let status = Status::parse(&r.status)
        .ok_or_else(|| StorageError::Corrupt(format!("article {id} status {}", r.status)))?;
    Ok(Some(Story {
        id: r.id,
        fields: StoryFields {
            headline: r.headline,
            kicker: r.kicker.unwrap_or_default(),
            summary: r.summary.unwrap_or_default(),
            body_html: r.body_html,
            section_id: r.section_id,
            tags,
            places,
            place_ids,
            authors,
            credit: r.credit.unwrap_or_default(),
            dateline: r.dateline.unwrap_or_default(),
            signature: r.signature.unwrap_or_default(),
            hero_media_id: r.hero_media_id,
            hero_caption: r.hero_caption.unwrap_or_default(),
            hero_credit: r.hero_credit.unwrap_or_default(),
            embargo_until: r.embargo_until,
        },
        status,
        version: r.version,
        created_by: r.created_by,
        signature_auto: r.signature_auto != 0,
        published_at: r.published_at,
        updated_at: r.updated_at,
        created_at: r.created_at,
        section_slug: r.section_slug,
    }))
}

fn none_if_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

async fn write_fields(tx: &mut Tx<'_>, id: i64, f: &StoryFields, auto: bool, t: i64) -> Result<()> {
    let hero_url: Option<String> = match f.hero_media_id {
        Some(m) => {
            sqlx::query_scalar("SELECT path FROM media WHERE id = $1")
                .bind(m)
                .fetch_optional(&mut **tx)
                .await?
        }
        None => None,
    };
    sqlx::query(
        "UPDATE articles SET headline = $2, kicker = $3, summary = $4, \
         section_id = $5, credit = $6, signature = $7, dateline = $8, hero_media_id = $9, \
         hero_url = $10, hero_caption = $11, hero_credit = $12, embargo_until = $13, \
         signature_auto = $14, updated_at = $15 WHERE id = $1",
    )
    .bind(id)
    .bind(&f.headline)
    .bind(none_if_empty(&f.kicker))
    .bind(none_if_empty(&f.summary))
    .bind(f.section_id)
    .bind(none_if_empty(&f.credit))
    .bind(none_if_empty(&f.signature))
    .bind(none_if_empty(&f.dateline))
    .bind(f.hero_media_id)
    .bind(hero_url)
    .bind(none_if_empty(&f.hero_caption))
    .bind(none_if_empty(&f.hero_credit))
    .bind(f.embargo_until)
    .bind(i64::from(auto))
    .bind(t)
    .execute(&mut **tx)
    .await?;
    super::articles::write_body(tx, id, &f.body_html, &f.body_text()).await?;
    taxonomy::set_labels(tx, id, &f.tags, &f.authors).await?;
    super::places::set_article_places(tx, id, &f.place_ids).await?;
    Ok(())
}

/// Inserts a draft with its first revision (of `kind`, naming `changed`) and its audit line.
pub(super) async fn insert_story(
    tx: &mut Tx<'_>,
    fields: &StoryFields,
    actor: Actor<'_>,
    short_name: &str,
    kind: &str,
    changed: &[&str],
) -> Result<i64> {
    let t = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO articles (headline, section_id, status, updated_at, \
         created_at, created_by) VALUES ($1, $2, 'draft', $3, $3, $4) RETURNING id",
    )
    .bind(&fields.headline)
    .bind(fields.section_id)
    .bind(t)
    .bind(actor.user_id)
    .fetch_one(&mut **tx)
    .await?;
    let mut f = fields.clone();
    let auto = f.signature.is_empty();
    if auto {
        let handlers = handler_initials(tx, id, actor.user_id).await?;
        f.signature = desk_signature(short_name, handlers.iter().map(String::as_str));
    }
    write_fields(tx, id, &f, auto, t).await?;
    add_revision(tx, id, 1, kind, Some(actor.user_id), changed, &f).await?;
    audit(
        tx,
        &actor.audit("story.create", "article", Some(id), f.headline.clone()),
    )
    .await?;
    Ok(id)
}

async fn add_revision(
    tx: &mut Tx<'_>,
    id: i64,
    version: i64,
    kind: &str,
    user_id: Option<i64>,
    changed: &[&str],
    fields: &StoryFields,
) -> Result<()> {
    let snapshot = serde_json::to_string(fields)
        .map_err(|e| StorageError::Corrupt(format!("revision does not serialise: {e}")))?;
    sqlx::query(
        "INSERT INTO revisions (article_id, version, kind, user_id, created_at, changed, snapshot) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(version)
    .bind(kind)
    .bind(user_id)
    .bind(now())
    .bind(changed.join(","))
    .bind(snapshot)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A revision recording a move to `to` (by `user_id`, or the scheduler), with the story as
/// it stands in `tx`.
async fn status_revision(
    tx: &mut Tx<'_>,
    id: i64,
    version: i64,
    user_id: Option<i64>,
    to: Status,
) -> Result<()> {
    let story = load_story(tx, id)
        .await?
        .ok_or_else(|| StorageError::Corrupt(format!("article {id} vanished")))?;
    add_revision(
        tx,
        id,
        version,
        "status",
        user_id,
        &[to.as_str()],
        &story.fields,
    )
    .await
}

/// The initials of everyone who handled a story, in order: its creator, then each person who
/// saved it (first save first), then `also` (the person saving now).
async fn handler_initials(tx: &mut Tx<'_>, id: i64, also: i64) -> Result<Vec<String>> {
    let mut ids: Vec<i64> =
        sqlx::query_scalar::<_, Option<i64>>("SELECT created_by FROM articles WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .flatten()
            .into_iter()
            .collect();
    let savers: Vec<i64> = sqlx::query_scalar(
        "SELECT user_id FROM revisions WHERE article_id = $1 AND user_id IS NOT NULL \
         AND kind IN ('save', 'restore') GROUP BY user_id ORDER BY MIN(id)",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    for u in savers.into_iter().chain([also]) {
        if !ids.contains(&u) {
            ids.push(u);
        }
    }
    let mut out = Vec::new();
    for u in ids {
        let initials: Option<String> =
            sqlx::query_scalar("SELECT initials FROM users WHERE id = $1")
                .bind(u)
                .fetch_optional(&mut **tx)
                .await?;
        out.extend(initials);
    }
    Ok(out)
}

impl Store {
    pub async fn story(&self, id: i64) -> Result<Option<Story>> {
        let mut tx = self.begin_write().await?;
        let story = load_story(&mut tx, id).await?;
        tx.commit().await?;
        Ok(story)
    }

    /// Creates a draft owned by `actor`, with its first revision. When `fields.signature` is
    /// empty the desk signature is built from `short_name` and the handlers' initials.
    pub async fn create_story(
        &self,
        fields: &StoryFields,
        actor: Actor<'_>,
        short_name: &str,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id = insert_story(&mut tx, fields, actor, short_name, "save", &["headline"]).await?;
        changes::append(&mut tx, "article.draft", "article", id).await?;
        self.commit(tx).await?;
        Ok(id)
    }

    /// Saves new content over `expected_version`. A stale version is refused (nothing
    /// overwritten, the refused text kept as a 'conflict' revision). `kind` is 'save' or
    /// 'restore'.
    pub async fn save_story(
        &self,
        id: i64,
        expected_version: i64,
        fields: &StoryFields,
        actor: Actor<'_>,
        short_name: &str,
        kind: &str,
    ) -> Result<SaveOutcome> {
        let mut tx = self.begin_write().await?;
        let Some(current) = load_story(&mut tx, id).await? else {
            return Ok(SaveOutcome::NotFound);
        };
        if current.version != expected_version {
            let changed = current.fields.changed_fields(fields);
            add_revision(
                &mut tx,
                id,
                expected_version,
                "conflict",
                Some(actor.user_id),
                &changed,
                fields,
            )
            .await?;
            let by: Option<String> = sqlx::query_scalar(
                "SELECT u.name FROM revisions r JOIN users u ON u.id = r.user_id \
                 WHERE r.article_id = $1 AND r.kind <> 'conflict' ORDER BY r.id DESC LIMIT 1",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(SaveOutcome::Conflict {
                current: Box::new(current),
                by,
            });
        }
        let mut f = fields.clone();
        // The signature stays the system's own until someone types a different one.
        let auto = f.signature.is_empty()
            || (current.signature_auto && f.signature == current.fields.signature);
        if auto {
            let handlers = handler_initials(&mut tx, id, actor.user_id).await?;
            f.signature = desk_signature(short_name, handlers.iter().map(String::as_str));
        }
        let version = expected_version + 1;
        let claimed =
            sqlx::query("UPDATE articles SET version = $3 WHERE id = $1 AND version = $2")
                .bind(id)
                .bind(expected_version)
                .bind(version)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if claimed != 1 {
            // Lost a race with a save that committed between our read and write.
            drop(tx);
            return Box::pin(self.save_story(
                id,
                expected_version,
                fields,
                actor,
                short_name,
                kind,
            ))
            .await;
        }
        let t = now();
        write_fields(&mut tx, id, &f, auto, t).await?;
        let changed = current.fields.changed_fields(&f);
        add_revision(
            &mut tx,
            id,
            version,
            kind,
            Some(actor.user_id),
            &changed,
            &f,
        )
        .await?;
        changes::append(&mut tx, "article.updated", "article", id).await?;
        self.commit(tx).await?;
        Ok(SaveOutcome::Saved { version })
    }

    /// Moves a story to `to` if it is still in `from` (and at `expected_version`, when
    /// given). Publishing stamps the time on first publication; scheduling sets it to
    /// `publish_at`; unscheduling clears it.
    #[allow(clippy::too_many_arguments)]
    pub async fn move_story(
        &self,
        id: i64,
        from: &[Status],
        to: Status,
        expected_version: Option<i64>,
        publish_at: Option<i64>,
        actor: Actor<'_>,
        action: &str,
    ) -> Result<MoveOutcome> {
        let mut tx = self.begin_write().await?;
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT status, version FROM articles WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((status, version)) = row else {
            return Ok(MoveOutcome::NotFound);
        };
        let status = Status::parse(&status).unwrap_or(Status::Draft);
        if !from.contains(&status) {
            return Ok(MoveOutcome::WrongState(status));
        }
        if expected_version.is_some_and(|v| v != version) {
            return Ok(MoveOutcome::Conflict {
                current_version: version,
            });
        }
        let t = now();
        // Publishing stamps the time on first publication (a scheduled story gets the moment it
        // actually went out); scheduling sets the planned time; unscheduling clears it.
        let sql = "UPDATE articles SET status = $2, version = version + 1, updated_at = $4, \
             published_at = CASE \
               WHEN $2 = 'published' THEN COALESCE(CASE WHEN status = 'scheduled' THEN NULL ELSE published_at END, $4) \
               WHEN $2 = 'scheduled' THEN $5 \
               WHEN status = 'scheduled' THEN NULL \
               ELSE published_at END \
             WHERE id = $1 AND version = $3";
        let done = sqlx::query(sql)
            .bind(id)
            .bind(to.as_str())
            .bind(version)
            .bind(t)
            .bind(publish_at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if done != 1 {
            return Ok(MoveOutcome::Conflict {
                current_version: version + 1,
            });
        }
        status_revision(&mut tx, id, version + 1, Some(actor.user_id), to).await?;
        audit(
            &mut tx,
            &actor.audit(
                action,
                "article",
                Some(id),
                format!("{} → {}", status.as_str(), to.as_str()),
            ),
        )
        .await?;
        changes::append(&mut tx, &format!("article.{}", to.as_str()), "article", id).await?;
        self.commit(tx).await?;
        Ok(MoveOutcome::Moved {
            version: version + 1,
        })
    }

    /// Publishes every scheduled story whose time has come. Each story is claimed by a
    /// conditional update, so several nodes running this at once publish it exactly once.
    /// Returns the ids this call published.
    pub async fn publish_due(&self, at: i64) -> Result<Vec<i64>> {
        let due: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM articles WHERE status = 'scheduled' AND published_at <= $1 \
             AND (embargo_until IS NULL OR embargo_until <= $1) ORDER BY published_at LIMIT 100",
        )
        .bind(at)
        .fetch_all(&self.pool)
        .await?;
        let mut published = Vec::new();
        for id in due {
            let mut tx = self.begin_write().await?;
            // Like a publish by hand, the story is stamped with the moment it actually went
            // out: on time that is its planned second; after a stop it is the moment the
            // server came back, so it is not filed hours down the latest list unseen.
            let claimed: Option<i64> = sqlx::query_scalar(
                "UPDATE articles SET status = 'published', version = version + 1, updated_at = $2, \
                 published_at = $2 WHERE id = $1 AND status = 'scheduled' RETURNING version",
            )
            .bind(id)
            .bind(at)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(version) = claimed else {
                continue;
            };
            status_revision(&mut tx, id, version, None, Status::Published).await?;
            audit(
                &mut tx,
                &Audit {
                    actor: "scheduler",
                    action: "story.publish",
                    entity: "article",
                    entity_id: Some(id),
                    detail: "scheduled → published".into(),
                    ..Default::default()
                },
            )
            .await?;
            changes::append(&mut tx, "article.published", "article", id).await?;
            self.commit(tx).await?;
            published.push(id);
        }
        Ok(published)
    }

    /// Deletes a story that readers do not see (the API's DELETE); false if it is published
    /// or missing.
    pub async fn delete_story(&self, id: i64, actor: Actor<'_>) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let headline: Option<String> = sqlx::query_scalar(
            "SELECT headline FROM articles WHERE id = $1 AND status <> 'published'",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(headline) = headline else {
            return Ok(false);
        };
        for sql in [
            "DELETE FROM revisions WHERE article_id = $1",
            "DELETE FROM presence WHERE article_id = $1",
            "DELETE FROM redirects WHERE article_id = $1",
            "DELETE FROM article_tags WHERE article_id = $1",
            "DELETE FROM article_authors WHERE article_id = $1",
            "DELETE FROM articles WHERE id = $1",
        ] {
            sqlx::query(sql).bind(id).execute(&mut *tx).await?;
        }
        audit(
            &mut tx,
            &actor.audit("story.delete", "article", Some(id), headline),
        )
        .await?;
        changes::append(&mut tx, "article.deleted", "article", id).await?;
        self.commit(tx).await?;
        Ok(true)
    }

    /// The dashboard: stories by last change, newest first.
    pub async fn newsroom_stories(&self, q: &StoryQuery) -> Result<Vec<StoryRow>> {
        Ok(sqlx::query_as(
            "SELECT a.id, a.headline, a.status, s.name AS section_name, s.slug AS section_slug, \
             u.name AS owner_name, a.updated_at, a.published_at, a.version \
             FROM articles a JOIN sections s ON s.id = a.section_id LEFT JOIN users u ON u.id = a.created_by \
             WHERE ($1 IS NULL OR a.status = $1) AND ($2 IS NULL OR a.section_id = $2) \
             AND ($3 IS NULL OR a.created_by = $3) \
             ORDER BY a.updated_at DESC, a.id DESC LIMIT $4",
        )
        .bind(q.status.map(Status::as_str))
        .bind(q.section_id)
        .bind(q.owner)
        .bind(if q.limit > 0 { q.limit } else { 50 })
        .fetch_all(&self.pool)
        .await?)
    }

    /// How many stories are in each state, of one person's (`owner`) or of the newsroom's.
    pub async fn story_counts(&self, owner: Option<i64>) -> Result<Vec<(String, i64)>> {
        Ok(match owner {
            Some(owner) => {
                sqlx::query_as(
                    "SELECT status, COUNT(*) FROM articles WHERE created_by = $1 GROUP BY status",
                )
                .bind(owner)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query_as("SELECT status, COUNT(*) FROM articles GROUP BY status")
                    .fetch_all(&self.pool)
                    .await?
            }
        })
    }

    pub async fn revisions(&self, article_id: i64) -> Result<Vec<RevisionRow>> {
        Ok(sqlx::query_as(
            "SELECT r.id, r.article_id, r.version, r.kind, r.user_id, u.name AS user_name, r.created_at, r.changed \
             FROM revisions r LEFT JOIN users u ON u.id = r.user_id WHERE r.article_id = $1 ORDER BY r.id DESC",
        )
        .bind(article_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn revision(&self, article_id: i64, id: i64) -> Result<Option<Revision>> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT id, snapshot FROM revisions WHERE article_id = $1 AND id = $2")
                .bind(article_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        let Some((_, snapshot)) = row else {
            return Ok(None);
        };
        let meta = self
            .revisions(article_id)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| StorageError::Corrupt(format!("revision {id}")))?;
        let fields = serde_json::from_str(&snapshot)
            .map_err(|e| StorageError::Corrupt(format!("revision {id} snapshot: {e}")))?;
        Ok(Some(Revision { meta, fields }))
    }

    /// Marks `user_id` as having the story open now; returns the names of the others who had
    /// it open since `since`.
    pub async fn touch_presence(
        &self,
        article_id: i64,
        user_id: i64,
        since: i64,
    ) -> Result<Vec<String>> {
        sqlx::query(
            "INSERT INTO presence (article_id, user_id, seen_at) VALUES ($1, $2, $3) \
             ON CONFLICT (article_id, user_id) DO UPDATE SET seen_at = excluded.seen_at",
        )
        .bind(article_id)
        .bind(user_id)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(sqlx::query_scalar(
            "SELECT u.name FROM presence p JOIN users u ON u.id = p.user_id \
             WHERE p.article_id = $1 AND p.user_id <> $2 AND p.seen_at >= $3 ORDER BY u.name",
        )
        .bind(article_id)
        .bind(user_id)
        .bind(since)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn leave_presence(&self, article_id: i64, user_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM presence WHERE article_id = $1 AND user_id = $2")
            .bind(article_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
