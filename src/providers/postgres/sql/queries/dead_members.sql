-- Consumers with at least one dead member (see members_expire): what the
-- allocator looks for on every tick.
-- No parameters. Returns name.
SELECT DISTINCT m.consumer AS name
FROM :"schema".members m
WHERE m.expires_at <= now()
   OR (m.session_pid IS NOT NULL AND NOT EXISTS (
         SELECT 1 FROM pg_stat_activity s
         WHERE s.pid = m.session_pid AND s.backend_start = m.session_started));
