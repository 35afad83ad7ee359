//! People, sessions, failed logins, known browsers, TOTP two-factor and recovery codes,
//! half-finished logins, API tokens, the audit log and site settings.

use serde::Serialize;

use crate::domain::Role;

use super::{now, Result, StorageError, Store};

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub initials: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    email: String,
    name: String,
    initials: String,
    role: String,
    disabled: i64,
    created_at: i64,
}

impl TryFrom<UserRow> for User {
    type Error = StorageError;
    fn try_from(r: UserRow) -> Result<User> {
        Ok(User {
            role: Role::parse(&r.role).ok_or_else(|| {
                StorageError::Corrupt(format!("user {} has role {}", r.id, r.role))
            })?,
            id: r.id,
            email: r.email,
            name: r.name,
            initials: r.initials,
            disabled: r.disabled != 0,
            created_at: r.created_at,
        })
    }
}

const USER_COLUMNS: &str = "id, email, name, initials, role, disabled, created_at";

/// A person's TOTP secret (base32) and the last time step a code was accepted for.
#[derive(Debug, Clone)]
pub struct Totp {
    pub secret: String,
    pub confirmed: bool,
    pub last_step: i64,
}

/// A login waiting for its second step.
#[derive(Debug, Clone)]
pub struct LoginChallenge {
    pub user_id: i64,
    pub csrf: String,
    pub device_id: Option<i64>,
    pub attempts: i64,
}

/// The session a request belongs to.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user: User,
    pub csrf: String,
    /// Whether the person has two-factor login on (roles may be required to).
    pub has_totp: bool,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub user_id: i64,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub user_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub detail: String,
    pub address: String,
}

/// One line for the audit log.
#[derive(Debug, Clone, Default)]
pub struct Audit<'a> {
    pub user_id: Option<i64>,
    pub actor: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<i64>,
    pub detail: String,
    pub address: &'a str,
}

