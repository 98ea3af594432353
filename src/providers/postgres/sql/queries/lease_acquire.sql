-- Takes a lease for $6 milliseconds if it is free, expired, or ours already.
-- With $7 true it is taken whatever its state: the caller holds the session
-- lock that makes it the leader, and a lease still naming the previous holder
-- only means that one has not noticed yet. A new holder starts a new term.
-- $1 name, $2 holder, $3 host, $4 pid (integer), $5 session pid (integer or NULL),
-- $6 ttl ms (integer), $7 force (boolean), $8 session start (timestamptz or NULL).
-- Returns one row, term, if the lease is now ours.
UPDATE :"schema".leases l
SET holder = $2::text, host = $3::text, pid = $4::integer,
    session_pid = $5::integer, session_started = $8::timestamptz,
    term = CASE WHEN l.holder = $2::text AND l.expires_at > now() THEN l.term ELSE l.term + 1 END,
    acquired_at = CASE WHEN l.holder = $2::text AND l.expires_at > now() THEN l.acquired_at ELSE now() END,
    expires_at = now() + make_interval(secs => $6::integer / 1000.0)
WHERE l.name = $1::text
  AND ($7::boolean OR l.holder IS NULL OR l.holder = $2::text OR l.expires_at <= now())
RETURNING l.term::text AS term;
