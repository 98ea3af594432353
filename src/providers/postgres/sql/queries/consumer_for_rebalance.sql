-- Locks a consumer for a rebalance, so rebalances of it take turns.
-- $1 consumer. Returns partitions, generation; no row if the consumer is gone.
SELECT c.partitions, c.generation::text AS generation
FROM :"schema".consumers c
WHERE c.name = $1::text
FOR UPDATE;
