-- The index behind read_log_partition for one partition count. Run outside a
-- transaction: it is built without blocking publishers.
-- No parameters; :partitions is spliced as a validated integer.
CREATE INDEX CONCURRENTLY "events_log_p:partitions"
ON :"schema".events ((stream_hash % :partitions), position);
