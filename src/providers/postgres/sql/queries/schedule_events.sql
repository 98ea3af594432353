-- Keeps delayed events until they are due (see 0005_scheduled_events.sql),
-- refusing an id the log already holds (duplicate_id, as the log would).
-- $1 streams (text[]), $2 events (json: [{"t" subject, "d" data, "m" metadata
-- or null, "i" id, "w" deliver at (ISO time)}, ...], same order).
-- Returns nothing useful.
INSERT INTO :"schema".scheduled_events (id, stream, subject, data, metadata, deliver_at)
SELECT x.id, x.stream, x.subject, coalesce(x.data, 'null'), x.metadata, x.deliver_at
FROM ROWS FROM (
  unnest($1::text[]),
  json_to_recordset($2::json) AS (t text, d json, m json, i uuid, w timestamptz)
) WITH ORDINALITY AS x(stream, subject, data, metadata, id, deliver_at, ord)
WHERE NOT EXISTS (SELECT 1 FROM :"schema".events e WHERE e.id = x.id)
   OR :"schema".event_id_taken(x.id)
ORDER BY x.ord;
