-- How many delayed events wait. No parameters. Returns one row: count (integer).
SELECT count(*)::integer AS count FROM :"schema".scheduled_events;
