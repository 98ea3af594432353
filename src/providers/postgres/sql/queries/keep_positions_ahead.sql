-- Makes sure new positions sort after every stored one (see log_clock in 0001_log.sql).
-- No parameters. Returns one row: xid_offset.
SELECT :"schema".keep_positions_ahead()::text AS xid_offset;
