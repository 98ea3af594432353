-- Consumers with a member that is dead (see members_expire), or whose session
-- is gone and whose lease still runs: what the allocator looks for on every
-- tick, so it can rebalance the moment such a lease ends.
-- No parameters. Returns name, due_in_ms (integer; 0: a member is dead now).
SELECT m.consumer AS name,
       min(greatest(0, ceil(extract(epoch FROM least(m.lease_expires_at, m.expires_at) - now())
                            * 1000)))::integer AS due_in_ms
FROM :"schema".members m
WHERE m.expires_at <= now()
   OR (m.session_pid IS NOT NULL
       AND m.session_started >= pg_postmaster_start_time()
       AND NOT EXISTS (SELECT 1 FROM pg_stat_activity s
                       WHERE s.pid = m.session_pid AND s.backend_start = m.session_started))
GROUP BY m.consumer;
