-- Every API key, revoked ones included, oldest first; never the hashes.
-- No parameters. Returns id, name, scopes, created_at, revoked_at.
SELECT k.id, k.name, k.scopes, k.created_at, k.revoked_at
FROM :"schema".api_keys k
ORDER BY k.created_at, k.id;
