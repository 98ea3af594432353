-- Lets go of the allocator's session advisory lock.
-- No parameters. Returns one row: released (boolean).
SELECT pg_advisory_unlock(hashtext(:'schema' || ':leader'), 0) AS released;
