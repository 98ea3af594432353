-- Adds a member, or renews one that joins again: alive for $5 milliseconds
-- of silence, its lease running $9 milliseconds.
-- $1 consumer, $2 member id, $3 host, $4 pid (integer), $5 session timeout ms (integer),
-- $6 partition count (integer), $7 session pid (integer or NULL), $8 session start (timestamptz or NULL),
-- $9 lease ms (integer).
-- Returns nothing.
INSERT INTO :"schema".members AS m
  (consumer, member_id, host, pid, partitions, session_pid, session_started, expires_at, lease_expires_at)
VALUES ($1::text, $2::text, $3::text, $4::integer, $6::integer, $7::integer, $8::timestamptz,
        now() + make_interval(secs => $5::integer / 1000.0),
        now() + make_interval(secs => $9::integer / 1000.0))
ON CONFLICT (consumer, member_id) DO UPDATE
SET host = EXCLUDED.host, pid = EXCLUDED.pid, partitions = EXCLUDED.partitions,
    session_pid = EXCLUDED.session_pid, session_started = EXCLUDED.session_started,
    heartbeat_at = now(), expires_at = EXCLUDED.expires_at,
    lease_expires_at = EXCLUDED.lease_expires_at;
