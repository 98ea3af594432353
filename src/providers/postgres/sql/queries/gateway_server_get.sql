-- A server's address and how long it has been silent, by this database's clock.
-- $1 server id (text). Returns url, silent_ms (integer); no row if unknown.
SELECT s.url,
       greatest(0, extract(epoch FROM statement_timestamp() - s.seen_at) * 1000)::integer AS silent_ms
FROM :"schema".gateway_servers s
WHERE s.id = $1::text;
