-- The newsroom: people, their sessions and API tokens, every saved revision of a story, the
-- audit log, who has a story open, and the media library's variants. Same SQL subset as 0001.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- Bengali initials for the desk signature, e.g. 'এসআই'.
    initials TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL CHECK (role IN ('contributor', 'editor', 'admin')),
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Server-side sessions: the cookie holds a random id, the store only its SHA-256.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Failed logins, per account ('email:…') and per address ('addr:…'), for throttling.
CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY,
    scope TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_by_scope ON login_failures (scope, at);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    -- The token acts as a user with this role (never more than its creator's).
    role TEXT NOT NULL CHECK (role IN ('contributor', 'editor', 'admin')),
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);

ALTER TABLE articles ADD COLUMN created_by BIGINT REFERENCES users (id);
-- 1 while the desk signature is the one the system builds; 0 once someone typed their own.
ALTER TABLE articles ADD COLUMN signature_auto INTEGER NOT NULL DEFAULT 1;
CREATE INDEX articles_by_update ON articles (status, updated_at, id);
CREATE INDEX articles_by_owner ON articles (created_by, updated_at);

-- Every save of a story, in full. kind: 'save', 'restore', 'status', or 'conflict' (a save
-- refused because the story had moved on; kept so that nobody's text is lost).
CREATE TABLE revisions (
    id INTEGER PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    kind TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    changed TEXT NOT NULL DEFAULT '',
    snapshot TEXT NOT NULL
);
CREATE INDEX revisions_by_article ON revisions (article_id, id);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL,
    user_id BIGINT REFERENCES users (id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL DEFAULT '',
    entity_id BIGINT,
    detail TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_time ON audit_log (at);

-- Who has a story open in the editor (refreshed while the page is open).
CREATE TABLE presence (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (article_id, user_id)
);

ALTER TABLE media ADD COLUMN status TEXT NOT NULL DEFAULT 'ready';
ALTER TABLE media ADD COLUMN uploaded_by BIGINT REFERENCES users (id);
ALTER TABLE media ADD COLUMN bytes BIGINT NOT NULL DEFAULT 0;
-- What reader pages need once the variants exist: JSON {src, webp, jpeg, width, height}.
ALTER TABLE media ADD COLUMN picture TEXT;
CREATE INDEX media_by_status ON media (status, id);

-- Responsive variants, content-hashed names under DATA/media/.
CREATE TABLE media_variants (
    media_id BIGINT NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    mime TEXT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    bytes BIGINT NOT NULL,
    PRIMARY KEY (media_id, width, mime)
);
