-- A story's body lives apart from the rest of its row. Every list the reader site shows reads
-- cards (headline, summary, section, times, picture), and with the body in the same row SQLite
-- had to walk the body's overflow pages to reach the columns stored after it: at a million
-- stories a day's archive page touched a hundred pages to show twenty headlines. Cards now read
-- narrow rows; the body is one primary-key lookup when a story is shown in full.
-- (article_id is SQLite's row id; it is always given, never assigned.)
CREATE TABLE article_bodies (
    article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    body_html TEXT NOT NULL,
    body_text TEXT NOT NULL
);

INSERT INTO article_bodies (article_id, body_html, body_text)
    SELECT id, body_html, body_text FROM articles;

ALTER TABLE articles DROP COLUMN body_html;
ALTER TABLE articles DROP COLUMN body_text;
