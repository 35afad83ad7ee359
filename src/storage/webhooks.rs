//! Webhooks (migration 0013): the webhooks admins register, the outbox of deliveries the
//! webhooks job (`jobs::webhooks`) writes as it follows the change feed, the claims nodes take
//! on deliveries to send them, and the log of every attempt.
//!
//! Deliveries are written in the same transaction that moves the `webhooks` lease's position
//! on, and only if that position is still where the writer read from: a crash before the
//! commit leaves both as they were (the changes are read again), after it both are saved (the
//! changes are not read again), so an event is neither lost nor written twice.

use super::users::{audit, Audit};
use super::{now, Result, Store};

/// A registered webhook.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub description: String,
    /// The chosen events, space-separated (`domain::webhook::parse_events`).
    pub events: String,
    pub secret: String,
    pub active: i64,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

/// One delivery as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    pub change_seq: i64,
    pub occurred_at: i64,
    pub payload: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub response_status: Option<i64>,
    pub response_excerpt: Option<String>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub last_attempt_at: Option<i64>,
    pub delivered_at: Option<i64>,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Attempt {
    pub delivery_id: i64,
    pub attempt: i64,
    pub at: i64,
    pub response_status: Option<i64>,
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// A delivery this node has claimed, with where and how to send it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Outgoing {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    pub occurred_at: i64,
    pub payload: String,
    pub attempts: i64,
    pub url: String,
    pub secret: String,
}

/// A delivery to write: `event` with `payload` to webhook `webhook_id`, for change `change_seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub webhook_id: i64,
    pub event: &'static str,
    pub change_seq: i64,
    pub occurred_at: i64,
    pub payload: String,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptResult {
    pub at: i64,
    pub status: Option<i64>,
    pub excerpt: Option<String>,
    pub error: Option<String>,
    pub duration_ms: i64,
    /// 'delivered', 'pending' (tried again at `next_attempt_at`) or 'failed'.
    pub state: &'static str,
    pub next_attempt_at: i64,
}

/// A story as a webhook payload names it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebhookStory {
    pub id: i64,
    pub headline: String,
    pub status: String,
    pub section_slug: String,
    pub section_name: String,
    pub published_at: Option<i64>,
    pub updated_at: i64,
}

/// A breaking-news alert as a webhook payload names it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebhookBreaking {
    pub id: i64,
    pub text: String,
    pub article_id: Option<i64>,
    pub section_slug: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub cleared_at: Option<i64>,
}

/// The lease the webhooks job follows the feed under (`jobs::webhooks::LEASE`).
pub const FEED_LEASE: &str = "webhooks";

/// Starts the feed for webhooks at the newest change, every published story counted as
/// announced; the position.
async fn seed_feed(tx: &mut super::Tx<'_>, name: &str) -> Result<i64> {
    let last: i64 = sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(seq) FROM changes")
        .fetch_one(&mut **tx)
        .await?
        .unwrap_or(0);
    sqlx::query("DELETE FROM webhook_public")
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO webhook_public (article_id) SELECT id FROM articles WHERE status = 'published'",
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE job_leases SET position = $2, updated_at = $3 WHERE name = $1")
        .bind(name)
        .bind(last)
        .bind(now())
        .execute(&mut **tx)
        .await?;
    Ok(last)
}

const WEBHOOK_COLUMNS: &str =
    "id, url, description, events, secret, active, created_by, created_at";
const DELIVERY_COLUMNS: &str = "id, webhook_id, event, change_seq, occurred_at, payload, state, \
     attempts, next_attempt_at, response_status, response_excerpt, last_error, created_at, \
     last_attempt_at, delivered_at";

