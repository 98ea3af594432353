-- Makes matching dead letters and cancelled deliveries retryable now, attempts
-- reset, as replays for their partition's owner. Parameters $1-$7 as in
-- deliveries_list. Returns one row per record changed.
UPDATE :"schema".deliveries d
SET state = 'retryable', attempts = 0, schedule_at = now(), replay = true, updated_at = now()
WHERE d.state <> 'retryable'
  AND :"schema".delivery_matches(d, $1::text, $2::text, $3::text, $4::text,
                                 $5::timestamptz, $6::timestamptz, $7::uuid)
RETURNING d.event_id;
