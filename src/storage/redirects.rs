//! Old links as admins see them in the newsroom: every path recorded as leading to a story
//! (`redirects`) or to another page (`path_redirects`, migration 0008), listed by path, added
//! and removed by hand (audited). Imports record them through `articles.rs`.

use super::stories::Actor;
use super::users::audit;
use super::{now, Result, Store};
use crate::domain::urls::{redirect_key, LinkTarget};

/// One old link: its key (`redirect_key`) and where it leads.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OldLink {
    pub from_path: String,
    /// The story it leads to, or …
    pub article_id: Option<i64>,
    /// … the site path it leads to.
    pub to_path: Option<String>,
    pub created_at: i64,
}

impl Store {
    /// Old links in path order after `after`, those whose path holds `query` when given.
    pub async fn old_links(
        &self,
        query: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<OldLink>> {
        let pattern = query.map(super::read::contains_pattern);
        Ok(sqlx::query_as(
            "SELECT from_path, article_id, to_path, created_at FROM ( \
               SELECT from_path, article_id, CAST(NULL AS TEXT) AS to_path, created_at FROM redirects \
               UNION ALL \
               SELECT from_path, CAST(NULL AS BIGINT) AS article_id, to_path, created_at FROM path_redirects \
             ) links WHERE ($1 IS NULL OR from_path LIKE $1) AND ($2 IS NULL OR from_path > $2) \
             ORDER BY from_path LIMIT $3",
        )
        .bind(pattern)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records by hand that `from` (any form a browser may send: stored under its key) leads to
    /// `to`, replacing what it led to before.
    pub async fn set_old_link(&self, from: &str, to: &LinkTarget, actor: Actor<'_>) -> Result<()> {
        let (path, query) = match from.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (from, None),
        };
        let key = redirect_key(path, query);
        let mut tx = self.begin_write().await?;
        for table in ["redirects", "path_redirects"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE from_path = $1"))
                .bind(&key)
                .execute(&mut *tx)
                .await?;
        }
        let detail = match to {
            LinkTarget::Story(id) => {
                sqlx::query(
                    "INSERT INTO redirects (from_path, article_id, created_at) VALUES ($1, $2, $3)",
                )
                .bind(&key)
                .bind(id)
                .bind(now())
                .execute(&mut *tx)
                .await?;
                format!("{key} → #{id}")
            }
            LinkTarget::Path(to) => {
                sqlx::query(
                    "INSERT INTO path_redirects (from_path, to_path, created_at) VALUES ($1, $2, $3)",
                )
                .bind(&key)
                .bind(to)
                .bind(now())
                .execute(&mut *tx)
                .await?;
                format!("{key} → {to}")
            }
        };
        audit(
            &mut tx,
            &actor.audit("redirect.set", "redirect", None, detail),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes the old link stored under `key`; false if there was none.
    pub async fn delete_old_link(&self, key: &str, actor: Actor<'_>) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let mut gone = 0;
        for table in ["redirects", "path_redirects"] {
            gone += sqlx::query(&format!("DELETE FROM {table} WHERE from_path = $1"))
                .bind(key)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        if gone > 0 {
            audit(
                &mut tx,
                &actor.audit("redirect.delete", "redirect", None, key.to_owned()),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(gone > 0)
    }
}
