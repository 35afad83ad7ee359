-- Work any node may pick up is claimed for a while (a lease) before it is done: two nodes
-- never make the same upload's variants at once, and a node that dies holding a claim only
-- delays the work until the lease runs out, when another node takes it.
ALTER TABLE media ADD COLUMN lease_owner TEXT;
ALTER TABLE media ADD COLUMN lease_until BIGINT;
CREATE INDEX media_pending ON media (status, id);
