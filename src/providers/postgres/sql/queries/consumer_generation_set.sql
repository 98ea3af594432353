-- Records a consumer's new generation after its allocation changed.
-- $1 consumer, $2 generation (bigint). Returns nothing.
UPDATE :"schema".consumers c SET generation = $2::bigint WHERE c.name = $1::text;
