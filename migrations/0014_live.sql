-- Live pages (লাইভ): a published story that editors keep adding timestamped entries to. The
-- story page shows the entries newest first while it is live and keeps them as an archive
-- once it has ended.
CREATE TABLE live_pages (
    article_id BIGINT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    -- Bumped by every change to the entries (added, edited, deleted) and by the end: the id
    -- of the server-sent event readers are told about, so a reconnect misses nothing.
    revision BIGINT NOT NULL DEFAULT 0,
    -- How many entries were ever added: "নতুন N টি আপডেট" is the difference.
    added BIGINT NOT NULL DEFAULT 0,
    started_by BIGINT REFERENCES users (id) ON DELETE SET NULL
);
CREATE TABLE live_entries (
    id INTEGER PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES live_pages (article_id) ON DELETE CASCADE,
    -- Sanitised with the story body's allow-list.
    body_html TEXT NOT NULL,
    media_id BIGINT REFERENCES media (id) ON DELETE SET NULL,
    media_alt TEXT,
    embed_url TEXT,
    key_event INTEGER NOT NULL DEFAULT 0,
    -- 1 once the entry was changed after it was posted (readers see "সম্পাদিত").
    edited INTEGER NOT NULL DEFAULT 0,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX live_entries_by_article ON live_entries (article_id, created_at, id);
