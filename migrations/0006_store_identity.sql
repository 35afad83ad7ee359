-- The store's identity, one row made when the store is created (the id is random, written by
-- Khobor right after the migrations run: the shared SQL subset has no portable random
-- function). Whatever is derived from the store and kept outside it (the search index)
-- records the id, the feed epoch and its position in the change feed, and compares them
-- with the store at start: a database restored from an older backup, or replaced by an
-- empty one, is then noticed instead of being followed from a feed position it never had.
-- feed_epoch: bumped when the change feed's positions stop meaning what they meant (a
-- consumer found the feed behind its position: the store was put back to an older copy), so
-- every other consumer that remembers a position in the earlier epoch starts again too.
CREATE TABLE store_identity (
    store_id TEXT NOT NULL PRIMARY KEY,
    feed_epoch BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
