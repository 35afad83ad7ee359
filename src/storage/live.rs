//! Live pages and their entries (migration 0014). Every change — a page started or ended, an
//! entry added, edited or deleted — bumps the page's `revision`, moves the story's
//! `updated_at` and appends `article.updated` to the change feed in the same transaction, so
//! cached pages and the CDN drop the story and every node's live-event follower tells its
//! readers.

use super::users::{audit, Audit};
use super::{now, Result, Store, Tx};

/// A story's live state.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LivePage {
    pub article_id: i64,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub revision: i64,
    pub added: i64,
}

impl LivePage {
    pub fn is_live(&self) -> bool {
        self.ended_at.is_none()
    }
}

/// One entry as pages show it, with its image from the media library.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LiveEntry {
    pub id: i64,
    pub article_id: i64,
    pub body_html: String,
    pub media_id: Option<i64>,
    /// The entry's own description of its image, else the library's.
    pub media_alt: Option<String>,
    pub media_path: Option<String>,
    pub media_width: Option<i64>,
    pub media_height: Option<i64>,
    pub embed_url: Option<String>,
    pub key_event: i64,
    pub edited: i64,
    pub author: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What an editor sends for an entry, cleaned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFields {
    pub body_html: String,
    pub media_id: Option<i64>,
    pub media_alt: Option<String>,
    pub embed_url: Option<String>,
    pub key_event: bool,
}

/// What came of an entry change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveOutcome {
    Done(i64),
    /// The story is not published (or gone).
    NotPublished,
    /// No live page, or (adding) it has ended.
    NotLive,
    /// No such entry on this page.
    NoEntry,
}

const ENTRY_SELECT: &str = "SELECT e.id, e.article_id, e.body_html, e.media_id, \
     COALESCE(NULLIF(e.media_alt, ''), m.alt) AS media_alt, m.path AS media_path, \
     m.width AS media_width, m.height AS media_height, e.embed_url, e.key_event, e.edited, \
     u.name AS author, e.created_at, e.updated_at \
     FROM live_entries e LEFT JOIN media m ON m.id = e.media_id \
     LEFT JOIN users u ON u.id = e.created_by";

/// Whether story `id` is published, read inside the write transaction.
async fn published(tx: &mut Tx<'_>, id: i64) -> Result<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM articles WHERE id = $1 AND status = 'published'")
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
    Ok(n == 1)
}

/// The common tail of every change: the page's revision, the story's modified time, the
/// audit line and the change feed.
async fn changed(
    tx: &mut Tx<'_>,
    article_id: i64,
    added: i64,
    t: i64,
    audit_line: &Audit<'_>,
) -> Result<()> {
    sqlx::query(
        "UPDATE live_pages SET revision = revision + 1, added = added + $2 WHERE article_id = $1",
    )
    .bind(article_id)
    .bind(added)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE articles SET updated_at = $2 WHERE id = $1 AND updated_at < $2")
        .bind(article_id)
        .bind(t)
        .execute(&mut **tx)
        .await?;
    audit(tx, audit_line).await?;
    super::changes::append(tx, "article.updated", "article", article_id).await
}

