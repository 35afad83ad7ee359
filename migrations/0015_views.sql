-- Readings of published stories for the most-read lists (সর্বাধিক পঠিত), counted on the
-- server: views per story per hour, and nothing about the readers. Hours older than the
-- longest list (seven days) are deleted as new counts arrive.
CREATE TABLE article_views (
    article_id BIGINT NOT NULL,
    hour BIGINT NOT NULL,
    views BIGINT NOT NULL,
    PRIMARY KEY (article_id, hour)
);
CREATE INDEX article_views_by_hour ON article_views (hour, article_id);

-- One random salt per half-hour counting window, shared by the nodes, and the marks of the
-- readings counted in it (a keyed hash of window, story, address and browser): a reader
-- who reloads a story within the window is counted once, on whichever node. Both are deleted
-- when the window has closed.
CREATE TABLE view_salts (
    window_id BIGINT PRIMARY KEY,
    salt TEXT NOT NULL
);
CREATE TABLE view_marks (
    window_id BIGINT NOT NULL,
    mark BIGINT NOT NULL,
    PRIMARY KEY (window_id, mark)
);
