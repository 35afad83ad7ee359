//! Views of published stories for the most-read lists (migration 0015): counts per story per
//! hour, the salts of the counting windows and the marks of readings already counted (see
//! `domain::views`). Nodes add their counts in batches; a reading counted on one node is
//! recognised on every other by its mark, so it is counted once.

use std::collections::{HashMap, HashSet};

use rand::RngCore;

use super::{read, Location, Result, Store, Tx};
use crate::domain::views::KEEP_HOURS;

/// One reading a node saw: its mark in its window and in the window before, the story and
/// the hour it falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub window: i64,
    pub mark: i64,
    /// The mark the same reading would have left in the window before: a reader who read the
    /// story just before the window turned is not counted again just after.
    pub previous_mark: i64,
    pub article_id: i64,
    pub hour: i64,
}

/// Rows per INSERT statement (two or three parameters each).
const CHUNK: usize = 300;

impl Store {
    /// A transaction for counting: SQLite's writer slot taken at once, and on PostgreSQL an
    /// ordinary transaction (counts add up under `ON CONFLICT`; they need no place in the
    /// change feed's order).
    async fn begin_counting(&self) -> Result<Tx<'static>> {
        match self.location {
            Location::Sqlite(_) => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Location::Postgres(_) => Ok(self.pool.begin().await?),
        }
    }

    /// The salt of counting window `window`, made by whichever node asks first.
    pub async fn view_salt(&self, window: i64) -> Result<String> {
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        let fresh: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        sqlx::query(
            "INSERT INTO view_salts (window_id, salt) VALUES ($1, $2) ON CONFLICT (window_id) DO NOTHING",
        )
        .bind(window)
        .bind(&fresh)
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT salt FROM view_salts WHERE window_id = $1")
                .bind(window)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Adds `readings` to the counts: a reading whose mark is new in its window, and which
    /// left no mark in the window before, counts one view of its story in its hour. Returns
    /// how many counted. Salts and marks of windows before `window_open` and hours older than
    /// the longest list are deleted on the way.
    pub async fn record_readings(
        &self,
        readings: &[Reading],
        window_open: i64,
        hour_now: i64,
    ) -> Result<u64> {
        let mut readings: Vec<Reading> = readings.to_vec();
        // One order on every node, so two nodes' batches take row locks in the same order.
        readings.sort_by_key(|r| (r.window, r.mark));
        readings.dedup_by_key(|r| (r.window, r.mark));
        let mut tx = self.begin_counting().await?;
        let mut new: HashSet<(i64, i64)> = HashSet::new();
        for chunk in readings.chunks(CHUNK) {
            let values = read::value_rows(chunk.len(), 2);
            let sql = format!(
                "INSERT INTO view_marks (window_id, mark) VALUES {values} \
                 ON CONFLICT (window_id, mark) DO NOTHING RETURNING window_id, mark"
            );
            let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
            for r in chunk {
                q = q.bind(r.window).bind(r.mark);
            }
            new.extend(q.fetch_all(&mut *tx).await?);
        }
        // Marks in the windows before, this batch's included (a reading at 10:29 and its
        // reload at 10:31 in one batch count once).
        let mut before: HashSet<(i64, i64)> = HashSet::new();
        let previous: Vec<(i64, i64)> = readings
            .iter()
            .filter(|r| new.contains(&(r.window, r.mark)))
            .map(|r| (r.window - 1, r.previous_mark))
            .collect();
        for chunk in previous.chunks(CHUNK) {
            let values = read::value_rows(chunk.len(), 2);
            let sql = format!(
                "SELECT window_id, mark FROM view_marks WHERE (window_id, mark) IN (VALUES {values})"
            );
            let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
            for (w, m) in chunk {
                q = q.bind(*w).bind(*m);
            }
            before.extend(q.fetch_all(&mut *tx).await?);
        }
        let mut counts: HashMap<(i64, i64), i64> = HashMap::new();
        for r in readings.iter().filter(|r| {
            new.contains(&(r.window, r.mark)) && !before.contains(&(r.window - 1, r.previous_mark))
        }) {
            *counts.entry((r.article_id, r.hour)).or_default() += 1;
        }
        let counted = counts.values().sum::<i64>() as u64;
        let mut counts: Vec<((i64, i64), i64)> = counts.into_iter().collect();
        counts.sort_unstable();
        for chunk in counts.chunks(CHUNK) {
            let values = read::value_rows(chunk.len(), 3);
            let sql = format!(
                "INSERT INTO article_views (article_id, hour, views) VALUES {values} \
                 ON CONFLICT (article_id, hour) DO UPDATE SET views = article_views.views + excluded.views"
            );
            let mut q = sqlx::query(&sql);
            for ((article, hour), n) in chunk {
                q = q.bind(*article).bind(*hour).bind(*n);
            }
            q.execute(&mut *tx).await?;
        }
        for sql in [
            "DELETE FROM view_marks WHERE window_id < $1",
            "DELETE FROM view_salts WHERE window_id < $1",
        ] {
            sqlx::query(sql).bind(window_open).execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM article_views WHERE hour < $1")
            .bind(hour_now - KEEP_HOURS)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(counted)
    }

    /// Every published story read since `since_hour`: (story, its section, views), most read
    /// first (ties: the newer story first).
    pub async fn views_since(&self, since_hour: i64) -> Result<Vec<(i64, i64, i64)>> {
        let sql = read::numbered(
            "SELECT v.article_id, a.section_id, CAST(SUM(v.views) AS BIGINT) AS n \
             FROM article_views v JOIN articles a ON a.id = v.article_id \
             WHERE v.hour >= ? AND a.status = 'published' \
             GROUP BY v.article_id, a.section_id ORDER BY n DESC, v.article_id DESC",
        );
        self.read_all(
            &sql,
            &[since_hour],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            |r| {
                use sqlx::Row;
                Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))
            },
        )
        .await
    }
}
