-- A consumer's members with what each owns and is handing over, oldest first.
-- $1 consumer.
-- Returns member_id, host, pid, joined_at, heartbeat_at, expires_at, owned (integer[]), revoking (integer[]).
SELECT m.member_id, m.host, m.pid, m.joined_at, m.heartbeat_at, m.expires_at,
       coalesce(array_agg(a.partition ORDER BY a.partition) FILTER (WHERE NOT a.revoking), '{}') AS owned,
       coalesce(array_agg(a.partition ORDER BY a.partition) FILTER (WHERE a.revoking), '{}') AS revoking
FROM :"schema".members m
LEFT JOIN :"schema".assignments a ON a.consumer = m.consumer AND a.member_id = m.member_id
WHERE m.consumer = $1::text
GROUP BY m.member_id, m.host, m.pid, m.joined_at, m.heartbeat_at, m.expires_at
ORDER BY m.joined_at, m.member_id;
