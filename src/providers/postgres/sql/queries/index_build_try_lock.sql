-- Takes the session lock that keeps two processes from building one partition
-- index at once, without waiting (see partition-index.ts for why never wait).
-- $1 lock key (text). Returns one row (locked boolean).
SELECT pg_try_advisory_lock(hashtextextended($1::text, 0)) AS locked;
