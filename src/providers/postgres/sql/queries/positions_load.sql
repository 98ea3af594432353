-- A consumer's positions, one row per partition.
-- $1 consumer (text). Returns partition, position, generation, updated_at.
SELECT p.partition, p.position::text AS position, p.generation::integer AS generation, p.updated_at
FROM :"schema".consumer_positions p
WHERE p.consumer = $1::text
ORDER BY p.partition;
