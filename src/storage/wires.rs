//! Agency wires (migration 0016): the sources admins configure, what each poll left on them
//! (validators, failures, when to poll next), the queue of items, and the draft a desk makes
//! of an item — created and linked to the item in one transaction.

use super::articles::Cursor;
use super::stories::Actor;
use super::users::audit;
use super::{changes, now, read, Result, Store};
use crate::domain::story::StoryFields;
use crate::domain::wire::{Format, WireItem};

/// A configured source.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WireSource {
    pub id: i64,
    pub agency: String,
    pub url: String,
    pub format: String,
    pub poll_seconds: i64,
    pub active: i64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub next_poll_at: i64,
    pub last_polled_at: Option<i64>,
    pub last_ok_at: Option<i64>,
    pub failures: i64,
    pub last_error: Option<String>,
    pub items_seen: i64,
    pub created_at: i64,
}

impl WireSource {
    pub fn format(&self) -> Format {
        Format::parse(&self.format).unwrap_or(Format::Feed)
    }
}

/// An item in the queue, with its source's agency.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QueuedItem {
    pub id: i64,
    pub source_id: i64,
    pub agency: String,
    pub guid: String,
    pub headline: String,
    pub summary: String,
    pub body_html: String,
    pub link: Option<String>,
    pub published_at: i64,
    pub received_at: i64,
    pub updated_at: Option<i64>,
    pub article_id: Option<i64>,
}

/// A new source, as an admin entered it (already checked).
#[derive(Debug, Clone)]
pub struct NewSource<'a> {
    pub agency: &'a str,
    pub url: &'a str,
    pub format: Format,
    pub poll_seconds: i64,
}

/// What a poll that got a response did to the queue.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Added {
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
}

const SOURCE_COLUMNS: &str = "id, agency, url, format, poll_seconds, active, etag, last_modified, \
    next_poll_at, last_polled_at, last_ok_at, failures, last_error, items_seen, created_at";
const ITEM_COLUMNS: &str =
    "i.id, i.source_id, s.agency, i.guid, i.headline, i.summary, i.body_html, \
    i.link, i.published_at, i.received_at, i.updated_at, i.article_id";

