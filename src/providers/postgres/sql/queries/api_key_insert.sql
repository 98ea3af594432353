-- Stores a new API key.
-- $1 id (text), $2 name (text), $3 scopes (text[]), $4 secret_hash (bytea).
-- Returns id, name, scopes, created_at, revoked_at.
INSERT INTO :"schema".api_keys (id, name, scopes, secret_hash)
VALUES ($1::text, $2::text, $3::text[], $4::bytea)
RETURNING id, name, scopes, created_at, revoked_at;
