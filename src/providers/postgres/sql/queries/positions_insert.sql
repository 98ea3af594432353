-- Writes a consumer's positions for a new partition count.
-- $1 consumer (text), $2 partitions (integer[]), $3 positions (bigint[]), $4 generation (bigint).
-- Returns nothing.
INSERT INTO :"schema".consumer_positions (consumer, partition, position, generation)
SELECT $1::text, c.partition, c.position, $4::bigint
FROM unnest($2::integer[], $3::bigint[]) AS c(partition, position);
