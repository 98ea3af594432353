-- A consumer's allocation generation.
-- $1 consumer. Returns generation; no row if the consumer does not exist.
SELECT c.generation::text AS generation FROM :"schema".consumers c WHERE c.name = $1::text;
