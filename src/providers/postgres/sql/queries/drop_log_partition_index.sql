-- Drops a log partition index left invalid by a build that crashed, so it can
-- be built again. Run outside a transaction.
-- No parameters; :partitions is spliced as a validated integer.
DROP INDEX CONCURRENTLY IF EXISTS :"schema"."events_log_p:partitions";
