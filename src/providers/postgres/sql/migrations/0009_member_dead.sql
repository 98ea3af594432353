-- Whether a member is dead: silent past its session timeout, or its session
-- (where known) is gone and its lease has ended. A session goes the moment a
-- killed process's connection closes, but also when a live process is cut
-- off; such a member starts nothing once its lease is over, so its
-- partitions move on only then. A recycled backend pid does not count as its
-- session (the start time must match), nor does a session older than the
-- server (a restart ended every session; the members come back within their
-- session timeout, or are dead by it). One definition, read by the
-- allocator when it plans and again when it applies its plan.
CREATE FUNCTION :"schema".member_dead(m :"schema".members) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT m.expires_at <= now()
      OR (m.lease_expires_at <= now()
          AND m.session_pid IS NOT NULL
          AND m.session_started >= pg_postmaster_start_time()
          AND NOT EXISTS (SELECT 1 FROM pg_stat_activity s
                          WHERE s.pid = m.session_pid AND s.backend_start = m.session_started))
$$;
