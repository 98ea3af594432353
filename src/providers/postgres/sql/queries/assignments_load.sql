-- Who owns each partition of a consumer.
-- $1 consumer. Returns partition, member_id, generation, revoking.
SELECT a.partition, a.member_id, a.generation::text AS generation, a.revoking
FROM :"schema".assignments a
WHERE a.consumer = $1::text
ORDER BY a.partition;
