-- Work that one node at a time does for the whole site (purging the CDN, uploading search
-- index snapshots) is held by a named lease. The holder renews it while it works; a node that
-- dies holding it only delays the work until `lease_until`, when another node takes it over.
-- `position` is how far along the change feed the work has got (the next holder goes on
-- from there); `state` is whatever else the work must hand over (JSON text).
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    owner TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0,
    position BIGINT,
    state TEXT,
    updated_at BIGINT NOT NULL DEFAULT 0
);
