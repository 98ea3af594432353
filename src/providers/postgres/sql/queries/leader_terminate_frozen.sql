-- Ends the session of a leader whose lease expired while its session lives
-- on: a frozen process (stopped, swapped out, cut off) still holding the
-- lock. Its lock is released with its session, and the caller may take over.
-- $1 lease name. Returns one row per session ended: terminated (boolean).
SELECT pg_terminate_backend(l.session_pid) AS terminated
FROM :"schema".leases l
JOIN pg_stat_activity s ON s.pid = l.session_pid AND s.backend_start = l.session_started
WHERE l.name = $1::text AND l.expires_at <= now() AND s.pid <> pg_backend_pid();
