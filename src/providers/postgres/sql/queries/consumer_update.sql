-- Updates a consumer's options (not its sequence).
-- $1 name (text), $2 subjects (text[]), $3 partitions (integer), $4 max attempts (integer).
-- Returns the registry row (as consumer_get).
UPDATE :"schema".consumers c
SET subjects = $2::text[], partitions = $3::integer, max_attempts = $4::integer, updated_at = now()
WHERE c.name = $1::text
RETURNING c.name, c.sequence, c.subjects, c.partitions, c.max_attempts, c.created_at, c.updated_at;
