-- Removes a consumer's positions, before they are written anew for a new partition count.
-- $1 consumer (text). Returns nothing.
DELETE FROM :"schema".consumer_positions p WHERE p.consumer = $1::text;
