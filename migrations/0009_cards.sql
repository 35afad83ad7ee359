-- Photocards: an image of a story's headline (or a quote from it) made by the newsroom, with
-- a code printed on it that leads to its page on this site. A card never changes once made:
-- `record` is the exact text that was signed, `png_sha256` the hash of the image it names.
-- A newer card for the same story and layout supersedes the older one.
CREATE TABLE cards (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    layout TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    speaker TEXT,
    media_id BIGINT REFERENCES media (id),
    image_name TEXT NOT NULL,
    png_sha256 TEXT NOT NULL,
    png_bytes BIGINT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    record TEXT NOT NULL,
    signature TEXT NOT NULL,
    kid TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    superseded_by BIGINT REFERENCES cards (id)
);
CREATE INDEX cards_article ON cards (article_id, id);
CREATE INDEX cards_recent ON cards (created_at, id);

-- The public halves of the keys cards are signed with, published as a JWKS. The private
-- halves never enter the store: each lives in the signing node's data directory (or its
-- environment), so a copy of the database cannot forge a card.
CREATE TABLE card_keys (
    kid TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);
