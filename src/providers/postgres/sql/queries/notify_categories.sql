-- Wakes listening consumers: one notification per payload (see wakeup-payload.ts).
-- Sent after the appending transaction committed, in a transaction of its
-- own: PostgreSQL serializes the commits of transactions that NOTIFY (they
-- hold a lock through their commit), so notifying inside every publish would
-- make concurrent publishers commit one at a time.
-- $1 payloads (text[]: 'category' or 'category:hash,...'; '*' for any). Returns nothing useful.
SELECT pg_notify(:'channel', c) FROM unnest($1::text[]) AS c;
