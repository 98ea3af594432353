-- The end of the readable log: every readable event is at or before it, and
-- every event not yet readable will appear after it.
-- No parameters. Returns one row: position.
SELECT (:"schema".log_horizon() - 1)::text AS position;
