-- A member hands back partitions it stopped working.
-- $1 consumer, $2 member id, $3 partitions (integer[]). Returns nothing.
UPDATE :"schema".assignments a
SET member_id = NULL, revoking = false
WHERE a.consumer = $1::text AND a.member_id = $2::text AND a.partition = ANY ($3::integer[]);
