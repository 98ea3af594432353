-- The position of a category's Nth newest event, walking the
-- (category, position) index backwards (after prune_ordered_scan; the row
-- comparisons name that index's columns, so no other index has the order):
-- what `keepLast` keeps from.
-- $1 category (text), $2 n (integer, at least 1).
-- Returns one row (position), or none when the category has fewer events.
SELECT e.position::text AS position
FROM :"schema".events e
WHERE (e.category, e.position) > ($1::text, -1::bigint)
  AND (e.category, e.position) < ($1::text, 9223372036854775807::bigint)
ORDER BY e.category DESC, e.position DESC
OFFSET $2::integer - 1 LIMIT 1;
