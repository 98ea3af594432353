-- Makes sure a lease row exists, so taking it is a plain UPDATE.
-- $1 name. Returns nothing.
INSERT INTO :"schema".leases (name) VALUES ($1::text) ON CONFLICT DO NOTHING;
