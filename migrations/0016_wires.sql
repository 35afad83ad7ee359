-- Agency wires (ওয়্যার): the sources admins configure and the items polled from them, queued
-- in the newsroom until a desk makes a draft of one.
CREATE TABLE wire_sources (
    id INTEGER PRIMARY KEY,
    -- The agency as readers see it in the credit line (এএফপি, বাসস).
    agency TEXT NOT NULL,
    url TEXT NOT NULL,
    format TEXT NOT NULL,
    poll_seconds BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    -- Validators of the last response, sent back as If-None-Match / If-Modified-Since.
    etag TEXT,
    last_modified TEXT,
    next_poll_at BIGINT NOT NULL DEFAULT 0,
    last_polled_at BIGINT,
    last_ok_at BIGINT,
    -- Failures in a row (the wait before the next try doubles with each) and the last one.
    failures BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    items_seen BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE wire_items (
    id INTEGER PRIMARY KEY,
    source_id BIGINT NOT NULL REFERENCES wire_sources (id) ON DELETE CASCADE,
    guid TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    headline TEXT NOT NULL,
    summary TEXT NOT NULL,
    body_html TEXT NOT NULL,
    link TEXT,
    published_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    -- Set when the agency sent the item again with other words.
    updated_at BIGINT,
    -- The draft a desk made of it.
    article_id BIGINT REFERENCES articles (id) ON DELETE SET NULL,
    UNIQUE (source_id, guid)
);
CREATE INDEX wire_items_newest ON wire_items (published_at, id);
CREATE INDEX wire_items_by_source ON wire_items (source_id, published_at, id);
CREATE INDEX wire_items_by_hash ON wire_items (source_id, content_hash);
