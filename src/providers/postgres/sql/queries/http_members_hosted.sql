-- The members a server hosts.
-- $1 server (text). Returns id.
SELECT m.id FROM :"schema".http_members m WHERE m.server = $1::text AND m.ended IS NULL;
