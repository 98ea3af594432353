-- Keeps a member alive for $3 more milliseconds of silence, renews its lease
-- for $4, and records the session it speaks from now (a member whose session
-- was lost heartbeats from a new one).
-- $1 consumer, $2 member id, $3 session timeout ms (integer), $4 lease ms (integer),
-- $5 session pid (integer or NULL), $6 session start (timestamptz or NULL).
-- Returns the consumer's generation, or no row if the member is gone (found dead).
UPDATE :"schema".members m
SET heartbeat_at = now(),
    expires_at = now() + make_interval(secs => $3::integer / 1000.0),
    lease_expires_at = now() + make_interval(secs => $4::integer / 1000.0),
    session_pid = $5::integer, session_started = $6::timestamptz
FROM :"schema".consumers c
WHERE m.consumer = $1::text AND m.member_id = $2::text AND c.name = m.consumer
RETURNING c.generation::text AS generation;