impl Store {
    /// Registers a webhook; `None` when the site already has `max` of them.
    pub async fn create_webhook(
        &self,
        url: &str,
        description: &str,
        events: &str,
        secret: &str,
        max: i64,
        audit_line: &Audit<'_>,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin_write().await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhooks")
            .fetch_one(&mut *tx)
            .await?;
        if count >= max {
            return Ok(None);
        }
        // Events count from the first webhook on, whether or not a node follows the feed yet.
        sqlx::query(
            "INSERT INTO job_leases (name, owner, lease_until, updated_at) VALUES ($1, NULL, 0, $2) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(FEED_LEASE)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        let started: Option<i64> =
            sqlx::query_scalar("SELECT position FROM job_leases WHERE name = $1")
                .bind(FEED_LEASE)
                .fetch_one(&mut *tx)
                .await?;
        if started.is_none() {
            seed_feed(&mut tx, FEED_LEASE).await?;
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO webhooks (url, description, events, secret, active, created_by, \
             created_at) VALUES ($1, $2, $3, $4, 1, $5, $6) RETURNING id",
        )
        .bind(url)
        .bind(description)
        .bind(events)
        .bind(secret)
        .bind(audit_line.user_id)
        .bind(now())
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
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Every webhook, oldest first.
    pub async fn webhooks(&self) -> Result<Vec<Webhook>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn webhook(&self, id: i64) -> Result<Option<Webhook>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Turns a webhook on or off (an inactive one gets no new deliveries, and those waiting
    /// wait until it is on again); false if there is no such webhook.
    pub async fn set_webhook_active(
        &self,
        id: i64,
        active: bool,
        audit_line: &Audit<'_>,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE webhooks SET active = $2 WHERE id = $1")
            .bind(id)
            .bind(i64::from(active))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if done == 0 {
            return Ok(false);
        }
        audit(&mut tx, audit_line).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes a webhook with its deliveries and their log; false if there is no such webhook.
    pub async fn delete_webhook(&self, id: i64, audit_line: &Audit<'_>) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "DELETE FROM webhook_attempts WHERE delivery_id IN \
             (SELECT id FROM webhook_deliveries WHERE webhook_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if done == 0 {
            return Ok(false);
        }
        audit(&mut tx, audit_line).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A webhook's latest `limit` deliveries, newest first.
    pub async fn webhook_deliveries(&self, webhook_id: i64, limit: i64) -> Result<Vec<Delivery>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 \
             ORDER BY id DESC LIMIT $2"
        ))
        .bind(webhook_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The attempts of deliveries `first_id..` of a webhook, in order (for the log).
    pub async fn webhook_attempts(&self, webhook_id: i64, first_id: i64) -> Result<Vec<Attempt>> {
        Ok(sqlx::query_as(
            "SELECT a.delivery_id, a.attempt, a.at, a.response_status, a.response_excerpt, \
             a.error, a.duration_ms FROM webhook_attempts a \
             JOIN webhook_deliveries d ON d.id = a.delivery_id \
             WHERE d.webhook_id = $1 AND d.id >= $2 ORDER BY a.delivery_id, a.attempt",
        )
        .bind(webhook_id)
        .bind(first_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Sends a failed delivery again from the first attempt; false unless it failed.
    pub async fn redeliver_webhook(
        &self,
        webhook_id: i64,
        delivery_id: i64,
        audit_line: &Audit<'_>,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = $3, \
             claimed_by = NULL, claimed_until = 0 \
             WHERE id = $1 AND webhook_id = $2 AND state = 'failed'",
        )
        .bind(delivery_id)
        .bind(webhook_id)
        .bind(now())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(false);
        }
        audit(&mut tx, audit_line).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The active webhooks and the events each has chosen.
    pub async fn webhook_subscribers(&self) -> Result<Vec<(i64, String)>> {
        Ok(
            sqlx::query_as("SELECT id, events FROM webhooks WHERE active = 1 ORDER BY id")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Whether the webhooks job has announced story `id` as public (and not since withdrawn).
    pub async fn webhook_announced(&self, id: i64) -> Result<bool> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM webhook_public WHERE article_id = $1")
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
        Ok(n > 0)
    }

    /// A story as payloads name it, if it still exists.
    pub async fn webhook_story(&self, id: i64) -> Result<Option<WebhookStory>> {
        Ok(sqlx::query_as(
            "SELECT a.id, a.headline, a.status, s.slug AS section_slug, s.name AS section_name, \
             a.published_at, a.updated_at FROM articles a JOIN sections s ON s.id = a.section_id \
             WHERE a.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// An alert as payloads name it (its story's section only when the story is published).
    pub async fn webhook_breaking(&self, id: i64) -> Result<Option<WebhookBreaking>> {
        Ok(sqlx::query_as(
            "SELECT b.id, b.text, a.id AS article_id, s.slug AS section_slug, b.created_at, \
             b.expires_at, b.cleared_at FROM breaking b \
             LEFT JOIN articles a ON a.id = b.article_id AND a.status = 'published' \
             LEFT JOIN sections s ON s.id = a.section_id WHERE b.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The first run of the webhooks job on this store: it starts from the newest change, with
    /// every published story counted as already announced. Only if `owner` holds lease `name`
    /// and it has no position yet; the position it recorded (or found), `None` if the lease
    /// is not `owner`'s.
    pub async fn start_webhook_feed(&self, name: &str, owner: &str) -> Result<Option<i64>> {
        let mut tx = self.begin_write().await?;
        let lease: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT position FROM job_leases WHERE name = $1 AND owner = $2")
                .bind(name)
                .bind(owner)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((position,)) = lease else {
            return Ok(None);
        };
        if let Some(p) = position {
            return Ok(Some(p));
        }
        let last = seed_feed(&mut tx, name).await?;
        tx.commit().await?;
        Ok(Some(last))
    }

    /// Writes `deliveries`, records the stories announced (`public`) and withdrawn
    /// (`withdrawn`), and moves lease `name` from position `from` to `to`, in one transaction;
    /// false (nothing written) unless `owner` still holds the lease at `from`.
    #[allow(clippy::too_many_arguments)]
    pub async fn enqueue_webhook_deliveries(
        &self,
        name: &str,
        owner: &str,
        from: i64,
        to: i64,
        deliveries: &[NewDelivery],
        public: &[i64],
        withdrawn: &[i64],
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let t = now();
        let moved = sqlx::query(
            "UPDATE job_leases SET position = $4, updated_at = $5 \
             WHERE name = $1 AND owner = $2 AND position = $3",
        )
        .bind(name)
        .bind(owner)
        .bind(from)
        .bind(to)
        .bind(t)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        for id in public {
            sqlx::query(
                "INSERT INTO webhook_public (article_id) VALUES ($1) ON CONFLICT (article_id) DO NOTHING",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        for id in withdrawn {
            sqlx::query("DELETE FROM webhook_public WHERE article_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        // Due since the change was made.
        for d in deliveries {
            sqlx::query(
                "INSERT INTO webhook_deliveries (webhook_id, event, change_seq, occurred_at, \
                 payload, state, attempts, next_attempt_at, claimed_until, created_at) \
                 VALUES ($1, $2, $3, $4, $5, 'pending', 0, $4, 0, $6)",
            )
            .bind(d.webhook_id)
            .bind(d.event)
            .bind(d.change_seq)
            .bind(d.occurred_at)
            .bind(&d.payload)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Claims for `owner` until `at + claim_seconds` up to `limit` deliveries due at `at`:
    /// only the oldest waiting delivery of each active webhook (a later one is never sent
    /// before an earlier one is delivered or given up), and only if no other node's claim on
    /// it is still running.
    pub async fn claim_webhook_deliveries(
        &self,
        owner: &str,
        at: i64,
        claim_seconds: i64,
        limit: i64,
    ) -> Result<Vec<Outgoing>> {
        let heads: Vec<i64> = sqlx::query_scalar(
            "SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.state = 'pending' AND w.active = 1 AND d.next_attempt_at <= $1 \
             AND d.claimed_until < $1 \
             AND d.id = (SELECT MIN(e.id) FROM webhook_deliveries e \
                         WHERE e.webhook_id = d.webhook_id AND e.state = 'pending') \
             ORDER BY d.id LIMIT $2",
        )
        .bind(at)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = Vec::new();
        for id in heads {
            // A conditional update: of two nodes racing for a delivery, one wins.
            let won = sqlx::query(
                "UPDATE webhook_deliveries SET claimed_by = $2, claimed_until = $3 \
                 WHERE id = $1 AND state = 'pending' AND claimed_until < $4",
            )
            .bind(id)
            .bind(owner)
            .bind(at + claim_seconds)
            .bind(at)
            .execute(&self.pool)
            .await?
            .rows_affected();
            if won != 1 {
                continue;
            }
            let outgoing: Option<Outgoing> = sqlx::query_as(
                "SELECT d.id, d.webhook_id, d.event, d.occurred_at, d.payload, d.attempts, w.url, \
                 w.secret FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
                 WHERE d.id = $1",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
            claimed.extend(outgoing);
        }
        Ok(claimed)
    }

    /// Records an attempt of a delivery `owner` claimed and releases the claim; false if the
    /// claim was lost (it ran out and another node took the delivery).
    pub async fn finish_webhook_attempt(
        &self,
        delivery_id: i64,
        owner: &str,
        result: &AttemptResult,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let attempt: Option<i64> = sqlx::query_scalar(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, state = $3, \
             next_attempt_at = $4, response_status = $5, response_excerpt = $6, last_error = $7, \
             last_attempt_at = $8, delivered_at = $9, claimed_by = NULL, claimed_until = 0 \
             WHERE id = $1 AND claimed_by = $2 AND state = 'pending' RETURNING attempts",
        )
        .bind(delivery_id)
        .bind(owner)
        .bind(result.state)
        .bind(result.next_attempt_at)
        .bind(result.status)
        .bind(&result.excerpt)
        .bind(&result.error)
        .bind(result.at)
        .bind((result.state == "delivered").then_some(result.at))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(attempt) = attempt else {
            tx.rollback().await?;
            return Ok(false);
        };
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, attempt, at, response_status, \
             response_excerpt, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(delivery_id)
        .bind(attempt)
        .bind(result.at)
        .bind(result.status)
        .bind(&result.excerpt)
        .bind(&result.error)
        .bind(result.duration_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes deliveries that are over (delivered or given up) and were made before `before`,
    /// with their attempts; how many.
    pub async fn prune_webhook_deliveries(&self, before: i64) -> Result<u64> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries \
             WHERE state <> 'pending' AND created_at < $1)",
        )
        .bind(before)
        .execute(&mut *tx)
        .await?;
        let gone = sqlx::query(
            "DELETE FROM webhook_deliveries WHERE state <> 'pending' AND created_at < $1",
        )
        .bind(before)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(gone)
    }

    /// Moves the due time of every waiting delivery `seconds` earlier, as if that much time
    /// had passed: how a test skips a backoff against a running server without waiting.
    pub async fn hurry_webhook_deliveries(&self, seconds: i64) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE webhook_deliveries SET next_attempt_at = next_attempt_at - $1 \
             WHERE state = 'pending'",
        )
        .bind(seconds)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }
}
