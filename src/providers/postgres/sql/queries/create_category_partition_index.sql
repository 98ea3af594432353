-- The index behind read_category_partition for one partition count. Run
-- outside a transaction: it is built without blocking publishers.
-- No parameters; :partitions is spliced as a validated integer.
CREATE INDEX CONCURRENTLY IF NOT EXISTS "events_category_p:partitions"
ON :"schema".events (category, (stream_hash % :partitions), position);
