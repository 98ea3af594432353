-- A lease as it stands: who holds it, since when, until when.
-- $1 name. Returns holder, host, pid, term, session_pid, acquired_at, expires_at, live (boolean).
SELECT l.holder, l.host, l.pid, l.term::text AS term, l.session_pid, l.acquired_at, l.expires_at,
       (l.holder IS NOT NULL AND l.expires_at > now()) AS live
FROM :"schema".leases l
WHERE l.name = $1::text;
