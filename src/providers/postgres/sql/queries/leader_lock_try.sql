-- Tries for the allocator's session advisory lock (held while the session
-- lives, released by the server the moment the session ends).
-- No parameters. Returns one row: acquired (boolean).
SELECT pg_try_advisory_lock(hashtext(:'schema' || ':leader'), 0) AS acquired;
