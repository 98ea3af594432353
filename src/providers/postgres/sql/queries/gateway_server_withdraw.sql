-- A stopping server: its members are left homeless (the next server a worker
-- calls takes them at once) and its row goes.
-- $1 server id (text). Returns nothing.
WITH homeless AS (
  UPDATE :"schema".http_members m SET server = NULL, changed_at = statement_timestamp()
  WHERE m.server = $1::text AND m.ended IS NULL
)
DELETE FROM :"schema".gateway_servers s WHERE s.id = $1::text;
