-- Appends a batch in one round trip (see append_events in 0001_log.sql).
-- $1 streams (text[]), $2 events (json: [{"t", "d", "m", "i", "e"}, ...], same order).
-- Returns one row: first_position (the rest follow one by one), time, versions, stream_hashes.
SELECT a.first_position::text AS first_position, a.appended_at AS time, a.versions,
       a.stream_hashes
FROM :"schema".append_events($1::text[], $2::json) a;
