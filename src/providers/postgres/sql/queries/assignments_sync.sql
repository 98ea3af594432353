-- Gives a consumer exactly one assignment row per partition, and frees the
-- partitions of owners that are no longer live members with this partition
-- count.
-- $1 consumer, $2 partition count (integer). Returns nothing.
WITH dropped AS (
  DELETE FROM :"schema".assignments a WHERE a.consumer = $1::text AND a.partition >= $2::integer
), added AS (
  INSERT INTO :"schema".assignments (consumer, partition)
  SELECT $1::text, p FROM generate_series(0, $2::integer - 1) p
  ON CONFLICT DO NOTHING
)
UPDATE :"schema".assignments a
SET member_id = NULL, revoking = false
WHERE a.consumer = $1::text AND a.partition < $2::integer AND a.member_id IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM :"schema".members m
    WHERE m.consumer = a.consumer AND m.member_id = a.member_id AND m.partitions = $2::integer);
