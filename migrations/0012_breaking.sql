-- Breaking-news alerts (ব্রেকিং): one line an editor types, optionally pointing at a story, shown
-- on every page until it expires or is cleared.
CREATE TABLE breaking (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    article_id BIGINT REFERENCES articles (id) ON DELETE SET NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    cleared_at BIGINT,
    -- When a node told the change feed that the alert ran out (once, so that cached pages
    -- showing it are dropped at its expiry).
    expiry_noted BIGINT
);
CREATE INDEX breaking_by_expiry ON breaking (expiry_noted, expires_at);
