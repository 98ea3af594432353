-- A member leaves: everything it owns is freed and it is removed, so its
-- partitions move on without waiting for it to expire. Tells the members
-- channel.
-- keys: 2
-- KEYS[1] the consumer's members (see member_join), KEYS[2] its owners (see member_assignment).
-- ARGV[1] members channel, ARGV[2] consumer, ARGV[3] member id.
-- Returns 1.
local owners = redis.call('HGETALL', KEYS[2])
for i = 1, #owners, 2 do
  local owner = cjson.decode(owners[i + 1])
  if owner.member == ARGV[3] then
    owner.member = cjson.null
    owner.revoking = false
    redis.call('HSET', KEYS[2], owners[i], cjson.encode(owner))
  end
end
redis.call('HDEL', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1
