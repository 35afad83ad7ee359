//! A large archive for load tests: the published stories already in the store, copied again and
//! again under new ids, spread evenly over the years and across every section. Rows are copied
//! inside SQLite (`INSERT … SELECT`) in large transactions, so a million stories take minutes,
//! not hours. The copies are not put in the change feed one by one: one `archive.generated`
//! entry at the end tells caches that everything changed, and `khobor reindex` makes them
//! searchable.

use super::{changes, Result, Store};

/// Stories copied per transaction.
const BATCH: i64 = 5_000;

impl Store {
    /// Adds `count` copies of the published stories now in the store, dated from `years` ago up
    /// to `now` and dealt round the sections. Returns how many were added; `progress` is told
    /// the running total after each transaction.
    pub async fn generate_archive(
        &self,
        count: i64,
        years: i64,
        now: i64,
        mut progress: impl FnMut(i64),
    ) -> Result<i64> {
        let sources: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM articles WHERE status = 'published' ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        let sections: Vec<i64> = sqlx::query_scalar("SELECT id FROM sections ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        if sources.is_empty() || sections.is_empty() || count <= 0 {
            return Ok(0);
        }
        let first: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM articles")
            .fetch_one(&self.pool)
            .await?;
        let span = years.max(1) * 365 * 86_400;
        let start = now - span;
        let mut done = 0;
        while done < count {
            let mut tx = self.begin_write().await?;
            let end = (done + BATCH).min(count);
            for k in done..end {
                let section = sections[(k as usize) % sections.len()];
                // Copies of one source land in different sections, not always the same one.
                let source = sources[((k + k / sections.len() as i64) as usize) % sources.len()];
                let at = start + (span as i128 * (k + 1) as i128 / count as i128) as i64;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO articles (external_id, headline, kicker, summary, section_id,
                         credit, signature, dateline, hero_url, hero_caption, hero_credit,
                         source_name, source_url, language, status, published_at, updated_at,
                         created_at)
                     SELECT 'archive-' || $1, headline, kicker, summary, $2, credit, signature,
                         dateline, hero_url, hero_caption, hero_credit, source_name, source_url,
                         language, 'published', $3, $3, $3
                     FROM articles WHERE id = $4
                     RETURNING id",
                )
                .bind(first + k)
                .bind(section)
                .bind(at)
                .bind(source)
                .fetch_one(&mut *tx)
                .await?;
                // The body, tags and byline go with it.
                for (table, columns) in [
                    ("article_bodies", "body_html, body_text"),
                    ("article_tags", "tag_id, position"),
                    ("article_authors", "author_id, position"),
                ] {
                    sqlx::query(&format!(
                        "INSERT INTO {table} (article_id, {columns}) \
                         SELECT $1, {columns} FROM {table} WHERE article_id = $2"
                    ))
                    .bind(id)
                    .bind(source)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            if end == count {
                changes::append(&mut tx, "archive.generated", "site", 0).await?;
            }
            self.commit(tx).await?;
            done = end;
            progress(done);
        }
        // Fresh statistics, so the planner knows how large the tables have become.
        self.refresh_statistics().await?;
        Ok(done)
    }
}
