-- Corrections and updates editors add to a published story: what changed, and when. The story
-- page shows them ("সংশোধনী" / "হালনাগাদ"), its modified time moves, and /corrections lists
-- them all, newest first.
CREATE TABLE corrections (
    id INTEGER PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    note TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX corrections_by_article ON corrections (article_id, id);
CREATE INDEX corrections_by_time ON corrections (created_at, id);
