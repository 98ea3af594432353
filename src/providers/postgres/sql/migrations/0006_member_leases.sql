-- A member's lease: it starts work only until its last acknowledged
-- heartbeat is this old (less a margin it keeps itself), so once its session
-- is seen gone (a killed process, or one cut off from the server) its
-- partitions may move on when the lease ends: a cut-off member has stopped
-- by then. 'infinity' (a member that keeps no lease): only expires_at tells.
ALTER TABLE :"schema".members
  ADD COLUMN lease_expires_at timestamptz NOT NULL DEFAULT 'infinity';
