//! Breaking-news alerts (migration 0012). Adding or clearing one appends to the change feed
//! (entity `breaking`), which purges only what shows alerts (the home page and `/breaking.json`),
//! never every page.

use super::users::{audit, Audit};
use super::{now, Result, Store};

/// A live alert, with its story's section slug when it points at a published story.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Breaking {
    pub id: i64,
    pub text: String,
    pub article_id: Option<i64>,
    pub section_slug: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

impl Store {
    /// Adds an alert shown until `expires_at`; its id.
    pub async fn add_breaking(
        &self,
        text: &str,
        article_id: Option<i64>,
        expires_at: i64,
        user_id: i64,
        audit_line: &Audit<'_>,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO breaking (text, article_id, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(text)
        .bind(article_id)
        .bind(user_id)
        .bind(now())
        .bind(expires_at)
        .fetch_one(&mut *tx)
        .await?;
        audit(
            &mut tx,
            &Audit {
                entity_id: Some(id),
                ..audit_line.clone()
            },
        )
        .await?;
        super::changes::append(&mut tx, "breaking.added", "breaking", id).await?;
        self.commit(tx).await?;
        Ok(id)
    }

    /// Takes a live alert down; false if it was not live.
    pub async fn clear_breaking(&self, id: i64, audit_line: &Audit<'_>) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let t = now();
        let done = sqlx::query(
            "UPDATE breaking SET cleared_at = $2 WHERE id = $1 AND cleared_at IS NULL \
             AND expires_at > $2",
        )
        .bind(id)
        .bind(t)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(false);
        }
        audit(&mut tx, audit_line).await?;
        super::changes::append(&mut tx, "breaking.cleared", "breaking", id).await?;
        self.commit(tx).await?;
        Ok(true)
    }

    /// Tells the change feed about alerts that ran out by `at` (each once, whichever node
    /// asks first), so that pages showing them are dropped from every cache; how many.
    pub async fn note_expired_breaking(&self, at: i64) -> Result<usize> {
        // A read first: the write lock is taken only when something ran out.
        let due: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM breaking \
             WHERE expiry_noted IS NULL AND cleared_at IS NULL AND expires_at <= $1",
        )
        .bind(at)
        .fetch_one(&self.pool)
        .await?;
        if due == 0 {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "UPDATE breaking SET expiry_noted = $1 \
             WHERE expiry_noted IS NULL AND cleared_at IS NULL AND expires_at <= $1 RETURNING id",
        )
        .bind(at)
        .fetch_all(&mut *tx)
        .await?;
        for id in &ids {
            super::changes::append(&mut tx, "breaking.expired", "breaking", *id).await?;
        }
        if ids.is_empty() {
            tx.rollback().await?;
        } else {
            self.commit(tx).await?;
        }
        Ok(ids.len())
    }

    /// Alerts live at `at` (not cleared, not expired), newest first; a link only to a story
    /// that is published.
    pub async fn live_breaking(&self, at: i64) -> Result<Vec<Breaking>> {
        Ok(sqlx::query_as(
            "SELECT b.id, b.text, a.id AS article_id, s.slug AS section_slug, b.created_at, \
             b.expires_at FROM breaking b \
             LEFT JOIN articles a ON a.id = b.article_id AND a.status = 'published' \
             LEFT JOIN sections s ON s.id = a.section_id \
             WHERE b.cleared_at IS NULL AND b.expires_at > $1 \
             ORDER BY b.created_at DESC, b.id DESC LIMIT 5",
        )
        .bind(at)
        .fetch_all(&self.pool)
        .await?)
    }
}
