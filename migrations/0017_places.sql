-- Places: Bangladesh's divisions, districts and upazilas, seeded once from the list the
-- binary carries (storage/places.rs) and edited by the newsroom from then on; the places a
-- story is about. Same SQL subset as 0001.

CREATE TABLE places (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('division', 'district', 'upazila')),
    parent_id BIGINT REFERENCES places (id) ON DELETE CASCADE,
    -- The slugs from the division down, e.g. 'dhaka/gazipur': the reader page's address.
    path TEXT NOT NULL UNIQUE,
    slug TEXT NOT NULL,
    name_bn TEXT NOT NULL,
    name_en TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX places_by_parent ON places (parent_id, position);

-- A story's places and, marked direct = 0, the places above them (a story about an upazila is
-- on its district's and division's pages too), so a place's page is one indexed join.
CREATE TABLE article_places (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    place_id BIGINT NOT NULL REFERENCES places (id) ON DELETE CASCADE,
    direct INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (article_id, place_id)
);
CREATE INDEX article_places_by_place ON article_places (place_id, article_id);

-- সারাদেশ, the desk the place pages belong to, for sites that don't have it yet.
INSERT INTO sections (slug, name, position, colour, created_at)
SELECT 'country', 'সারাদেশ', 70, '#4a4e69', 0
WHERE NOT EXISTS (SELECT 1 FROM sections WHERE slug = 'country');
