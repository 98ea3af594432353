-- Forgets records of events that are done (a retried event succeeded).
-- $1 consumer (text), $2 event ids (uuid[]).
DELETE FROM :"schema".deliveries WHERE consumer = $1::text AND event_id = ANY ($2::uuid[]);
