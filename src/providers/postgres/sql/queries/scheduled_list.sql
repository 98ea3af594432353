-- Waiting delayed events in delivery order, of one stream or all, after a
-- cursor (see scheduled-cursor.ts).
-- $1 stream (text, or NULL for every stream), $2 limit (integer),
-- $3 the cursor's deliver_at in microseconds since 1970 (bigint) and $4 its
-- seq (bigint), or NULLs to start from the first.
-- Returns id, stream, subject, data, metadata, deliver_at, scheduled_at, and
-- each row's cursor: deliver_us and seq, both as text.
SELECT s.id::text AS id, s.stream, s.subject, s.data, s.metadata, s.deliver_at, s.scheduled_at,
       (extract(epoch FROM s.deliver_at) * 1000000)::bigint::text AS deliver_us,
       s.seq::text AS seq
FROM :"schema".scheduled_events s
WHERE ($1::text IS NULL OR s.stream = $1::text)
  -- A row comparison, so scheduled_events_due (or _stream) starts at the
  -- cursor instead of scanning past what earlier pages listed. Microseconds
  -- become a time in two terms because interval * number multiplies in
  -- float8: each product stays exact, across the whole range of a JS Date.
  -- Without a cursor: from before every row (seq starts at 1).
  AND (s.deliver_at, s.seq) > (
        COALESCE(timestamptz 'epoch'
                   + ($3::bigint / 1000000000000) * interval '1000000 seconds'
                   + ($3::bigint % 1000000000000) * interval '1 microsecond',
                 '-infinity'),
        COALESCE($4::bigint, 0))
ORDER BY s.deliver_at, s.seq
LIMIT $2::integer;
