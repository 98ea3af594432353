-- How long until the earliest delayed event is due, by the server's clock
-- (so the scheduler's sleep does not depend on its own clock agreeing).
-- No parameters. Returns one row: wait_ms (float8; <= 0: due; NULL: nothing waits).
SELECT extract(epoch FROM (SELECT s.deliver_at FROM :"schema".scheduled_events s
                           ORDER BY s.deliver_at, s.seq LIMIT 1) - clock_timestamp())::float8
       * 1000 AS wait_ms;
