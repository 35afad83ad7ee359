//! Named leases (migration 0010) for work one node at a time does for the whole site: purging
//! the CDN, uploading search-index snapshots. A lease is taken when it is free or has run out,
//! renewed by its holder while it works, and released when the holder stops; it carries how
//! far along the change feed the work has got, so the next holder goes on from there.

use super::{now, Result, Store};

/// A lease this node holds, as the store recorded it when it was taken or renewed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Lease {
    pub name: String,
    pub owner: Option<String>,
    pub lease_until: i64,
    /// How far along the change feed the work has got (`None`: it never ran).
    pub position: Option<i64>,
    /// What else the work hands over to the next holder (JSON text).
    pub state: Option<String>,
    pub updated_at: i64,
}

impl Store {
    /// Takes or renews the lease `name` for `owner` until `seconds` from now, if it is free,
    /// run out or already `owner`'s; `None` when another node holds it. Taken under the
    /// store's write lock, so two nodes never both hold it.
    pub async fn take_lease(&self, name: &str, owner: &str, seconds: i64) -> Result<Option<Lease>> {
        let mut tx = self.begin_write().await?;
        let t = now();
        sqlx::query(
            "INSERT INTO job_leases (name, owner, lease_until, updated_at) VALUES ($1, NULL, 0, $2) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(t)
        .execute(&mut *tx)
        .await?;
        let lease: Option<Lease> = sqlx::query_as(
            "UPDATE job_leases SET owner = $2, lease_until = $3 \
             WHERE name = $1 AND (owner IS NULL OR owner = $2 OR lease_until < $4) \
             RETURNING name, owner, lease_until, position, state, updated_at",
        )
        .bind(name)
        .bind(owner)
        .bind(t + seconds)
        .bind(t)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(lease)
    }

    /// Records how far the work has got, if `owner` still holds the lease; false when it has
    /// lost it (it ran out and another node took it), in which case the work must stop.
    pub async fn advance_lease(
        &self,
        name: &str,
        owner: &str,
        position: i64,
        state: Option<&str>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE job_leases SET position = $3, state = COALESCE($4, state), updated_at = $5 \
             WHERE name = $1 AND owner = $2",
        )
        .bind(name)
        .bind(owner)
        .bind(position)
        .bind(state)
        .bind(now())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives the lease back (the node is stopping): another node may take it at once.
    pub async fn release_lease(&self, name: &str, owner: &str) -> Result<()> {
        sqlx::query(
            "UPDATE job_leases SET owner = NULL, lease_until = 0 WHERE name = $1 AND owner = $2",
        )
        .bind(name)
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The lease `name` as it stands, whoever holds it.
    pub async fn lease(&self, name: &str) -> Result<Option<Lease>> {
        Ok(sqlx::query_as(
            "SELECT name, owner, lease_until, position, state, updated_at \
             FROM job_leases WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(self.pool())
        .await?)
    }
}
