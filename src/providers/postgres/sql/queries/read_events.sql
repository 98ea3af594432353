-- Reads a sequence or one partition of it after a position (see read_events in 0001_log.sql).
-- $1 sequence ('log', 'category:<name>', 'stream:<name>'), $2 partition count (integer),
-- $3 partition (integer; anything when the count is 1), $4 after (bigint), $5 limit (integer),
-- $6 subject regexes (text[], empty: every subject).
-- Returns events in log order, each with `horizon` (see the function); one row of
-- nulls but the horizon when there are none. The time goes as epoch milliseconds:
-- a number is far cheaper for the client to turn into a Date than timestamp text.
SELECT r.horizon::text AS horizon, r.event_position::text AS position, r.event_id AS id,
       r.event_stream AS stream, r.event_category AS category, r.event_version AS version,
       r.event_subject AS subject, r.event_data AS data, r.event_metadata AS metadata,
       (extract(epoch FROM r.event_time) * 1000)::float8 AS time_ms
FROM :"schema".read_events($1::text, $2::integer, $3::integer, $4::bigint, $5::integer, $6::text[]) r;
