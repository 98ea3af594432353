-- Marks a member ended, if the caller is still its home.
-- $1 id, $2 server, $3 how ('stopped' | 'expired'). Returns id if ended.
UPDATE :"schema".http_members m
SET ended = $3::text, server = NULL, changed_at = statement_timestamp()
WHERE m.id = $1::text AND m.server = $2::text AND m.ended IS NULL
RETURNING m.id;
