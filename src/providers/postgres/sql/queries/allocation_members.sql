-- Every member of a consumer, with whether it is dead (see member_dead),
-- for the allocator to plan on.
-- $1 consumer. Returns member_id, host, pid, partitions, joined_at,
-- heartbeat_at, expires_at, dead.
SELECT m.member_id, m.host, m.pid, m.partitions, m.joined_at, m.heartbeat_at, m.expires_at,
       :"schema".member_dead(m) AS dead
FROM :"schema".members m
WHERE m.consumer = $1::text
ORDER BY m.joined_at, m.member_id;
