-- A partition's live records after a position: what a member starting on it must know.
-- $1 consumer (text), $2 partition (integer), $3 after (bigint).
SELECT event, state, attempts, last_error, schedule_at, replay, created_at, updated_at, partition
FROM :"schema".deliveries
WHERE consumer = $1::text AND partition = $2::integer AND position > $3::bigint AND NOT replay
ORDER BY position;
