-- A member leaves: everything it owns is released and its row removed.
-- $1 consumer, $2 member id. Returns nothing.
WITH released AS (
  UPDATE :"schema".assignments a
  SET member_id = NULL, revoking = false
  WHERE a.consumer = $1::text AND a.member_id = $2::text
)
DELETE FROM :"schema".members m WHERE m.consumer = $1::text AND m.member_id = $2::text;
