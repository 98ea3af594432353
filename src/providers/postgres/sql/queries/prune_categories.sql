-- The categories that have events, in name order, found by skipping through
-- the (category, position) index: one probe per category, never a scan of
-- the log.
-- No parameters. Returns category.
WITH RECURSIVE found AS (
  (SELECT e.category FROM :"schema".events e ORDER BY e.category LIMIT 1)
  UNION ALL
  SELECT (SELECT e.category FROM :"schema".events e
          WHERE e.category > f.category ORDER BY e.category LIMIT 1)
  FROM found f
  WHERE f.category IS NOT NULL
)
SELECT f.category FROM found f WHERE f.category IS NOT NULL;
