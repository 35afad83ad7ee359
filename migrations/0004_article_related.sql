-- Related stories, worked out by the search indexer when a story is indexed (and for every
-- story by `khobor reindex`), so that showing a story for the first time needs no search: at
-- a million stories the search was most of the cost of a story page's first render.
-- related: ids, best first, comma-separated; the reader site shows the published ones.
CREATE TABLE article_related (
    article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    related TEXT NOT NULL,
    computed_at BIGINT NOT NULL
);
