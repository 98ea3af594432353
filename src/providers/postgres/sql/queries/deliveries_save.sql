-- Creates or replaces delivery records of one consumer.
-- $1 consumer (text), $2 records (json array of {partition, event_id, position,
-- subject, event, state, attempts, last_error, schedule_at, replay}).
INSERT INTO :"schema".deliveries AS d
  (consumer, event_id, partition, position, subject, event, state, attempts,
   last_error, schedule_at, replay)
SELECT $1::text, r.event_id, r.partition, r.position, r.subject, r.event, r.state,
       r.attempts, r.last_error, r.schedule_at, r.replay
FROM json_to_recordset($2::json) AS r(
  event_id uuid, partition integer, position bigint, subject text, event json, state text,
  attempts integer, last_error json, schedule_at timestamptz, replay boolean)
ON CONFLICT (consumer, event_id) DO UPDATE
SET partition = excluded.partition, position = excluded.position, state = excluded.state,
    attempts = excluded.attempts, last_error = excluded.last_error,
    schedule_at = excluded.schedule_at, replay = excluded.replay, updated_at = now();
