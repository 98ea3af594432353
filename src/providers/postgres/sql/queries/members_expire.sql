-- Removes a consumer's dead members (see member_dead in 0009_member_dead.sql).
-- $1 consumer. Returns member_id of each removed member.
DELETE FROM :"schema".members m
WHERE m.consumer = $1::text AND :"schema".member_dead(m)
RETURNING m.member_id;
