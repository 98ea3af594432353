-- Forgets members that ended, or were left without a live home, more than
-- $1 ms ago, and servers silent that long.
-- $1 age (integer ms). Returns nothing.
WITH gone_servers AS (
  DELETE FROM :"schema".gateway_servers s
  WHERE s.seen_at < statement_timestamp() - make_interval(secs => $1::integer / 1000.0)
  RETURNING s.id
)
DELETE FROM :"schema".http_members m
WHERE m.changed_at < statement_timestamp() - make_interval(secs => $1::integer / 1000.0)
  AND (m.ended IS NOT NULL OR m.server IS NULL
       OR m.server IN (SELECT g.id FROM gone_servers g)
       OR NOT EXISTS (SELECT 1 FROM :"schema".gateway_servers s WHERE s.id = m.server));
