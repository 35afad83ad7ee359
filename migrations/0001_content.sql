-- Khobor's content model. One migration history for every store: the SQL here stays in the
-- subset that SQLite and PostgreSQL both accept (times are BIGINT Unix seconds, UTC). The one
-- dialect difference, an auto-assigned "INTEGER PRIMARY KEY", is rewritten to an identity
-- column by the PostgreSQL migration runner.

CREATE TABLE sections (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 100,
    colour TEXT NOT NULL DEFAULT '#7a1f1f',
    created_at BIGINT NOT NULL
);

CREATE TABLE authors (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    bio TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE media (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    mime TEXT NOT NULL,
    width INTEGER,
    height INTEGER,
    alt TEXT NOT NULL DEFAULT '',
    caption TEXT,
    credit TEXT,
    sha256 TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    external_id TEXT UNIQUE,
    headline TEXT NOT NULL,
    kicker TEXT,
    summary TEXT,
    body_html TEXT NOT NULL,
    body_text TEXT NOT NULL,
    section_id BIGINT NOT NULL REFERENCES sections (id),
    credit TEXT,
    signature TEXT,
    dateline TEXT,
    hero_media_id BIGINT REFERENCES media (id),
    hero_url TEXT,
    hero_caption TEXT,
    hero_credit TEXT,
    source_name TEXT,
    source_url TEXT,
    language TEXT NOT NULL DEFAULT 'bn',
    status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'review', 'scheduled', 'published', 'unpublished', 'spiked')),
    published_at BIGINT,
    updated_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    embargo_until BIGINT,
    version BIGINT NOT NULL DEFAULT 1,
    import_hash TEXT
);

-- Every reader list is "newest published first", keyset-paginated on (published_at, id).
CREATE INDEX articles_by_status_time ON articles (status, published_at, id);
CREATE INDEX articles_by_section_time ON articles (section_id, status, published_at, id);

CREATE TABLE article_tags (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (article_id, tag_id)
);
CREATE INDEX article_tags_by_tag ON article_tags (tag_id, article_id);

CREATE TABLE article_authors (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (article_id, author_id)
);
CREATE INDEX article_authors_by_author ON article_authors (author_id, article_id);

-- Old paths (from an earlier site or a changed section) that answer 301 to an article.
CREATE TABLE redirects (
    id INTEGER PRIMARY KEY,
    from_path TEXT NOT NULL UNIQUE,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);

-- The change feed: every transaction that changes what readers see appends here, in the same
-- transaction. Consumers (search, page cache, webhooks) keep the last seq they applied.
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The newsroom's standard desks, in the order the site's menu shows them.
INSERT INTO sections (slug, name, position, colour, created_at) VALUES
    ('national', 'জাতীয়', 10, '#8c1c13', 0),
    ('politics', 'রাজনীতি', 20, '#1d4e89', 0),
    ('international', 'আন্তর্জাতিক', 30, '#2a6f4e', 0),
    ('economy', 'অর্থনীতি', 40, '#7a5c12', 0),
    ('sports', 'খেলা', 50, '#0f6d75', 0),
    ('entertainment', 'বিনোদন', 60, '#7b2d6b', 0);
