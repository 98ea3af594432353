-- Tells every process that a consumer's membership or allocation changed
-- (they re-read it; the leader rebalances).
-- $1 consumer. Returns nothing useful.
SELECT pg_notify(:'members_channel', $1::text);
