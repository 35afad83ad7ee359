-- Webhooks: URLs an admin registers to be told, by a signed POST, when stories are published,
-- updated or unpublished and when breaking news goes up. `events` is the chosen event names,
-- space-separated (`published updated unpublished breaking`); `secret` signs every delivery.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);

-- The outbox: one row per event per webhook, written by the webhooks job in the same
-- transaction that moves its change-feed position on (so a crash neither loses nor repeats an
-- event), then sent by whichever node claims it (`claimed_until` runs out if that node dies).
-- `state` is 'pending', 'delivered' or 'failed'; rows of one webhook are sent in `id` order.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    change_seq BIGINT NOT NULL,
    -- When the change was made (the payload's `occurred_at`).
    occurred_at BIGINT NOT NULL,
    -- The event's data (the story or the alert) as JSON; the body sent wraps it with the
    -- delivery's id, event and time, the same bytes on every attempt.
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_by TEXT,
    claimed_until BIGINT NOT NULL DEFAULT 0,
    response_status BIGINT,
    response_excerpt TEXT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    last_attempt_at BIGINT,
    delivered_at BIGINT
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, state, id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);

-- Every attempt of a delivery with what the receiver answered (or why nothing came back).
CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt BIGINT NOT NULL,
    at BIGINT NOT NULL,
    response_status BIGINT,
    response_excerpt TEXT,
    error TEXT,
    duration_ms BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, attempt);

-- The stories the webhooks job has announced as published and not yet as unpublished: how it
-- tells a public story's update or withdrawal from a draft's, as of its place in the feed.
CREATE TABLE webhook_public (
    article_id BIGINT PRIMARY KEY
);