pub async fn audit(tx: &mut super::Tx<'_>, a: &Audit<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, actor, action, entity, entity_id, detail, address) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(now())
    .bind(a.user_id)
    .bind(a.actor)
    .bind(a.action)
    .bind(a.entity)
    .bind(a.entity_id)
    .bind(&a.detail)
    .bind(a.address)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Adds a person; `Ok(None)` if the email is already taken.
    pub async fn create_user(
        &self,
        email: &str,
        name: &str,
        initials: &str,
        role: Role,
        password_hash: &str,
    ) -> Result<Option<i64>> {
        let t = now();
        let id = sqlx::query_scalar(
            "INSERT INTO users (email, name, initials, role, password_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (email) DO NOTHING RETURNING id",
        )
        .bind(email)
        .bind(name)
        .bind(initials)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(t)
        .fetch_optional(&self.pool)
        .await?;
        Ok(id)
    }

    pub async fn count_users(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?)
    }

    /// The account for a login attempt, with its password hash.
    pub async fn user_for_login(&self, email: &str) -> Result<Option<(User, String)>> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT id, password_hash FROM users WHERE email = $1")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?;
        match row {
            None => Ok(None),
            Some((id, hash)) => Ok(self.user(id).await?.map(|u| (u, hash))),
        }
    }

    pub async fn user(&self, id: i64) -> Result<Option<User>> {
        let row: Option<UserRow> =
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(User::try_from).transpose()
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        let rows: Vec<UserRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY role DESC, name"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(User::try_from).collect()
    }

    pub async fn password_hash(&self, user_id: i64) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Sets a new password and ends every other session of that person.
    /// A new password ends everything the old one could have given someone else: the person's
    /// other sessions, their API tokens (revoked, kept in the list) and the browsers trusted
    /// for their account. How many tokens were revoked.
    pub async fn set_password(&self, user_id: i64, hash: &str, keep_session: &str) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let t = now();
        sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
            .bind(user_id)
            .bind(hash)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
            .bind(user_id)
            .bind(keep_session)
            .execute(&mut *tx)
            .await?;
        let revoked = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(user_id)
        .bind(t)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query("DELETE FROM trusted_devices WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(revoked)
    }

    /// Changes role, initials and whether the account is disabled; a disabled account's
    /// sessions end at once. The audit line is written in the same transaction.
    pub async fn update_user(
        &self,
        id: i64,
        role: Role,
        initials: &str,
        disabled: bool,
        audit_line: &Audit<'_>,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE users SET role = $2, initials = $3, disabled = $4, updated_at = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(role.as_str())
        .bind(initials)
        .bind(i64::from(disabled))
        .bind(now())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if done {
            audit(&mut tx, audit_line).await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    // ---- sessions

    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf: &str,
        address: &str,
        expires_at: i64,
    ) -> Result<()> {
        let t = now();
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf, address, created_at, last_seen, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $5, $6)",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(csrf)
        .bind(address)
        .bind(t)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The live session with this id hash (not expired, account not disabled).
    pub async fn session(&self, id_hash: &str, at: i64) -> Result<Option<SessionUser>> {
        let row: Option<(i64, String, i64)> = sqlx::query_as(
            "SELECT s.user_id, s.csrf, (SELECT COUNT(*) FROM totp t \
               WHERE t.user_id = s.user_id AND t.confirmed_at IS NOT NULL) \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.disabled = 0",
        )
        .bind(id_hash)
        .bind(at)
        .fetch_optional(&self.pool)
        .await?;
        let Some((user_id, csrf, totp)) = row else {
            return Ok(None);
        };
        Ok(self.user(user_id).await?.map(|user| SessionUser {
            user,
            csrf,
            has_totp: totp > 0,
        }))
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Drops expired sessions, half-finished logins and known browsers, and failed-login
    /// records older than `failures_before`.
    pub async fn prune_sessions(&self, at: i64, failures_before: i64) -> Result<()> {
        for sql in [
            "DELETE FROM sessions WHERE expires_at <= $1",
            "DELETE FROM login_challenges WHERE expires_at <= $1",
            "DELETE FROM trusted_devices WHERE expires_at <= $1",
        ] {
            sqlx::query(sql).bind(at).execute(&self.pool).await?;
        }
        sqlx::query("DELETE FROM login_failures WHERE at < $1")
            .bind(failures_before)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes audit lines older than `before`; returns how many went.
    pub async fn prune_audit(&self, before: i64) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM audit_log WHERE at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    // ---- login throttling (the rules are in domain::throttle)

    pub async fn record_login_failure(&self, scopes: &[&str]) -> Result<()> {
        self.record_login_failure_at(scopes, now()).await
    }

    /// Records one failure in each scope at time `at` (tests give past times to stand for
    /// failures whose delay has run out).
    pub async fn record_login_failure_at(&self, scopes: &[&str], at: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for scope in scopes {
            sqlx::query("INSERT INTO login_failures (scope, at) VALUES ($1, $2)")
                .bind(scope)
                .bind(at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// How many failures a scope has had since `since`, and when the last was.
    pub async fn login_failure_stats(&self, scope: &str, since: i64) -> Result<(i64, i64)> {
        let (count, last): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MAX(at) FROM login_failures WHERE scope = $1 AND at >= $2",
        )
        .bind(scope)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok((count, last.unwrap_or(0)))
    }

    /// The time of the `n`-th newest failure (1 = newest) of a scope since `since`.
    pub async fn nth_newest_login_failure(
        &self,
        scope: &str,
        since: i64,
        n: i64,
    ) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT at FROM login_failures WHERE scope = $1 AND at >= $2 \
             ORDER BY at DESC LIMIT 1 OFFSET $3",
        )
        .bind(scope)
        .bind(since)
        .bind((n - 1).max(0))
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn login_failures_since(&self, scope: &str, since: i64) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE scope = $1 AND at >= $2")
                .bind(scope)
                .bind(since)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn clear_login_failures(&self, scope: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE scope = $1")
            .bind(scope)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // ---- known browsers (device cookies)

    /// The live known browser with this token hash: (its id, the account it belongs to).
    pub async fn trusted_device(&self, token_hash: &str, at: i64) -> Result<Option<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT id, user_id FROM trusted_devices WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(at)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn add_trusted_device(
        &self,
        token_hash: &str,
        user_id: i64,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO trusted_devices (token_hash, user_id, created_at, last_used_at, expires_at) \
             VALUES ($1, $2, $3, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now())
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn renew_trusted_device(&self, id: i64, expires_at: i64) -> Result<()> {
        sqlx::query("UPDATE trusted_devices SET last_used_at = $2, expires_at = $3 WHERE id = $1")
            .bind(id)
            .bind(now())
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // ---- two-factor login (TOTP)
    //
    // The TOTP secret is stored as it is, not hashed or encrypted with a key of this process:
    // checking a code needs the secret itself, and any node behind the load balancer must be
    // able to check it, so it lives where sessions and password hashes live, in the store.
    // Recovery codes are only ever compared, so only their SHA-256 is kept.

    /// The person's TOTP record, confirmed or still waiting for its first code.
    pub async fn totp(&self, user_id: i64) -> Result<Option<Totp>> {
        let row: Option<(String, Option<i64>, i64)> =
            sqlx::query_as("SELECT secret, confirmed_at, last_step FROM totp WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(secret, confirmed_at, last_step)| Totp {
            secret,
            confirmed: confirmed_at.is_some(),
            last_step,
        }))
    }

    /// Starts enrolment with a new secret (replacing an unconfirmed one); `false` if two-factor
    /// is already on.
    pub async fn start_totp(&self, user_id: i64, secret: &str) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO totp (user_id, secret, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, \
               created_at = excluded.created_at, last_step = 0 \
             WHERE totp.confirmed_at IS NULL",
        )
        .bind(user_id)
        .bind(secret)
        .bind(now())
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(done == 1)
    }

    /// Turns two-factor on once the first code (of time step `step`) was right, with new
    /// recovery codes (their hashes); `false` if there was no enrolment waiting.
    pub async fn confirm_totp(
        &self,
        user_id: i64,
        step: i64,
        recovery_hashes: &[String],
        audit_line: &Audit<'_>,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE totp SET confirmed_at = $2, last_step = $3 \
             WHERE user_id = $1 AND confirmed_at IS NULL",
        )
        .bind(user_id)
        .bind(now())
        .bind(step)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !done {
            return Ok(false);
        }
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        for hash in recovery_hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user_id)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
        }
        audit(&mut tx, audit_line).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Accepts a code of time step `step` if no code of that step or a later one was accepted
    /// before (claimed in one statement, so two nodes cannot both accept it).
    pub async fn use_totp_step(&self, user_id: i64, step: i64) -> Result<bool> {
        Ok(sqlx::query(
            "UPDATE totp SET last_step = $2 \
             WHERE user_id = $1 AND confirmed_at IS NOT NULL AND last_step < $2",
        )
        .bind(user_id)
        .bind(step)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// Uses up a recovery code; `false` if it is not one of the person's unused codes.
    pub async fn use_recovery_code(&self, user_id: i64, code_hash: &str) -> Result<bool> {
        Ok(sqlx::query(
            "UPDATE recovery_codes SET used_at = $3 \
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(code_hash)
        .bind(now())
        .execute(&self.pool)
        .await?
        .rows_affected()
            >= 1)
    }

    pub async fn recovery_codes_left(&self, user_id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Turns two-factor off: the secret and the recovery codes go.
    pub async fn disable_totp(&self, user_id: i64, audit_line: &Audit<'_>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for sql in [
            "DELETE FROM totp WHERE user_id = $1",
            "DELETE FROM recovery_codes WHERE user_id = $1",
        ] {
            sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
        }
        audit(&mut tx, audit_line).await?;
        tx.commit().await?;
        Ok(())
    }

    /// An administrator's reset of someone else's two-factor login (a lost phone, used-up
    /// recovery codes): the secret and recovery codes go, and so do the person's sessions,
    /// known browsers and half-finished logins, so whoever holds the lost phone or a session
    /// on it is out. If their role requires two-factor, they enrol again at their next login.
    pub async fn reset_two_factor(&self, user_id: i64, audit_line: &Audit<'_>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for sql in [
            "DELETE FROM totp WHERE user_id = $1",
            "DELETE FROM recovery_codes WHERE user_id = $1",
            "DELETE FROM sessions WHERE user_id = $1",
            "DELETE FROM trusted_devices WHERE user_id = $1",
            "DELETE FROM login_challenges WHERE user_id = $1",
        ] {
            sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
        }
        audit(&mut tx, audit_line).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The people whose two-factor login is on (confirmed).
    pub async fn two_factor_users(&self) -> Result<std::collections::HashSet<i64>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT user_id FROM totp WHERE confirmed_at IS NOT NULL")
                .fetch_all(&self.pool)
                .await?;
        Ok(ids.into_iter().collect())
    }

    // ---- half-finished logins (password right, code not yet given)

    pub async fn create_login_challenge(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf: &str,
        address: &str,
        device_id: Option<i64>,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO login_challenges (id_hash, user_id, csrf, address, device_id, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(csrf)
        .bind(address)
        .bind(device_id)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn login_challenge(&self, id_hash: &str, at: i64) -> Result<Option<LoginChallenge>> {
        let row: Option<(i64, String, Option<i64>, i64)> = sqlx::query_as(
            "SELECT user_id, csrf, device_id, attempts FROM login_challenges \
             WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash)
        .bind(at)
        .fetch_optional(&self.pool)
        .await?;
        Ok(
            row.map(|(user_id, csrf, device_id, attempts)| LoginChallenge {
                user_id,
                csrf,
                device_id,
                attempts,
            }),
        )
    }

    /// Counts a wrong code against the challenge; returns the attempts made so far.
    pub async fn login_challenge_failed(&self, id_hash: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "UPDATE login_challenges SET attempts = attempts + 1 WHERE id_hash = $1 \
             RETURNING attempts",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await?
        .unwrap_or(i64::MAX))
    }

    pub async fn delete_login_challenge(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_challenges WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // ---- API tokens

    pub async fn create_api_token(
        &self,
        name: &str,
        token_hash: &str,
        role: Role,
        user_id: i64,
        audit_line: &Audit<'_>,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id = sqlx::query_scalar(
            "INSERT INTO api_tokens (name, token_hash, role, user_id, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(name)
        .bind(token_hash)
        .bind(role.as_str())
        .bind(user_id)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        audit(&mut tx, audit_line).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The live token with this hash, and the person it acts for (role capped by the token's).
    pub async fn api_token(&self, token_hash: &str) -> Result<Option<(ApiToken, User)>> {
        let token: Option<ApiToken> = sqlx::query_as(
            "SELECT id, name, role, user_id, created_at, last_used_at, revoked_at FROM api_tokens \
             WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(token) = token else { return Ok(None) };
        let Some(mut user) = self.user(token.user_id).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        let token_role = Role::parse(&token.role)
            .ok_or_else(|| StorageError::Corrupt(format!("token {} role", token.id)))?;
        user.role = user.role.min(token_role);
        Ok(Some((token, user)))
    }

    pub async fn touch_api_token(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn api_tokens(&self) -> Result<Vec<ApiToken>> {
        Ok(sqlx::query_as(
            "SELECT id, name, role, user_id, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY id DESC",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn revoke_api_token(&self, id: i64, audit_line: &Audit<'_>) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(now())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if done {
            audit(&mut tx, audit_line).await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    // ---- audit log

    pub async fn write_audit(&self, a: &Audit<'_>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn audit_log(&self, before_id: Option<i64>, limit: i64) -> Result<Vec<AuditEntry>> {
        Ok(sqlx::query_as(
            "SELECT id, at, user_id, actor, action, entity, entity_id, detail, address FROM audit_log \
             WHERE id < $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    // ---- settings

    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn set_setting(&self, key: &str, value: &str, audit_line: &Audit<'_>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&mut *tx)
        .await?;
        audit(&mut tx, audit_line).await?;
        tx.commit().await?;
        Ok(())
    }
}
