-- Registers a new consumer with every partition's position set to the start.
-- $1 name (text), $2 sequence (text), $3 subjects (text[]), $4 partitions (integer),
-- $5 max attempts (integer), $6 start position (bigint).
-- Returns the registry row (as consumer_get), or nothing if the name is taken.
WITH inserted AS (
  INSERT INTO :"schema".consumers (name, sequence, subjects, partitions, max_attempts)
  VALUES ($1::text, $2::text, $3::text[], $4::integer, $5::integer)
  ON CONFLICT (name) DO NOTHING
  RETURNING *
), positions AS (
  INSERT INTO :"schema".consumer_positions (consumer, partition, position)
  SELECT i.name, p, $6::bigint FROM inserted i, generate_series(0, i.partitions - 1) p
)
SELECT i.name, i.sequence, i.subjects, i.partitions, i.max_attempts, i.created_at, i.updated_at
FROM inserted i;
