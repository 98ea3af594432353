-- Moves every partition of a consumer to one position under a generation,
-- in the transaction that frees its partitions (assignments_reset): the
-- members running before are fenced, the new owners start here.
-- $1 consumer (text), $2 position (bigint), $3 partitions (integer), $4 generation (bigint).
INSERT INTO :"schema".consumer_positions (consumer, partition, position, generation)
SELECT $1::text, p, $2::bigint, $4::bigint FROM generate_series(0, $3::integer - 1) AS p
ON CONFLICT (consumer, partition) DO UPDATE
SET position = excluded.position, generation = excluded.generation, updated_at = now();
