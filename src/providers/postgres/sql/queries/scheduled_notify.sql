-- Wakes the scheduler: an event was scheduled for a time that may come
-- before the one it sleeps until.
-- $1 deliver at, epoch milliseconds as text. Returns nothing useful.
SELECT pg_notify(:'scheduled_channel', $1::text);
