-- Every registered consumer, by name.
-- No parameters. Returns the columns of consumer_get.
SELECT c.name, c.sequence, c.subjects, c.partitions, c.max_attempts, c.created_at, c.updated_at
FROM :"schema".consumers c
ORDER BY c.name;