impl Store {
    pub async fn add_wire_source(&self, s: &NewSource<'_>, actor: Actor<'_>) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO wire_sources (agency, url, format, poll_seconds, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(s.agency)
        .bind(s.url)
        .bind(s.format.as_str())
        .bind(s.poll_seconds)
        .bind(actor.user_id)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        audit(
            &mut tx,
            &actor.audit(
                "wire.source.add",
                "wire_source",
                Some(id),
                format!("{} {}", s.agency, s.url),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Pauses or resumes a source; false if there is no such source.
    pub async fn set_wire_source_active(
        &self,
        id: i64,
        active: bool,
        actor: Actor<'_>,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE wire_sources SET active = $2, next_poll_at = 0, failures = 0 WHERE id = $1",
        )
        .bind(id)
        .bind(i64::from(active))
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if done {
            audit(
                &mut tx,
                &actor.audit(
                    if active {
                        "wire.source.resume"
                    } else {
                        "wire.source.pause"
                    },
                    "wire_source",
                    Some(id),
                    String::new(),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// Deletes a source with the items it queued (drafts made of them stay).
    pub async fn delete_wire_source(&self, id: i64, actor: Actor<'_>) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM wire_items WHERE source_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM wire_sources WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if done {
            audit(
                &mut tx,
                &actor.audit("wire.source.delete", "wire_source", Some(id), String::new()),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    pub async fn wire_sources(&self) -> Result<Vec<WireSource>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SOURCE_COLUMNS} FROM wire_sources ORDER BY agency, id"
        ))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Active sources whose next poll is due at `t`, longest waiting first.
    pub async fn due_wire_sources(&self, t: i64) -> Result<Vec<WireSource>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SOURCE_COLUMNS} FROM wire_sources WHERE active = 1 AND next_poll_at <= $1 \
             ORDER BY next_poll_at, id"
        ))
        .bind(t)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records a poll the source answered (a 304 included): its validators and when to poll
    /// next; failures start again from none.
    pub async fn wire_poll_answered(
        &self,
        id: i64,
        etag: Option<&str>,
        last_modified: Option<&str>,
        next_poll_at: i64,
        seen: u64,
    ) -> Result<()> {
        let t = now();
        sqlx::query(
            "UPDATE wire_sources SET etag = $2, last_modified = $3, next_poll_at = $4, \
             last_polled_at = $5, last_ok_at = $5, failures = 0, last_error = NULL, \
             items_seen = items_seen + $6 WHERE id = $1",
        )
        .bind(id)
        .bind(etag)
        .bind(last_modified)
        .bind(next_poll_at)
        .bind(t)
        .bind(seen as i64)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a failed poll: the reason, one more failure, and when to try again.
    pub async fn wire_poll_failed(&self, id: i64, error: &str, next_poll_at: i64) -> Result<()> {
        sqlx::query(
            "UPDATE wire_sources SET last_error = $2, failures = failures + 1, next_poll_at = $3, \
             last_polled_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(error)
        .bind(next_poll_at)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Queues `items` from source `source_id`: a new id is a new item; a known id with other
    /// words updates it (unless a draft was made of it); the same words under a new id (an
    /// agency re-sending a story) are left out.
    pub async fn add_wire_items(&self, source_id: i64, items: &[WireItem]) -> Result<Added> {
        let mut added = Added::default();
        let mut tx = self.begin_write().await?;
        let t = now();
        for item in items {
            let known: Option<(i64, String)> = sqlx::query_as(
                "SELECT id, content_hash FROM wire_items WHERE source_id = $1 AND guid = $2",
            )
            .bind(source_id)
            .bind(&item.guid)
            .fetch_optional(&mut *tx)
            .await?;
            match known {
                Some((_, hash)) if hash == item.content_hash => added.unchanged += 1,
                Some((id, _)) => {
                    sqlx::query(
                        "UPDATE wire_items SET content_hash = $2, headline = $3, summary = $4, \
                         body_html = $5, link = $6, published_at = $7, updated_at = $8 WHERE id = $1",
                    )
                    .bind(id)
                    .bind(&item.content_hash)
                    .bind(&item.headline)
                    .bind(&item.summary)
                    .bind(&item.body_html)
                    .bind(&item.link)
                    .bind(item.published_at.unwrap_or(t))
                    .bind(t)
                    .execute(&mut *tx)
                    .await?;
                    added.updated += 1;
                }
                None => {
                    let same_words: Option<i64> = sqlx::query_scalar(
                        "SELECT id FROM wire_items WHERE source_id = $1 AND content_hash = $2 LIMIT 1",
                    )
                    .bind(source_id)
                    .bind(&item.content_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if same_words.is_some() {
                        added.unchanged += 1;
                        continue;
                    }
                    sqlx::query(
                        "INSERT INTO wire_items (source_id, guid, content_hash, headline, summary, \
                         body_html, link, published_at, received_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(source_id)
                    .bind(&item.guid)
                    .bind(&item.content_hash)
                    .bind(&item.headline)
                    .bind(&item.summary)
                    .bind(&item.body_html)
                    .bind(&item.link)
                    .bind(item.published_at.unwrap_or(t))
                    .bind(t)
                    .execute(&mut *tx)
                    .await?;
                    added.new += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(added)
    }

    /// The queue, newest first: items of `source` (all when `None`) whose headline or text
    /// holds `query`, after the keyset `before` (published_at, id).
    pub async fn wire_queue(
        &self,
        source: Option<i64>,
        query: Option<&str>,
        before: Option<Cursor>,
        limit: i64,
    ) -> Result<Vec<QueuedItem>> {
        let mut sql = format!(
            "SELECT {ITEM_COLUMNS} FROM wire_items i JOIN wire_sources s ON s.id = i.source_id WHERE 1 = 1"
        );
        if source.is_some() {
            sql.push_str(" AND i.source_id = ?");
        }
        if query.is_some() {
            sql.push_str(" AND (i.headline LIKE ? OR i.body_html LIKE ?)");
        }
        if before.is_some() {
            sql.push_str(" AND (i.published_at < ? OR (i.published_at = ? AND i.id < ?))");
        }
        sql.push_str(" ORDER BY i.published_at DESC, i.id DESC LIMIT ?");
        let sql = read::numbered(&sql);
        let mut q = sqlx::query_as::<_, QueuedItem>(&sql);
        if let Some(s) = source {
            q = q.bind(s);
        }
        if let Some(text) = query {
            let pattern = read::contains_pattern(text);
            q = q.bind(pattern.clone()).bind(pattern);
        }
        if let Some(c) = before {
            q = q.bind(c.published_at).bind(c.published_at).bind(c.id);
        }
        Ok(q.bind(limit).fetch_all(&self.pool).await?)
    }

    pub async fn wire_item(&self, id: i64) -> Result<Option<QueuedItem>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ITEM_COLUMNS} FROM wire_items i JOIN wire_sources s ON s.id = i.source_id WHERE i.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The wire item a story was drafted from, if any.
    pub async fn wire_item_of_story(&self, article_id: i64) -> Result<Option<QueuedItem>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ITEM_COLUMNS} FROM wire_items i JOIN wire_sources s ON s.id = i.source_id \
             WHERE i.article_id = $1 ORDER BY i.id LIMIT 1"
        ))
        .bind(article_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Makes a draft of wire item `item_id` with `fields`, its first revision marked as from
    /// the wire, and links the item to it — unless a draft was made of the item already, whose
    /// id is returned as `Err`. `None` when there is no such item.
    pub async fn create_story_from_wire(
        &self,
        item_id: i64,
        fields: &StoryFields,
        actor: Actor<'_>,
        short_name: &str,
    ) -> Result<Option<std::result::Result<i64, i64>>> {
        let mut tx = self.begin_write().await?;
        let existing: Option<Option<i64>> =
            sqlx::query_scalar("SELECT article_id FROM wire_items WHERE id = $1")
                .bind(item_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(existing) = existing else {
            return Ok(None);
        };
        if let Some(article) = existing {
            return Ok(Some(Err(article)));
        }
        let changed = format!("wire:{item_id}");
        let id = super::stories::insert_story(
            &mut tx,
            fields,
            actor,
            short_name,
            "wire",
            &["headline", changed.as_str()],
        )
        .await?;
        sqlx::query("UPDATE wire_items SET article_id = $2 WHERE id = $1")
            .bind(item_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        changes::append(&mut tx, "article.draft", "article", id).await?;
        self.commit(tx).await?;
        Ok(Some(Ok(id)))
    }
}
