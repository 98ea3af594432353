-- The position just before the first event at or after a time.
-- $1 time (timestamptz). Returns one row: position.
SELECT :"schema".position_before_time($1::timestamptz)::text AS position;
