-- Records or renews a server and the address its peers reach it at.
-- $1 server id (text), $2 url (text). Returns nothing.
INSERT INTO :"schema".gateway_servers AS s (id, url) VALUES ($1::text, $2::text)
ON CONFLICT (id) DO UPDATE SET url = excluded.url, seen_at = statement_timestamp();
