-- Removes a waiting delayed event. $1 id (uuid). Returns one row if it was waiting.
DELETE FROM :"schema".scheduled_events s WHERE s.id = $1::uuid RETURNING 1 AS cancelled;
