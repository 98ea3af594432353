-- Appends up to $1 due delayed events to the log and removes them from the
-- schedule, if the caller still holds the lease (see deliver_scheduled).
-- $1 limit (integer), $2 lease name, $3 holder, $4 term (bigint).
-- Returns at most one row: taken (how many left the schedule), streams and
-- stream_hashes of the appended events.
SELECT d.taken, d.streams, d.stream_hashes
FROM :"schema".deliver_scheduled($1::integer, $2::text, $3::text, $4::bigint) d;
