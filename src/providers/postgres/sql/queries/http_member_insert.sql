-- A new member over HTTP.
-- $1 id, $2 consumer, $3 token hash (bytea), $4 spec (jsonb), $5 server. Returns nothing.
INSERT INTO :"schema".http_members (id, consumer, token_hash, spec, server)
VALUES ($1::text, $2::text, $3::bytea, $4::jsonb, $5::text);
