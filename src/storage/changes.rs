//! The change feed: appended in the same transaction as the change it describes, read by
//! consumers that remember the last sequence they applied.
//!
//! A follower reads `seq > last applied`, so no change may commit after one with a higher
//! sequence: every append holds the store's write lock until its transaction ends (SQLite has
//! one writer at a time; PostgreSQL takes a transaction-level advisory lock), so sequences
//! become visible in the order they were handed out, on every node.
//!
//! On PostgreSQL each append also sends `NOTIFY khobor_changes`, delivered at commit; every
//! node LISTENs and wakes its followers at once. Polling stays as the safety net, and a
//! listener that lost its connection wakes them when it is back, so they catch up from where
//! they were.

use std::time::Duration;

use super::{now, Result, Store, Tx};

/// The channel PostgreSQL notifications of new changes are sent on.
const CHANNEL: &str = "khobor_changes";

/// Tells followers that the change feed may have grown.
#[derive(Debug)]
pub struct Signal {
    tx: tokio::sync::watch::Sender<u64>,
    /// Whether this store's listener task has been started (PostgreSQL).
    listening: std::sync::atomic::AtomicBool,
}

impl Default for Signal {
    fn default() -> Signal {
        Signal {
            tx: tokio::sync::watch::Sender::new(0),
            listening: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

impl Signal {
    pub(super) fn bump(&self) {
        self.tx.send_modify(|n| *n = n.wrapping_add(1));
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Change {
    pub seq: i64,
    pub kind: String,
    pub entity: String,
    pub entity_id: i64,
    pub created_at: i64,
}

pub async fn append(tx: &mut Tx<'_>, kind: &str, entity: &str, entity_id: i64) -> Result<()> {
    super::take_write_lock(tx).await?;
    if tx.backend_name() == "PostgreSQL" {
        sqlx::query(&format!("NOTIFY {CHANNEL}"))
            .execute(&mut **tx)
            .await?;
    }
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

/// Appends one change per `(kind, entity id)` of `entity`, in the order given, with one
/// multi-row statement per few hundred (an import batch's stories); the same lock and
/// notification as [`append`].
pub async fn append_many(tx: &mut Tx<'_>, entity: &str, changes: &[(&str, i64)]) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    super::take_write_lock(tx).await?;
    if tx.backend_name() == "PostgreSQL" {
        sqlx::query(&format!("NOTIFY {CHANNEL}"))
            .execute(&mut **tx)
            .await?;
    }
    let t = now();
    for chunk in changes.chunks(100) {
        let sql = format!(
            "INSERT INTO changes (kind, entity, entity_id, created_at) VALUES {}",
            super::read::value_rows(chunk.len(), 4)
        );
        let mut q = sqlx::query(&sql);
        for (kind, id) in chunk {
            q = q.bind(*kind).bind(entity).bind(*id).bind(t);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

impl Store {
    /// A receiver that changes when a change is committed: by this process, or on
    /// PostgreSQL by any node (and when the listener reconnects, since notifications sent
    /// while it was away are lost). Followers wait on it or on their polling interval,
    /// whichever comes first.
    pub fn change_signal(&self) -> tokio::sync::watch::Receiver<u64> {
        if let super::Location::Postgres(url) = &self.location {
            if !self
                .signal
                .listening
                .swap(true, std::sync::atomic::Ordering::AcqRel)
            {
                tokio::spawn(listen(url.clone(), std::sync::Arc::downgrade(&self.signal)));
            }
        }
        self.signal.tx.subscribe()
    }

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

/// Every list of stories a published story can be on besides its section's, tags' and
/// authors': the newest stories everywhere, the home page, feeds, the archive, the cards and
/// the corrections.
pub const LIST_KEYS: [&str; 6] = ["latest", "home", "feed", "archive", "cards", "corrections"];

/// What a run of changes made stale, as the keys the affected pages carry (the page cache's
/// tags and the CDN's surrogate keys are the same).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// Something named on every page changed (a section, tag or author, the whole archive).
    Everything,
    Keys(std::collections::BTreeSet<String>),
}

impl Store {
    /// The keys of the pages `changes` made stale. A story's change touches `article:ID`
    /// (every page showing it carries that key, wherever it was before a move) and, unless it
    /// was never published or scheduled (a newsroom draft shows on no public page), every list
    /// it can be on as it is now; a breaking-news alert touches `breaking`; a section, tag or
    /// author change touches everything.
    pub async fn stale_keys(&self, changes: &[Change]) -> Result<Stale> {
        let mut keys = std::collections::BTreeSet::new();
        for c in changes {
            match c.entity.as_str() {
                "article" => {}
                // An alert shows only where alerts are drawn (the home page, /breaking.json).
                "breaking" => {
                    keys.insert("breaking".to_owned());
                    continue;
                }
                _ => return Ok(Stale::Everything),
            }
            keys.insert(format!("article:{}", c.entity_id));
            // 1 for a story that exists and never had a publication time; 0 otherwise (a
            // deleted story's lists must go too).
            let never_public: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM articles WHERE id = $1 AND published_at IS NULL",
            )
            .bind(c.entity_id)
            .fetch_one(&self.pool)
            .await?;
            if never_public == 1 {
                continue;
            }
            keys.extend(self.article_cache_tags(c.entity_id).await?);
            keys.extend(LIST_KEYS.map(str::to_owned));
        }
        Ok(Stale::Keys(keys))
    }

    /// Purge tags for the pages a story can appear on as it is now: its section, tags,
    /// authors and places (`section:3`, `tag:7`, `author:5`, `place:12`). Pages it appeared on before a move are
    /// found by its own `article:ID` tag instead.
    pub async fn article_cache_tags(&self, id: i64) -> Result<Vec<String>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT 'section', section_id FROM articles WHERE id = $1
             UNION ALL SELECT 'tag', tag_id FROM article_tags WHERE article_id = $1
             UNION ALL SELECT 'author', author_id FROM article_authors WHERE article_id = $1
             UNION ALL SELECT 'place', place_id FROM article_places WHERE article_id = $1",
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

/// The application name of the LISTEN connection, as `pg_stat_activity` shows it.
pub const LISTENER_NAME: &str = "khobor-listen";

/// Listens for notifications of new changes until the store is dropped, reconnecting
/// (and re-LISTENing) whenever the connection is lost.
async fn listen(url: String, signal: std::sync::Weak<Signal>) {
    use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
    let mut wait = Duration::from_millis(100);
    loop {
        if signal.strong_count() == 0 {
            return;
        }
        let connected = async {
            let options: PgConnectOptions = url.parse()?;
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .connect_with(options.application_name(LISTENER_NAME))
                .await?;
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        }
        .await;
        let mut listener = match connected {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot LISTEN for changes; polling meanwhile");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        wait = Duration::from_millis(100);
        // Anything committed while not listening is found by catching up.
        match signal.upgrade() {
            Some(s) => s.bump(),
            None => return,
        }
        loop {
            // `try_recv` answers `None` when the connection was lost.
            let next = tokio::time::timeout(Duration::from_secs(5), listener.try_recv()).await;
            let Some(s) = signal.upgrade() else {
                return;
            };
            match next {
                // Quiet for a while: check that the store is still wanted, listen on.
                Err(_) => continue,
                Ok(Ok(Some(_))) => s.bump(),
                Ok(Ok(None)) => {
                    tracing::info!("LISTEN connection lost; reconnecting");
                    s.bump();
                    break;
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "LISTEN failed; reconnecting");
                    s.bump();
                    break;
                }
            }
        }
    }
}