impl Store {
    /// Starts (or, once ended, restarts) story `article_id`'s live page.
    pub async fn start_live(
        &self,
        article_id: i64,
        user_id: i64,
        audit_line: &Audit<'_>,
    ) -> Result<LiveOutcome> {
        let mut tx = self.begin_write().await?;
        if !published(&mut tx, article_id).await? {
            return Ok(LiveOutcome::NotPublished);
        }
        let t = now();
        let reopened = sqlx::query(
            "UPDATE live_pages SET ended_at = NULL WHERE article_id = $1 AND ended_at IS NOT NULL",
        )
        .bind(article_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if reopened == 0 {
            let inserted = sqlx::query(
                "INSERT INTO live_pages (article_id, started_at, started_by) \
                 SELECT $1, $2, $3 WHERE NOT EXISTS \
                 (SELECT 1 FROM live_pages WHERE article_id = $1)",
            )
            .bind(article_id)
            .bind(t)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 0 {
                // Already live: nothing to change.
                return Ok(LiveOutcome::Done(article_id));
            }
        }
        changed(&mut tx, article_id, 0, t, audit_line).await?;
        self.commit(tx).await?;
        Ok(LiveOutcome::Done(article_id))
    }

    /// Ends a live page; its entries stay, as an archive.
    pub async fn end_live(&self, article_id: i64, audit_line: &Audit<'_>) -> Result<LiveOutcome> {
        let mut tx = self.begin_write().await?;
        let t = now();
        let ended = sqlx::query(
            "UPDATE live_pages SET ended_at = $2 WHERE article_id = $1 AND ended_at IS NULL",
        )
        .bind(article_id)
        .bind(t)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if ended == 0 {
            return Ok(LiveOutcome::NotLive);
        }
        changed(&mut tx, article_id, 0, t, audit_line).await?;
        self.commit(tx).await?;
        Ok(LiveOutcome::Done(article_id))
    }

    /// Adds an entry to a published story's page while it is live; the entry's id.
    pub async fn add_live_entry(
        &self,
        article_id: i64,
        fields: &EntryFields,
        user_id: i64,
        audit_line: &Audit<'_>,
    ) -> Result<LiveOutcome> {
        let mut tx = self.begin_write().await?;
        if !published(&mut tx, article_id).await? {
            return Ok(LiveOutcome::NotPublished);
        }
        let live: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM live_pages WHERE article_id = $1 AND ended_at IS NULL",
        )
        .bind(article_id)
        .fetch_one(&mut *tx)
        .await?;
        if live == 0 {
            return Ok(LiveOutcome::NotLive);
        }
        let t = now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO live_entries (article_id, body_html, media_id, media_alt, embed_url, \
             key_event, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(article_id)
        .bind(&fields.body_html)
        .bind(fields.media_id)
        .bind(&fields.media_alt)
        .bind(&fields.embed_url)
        .bind(i64::from(fields.key_event))
        .bind(user_id)
        .bind(t)
        .fetch_one(&mut *tx)
        .await?;
        let line = Audit {
            entity_id: Some(id),
            ..audit_line.clone()
        };
        changed(&mut tx, article_id, 1, t, &line).await?;
        self.commit(tx).await?;
        Ok(LiveOutcome::Done(id))
    }

    /// Replaces an entry's text, image and embed (its time stays: it is when it was posted).
    pub async fn update_live_entry(
        &self,
        article_id: i64,
        entry_id: i64,
        fields: &EntryFields,
        audit_line: &Audit<'_>,
    ) -> Result<LiveOutcome> {
        let mut tx = self.begin_write().await?;
        let t = now();
        let done = sqlx::query(
            "UPDATE live_entries SET body_html = $3, media_id = $4, media_alt = $5, \
             embed_url = $6, key_event = $7, updated_at = $8, edited = 1 WHERE id = $1 AND article_id = $2",
        )
        .bind(entry_id)
        .bind(article_id)
        .bind(&fields.body_html)
        .bind(fields.media_id)
        .bind(&fields.media_alt)
        .bind(&fields.embed_url)
        .bind(i64::from(fields.key_event))
        .bind(t)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(LiveOutcome::NoEntry);
        }
        changed(&mut tx, article_id, 0, t, audit_line).await?;
        self.commit(tx).await?;
        Ok(LiveOutcome::Done(entry_id))
    }

    /// Deletes an entry.
    pub async fn delete_live_entry(
        &self,
        article_id: i64,
        entry_id: i64,
        audit_line: &Audit<'_>,
    ) -> Result<LiveOutcome> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM live_entries WHERE id = $1 AND article_id = $2")
            .bind(entry_id)
            .bind(article_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if done == 0 {
            return Ok(LiveOutcome::NoEntry);
        }
        changed(&mut tx, article_id, 0, now(), audit_line).await?;
        self.commit(tx).await?;
        Ok(LiveOutcome::Done(entry_id))
    }

    /// Story `article_id`'s live page, if it ever had one.
    pub async fn live_page(&self, article_id: i64) -> Result<Option<LivePage>> {
        Ok(sqlx::query_as(
            "SELECT article_id, started_at, ended_at, revision, added FROM live_pages \
             WHERE article_id = $1",
        )
        .bind(article_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Story `article_id`'s live page if the story is published (what a reader may follow).
    pub async fn published_live_page(&self, article_id: i64) -> Result<Option<LivePage>> {
        Ok(sqlx::query_as(
            "SELECT p.article_id, p.started_at, p.ended_at, p.revision, p.added \
             FROM live_pages p JOIN articles a ON a.id = p.article_id \
             WHERE p.article_id = $1 AND a.status = 'published'",
        )
        .bind(article_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// A page's entries, newest first, before entry `before` if given; at most `limit`.
    pub async fn live_entries(
        &self,
        article_id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<LiveEntry>> {
        Ok(sqlx::query_as(&format!(
            "{ENTRY_SELECT} WHERE e.article_id = $1 AND e.id < $2 \
             ORDER BY e.id DESC LIMIT $3"
        ))
        .bind(article_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// One entry of a page.
    pub async fn live_entry(&self, article_id: i64, entry_id: i64) -> Result<Option<LiveEntry>> {
        Ok(sqlx::query_as(&format!(
            "{ENTRY_SELECT} WHERE e.article_id = $1 AND e.id = $2"
        ))
        .bind(article_id)
        .bind(entry_id)
        .fetch_optional(&self.pool)
        .await?)
    }
}
