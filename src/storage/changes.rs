//! The change feed: appended in the same transaction as the change it describes, read by
//! consumers that remember the last sequence they applied.

use super::{now, Result, Store, Tx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Change {
    pub seq: i64,
    pub kind: String,
    pub entity: String,
    pub entity_id: i64,
    pub created_at: i64,
}

pub async fn append(tx: &mut Tx<'_>, kind: &str, entity: &str, entity_id: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO changes (kind, entity, entity_id, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(kind)
    .bind(entity)
    .bind(entity_id)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Changes after `seq`, oldest first, at most `limit`.
    pub async fn changes_since(&self, seq: i64, limit: i64) -> Result<Vec<Change>> {
        Ok(sqlx::query_as(
            "SELECT seq, kind, entity, entity_id, created_at FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

impl Store {
    /// The newest sequence in the change feed (0 when empty).
    pub async fn last_change_seq(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(seq) FROM changes")
                .fetch_one(&self.pool)
                .await?
                .unwrap_or(0),
        )
    }
}

impl Store {
    /// When the newest change to what readers see was made (`None` on an empty store): the
    /// `Last-Modified` of every public page.
    pub async fn last_change_time(&self) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT created_at FROM changes ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}

impl Store {
    /// Purge tags for the pages a story can appear on as it is now: its section, tags and
    /// authors (`section:3`, `tag:7`, `author:5`). Pages it appeared on before a move are
    /// found by its own `article:ID` tag instead.
    pub async fn article_cache_tags(&self, id: i64) -> Result<Vec<String>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT 'section', section_id FROM articles WHERE id = $1
             UNION ALL SELECT 'tag', tag_id FROM article_tags WHERE article_id = $1
             UNION ALL SELECT 'author', author_id FROM article_authors WHERE article_id = $1",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(kind, id)| format!("{kind}:{id}"))
            .collect())
    }
}

impl Store {
    /// The change at `seq`, if the feed has it.
    pub async fn change_at(&self, seq: i64) -> Result<Option<Change>> {
        Ok(sqlx::query_as(
            "SELECT seq, kind, entity, entity_id, created_at FROM changes WHERE seq = $1",
        )
        .bind(seq)
        .fetch_optional(&self.pool)
        .await?)
    }
}
