-- Gives a lease up at once, so the next candidate need not wait for it to expire.
-- $1 name, $2 holder, $3 term (bigint). Returns nothing.
UPDATE :"schema".leases l
SET holder = NULL, expires_at = now()
WHERE l.name = $1::text AND l.holder = $2::text AND l.term = $3::bigint;
