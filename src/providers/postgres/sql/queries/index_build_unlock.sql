-- Releases the lock index_build_try_lock took.
-- $1 lock key (text).
SELECT pg_advisory_unlock(hashtextextended($1::text, 0));
