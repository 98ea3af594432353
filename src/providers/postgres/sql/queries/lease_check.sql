-- Confirms, inside the allocator's transaction, that its leadership is still
-- current, and holds the lease row until the transaction ends: a new leader
-- cannot take over in the middle of a rebalance.
-- $1 lease name, $2 holder, $3 term (bigint). Returns one row if current.
SELECT 1 AS current
FROM :"schema".leases l
WHERE l.name = $1::text AND l.holder = $2::text AND l.term = $3::bigint AND l.expires_at > now()
FOR SHARE;
