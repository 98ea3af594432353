-- Commits several partitions' positions of one consumer in one statement,
-- fenced: a partition is committed only if the member owns it and got it at
-- or before the generation the commit carries. The owning rows are locked
-- first, so a commit and a reassignment of the same partition take turns
-- (and a commit that waited sees the new owner). A position never moves
-- backwards here; resets go through the registry.
-- $1 consumer (text), $2 member (text), $3 partitions (integer[]), $4 positions (bigint[]),
-- $5 generations (bigint[]).
-- Returns partition for every partition committed; the others were fenced.
WITH owned AS (
  SELECT a.partition, c.position, c.generation
  FROM :"schema".assignments a
  JOIN unnest($3::integer[], $4::bigint[], $5::bigint[]) AS c(partition, position, generation)
    ON c.partition = a.partition
  WHERE a.consumer = $1::text AND a.member_id = $2::text AND a.generation <= c.generation
  FOR SHARE OF a
)
UPDATE :"schema".consumer_positions p
SET position = greatest(p.position, o.position), generation = o.generation, updated_at = now()
FROM owned o
WHERE p.consumer = $1::text AND p.partition = o.partition
RETURNING p.partition;
