-- Removes a consumer's dead members: heartbeat expired, or their session
-- (where known) is gone, which is the moment a killed process's connection
-- closes. A recycled backend pid does not count: the start time must match.
-- $1 consumer. Returns member_id of each removed member.
DELETE FROM :"schema".members m
WHERE m.consumer = $1::text
  AND (m.expires_at <= now()
       OR (m.session_pid IS NOT NULL AND NOT EXISTS (
             SELECT 1 FROM pg_stat_activity s
             WHERE s.pid = m.session_pid AND s.backend_start = m.session_started)))
RETURNING m.member_id;
