-- Revokes an API key; revoking it again keeps the first time.
-- $1 id (text). Returns one row if the key exists.
UPDATE :"schema".api_keys
SET revoked_at = coalesce(revoked_at, statement_timestamp())
WHERE id = $1::text
RETURNING id;
