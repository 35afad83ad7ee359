-- Old paths that answer 301 to a page other than a story (an imported site's category, tag
-- and author archives). Story redirects stay in `redirects`, keyed by article id so that
-- they follow the story if its section changes. `from_path` is the normalised key of
-- `domain::urls::redirect_key`.
CREATE TABLE path_redirects (
    from_path TEXT PRIMARY KEY,
    to_path TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
