-- A consumer's members that run with its partition count, oldest first.
-- $1 consumer, $2 partition count (integer).
-- Returns member_id, host, pid, partitions, joined_at, heartbeat_at, expires_at.
SELECT m.member_id, m.host, m.pid, m.partitions, m.joined_at, m.heartbeat_at, m.expires_at
FROM :"schema".members m
WHERE m.consumer = $1::text AND m.partitions = $2::integer
ORDER BY m.joined_at, m.member_id;
