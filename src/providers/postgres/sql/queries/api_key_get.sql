-- One API key, with its secret's hash, to check a presented key against.
-- $1 id (text). Returns id, name, scopes, secret_hash, created_at, revoked_at.
SELECT k.id, k.name, k.scopes, k.secret_hash, k.created_at, k.revoked_at
FROM :"schema".api_keys k
WHERE k.id = $1::text;
