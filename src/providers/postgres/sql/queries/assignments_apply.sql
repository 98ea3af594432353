-- Applies an allocation: grants free partitions (at the new generation) to
-- members still there with the consumer's partition count, revokes
-- partitions from their owners, and keeps revoked ones after all. Each
-- change is made only where what it was planned on still holds.
-- $1 consumer, $2 granted partitions (integer[]), $3 their members (text[]),
-- $4 revoked partitions (integer[]), $5 kept partitions (integer[]), $6 new generation (bigint).
-- Returns one row: changed (integer), the rows that changed.
WITH granted AS (
  UPDATE :"schema".assignments a
  SET member_id = g.member, generation = $6::bigint, revoking = false
  FROM unnest($2::integer[], $3::text[]) AS g(partition, member)
  WHERE a.consumer = $1::text AND a.partition = g.partition AND a.member_id IS NULL
    AND EXISTS (SELECT 1 FROM :"schema".members m
                WHERE m.consumer = a.consumer AND m.member_id = g.member
                  AND m.partitions = (SELECT c.partitions FROM :"schema".consumers c
                                      WHERE c.name = $1::text))
  RETURNING 1
), revoked AS (
  UPDATE :"schema".assignments a SET revoking = true
  WHERE a.consumer = $1::text AND a.partition = ANY ($4::integer[])
    AND a.member_id IS NOT NULL AND NOT a.revoking
  RETURNING 1
), kept AS (
  UPDATE :"schema".assignments a SET revoking = false
  WHERE a.consumer = $1::text AND a.partition = ANY ($5::integer[]) AND a.revoking
  RETURNING 1
)
SELECT ((SELECT count(*) FROM granted) + (SELECT count(*) FROM revoked)
        + (SELECT count(*) FROM kept))::integer AS changed;
