-- Deletes one batch of a category's events below a position (after
-- prune_ordered_scan, in the same transaction), walking the
-- (category, position) index on from where the previous batch stopped: a
-- large prune is many short transactions, never one long one.
-- Kept: each stream's newest event (appends continue its version from it),
-- and, per held stream, its events at or after its consumer's position.
-- Nothing references events, so nothing else is touched.
-- $1 category (text), $2 scan after this position (bigint), $3 delete below
-- this position (bigint), $4 batch size (integer), $5 held streams (text[]),
-- $6 their positions (bigint[], in the same order).
-- Returns one row: scanned (integer), deleted (integer), scanned_to (text; null
-- when nothing was left to scan), held_streams (text[]: held streams that kept
-- an event here only because of their consumer).
WITH batch AS (
  SELECT e.position, e.stream, e.version
  FROM :"schema".events e
  WHERE (e.category, e.position) > ($1::text, $2::bigint)
    AND (e.category, e.position) < ($1::text, $3::bigint)
  ORDER BY e.category, e.position
  LIMIT $4::integer
), judged AS (
  SELECT b.position, b.stream,
         EXISTS (SELECT 1 FROM :"schema".events n
                 WHERE n.stream = b.stream AND n.version > b.version) AS superseded,
         EXISTS (SELECT 1 FROM unnest($5::text[], $6::bigint[]) AS h(stream, position)
                 WHERE h.stream = b.stream AND b.position >= h.position) AS held
  FROM batch b
), deleted AS (
  DELETE FROM :"schema".events e
  WHERE e.position = ANY (ARRAY(SELECT j.position FROM judged j WHERE j.superseded AND NOT j.held))
  RETURNING 1
)
SELECT (SELECT count(*) FROM batch)::integer AS scanned,
       (SELECT count(*) FROM deleted)::integer AS deleted,
       (SELECT max(b.position) FROM batch b)::text AS scanned_to,
       ARRAY(SELECT DISTINCT j.stream FROM judged j WHERE j.superseded AND j.held) AS held_streams;
