-- One consumer's registry row, locked until the transaction ends.
-- $1 name (text). Returns name, sequence, subjects, partitions, max_attempts, created_at, updated_at.
SELECT c.name, c.sequence, c.subjects, c.partitions, c.max_attempts, c.created_at, c.updated_at
FROM :"schema".consumers c
WHERE c.name = $1::text
FOR UPDATE;
