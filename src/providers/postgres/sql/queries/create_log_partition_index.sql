-- The index behind read_log_partition for one partition count. Run outside a
-- transaction: it is built without blocking publishers. IF NOT EXISTS: in
-- PGlite's one session the build lock does not keep two instances of one
-- process apart, and the second finds it built.
-- No parameters; :partitions is spliced as a validated integer.
CREATE INDEX CONCURRENTLY IF NOT EXISTS "events_log_p:partitions"
ON :"schema".events ((stream_hash % :partitions), position);
