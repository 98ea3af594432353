-- Counts committed events of a sequence (or one partition of it) after a position: lag
-- (see count_after in 0001_log.sql).
-- $1 sequence ('log', 'category:<name>', 'stream:<name>'), $2 partition count (integer),
-- $3 partition (integer; anything when the count is 1), $4 after (bigint), $5 subject regexes (text[]).
-- Returns one row: count (integer).
SELECT :"schema".count_after($1::text, $2::integer, $3::integer, $4::bigint, $5::text[])::integer AS count;
