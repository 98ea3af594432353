-- Records matching a filter (see delivery_matches), newest first, in pages.
-- $1 consumer, $2 state, $3 subject regex, $4 error code, $5 since, $6 until,
-- $7 event id (each NULL: any), $8 limit, $9/$10 the page cursor (updated_at
-- text, event id) or NULLs. Returns records with `cursor_time`.
SELECT d.consumer, d.event, d.state, d.attempts, d.last_error, d.schedule_at, d.replay,
       d.created_at, d.updated_at, d.partition, d.updated_at::text AS cursor_time
FROM :"schema".deliveries d
WHERE :"schema".delivery_matches(d, $1::text, $2::text, $3::text, $4::text,
                                 $5::timestamptz, $6::timestamptz, $7::uuid)
  AND ($9::timestamptz IS NULL OR (d.updated_at, d.event_id) < ($9::timestamptz, $10::uuid))
ORDER BY d.updated_at DESC, d.event_id DESC
LIMIT $8::integer;
