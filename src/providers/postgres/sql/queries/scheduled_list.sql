-- Waiting delayed events in delivery order, of one stream or all.
-- $1 stream (text, or NULL for every stream), $2 limit (integer).
-- Returns id, stream, subject, data, metadata, deliver_at, scheduled_at.
SELECT s.id::text AS id, s.stream, s.subject, s.data, s.metadata, s.deliver_at, s.scheduled_at
FROM :"schema".scheduled_events s
WHERE $1::text IS NULL OR s.stream = $1::text
ORDER BY s.deliver_at, s.seq
LIMIT $2::integer;
