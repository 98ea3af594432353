-- A category's partition count: the one stored, or, the first time the
-- category is met, the one given, stored for good (its streams are laid out
-- by it).
-- keys: 1
-- KEYS[1] the namespace's categories hash. ARGV[1] category, ARGV[2] count for a new one.
-- Returns the count.
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if stored then return tonumber(stored) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return tonumber(ARGV[2])
