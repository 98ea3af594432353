-- A member's view of the allocation: the generation, the partitions it owns
-- and works, and those it was asked to release.
-- $1 consumer, $2 member id.
-- Returns one row: generation, owned (integer[]), owned_since (the generation
-- each owned partition was granted in, text[]), revoking (integer[]).
SELECT c.generation::text AS generation,
       coalesce(array_agg(a.partition ORDER BY a.partition)
                  FILTER (WHERE a.member_id = $2::text AND NOT a.revoking), '{}') AS owned,
       coalesce(array_agg(a.generation::text ORDER BY a.partition)
                  FILTER (WHERE a.member_id = $2::text AND NOT a.revoking), '{}') AS owned_since,
       coalesce(array_agg(a.partition ORDER BY a.partition)
                  FILTER (WHERE a.member_id = $2::text AND a.revoking), '{}') AS revoking
FROM :"schema".consumers c
LEFT JOIN :"schema".assignments a ON a.consumer = c.name
WHERE c.name = $1::text
GROUP BY c.generation;
