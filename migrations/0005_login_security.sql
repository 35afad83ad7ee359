-- Login security: browsers known to an account, TOTP two-factor with recovery codes, and the
-- short-lived half-logged-in state between the password and the code. Same SQL subset as 0001.

-- A browser in which someone logged in successfully. Its cookie holds a random token, the store
-- only the token's SHA-256. Attempts from it are not held up by the delays strangers cause.
CREATE TABLE trusted_devices (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX trusted_devices_by_user ON trusted_devices (user_id);

-- One TOTP secret per person (RFC 6238: SHA-1, 6 digits, 30 s). The secret is kept as it is
-- (base32), not hashed: verifying a code needs it, on whichever node the login lands.
-- confirmed_at is NULL while enrolment waits for the first code; last_step is the last time
-- step a code was accepted for, so that a code is used once.
CREATE TABLE totp (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    confirmed_at BIGINT,
    last_step BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- Single-use recovery codes, stored as SHA-256 (each has 80 random bits).
CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT
);
CREATE INDEX recovery_codes_by_user ON recovery_codes (user_id, code_hash);

-- Password accepted, code not yet given: not a session, only the right to answer the code
-- form for a few minutes. device_id is the known browser the password came from, if any.
CREATE TABLE login_challenges (
    id_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    device_id BIGINT,
    attempts INTEGER NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL
);

-- Old failed logins and audit lines are pruned by age.
CREATE INDEX login_failures_by_time ON login_failures (at);
