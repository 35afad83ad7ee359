//! Corrections and update notes on published stories (migration 0011). Adding one moves the
//! story's `updated_at` (its modified time in JSON-LD, feeds and sitemaps) and appends to the
//! change feed, so every cached page showing the story goes, in the same transaction.

use super::users::{audit, Audit};
use super::{now, Result, Store};

/// One note as readers see it, with the story it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Correction {
    pub id: i64,
    pub article_id: i64,
    pub kind: String,
    pub note: String,
    pub created_at: i64,
    /// The story's headline and section slug (for the /corrections list).
    pub headline: String,
    pub section_slug: String,
}

const SELECT: &str = "SELECT c.id, c.article_id, c.kind, c.note, c.created_at, \
     a.headline, s.slug AS section_slug \
     FROM corrections c JOIN articles a ON a.id = c.article_id \
     JOIN sections s ON s.id = a.section_id";

impl Store {
    /// Adds a note to story `article_id` if it is published (`None` if it is not), moves its
    /// modified time and tells the change feed.
    pub async fn add_correction(
        &self,
        article_id: i64,
        kind: &str,
        note: &str,
        user_id: i64,
        audit_line: &Audit<'_>,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin_write().await?;
        let t = now();
        let published: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM articles WHERE id = $1 AND status = 'published'",
        )
        .bind(article_id)
        .fetch_one(&mut *tx)
        .await?;
        if published == 0 {
            return Ok(None);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO corrections (article_id, kind, note, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(article_id)
        .bind(kind)
        .bind(note)
        .bind(user_id)
        .bind(t)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("UPDATE articles SET updated_at = $2 WHERE id = $1 AND updated_at < $2")
            .bind(article_id)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        // The caller's line names the story.
        audit(&mut tx, audit_line).await?;
        super::changes::append(&mut tx, "article.updated", "article", article_id).await?;
        self.commit(tx).await?;
        Ok(Some(id))
    }

    /// A story's notes, newest first.
    pub async fn corrections_of(&self, article_id: i64) -> Result<Vec<Correction>> {
        Ok(sqlx::query_as(&format!(
            "{SELECT} WHERE c.article_id = $1 ORDER BY c.created_at DESC, c.id DESC"
        ))
        .bind(article_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Notes on published stories, newest first, before `(created_at, id)` if given.
    pub async fn recent_corrections(
        &self,
        before: Option<(i64, i64)>,
        limit: i64,
    ) -> Result<Vec<Correction>> {
        let (at, id) = before.unwrap_or((i64::MAX, i64::MAX));
        Ok(sqlx::query_as(&format!(
            "{SELECT} WHERE a.status = 'published' \
             AND (c.created_at < $1 OR (c.created_at = $1 AND c.id < $2)) \
             ORDER BY c.created_at DESC, c.id DESC LIMIT $3"
        ))
        .bind(at)
        .bind(id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
