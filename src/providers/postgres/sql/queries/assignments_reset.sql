-- Frees every partition of a consumer and bumps its generation, in the
-- transaction that changes its partition count: members running with the old
-- count are fenced at once (their commits would land on partitions that now
-- mean something else) and the allocator starts over.
-- $1 consumer. Returns nothing.
WITH freed AS (
  UPDATE :"schema".assignments a SET member_id = NULL, revoking = false
  WHERE a.consumer = $1::text
)
UPDATE :"schema".consumers c SET generation = c.generation + 1 WHERE c.name = $1::text;
