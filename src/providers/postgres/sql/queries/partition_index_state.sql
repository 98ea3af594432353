-- Whether a partition index exists and is valid (a CONCURRENTLY build that
-- crashed leaves it invalid).
-- $1 schema (text), $2 index name (text). Returns one row (valid boolean) or none.
SELECT i.indisvalid AS valid
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1::text AND c.relname = $2::text;
