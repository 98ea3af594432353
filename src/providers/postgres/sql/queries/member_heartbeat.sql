-- Keeps a member alive for $3 more milliseconds.
-- $1 consumer, $2 member id, $3 ttl ms (integer).
-- Returns the consumer's generation, or no row if the member is gone (it expired).
UPDATE :"schema".members m
SET heartbeat_at = now(), expires_at = now() + make_interval(secs => $3::integer / 1000.0)
FROM :"schema".consumers c
WHERE m.consumer = $1::text AND m.member_id = $2::text AND c.name = m.consumer
RETURNING c.generation::text AS generation;
