-- Deletes matching dead letters and cancelled deliveries for good. Parameters
-- $1-$7 as in deliveries_list. Returns one row per record deleted.
DELETE FROM :"schema".deliveries d
WHERE d.state <> 'retryable'
  AND :"schema".delivery_matches(d, $1::text, $2::text, $3::text, $4::text,
                                 $5::timestamptz, $6::timestamptz, $7::uuid)
RETURNING d.event_id;
