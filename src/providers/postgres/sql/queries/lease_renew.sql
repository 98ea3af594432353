-- Extends our lease, if it is still ours in this term and has not expired.
-- $1 name, $2 holder, $3 term (bigint), $4 ttl ms (integer).
-- Returns one row if renewed.
UPDATE :"schema".leases l
SET expires_at = now() + make_interval(secs => $4::integer / 1000.0)
WHERE l.name = $1::text AND l.holder = $2::text AND l.term = $3::bigint AND l.expires_at > now()
RETURNING 1 AS renewed;
