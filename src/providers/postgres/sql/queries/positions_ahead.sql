-- Whether new positions already sort after every stored one (see log_clock in
-- 0001_log.sql), as they do unless a dump was restored into a cluster whose
-- counter started again. The next transaction id (the snapshot's xmax) is a
-- lower bound for every later one, so "ahead" stays true. Plain SQL with no
-- transaction id of its own: an open that finds the log ahead, the usual
-- case, need not call keep_positions_ahead(), PL/pgSQL, whose first call in a
-- new embedded instance loads the language (a twentieth of a second).
-- No parameters. Returns one row: ahead.
SELECT coalesce(
  (SELECT max(e.position) FROM :"schema".events e) >> 20
    < :"schema".log_xid(pg_snapshot_xmax(pg_current_snapshot())),
  true) AS ahead;
