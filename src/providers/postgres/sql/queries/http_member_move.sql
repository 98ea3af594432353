-- Gives a member a new home if it is still at the one the caller saw (NULL:
-- none) and has not ended: of servers taking it over together, one wins.
-- Unless forced (the old home refused the connection or said it does not host
-- the member), the old home must have been silent $5 ms. Its row is read FOR
-- SHARE, so this waits for an announcement in progress and sees it; an
-- announcement that comes later waits for this move, and the old home's
-- next look at what it hosts sees the member gone.
-- $1 id, $2 expected server (text or NULL), $3 new server, $4 forced (boolean),
-- $5 silence (integer ms). Returns id if moved.
UPDATE :"schema".http_members m
SET server = $3::text, changed_at = statement_timestamp()
WHERE m.id = $1::text AND m.server IS NOT DISTINCT FROM $2::text AND m.ended IS NULL
  AND ($2::text IS NULL OR $4::boolean
       OR coalesce((SELECT s.seen_at FROM :"schema".gateway_servers s WHERE s.id = $2::text FOR SHARE),
                   '-infinity')
          < statement_timestamp() - make_interval(secs => $5::integer / 1000.0))
RETURNING m.id;
