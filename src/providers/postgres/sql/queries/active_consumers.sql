-- Consumers that have members or owned partitions: the allocator's work list.
-- No parameters. Returns name.
SELECT DISTINCT m.consumer AS name FROM :"schema".members m
UNION
SELECT DISTINCT a.consumer FROM :"schema".assignments a WHERE a.member_id IS NOT NULL;
