-- Retried dead letters due now in the given partitions, oldest event first.
-- $1 consumer (text), $2 partitions (integer[]), $3 limit (integer).
SELECT event, state, attempts, last_error, schedule_at, replay, created_at, updated_at, partition
FROM :"schema".deliveries
WHERE consumer = $1::text AND replay AND state = 'retryable' AND schedule_at <= now()
  AND partition = ANY ($2::integer[])
ORDER BY position
LIMIT $3::integer;
