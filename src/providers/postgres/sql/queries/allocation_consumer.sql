-- A consumer's partition count and allocation generation, for the allocator to plan on.
-- $1 consumer. Returns partitions, generation; no row if the consumer is gone.
SELECT c.partitions, c.generation::text AS generation
FROM :"schema".consumers c
WHERE c.name = $1::text;
