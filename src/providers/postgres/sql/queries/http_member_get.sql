-- One member over HTTP.
-- $1 id (text). Returns id, consumer, token_hash, spec, server, ended; no row if unknown.
SELECT m.id, m.consumer, m.token_hash, m.spec, m.server, m.ended
FROM :"schema".http_members m
WHERE m.id = $1::text;
